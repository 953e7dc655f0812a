package profile

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
)

// streamZstdMaxWindow bounds the memory a zstd stream may ask for (its window), so that a hostile
// or corrupt header cannot make the decoder allocate without bound.
const streamZstdMaxWindow = 64 << 20

// decompressStream wraps rc, the compressed bytes of the file called name, in a streaming
// decoder for codec ("gzip" or "zstd"). Closing the result closes rc. Corrupt or truncated
// data is an *Error naming the file; the decoders hold a bounded window, never the whole file.
func decompressStream(name, codec string, rc io.ReadCloser) (io.ReadCloser, error) {
	switch codec {
	case "gzip":
		zr, err := gzip.NewReader(rc)
		if err != nil {
			_ = rc.Close()
			return nil, corruptStream(name, codec, 0, err)
		}
		return &decodedStream{r: zr, close: zr.Close, src: rc, name: name, codec: codec}, nil
	case "zstd":
		zr, err := zstd.NewReader(rc, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxWindow(streamZstdMaxWindow))
		if err != nil {
			_ = rc.Close()
			return nil, corruptStream(name, codec, 0, err)
		}
		return &decodedStream{r: zr, close: func() error { zr.Close(); return nil }, src: rc, name: name, codec: codec}, nil
	}
	_ = rc.Close()
	return nil, &Error{Pos: Pos{File: name}, Msg: "unknown compression " + codec, Hint: "use .gz or .zst"}
}

// decodedStream is a decoder over a source stream; it reports decoding errors as *Error and
// passes the source's own *Error (a dropped connection) on unchanged.
type decodedStream struct {
	r     io.Reader
	close func() error
	src   io.Closer
	name  string
	codec string
	n     int64
}

func (d *decodedStream) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	d.n += int64(n)
	if err != nil && err != io.EOF {
		var se *Error
		if errors.As(err, &se) {
			return n, se
		}
		return n, corruptStream(d.name, d.codec, d.n, err)
	}
	return n, err
}

func (d *decodedStream) Close() error {
	err := d.close()
	if e := d.src.Close(); err == nil {
		err = e
	}
	return err
}

func corruptStream(name, codec string, at int64, err error) *Error {
	what := "the file is not valid " + codec + " data"
	if at > 0 {
		what = fmt.Sprintf("the %s data is corrupt or truncated after %d decompressed bytes", codec, at)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		what = fmt.Sprintf("the %s data ends early (after %d decompressed bytes): the file is truncated", codec, at)
	}
	return &Error{Pos: Pos{File: name}, Msg: what + " (" + errText(err) + ")", Err: err,
		Hint: "check that the file was written completely and that its extension (.gz, .zst) matches its compression"}
}
