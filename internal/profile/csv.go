package profile

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// csvParser splits a CSV stream into records (RFC 4180): fields separated by commas, records
// by line breaks (LF or CRLF); a field in double quotes may hold commas, line breaks and
// doubled quotes (""). A quote inside an unquoted field, text after a closing quote, and a
// quote that is never closed are errors. Lines holding nothing are skipped.
type csvParser struct {
	lr *lineReader
	// The current record: the bytes of all fields, their end offsets and start lines.
	buf        []byte
	ends       []int
	fieldLines []int64
}

// csvSyntaxError is a malformed record; line and col (bytes, 1-based) say where.
type csvSyntaxError struct {
	startLine, line int64
	col             int
	msg, hint       string
}

func (e *csvSyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.line, e.col, e.msg)
}

// field returns field i of the current record; valid until the next call of read.
func (p *csvParser) field(i int) []byte {
	start := 0
	if i > 0 {
		start = p.ends[i-1]
	}
	return p.buf[start:p.ends[i]]
}

func (p *csvParser) endField(line int64) {
	p.ends = append(p.ends, len(p.buf))
	p.fieldLines = append(p.fieldLines, line)
}

// read parses the next record and returns the line it starts on. It returns io.EOF after the
// last record, *csvSyntaxError for malformed input, errLineTooLong, or a read error.
func (p *csvParser) read() (int64, error) {
	p.buf, p.ends, p.fieldLines = p.buf[:0], p.ends[:0], p.fieldLines[:0]
	line, err := p.nextNonEmpty()
	if err != nil {
		return 0, err
	}
	start := p.lr.line
	pos := 0
	for {
		fieldLine, fieldCol := p.lr.line, pos+1
		if pos < len(line) && line[pos] == '"' {
			if line, pos, err = p.quoted(line, pos+1, start, fieldLine, fieldCol); err != nil {
				return start, err
			}
			switch {
			case pos < len(line) && line[pos] == ',':
				p.endField(fieldLine)
				pos++
				continue
			case pos == len(line) || (pos == len(line)-1 && line[pos] == '\n'):
				p.endField(fieldLine)
				return start, nil
			default:
				return start, &csvSyntaxError{startLine: start, line: p.lr.line, col: pos + 1,
					msg:  "unexpected text after the closing quote of a quoted field",
					hint: "a quote inside a quoted field must be written twice (\"\"), and a closing quote must be followed by a comma or the end of the line"}
			}
		}
		rest := line[pos:]
		i := bytes.IndexByte(rest, ',')
		f := rest
		if i >= 0 {
			f = rest[:i]
		} else if n := len(f); n > 0 && f[n-1] == '\n' {
			f = f[:n-1]
		}
		if j := bytes.IndexByte(f, '"'); j >= 0 {
			return start, &csvSyntaxError{startLine: start, line: p.lr.line, col: pos + j + 1,
				msg:  "a double quote inside a field that is not quoted",
				hint: "enclose the whole field in double quotes and write the quote twice (\"\"), as RFC 4180 requires"}
		}
		p.buf = append(p.buf, f...)
		p.endField(fieldLine)
		if i < 0 {
			return start, nil
		}
		pos += i + 1
	}
}

// nextNonEmpty returns the next line that holds something.
func (p *csvParser) nextNonEmpty() ([]byte, error) {
	for {
		l, err := p.lr.next()
		if err != nil {
			return nil, err
		}
		if len(l) > 0 && (len(l) != 1 || l[0] != '\n') {
			return l, nil
		}
	}
}

// quoted appends the quoted field whose text starts at line[pos] (after its opening quote,
// which is at fieldLine, fieldCol) to the record, reading on while the field holds line breaks,
// and returns the line and position after its closing quote.
func (p *csvParser) quoted(line []byte, pos int, start, fieldLine int64, fieldCol int) ([]byte, int, error) {
	for {
		i := bytes.IndexByte(line[pos:], '"')
		if i < 0 {
			// The field runs on to the next line.
			p.buf = append(p.buf, line[pos:]...)
			if len(p.buf) > maxLineBytes {
				return nil, 0, &csvSyntaxError{startLine: start, line: p.lr.line, col: 1,
					msg:  fmt.Sprintf("a quoted field that starts on line %d runs on for more than %d MiB", start, maxLineBytes>>20),
					hint: "a closing quote (\") is probably missing; check the field that starts on that line"}
			}
			next, err := p.lr.next()
			if err == io.EOF {
				return nil, 0, &csvSyntaxError{startLine: start, line: fieldLine, col: fieldCol,
					msg:  fmt.Sprintf("unterminated quoted field: the quote opened on line %d is never closed", fieldLine),
					hint: "add the closing double quote (\"); a quote inside a quoted field is written twice (\"\")"}
			}
			if err != nil {
				return nil, 0, err
			}
			line, pos = next, 0
			continue
		}
		p.buf = append(p.buf, line[pos:pos+i]...)
		pos += i + 1
		if pos < len(line) && line[pos] == '"' {
			p.buf = append(p.buf, '"')
			pos++
			continue
		}
		return line, pos, nil
	}
}

// csvSource is a CSV file with a header row.
type csvSource struct {
	path   string
	open   streamOpener // nil: the local file at path
	cols   []Column
	header []string // raw header fields, to notice a file that changed between scans
}

func openCSV(path string) (Source, error) {
	return openCSVStream(context.Background(), path, nil)
}

// openCSVStream opens a CSV source whose bytes open returns (nil: the local file at path);
// path names it in positions and messages.
func openCSVStream(ctx context.Context, path string, open streamOpener) (Source, error) {
	f, err := open.openAt(ctx, path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	p := &csvParser{lr: newLineReader(f)}
	cols, header, err := readCSVHeader(p, path)
	if err != nil {
		return nil, err
	}
	return &csvSource{path: path, open: open, cols: cols, header: header}, nil
}

func readCSVHeader(p *csvParser, path string) ([]Column, []string, error) {
	start, err := p.read()
	if err == io.EOF {
		return nil, nil, &Error{Pos: Pos{File: path}, Msg: "the file is empty; a CSV source needs a header row naming its columns",
			Hint: "add a first line such as: email,first_name,last_name"}
	}
	if err != nil {
		return nil, nil, csvReadError(path, p, err)
	}
	n := len(p.ends)
	if n > MaxColumns {
		return nil, nil, tooManyColumns(Pos{File: path, Line: start}, n)
	}
	if e := checkHeaderRecord(p, Pos{File: path, Line: start}); e != nil {
		return nil, nil, e
	}
	header := make([]string, n)
	cols := make([]Column, n)
	seen := make(map[string]int, n)
	for i := range n {
		raw := p.field(i)
		if !utf8.Valid(raw) {
			return nil, nil, &Error{Pos: Pos{File: path, Line: start}, Msg: fmt.Sprintf("header field %d is not valid UTF-8", i+1),
				Hint: "save the file as UTF-8; it may be in a legacy encoding such as Latin-1 or Windows-1252"}
		}
		header[i] = string(raw)
		name, typ := splitTypedName(header[i])
		if strings.TrimSpace(name) == "" {
			return nil, nil, &Error{Pos: Pos{File: path, Line: start}, Msg: fmt.Sprintf("header field %d is empty: every column needs a name", i+1),
				Hint: "name the column in the header row, or remove the empty column (a trailing comma in the header adds one)"}
		}
		if j, dup := seen[name]; dup {
			return nil, nil, &Error{Pos: Pos{File: path, Line: start}, Column: name,
				Msg:  fmt.Sprintf("the header names this column twice (fields %d and %d)", j+1, i+1),
				Hint: "give every column a distinct name"}
		}
		seen[name] = i
		cols[i] = Column{Name: name, Type: typ}
	}
	return cols, header, nil
}

// checkHeaderRecord refuses a first record that is binary or looks like a row of data (a
// file without a header row). The error never shows the fields, which may be profile values.
func checkHeaderRecord(p *csvParser, pos Pos) *Error {
	var kinds []string
	for i := range p.ends {
		raw := p.field(i)
		if bytes.IndexFunc(raw, func(r rune) bool { return r != '\t' && unicode.IsControl(r) }) >= 0 {
			return &Error{Pos: pos, Msg: "the file is binary, not CSV text: its first line holds control characters (such as NUL bytes)",
				Hint: "name a CSV text file saved as UTF-8, with a header row naming the columns"}
		}
		if len(kinds) >= 5 {
			continue
		}
		name, _ := splitTypedName(string(raw))
		name = strings.TrimSpace(name)
		switch _, isNum := strconv.ParseFloat(name, 64); {
		case strings.Contains(name, "@"):
			kinds = append(kinds, fmt.Sprintf("field %d holds an @, like an email address", i+1))
		case isNum == nil && strings.ContainsAny(name, "0123456789"):
			kinds = append(kinds, fmt.Sprintf("field %d is a number", i+1))
		default:
			if _, ok := parseTime(name); ok {
				kinds = append(kinds, fmt.Sprintf("field %d is a date", i+1))
			}
		}
	}
	if len(kinds) == 0 {
		return nil
	}
	return &Error{Pos: pos, Msg: "the first line looks like data, not a header row naming the columns (" + strings.Join(kinds, "; ") + "); its values are not shown",
		Hint: "add a header row as the first line, such as email,first_name,last_name (column names cannot contain @ or be numbers or dates)"}
}

// splitTypedName splits a header such as "lifetime_value:double" into its name and type.
// A suffix that names no type is part of the name ("utm:source" is a string column).
func splitTypedName(h string) (string, Type) {
	i := strings.LastIndexByte(h, ':')
	if i <= 0 {
		return h, TypeString
	}
	var t Type
	switch strings.ToLower(strings.TrimSpace(h[i+1:])) {
	case "string", "text":
		t = TypeString
	case "int", "integer", "int64":
		t = TypeInt
	case "double", "float", "number", "real", "float64":
		t = TypeDouble
	case "bool", "boolean":
		t = TypeBool
	case "timestamp", "date", "datetime", "time":
		t = TypeTimestamp
	default:
		return h, TypeString
	}
	return h[:i], t
}

func csvReadError(path string, p *csvParser, err error) error {
	switch e := err.(type) {
	case *csvSyntaxError:
		return &Error{Pos: Pos{File: path, Line: e.line}, Msg: e.msg + fmt.Sprintf(" (column %d of the line)", e.col), Hint: e.hint}
	}
	return lineReadError(path, p.lr, err)
}

func (s *csvSource) Kind() Kind        { return KindCSV }
func (s *csvSource) Columns() []Column { return s.cols }
func (s *csvSource) Close() error      { return nil }

func (s *csvSource) Scan(ctx context.Context, fn func(*Row) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := s.open.openAt(ctx, s.path)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	p := &csvParser{lr: newLineReader(f)}
	_, header, err := readCSVHeader(p, s.path)
	if err != nil {
		return err
	}
	if !equalStrings(header, s.header) {
		return &Error{Pos: Pos{File: s.path, Line: 1}, Msg: "the header row changed after the source was opened",
			Hint: "do not replace the file while Terraform runs; run again"}
	}
	ncol := len(s.cols)
	row := &Row{Values: make([]any, ncol)}
	row.Pos.File = s.path
	intern := newInterner(ncol)
	for n := int64(1); ; n++ {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		start, err := p.read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvReadError(s.path, p, err)
		}
		row.Pos.Line, row.Pos.Row = start, n
		row.Invalid = row.Invalid[:0]
		if got := len(p.ends); got != ncol {
			return &Error{Pos: row.Pos, Msg: fmt.Sprintf("the row has %d fields but the header has %d", got, ncol),
				Hint: "every row needs one field per header column; enclose fields that contain commas or line breaks in double quotes"}
		}
		for i := range ncol {
			b := p.field(i)
			if !utf8.Valid(b) {
				return invalidUTF8(Pos{File: s.path, Line: p.fieldLines[i], Row: n}, s.cols[i].Name)
			}
			v, err := convertText(b, s.cols[i].Type, intern, i)
			if err != nil {
				row.addInvalid(i, s.cols[i].Name, p.fieldLines[i], b, err)
				continue
			}
			row.Values[i] = v
		}
		if err := fn(row); err != nil {
			if err == ErrStop {
				return nil
			}
			return err
		}
	}
}

// convertText turns the text of a field into a value of type t. An empty field is "" for a
// string column and NULL otherwise. The error, if any, lacks Pos and Column.
func convertText(b []byte, t Type, in *interner, col int) (any, *Error) {
	if t == TypeString {
		return in.str(col, b), nil
	}
	if len(b) == 0 {
		return nil, nil
	}
	switch t {
	case TypeInt:
		if v, ok := parseInt(b); ok {
			return v, nil
		}
		return nil, &Error{Msg: "the value is not a whole number (int)", Hint: "fix the value, leave it empty for NULL, or drop the :int type from the header"}
	case TypeDouble:
		if v, err := strconv.ParseFloat(string(b), 64); err == nil && !math.IsInf(v, 0) && !math.IsNaN(v) {
			return v, nil
		}
		return nil, &Error{Msg: "the value is not a number (double)", Hint: "write numbers like 12.5 (a dot for decimals, no thousands separators), leave it empty for NULL, or drop the :double type from the header"}
	case TypeBool:
		if v, ok := parseBool(b); ok {
			if v {
				return true, nil
			}
			return false, nil
		}
		return nil, &Error{Msg: "the value is not a boolean", Hint: "write true or false (also accepted: 1/0, yes/no, t/f), leave it empty for NULL, or drop the :bool type from the header"}
	case TypeTimestamp:
		if v, ok := parseTime(string(b)); ok {
			return v, nil
		}
		return nil, &Error{Msg: "the value is not a date or timestamp", Hint: "write dates as YYYY-MM-DD or timestamps in RFC 3339 (2024-05-01T12:00:00Z), leave it empty for NULL, or drop the :timestamp type from the header"}
	}
	return nil, &Error{Msg: "unknown column type " + string(t)}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// interner reuses the boxed string of values that repeat within a column (countries, plans,
// first names, ...), which saves two allocations per repeated value. Each column remembers up
// to internMax distinct values and stops looking once it proves to hold mostly distinct values
// (such as emails).
type interner struct {
	cols []internCol
}

type internCol struct {
	m            map[string]any
	hits, misses int
	off          bool
}

const internMax = 4096

func newInterner(n int) *interner { return &interner{cols: make([]internCol, n)} }

func (in *interner) str(col int, b []byte) any {
	if len(b) == 0 {
		return ""
	}
	c := &in.cols[col]
	if c.off {
		return string(b)
	}
	if v, ok := c.m[string(b)]; ok {
		c.hits++
		return v
	}
	c.misses++
	str := string(b)
	var v any = str
	if len(c.m) < internMax {
		if c.m == nil {
			c.m = make(map[string]any)
		}
		c.m[str] = v
	} else if c.misses > 8*c.hits {
		// Full and rarely hit: this column holds mostly distinct values.
		c.off, c.m = true, nil
	}
	if c.misses+c.hits >= 1<<16 && c.misses > 8*c.hits {
		c.off, c.m = true, nil
	}
	return v
}
