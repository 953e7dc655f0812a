package profile

import (
	"context"
)

// openRemoteParquet opens a Parquet object. A plain one is read in place with ranged requests
// (its footer, then the column chunks of each row group as Scan reaches them), so only what
// is read crosses the network and nothing is written to disk. A compressed one (.parquet.gz,
// .parquet.zst) has to be whole for random access: it is streamed, decompressed, into a private
// temporary file (mode 0600, in TMPDIR) that Close removes.
func openRemoteParquet(ctx context.Context, rs remoteSpec, store remoteStore, info objectInfo) (Source, error) {
	if rs.codec != "" {
		return openSpooledParquet(ctx, rs, store, info)
	}
	if info.Size < 0 {
		return nil, &Error{Pos: Pos{File: rs.display}, Msg: "the server does not tell the object's size, which reading Parquet needs",
			Hint: "serve the file from a server that answers HEAD requests with its Content-Length, or use an s3:// source"}
	}
	ra := newObjectReaderAt(ctx, rs.display, store, info)
	src, err := openParquet(ctx, rs.display, ra, info.Size)
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

func openSpooledParquet(ctx context.Context, rs remoteSpec, store remoteStore, info objectInfo) (Source, error) {
	rc, err := openRemoteStream(ctx, rs, store, info)
	if err != nil {
		return nil, err
	}
	tmp, n, err := spoolToTemp(ctx, rs.display, rc, info.Size)
	_ = rc.Close()
	if err != nil {
		return nil, err
	}
	src, err := openParquet(ctx, rs.display, tmp, n)
	if err != nil {
		_ = tmp.Close()
		return nil, err
	}
	return &remoteSource{Source: src, info: info}, nil
}
