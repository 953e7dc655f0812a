package profile

import (
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// Compressed files: a source file whose name ends in .gz (gzip, RFC 1952; several members
// concatenated are read one after the other) or .zst (Zstandard, RFC 8878) is decompressed as
// it is read, so a CSV or JSON Lines file streams as the uncompressed file does and nothing is
// written to disk. The kind comes from the name without the compression suffix
// (customers.csv.gz is CSV) or from a csv:, jsonl: or parquet: prefix. A Parquet file needs
// random access, so a compressed one is first decompressed into a private temporary file (see
// parquet.go).

// Compression suffixes of source file names.
const (
	extGzip = ".gz"
	extZstd = ".zst"
)

// zstdMaxWindow bounds the memory a Zstandard stream may ask for (its window): 128 MiB, the
// most the zstd command decompresses without --long=31 or --memory.
const zstdMaxWindow = 128 << 20

// compressionOf returns the compression suffix of a file name (".gz", ".zst"), or "".
func compressionOf(path string) string {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case extGzip, extZstd:
		return ext
	}
	return ""
}

// innerExt is the extension of a file name without its compression suffix, lower case:
// ".csv" for customers.csv.gz and for customers.csv.
func innerExt(path string) string {
	if c := compressionOf(path); c != "" {
		path = path[:len(path)-len(c)]
	}
	return strings.ToLower(filepath.Ext(path))
}

// decompress wraps f, the bytes of the file or object named path, in the decompressor the name
// asks for (none for a name without .gz or .zst). The returned function closes the decompressor
// and f; on an error the caller closes f. Errors are *Error; read errors of the returned reader
// are *decompressError, or the *Error f itself returned (a remote object's dropped connection),
// passed on unchanged.
func decompress(path string, f io.ReadCloser) (io.Reader, func() error, error) {
	return decompressAs(path, compressionOf(path), f)
}

// decompressAs is decompress with the compression suffix (extGzip, extZstd or "") given.
func decompressAs(path, ext string, f io.ReadCloser) (io.Reader, func() error, error) {
	switch ext {
	case extGzip:
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, nil, notCompressed(path, ext, err)
		}
		return &decompressReader{r: zr, format: "gzip"}, func() error { _ = zr.Close(); return f.Close() }, nil
	case extZstd:
		zr, err := zstd.NewReader(f, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxWindow(zstdMaxWindow))
		if err != nil {
			return nil, nil, notCompressed(path, ext, err)
		}
		return &decompressReader{r: zr, format: "zstd"}, func() error { zr.Close(); return f.Close() }, nil
	}
	return f, f.Close, nil
}

func notCompressed(path, ext string, err error) *Error {
	var se *Error
	if errors.As(err, &se) {
		return se // the underlying stream failed, not the data
	}
	format := map[string]string{extGzip: "gzip", extZstd: "Zstandard"}[ext]
	return &Error{Pos: Pos{File: path}, Err: err,
		Msg:  "the file name ends in " + ext + ", but the file is not " + format + " data (" + errText(err) + ")",
		Hint: "compress the file with " + map[string]string{extGzip: "gzip", extZstd: "zstd"}[ext] + ", or remove " + ext + " from its name if it is not compressed"}
}

// decompressReader marks the errors of a decompressor, so that they are reported as a damaged
// or truncated compressed file rather than as a failed read.
type decompressReader struct {
	r      io.Reader
	format string
}

func (d *decompressReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		var pe *os.PathError
		var se *Error
		if errors.As(err, &se) {
			return n, se // the underlying stream explained the failure itself
		}
		if !errors.As(err, &pe) {
			err = &decompressError{format: d.format, err: err}
		}
	}
	return n, err
}

// decompressError is a failure of a decompressor: damaged or truncated data.
type decompressError struct {
	format string // "gzip", "zstd"
	err    error
}

func (e *decompressError) Error() string { return e.format + ": " + e.err.Error() }
func (e *decompressError) Unwrap() error { return e.err }

// at is the error for a damaged compressed file, noticed while reading the line at pos.
func (e *decompressError) at(pos Pos) *Error {
	what := "damaged"
	if errors.Is(e.err, io.ErrUnexpectedEOF) {
		what = "truncated: it ends in the middle of the compressed data"
	}
	if errors.Is(e.err, zstd.ErrMagicMismatch) && pos.Line <= 1 {
		return notCompressed(pos.File, extZstd, e.err)
	}
	if errors.Is(e.err, zstd.ErrWindowSizeExceeded) {
		return &Error{Pos: pos, Err: e, Msg: "the Zstandard data needs a window over 128 MiB",
			Hint: "recompress the file without --long (or with --long=27 at most)"}
	}
	return &Error{Pos: pos, Err: e, Msg: "the " + e.format + " data is " + what + " (" + e.err.Error() + "); no profile of the file is used",
		Hint: "copy or compress the file again and test it (" + e.format + " -t FILE)"}
}
