package profile

import (
	"context"
	"errors"
	"io"
	"os"
)

// openRemoteParquet opens a Parquet object. A plain one is read in place with ranged requests
// (its footer, then the column chunks of each row group as Scan reaches them), so only what
// is read crosses the network and nothing is written to disk. A compressed one (.parquet.gz,
// .parquet.zst) has to be whole for random access: it is streamed, decompressed, into a private
// temporary file (mode 0600, in TMPDIR) that Close removes.
func openRemoteParquet(ctx context.Context, rs remoteSpec, store remoteStore, info objectInfo, opts Options) (Source, error) {
	if rs.codec != "" {
		return openSpooledParquet(ctx, rs, store, info, opts)
	}
	if info.Size < 0 {
		return nil, &Error{Pos: Pos{File: rs.display}, Msg: "the server does not tell the object's size, which reading Parquet needs",
			Hint: "serve the file from a server that answers HEAD requests with its Content-Length, or use an s3:// source"}
	}
	ra := newObjectReaderAt(ctx, rs.display, store, info)
	src, err := openParquet(ctx, rs.display, ra, info.Size, opts)
	if err != nil {
		return nil, err
	}
	return &remoteParquetSource{remoteSource: remoteSource{Source: src, info: info}, ra: ra}, nil
}

// remoteParquetSource is a Parquet object read with ranged requests; each Scan's context
// bounds the requests it makes.
type remoteParquetSource struct {
	remoteSource
	ra *objectReaderAt
}

func (s *remoteParquetSource) Scan(ctx context.Context, fn func(*Row) error) error {
	s.ra.setContext(ctx)
	return s.Source.Scan(ctx, fn)
}

func openSpooledParquet(ctx context.Context, rs remoteSpec, store remoteStore, info objectInfo, opts Options) (Source, error) {
	rc, err := openRemoteStream(ctx, rs, store, info)
	if err != nil {
		return nil, err
	}
	tmp, n, err := spoolToTemp(ctx, rs.display, rc)
	_ = rc.Close()
	if err != nil {
		return nil, err
	}
	src, err := openParquet(ctx, rs.display, tmp, n, opts)
	if err != nil {
		_ = tmp.Close()
		return nil, err
	}
	return &remoteSource{Source: src, info: info}, nil
}

// spooledFile is a private temporary copy of an object; Close removes it.
type spooledFile struct{ *os.File }

func (f spooledFile) Close() error {
	err := f.File.Close()
	if rerr := os.Remove(f.Name()); err == nil {
		err = rerr
	}
	return err
}

// spoolToTemp copies r into a new temporary file readable by its owner only and returns it
// with its size. On failure nothing is left behind.
func spoolToTemp(ctx context.Context, name string, r io.Reader) (spooledFile, int64, error) {
	f, err := os.CreateTemp("", "sendgridaudience-*.parquet")
	if err != nil {
		return spooledFile{}, 0, &Error{Pos: Pos{File: name}, Err: err, Msg: "cannot create a temporary file to decompress the Parquet object into: " + errText(err),
			Hint: "a compressed Parquet object is decompressed into the temporary directory (TMPDIR) first: make it writable and large enough, or store the object uncompressed (Parquet compresses its pages itself)"}
	}
	tmp := spooledFile{f}
	n, err := io.Copy(tmp.File, r)
	if err != nil {
		_ = tmp.Close()
		if ctx.Err() != nil {
			return spooledFile{}, 0, ctx.Err()
		}
		var de *decompressError
		if errors.As(err, &de) {
			return spooledFile{}, 0, de.at(Pos{File: name})
		}
		var se *Error
		if errors.As(err, &se) {
			return spooledFile{}, 0, se
		}
		return spooledFile{}, 0, &Error{Pos: Pos{File: name}, Err: err, Msg: "copying the Parquet object into a temporary file failed: " + errText(err),
			Hint: "check the space in the temporary directory (TMPDIR), or store the object uncompressed"}
	}
	return tmp, n, nil
}
