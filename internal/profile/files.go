package profile

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"
)

// maxLineBytes bounds one physical line and one CSV record (which may span lines), so that a
// file without line breaks, or an unterminated quote, cannot take unbounded memory.
const maxLineBytes = 16 << 20

// errLineTooLong is returned by lineReader.next for a line over maxLineBytes.
var errLineTooLong = errors.New("line too long")

// lineReader reads a file line by line without copying lines that fit its buffer. It strips a
// UTF-8 byte order mark at the start, turns CRLF line ends into LF, and counts lines.
type lineReader struct {
	br    *bufio.Reader
	long  []byte // assembles lines longer than the bufio buffer
	line  int64  // number of the line last returned (1-based)
	first bool
	eof   bool
}

func newLineReader(r io.Reader) *lineReader {
	if t, ok := r.(*textFile); ok {
		r = t.Reader // already buffered
	}
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10), first: true}
}

// next returns the next line, ending in '\n' unless it is the last line of a file that does
// not end in a line break. The slice is valid until the next call. At the end it returns
// (nil, io.EOF).
func (lr *lineReader) next() ([]byte, error) {
	if lr.eof {
		return nil, io.EOF
	}
	b, err := lr.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		lr.long = append(lr.long[:0], b...)
		for err == bufio.ErrBufferFull {
			if len(lr.long) > maxLineBytes {
				lr.line++
				return nil, errLineTooLong
			}
			b, err = lr.br.ReadSlice('\n')
			lr.long = append(lr.long, b...)
		}
		if len(lr.long) > maxLineBytes {
			lr.line++
			return nil, errLineTooLong
		}
		b = lr.long
	}
	if err != nil {
		if err != io.EOF {
			return nil, err
		}
		lr.eof = true
		if len(b) == 0 {
			return nil, io.EOF
		}
	}
	lr.line++
	if lr.first {
		lr.first = false
		b = bytes.TrimPrefix(b, utf8BOM)
	}
	if n := len(b); n >= 2 && b[n-1] == '\n' && b[n-2] == '\r' {
		b[n-2] = '\n'
		b = b[:n-1]
	} else if lr.eof && n > 0 && b[n-1] == '\r' {
		// A CR at the very end of the file ends the last line, as encoding/csv has it.
		b = b[:n-1]
	}
	return b, nil
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// openRegular opens a file that must exist, be readable and not be a directory, turning the
// usual failures into *Error.
func openRegular(path string) (*os.File, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fileError(path, err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, nil, fileError(path, err)
	}
	if st.IsDir() {
		_ = f.Close()
		return nil, nil, &Error{Pos: Pos{File: path}, Msg: "the source is a directory, not a file", Hint: "name the profile file itself"}
	}
	return f, st, nil
}

// streamOpener opens the bytes of a file source (a remote object, decompressed) from their
// start. A source calls it when it is opened and again for each Scan.
type streamOpener func(ctx context.Context) (io.ReadCloser, error)

// openAt opens the stream, or the local file at path (see openFile) when o is nil.
func (o streamOpener) openAt(ctx context.Context, path string) (io.ReadCloser, error) {
	if o == nil {
		return openFile(path)
	}
	return o(ctx)
}

// textFile is an open text source file (CSV, JSON Lines), decompressed as it is read when its
// name ends in .gz or .zst (see compress.go).
type textFile struct {
	*bufio.Reader
	close func() error
}

// Close closes the decompressor, if any, and the file.
func (t *textFile) Close() error { return t.close() }

// openFile opens a text source file, decompressing it when its name says so, and checks the
// encoding of its first bytes. Failures are *Error.
func openFile(path string) (*textFile, error) {
	f, _, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	r, closeFn, err := decompress(path, f)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	t := &textFile{Reader: bufio.NewReaderSize(r, 64<<10), close: closeFn}
	head, err := t.Peek(4)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		_ = t.Close()
		return nil, readError(path, 1, err)
	}
	if err := checkEncoding(head, path); err != nil {
		_ = t.Close()
		return nil, err
	}
	return t, nil
}

func fileError(path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &Error{Pos: Pos{File: path}, Msg: "the file does not exist", Err: err,
			Hint: "check the path; a relative path is resolved from the directory Terraform runs in (use path.module in the configuration for files beside it)"}
	case errors.Is(err, fs.ErrPermission):
		return &Error{Pos: Pos{File: path}, Msg: "the file cannot be read: permission denied", Err: err,
			Hint: "give the user running Terraform read access to the file"}
	}
	return &Error{Pos: Pos{File: path}, Msg: "the file cannot be read: " + errText(err), Err: err, Hint: "check the path and the file"}
}

// errText is the text of an operating-system error without the path (which the caller shows).
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// checkEncoding rejects files whose first bytes (head) are a UTF-16 or UTF-32 byte order
// mark, the usual result of "Save as Unicode" in spreadsheet programs.
func checkEncoding(h []byte, path string) error {
	enc := ""
	switch {
	case bytes.HasPrefix(h, []byte{0xFF, 0xFE, 0, 0}), bytes.HasPrefix(h, []byte{0, 0, 0xFE, 0xFF}):
		enc = "UTF-32"
	case bytes.HasPrefix(h, []byte{0xFF, 0xFE}), bytes.HasPrefix(h, []byte{0xFE, 0xFF}):
		enc = "UTF-16"
	}
	if enc != "" {
		return &Error{Pos: Pos{File: path, Line: 1}, Msg: "the file is encoded as " + enc + ", not UTF-8",
			Hint: "save or convert the file as UTF-8 (for example: iconv -f " + enc + " -t UTF-8)"}
	}
	return nil
}

func invalidUTF8(pos Pos, col string) *Error {
	return &Error{Pos: pos, Column: col, Msg: "the value is not valid UTF-8",
		Hint: "save the file as UTF-8; it may be in a legacy encoding such as Latin-1 or Windows-1252 (convert it with iconv -f WINDOWS-1252 -t UTF-8)"}
}

// lineReadError turns an error of a file's line reader into an Error at the line being read.
func lineReadError(path string, lr *lineReader, err error) error {
	if err == errLineTooLong {
		return lineTooLong(Pos{File: path, Line: lr.line})
	}
	return readError(path, lr.line+1, err)
}

// readError is the error for a failed read of a file at the given line.
func readError(path string, line int64, err error) error {
	var de *decompressError
	if errors.As(err, &de) {
		return de.at(Pos{File: path, Line: line})
	}
	var se *Error
	if errors.As(err, &se) {
		// The stream explained the failure itself (a dropped connection): keep it, at the line.
		e := *se
		e.Pos.Line = line
		return &e
	}
	return &Error{Pos: Pos{File: path, Line: line}, Msg: "reading the file failed: " + errText(err), Err: err,
		Hint: "check that the file is readable and not being replaced while Terraform runs"}
}

func lineTooLong(pos Pos) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf("the line is longer than %d MiB", maxLineBytes>>20),
		Hint: "check that the file is the right one and not truncated or binary; profiles must be one per line"}
}

// parseBool accepts true/false, t/f, yes/no, y/n, 1/0 in any case.
func parseBool(b []byte) (bool, bool) {
	switch len(b) {
	case 1:
		switch b[0] {
		case '1', 't', 'T', 'y', 'Y':
			return true, true
		case '0', 'f', 'F', 'n', 'N':
			return false, true
		}
	case 2:
		if strings.EqualFold(string(b), "no") {
			return false, true
		}
	case 3:
		if strings.EqualFold(string(b), "yes") {
			return true, true
		}
	case 4:
		if strings.EqualFold(string(b), "true") {
			return true, true
		}
	case 5:
		if strings.EqualFold(string(b), "false") {
			return false, true
		}
	}
	return false, false
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
}

// parseTime accepts RFC 3339 timestamps, dates (YYYY-MM-DD, midnight UTC) and date-times
// without a zone (taken as UTC). The result is in UTC.
func parseTime(s string) (time.Time, bool) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// parseInt parses a decimal integer without allocating.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	return v, err == nil
}
