package profile

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
)

// jsonlSource is a JSON Lines file: one JSON object per line. See Options.InferLines for how
// its columns and their types are determined.
type jsonlSource struct {
	path  string
	open  streamOpener // nil: the local file at path
	cols  []Column
	index map[string]int
}

// keyInfo counts the kinds of the non-null values the file holds under one key.
type keyInfo struct {
	bools, ints, fracs, strings int64
}

// columnType is the type of a column whose values are counted in in: the kind most of them
// have, string on a tie or when there are none (see Options.InferLines).
func (in keyInfo) columnType() Type {
	nums := in.ints + in.fracs
	switch {
	case in.bools > nums && in.bools > in.strings:
		return TypeBool
	case nums > in.bools && nums > in.strings && in.fracs > 0:
		return TypeDouble
	case nums > in.bools && nums > in.strings:
		return TypeInt
	}
	return TypeString
}

func openJSONL(path string, _ int) (Source, error) {
	return openJSONLStream(context.Background(), path, nil)
}

// openJSONLStream opens a JSON Lines source whose bytes open returns (nil: the local file at
// path); path names it in positions and messages. It reads the bytes once to learn the
// columns and their types, and each Scan reads them again.
func openJSONLStream(ctx context.Context, path string, open streamOpener) (Source, error) {
	f, err := open.openAt(ctx, path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	lr := newLineReader(f)
	var (
		p     flatJSON
		cols  []Column
		infos []keyInfo
		index = map[string]int{}
		seen  []int64 // line on which each key was last seen, to find duplicates
	)
	for n := 0; ; {
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, lineReadError(path, lr, err)
		}
		if isBlank(line) {
			continue
		}
		n++
		pos := Pos{File: path, Line: lr.line, Row: int64(n)}
		err = p.parse(trimEOL(line), func(m *jsonMember) error {
			i, ok := index[string(m.key)]
			if !ok {
				name := string(m.key)
				if err := checkNewKey(pos, name, len(cols)); err != nil {
					return err
				}
				i = len(cols)
				index[name] = i
				cols = append(cols, Column{Name: name})
				infos = append(infos, keyInfo{})
				seen = append(seen, 0)
			}
			if seen[i] == pos.Line {
				return duplicateKey(pos, cols[i].Name)
			}
			seen[i] = pos.Line
			in := &infos[i]
			switch m.kind {
			case jsonBool:
				in.bools++
			case jsonNumber:
				if m.integral && fitsInt64(m.num) {
					in.ints++
				} else {
					in.fracs++
				}
			case jsonString:
				in.strings++
			case jsonObject, jsonArray:
				return nested(pos, cols[i].Name, m.kind)
			}
			return nil
		})
		if err != nil {
			return nil, jsonLineError(pos, line, err)
		}
	}
	if len(cols) == 0 {
		return nil, &Error{Pos: Pos{File: path}, Msg: "the file holds no JSON objects with keys, so it has no columns",
			Hint: "write one profile per line as a JSON object, e.g. {\"email\":\"user000001@example.com\",\"first_name\":\"Ada\"}"}
	}
	for i := range cols {
		cols[i].Type = infos[i].columnType()
	}
	return &jsonlSource{path: path, open: open, cols: cols, index: index}, nil
}

func isBlank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

// trimEOL removes the line break at the end of a line.
func trimEOL(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		return line[:n-1]
	}
	return line
}

// fitsInt64 reports whether an integral number literal fits in an int64.
func fitsInt64(num []byte) bool {
	_, ok := parseInt(num)
	return ok
}

func duplicateKey(pos Pos, col string) *Error {
	return &Error{Pos: pos, Column: col, Msg: "the key appears twice in the object", Hint: "write each key once per line"}
}

// checkNewKey checks a key seen for the first time, when n columns are known already.
func checkNewKey(pos Pos, name string, n int) *Error {
	if name == "" {
		return &Error{Pos: pos, Msg: "an object key is empty", Hint: "give every key a name"}
	}
	if n >= MaxColumns {
		return tooManyColumns(pos, n+1)
	}
	return nil
}

func nested(pos Pos, col string, k jsonKind) *Error {
	return &Error{Pos: pos, Column: col, Msg: "the value is a JSON " + k.String() + "; profile values must be strings, numbers, booleans or null",
		Hint: "flatten nested values into their own keys (for example \"address_city\") before exporting"}
}

func jsonLineError(pos Pos, line []byte, err error) error {
	switch e := err.(type) {
	case *Error:
		return e
	case *jsonSyntaxError:
		if bytes.IndexByte(line, 0) >= 0 {
			return &Error{Pos: pos, Msg: "the file is binary, not JSON Lines text: the line holds NUL bytes",
				Hint: "name a JSON Lines text file saved as UTF-8, one JSON object per line"}
		}
		if e.msg == errInvalidUTF8 {
			return &Error{Pos: pos, Msg: fmt.Sprintf("invalid UTF-8 at column %d of the line", e.col),
				Hint: "save the file as UTF-8; it may be in a legacy encoding such as Latin-1 or Windows-1252"}
		}
		return &Error{Pos: pos, Msg: "invalid JSON at column " + strconv.Itoa(e.col) + ": " + e.msg,
			Hint: "each line must hold one complete JSON object, e.g. {\"email\":\"user000001@example.com\",\"plan\":\"pro\"}"}
	}
	return err
}

func (s *jsonlSource) Kind() Kind        { return KindJSONL }
func (s *jsonlSource) Columns() []Column { return s.cols }
func (s *jsonlSource) Close() error      { return nil }

func (s *jsonlSource) Scan(ctx context.Context, fn func(*Row) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := s.open.openAt(ctx, s.path)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	lr := newLineReader(f)
	var p flatJSON
	ncol := len(s.cols)
	row := &Row{Values: make([]any, ncol)}
	row.Pos.File = s.path
	seen := make([]int64, ncol)
	intern := newInterner(ncol)
	member := func(m *jsonMember) error {
		i, ok := s.index[string(m.key)]
		if !ok {
			return &Error{Pos: row.Pos, Column: string(m.key),
				Msg:  "the key was not in the file when it was opened: the file changed while it was read",
				Hint: "write the file completely before planning (write a new file and rename it into place)"}
		}
		if seen[i] == row.Pos.Row {
			return duplicateKey(row.Pos, s.cols[i].Name)
		}
		seen[i] = row.Pos.Row
		v, err := jsonValue(m, s.cols[i].Type, intern, i)
		switch {
		case err != nil && (m.kind == jsonObject || m.kind == jsonArray):
			err.Pos, err.Column = row.Pos, s.cols[i].Name
			return err
		case err != nil:
			raw := m.num
			switch m.kind {
			case jsonString:
				raw = m.str
			case jsonBool:
				raw = []byte(strconv.FormatBool(m.b))
			}
			err.Hint = fmt.Sprintf("most values of this column make it %s; fix the value, or leave the key out (or null) for NULL", s.cols[i].Type)
			row.addInvalid(i, s.cols[i].Name, row.Pos.Line, raw, err)
		default:
			row.Values[i] = v
		}
		return nil
	}
	for n := int64(0); ; {
		line, err := lr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return lineReadError(s.path, lr, err)
		}
		if isBlank(line) {
			continue
		}
		n++
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		row.Pos.Line, row.Pos.Row = lr.line, n
		clear(row.Values)
		row.Invalid = row.Invalid[:0]
		if err := p.parse(trimEOL(line), member); err != nil {
			return jsonLineError(row.Pos, line, err)
		}
		if err := fn(row); err != nil {
			if err == ErrStop {
				return nil
			}
			return err
		}
	}
}

// jsonValue converts a member's value to the column type t (see Options.InferLines). The
// error, if any, lacks Pos and Column.
func jsonValue(m *jsonMember, t Type, in *interner, col int) (any, *Error) {
	switch m.kind {
	case jsonNull:
		return nil, nil
	case jsonObject, jsonArray:
		e := nested(Pos{}, "", m.kind)
		return nil, e
	}
	switch t {
	case TypeString:
		switch m.kind {
		case jsonString:
			return in.str(col, m.str), nil
		case jsonNumber:
			return in.str(col, m.num), nil
		default:
			if m.b {
				return "true", nil
			}
			return "false", nil
		}
	case TypeBool:
		if m.kind == jsonBool {
			return m.b, nil
		}
	case TypeInt:
		if m.kind == jsonNumber {
			if m.integral {
				if v, ok := parseInt(m.num); ok {
					return v, nil
				}
				return nil, &Error{Msg: "the number is too large for an int column"}
			}
			if f, err := strconv.ParseFloat(string(m.num), 64); err == nil && f == math.Trunc(f) && f >= -(1<<63) && f < 1<<63 {
				return int64(f), nil
			}
			return nil, &Error{Msg: "the number is not whole, but the column is int"}
		}
	case TypeDouble:
		if m.kind == jsonNumber {
			f, err := strconv.ParseFloat(string(m.num), 64)
			if err != nil {
				return nil, &Error{Msg: "the number is out of range for a double"}
			}
			return f, nil
		}
	}
	return nil, &Error{Msg: fmt.Sprintf("the value is a %s, but the column is %s", m.kind, t)}
}
