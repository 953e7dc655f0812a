package profile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCSVReadsRFC4180(t *testing.T) {
	tests := []struct {
		name     string
		content  string
		wantCols []Column
		want     [][]any
		wantLine []int64
	}{
		{
			name:     "plain LF",
			content:  "email,first_name\nuser1@example.com,Ada\nuser2@example.com,Grace\n",
			wantCols: []Column{{"email", TypeString}, {"first_name", TypeString}},
			want:     [][]any{{"user1@example.com", "Ada"}, {"user2@example.com", "Grace"}},
			wantLine: []int64{2, 3},
		},
		{
			name:     "BOM and CRLF, no final line break",
			content:  "\xEF\xBB\xBFemail,city\r\nuser1@example.com,Paris\r\nuser2@example.com,Berlin",
			wantCols: []Column{{"email", TypeString}, {"city", TypeString}},
			want:     [][]any{{"user1@example.com", "Paris"}, {"user2@example.com", "Berlin"}},
			wantLine: []int64{2, 3},
		},
		{
			name:     "quoted commas, quotes and line breaks",
			content:  "email,city,note\r\nuser1@example.com,\"Washington, D.C.\",\"she said \"\"hi\"\"\"\r\nuser2@example.com,\"Two\r\nLines\",\"\"\r\nuser3@example.com,Oslo,x\r\n",
			wantCols: []Column{{"email", TypeString}, {"city", TypeString}, {"note", TypeString}},
			want: [][]any{
				{"user1@example.com", "Washington, D.C.", `she said "hi"`},
				{"user2@example.com", "Two\nLines", ""},
				{"user3@example.com", "Oslo", "x"},
			},
			wantLine: []int64{2, 3, 5},
		},
		{
			name:     "blank lines are skipped, empty fields are empty strings",
			content:  "email,first_name\n\nuser1@example.com,\n\r\n,Ada\n",
			wantCols: []Column{{"email", TypeString}, {"first_name", TypeString}},
			want:     [][]any{{"user1@example.com", ""}, {"", "Ada"}},
			wantLine: []int64{3, 5},
		},
		{
			name:    "typed header columns",
			content: "email,age:int,ltv:double,opt_in:bool,signed_up:timestamp,utm:source\nuser1@example.com,42,12.5,yes,2024-05-01,ads\nuser2@example.com,,,,,\nuser3@example.com,-7,3,FALSE,2024-05-01T12:30:00+02:00,x\n",
			wantCols: []Column{{"email", TypeString}, {"age", TypeInt}, {"ltv", TypeDouble}, {"opt_in", TypeBool},
				{"signed_up", TypeTimestamp}, {"utm:source", TypeString}},
			want: [][]any{
				{"user1@example.com", int64(42), 12.5, true, time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), "ads"},
				{"user2@example.com", nil, nil, nil, nil, ""},
				{"user3@example.com", int64(-7), 3.0, false, time.Date(2024, 5, 1, 10, 30, 0, 0, time.UTC), "x"},
			},
			wantLine: []int64{2, 3, 4},
		},
		{
			name:     "header only",
			content:  "email,first_name\r\n",
			wantCols: []Column{{"email", TypeString}, {"first_name", TypeString}},
			want:     nil,
		},
		{
			name:     "non-ASCII UTF-8",
			content:  "email,first_name,city\nuser1@example.com,Zoë,São Paulo\n",
			wantCols: []Column{{"email", TypeString}, {"first_name", TypeString}, {"city", TypeString}},
			want:     [][]any{{"user1@example.com", "Zoë", "São Paulo"}},
			wantLine: []int64{2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "customers.csv", tt.content)
			cols, rows, err := readAll(t, p, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cols, tt.wantCols) {
				t.Errorf("columns = %v, want %v", cols, tt.wantCols)
			}
			if len(rows) != len(tt.want) {
				t.Fatalf("got %d rows, want %d", len(rows), len(tt.want))
			}
			for i, r := range rows {
				if !reflect.DeepEqual(r.Values, tt.want[i]) {
					t.Errorf("row %d = %#v, want %#v", i+1, r.Values, tt.want[i])
				}
				if r.Pos.File != p || r.Pos.Row != int64(i+1) || r.Pos.Line != tt.wantLine[i] {
					t.Errorf("row %d position = %+v, want line %d row %d", i+1, r.Pos, tt.wantLine[i], i+1)
				}
			}
		})
	}
}

func TestCSVErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    []string // substrings of the message
		secrets []string // values that must not appear
		col     string
	}{
		{"empty file", "", []string{"customers.csv", "empty", "header row"}, nil, ""},
		{"empty header name", "email,,city\n", []string{"customers.csv line 1", "header field 2 is empty"}, nil, ""},
		{"trailing comma in header", "email,city,\n", []string{"line 1", "header field 3 is empty", "trailing comma"}, nil, ""},
		{"duplicate header name", "email,city,Email,city\n", []string{"line 1", `column "city"`, "twice (fields 2 and 4)"}, nil, "city"},
		{"duplicate after type suffix", "ltv,ltv:double\n", []string{`column "ltv"`, "twice"}, nil, "ltv"},
		{"ragged row, too few", "email,first_name,city\nuser1@example.com,Ada,Paris\nuser2@example.com,Grace\n",
			[]string{"customers.csv line 3", "2 fields but the header has 3", "double quotes"}, []string{"user2@example.com", "Grace"}, ""},
		{"ragged row, too many", "email,city\nuser1@example.com,Washington, D.C.\n",
			[]string{"line 2", "3 fields but the header has 2"}, []string{"Washington"}, ""},
		{"unterminated quote", "email,note\nuser1@example.com,ok\nuser2@example.com,\"open text\nuser3@example.com,x\n",
			[]string{"customers.csv line 3", "unterminated quoted field", "opened on line 3", "column 19", "closing double quote"}, []string{"open text"}, ""},
		{"text after closing quote", "email,note\nuser1@example.com,\"a\"b\n",
			[]string{"line 2", "after the closing quote", "column 22"}, nil, ""},
		{"bare quote", "email,note\nuser1@example.com,5\" tall\n",
			[]string{"line 2", "double quote inside a field that is not quoted", "RFC 4180"}, []string{"tall"}, ""},
		{"invalid UTF-8 value", "email,first_name\nuser1@example.com,Zo\xEB\n",
			[]string{"customers.csv line 2", `column "first_name"`, "not valid UTF-8", "Windows-1252"}, []string{"Zo"}, "first_name"},
		{"invalid UTF-8 in a later line of a multi-line field", "email,note\nuser1@example.com,ok\nuser2@example.com,\"x\ny\xFF\"\n",
			[]string{"line 3", `column "note"`, "not valid UTF-8"}, nil, "note"},
		{"invalid UTF-8 header", "email,f\xE9\n", []string{"line 1", "header field 2 is not valid UTF-8"}, nil, ""},
		{"UTF-16 file", "\xFF\xFEe\x00m\x00", []string{"customers.csv", "UTF-16", "convert"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "customers.csv", tt.content)
			_, _, err := readAll(t, p, Options{})
			pe := wantError(t, err, tt.want, tt.secrets...)
			if pe.Column != tt.col {
				t.Errorf("Column = %q, want %q", pe.Column, tt.col)
			}
		})
	}
}

// A field that does not fit its column's header type is an invalid value of its row, with its
// line, column and masked value; the scan goes on.
func TestCSVValueAgainstTheHeaderTypeIsInvalid(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    []string
		secret  string
	}{
		{"bad int", "email,age:int\nuser1@example.com,forty\n", []string{"not a whole number"}, "forty"},
		{"bad double", "email,ltv:double\nuser1@example.com,\"1,5\"\n", []string{"not a number", "no thousands separators"}, "1,5"},
		{"bad bool", "email,opt:bool\nuser1@example.com,maybe\n", []string{"not a boolean"}, "maybe"},
		{"bad timestamp", "email,at:timestamp\nuser1@example.com,01/05/2024\n", []string{"not a date", "YYYY-MM-DD"}, "01/05/2024"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "customers.csv", tt.content+"user2@example.com,\n")
			_, rows, err := readAll(t, p, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 2 || len(rows[1].Invalid) != 0 || len(rows[0].Invalid) != 1 || rows[0].Values[1] != nil {
				t.Fatalf("rows %+v: want the first with one invalid value, the second valid", rows)
			}
			iv := rows[0].Invalid[0]
			text := iv.Msg + "; " + iv.Hint + " " + iv.Masked
			if iv.Column != 1 || iv.Line != 2 || strings.Contains(text, tt.secret) {
				t.Errorf("invalid value %+v: want column 1, line 2, no %q", iv, tt.secret)
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("invalid value %q lacks %q", text, w)
				}
			}
		})
	}
}

func TestCSVFileErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(context.Background(), filepath.Join(dir, "missing.csv"), "")
	pe := wantError(t, err, []string{"missing.csv", "does not exist", "path"})
	if !errors.Is(pe, os.ErrNotExist) {
		t.Errorf("missing file error does not wrap os.ErrNotExist: %v", err)
	}

	sub := filepath.Join(dir, "dir.csv")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err = Open(context.Background(), sub, "")
	wantError(t, err, []string{"dir.csv", "directory"})

	if os.Geteuid() != 0 { // root reads anything
		p := writeFile(t, "locked.csv", "email\n")
		if err := os.Chmod(p, 0); err != nil {
			t.Fatal(err)
		}
		_, err = Open(context.Background(), p, "")
		wantError(t, err, []string{"locked.csv", "permission denied"})
	}
}

func TestCSVScanControl(t *testing.T) {
	p := writeFile(t, "customers.csv", "email\nuser1@example.com\nuser2@example.com\nuser3@example.com\n")
	src, err := Open(context.Background(), p, "")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = src.Close() }()

	// ErrStop ends the scan without error.
	n := 0
	if err := src.Scan(context.Background(), func(*Row) error { n++; return ErrStop }); err != nil || n != 1 {
		t.Errorf("scan stopped with ErrStop: n=%d err=%v, want 1, nil", n, err)
	}
	// A callback's error comes back unchanged.
	boom := errors.New("boom")
	if err := src.Scan(context.Background(), func(*Row) error { return boom }); err != boom {
		t.Errorf("callback error = %v, want it unchanged", err)
	}
	// The source can be scanned again, from the start.
	n = 0
	if err := src.Scan(context.Background(), func(*Row) error { n++; return nil }); err != nil || n != 3 {
		t.Errorf("second full scan: n=%d err=%v, want 3 rows", n, err)
	}
	// A cancelled context stops the scan.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Open(ctx, p, ""); !errors.Is(err, context.Canceled) {
		t.Errorf("open with cancelled context: %v", err)
	}
	// A file whose header changed between Open and Scan is reported.
	if err := os.WriteFile(p, []byte("mail\nuser1@example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err = src.Scan(context.Background(), func(*Row) error { return nil })
	wantError(t, err, []string{"header row changed"})
}

func TestCSVCancelDuringScan(t *testing.T) {
	var content []byte
	content = append(content, "email\n"...)
	for range 5000 {
		content = append(content, "user@example.com\n"...)
	}
	p := writeFile(t, "big.csv", string(content))
	src, err := Open(context.Background(), p, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err = src.Scan(ctx, func(*Row) error {
		n++
		if n == 10 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || n >= 5000 {
		t.Errorf("scan after cancel: err=%v after %d rows, want context.Canceled before the end", err, n)
	}
}

func TestCSVLongRecordIsBounded(t *testing.T) {
	// An unterminated quote at the top of a big file must not swallow the file into memory.
	big := make([]byte, 0, maxLineBytes+1<<20)
	big = append(big, "email,note\nuser1@example.com,\"open\n"...)
	line := []byte("user@example.com,some text that goes on\n")
	for len(big) < maxLineBytes+1<<19 {
		big = append(big, line...)
	}
	p := writeFile(t, "huge.csv", string(big))
	_, _, err := readAll(t, p, Options{})
	wantError(t, err, []string{"huge.csv", "runs on for more than 16 MiB", "closing quote"})
}

func TestSplitTypedName(t *testing.T) {
	tests := []struct {
		in   string
		name string
		typ  Type
	}{
		{"email", "email", TypeString},
		{"age:int", "age", TypeInt},
		{"age:INTEGER", "age", TypeInt},
		{"ltv:number", "ltv", TypeDouble},
		{"ok:boolean", "ok", TypeBool},
		{"d:date", "d", TypeTimestamp},
		{"utm:source", "utm:source", TypeString},
		{":int", ":int", TypeString},
		{"a:b:text", "a:b", TypeString},
	}
	for _, tt := range tests {
		n, typ := splitTypedName(tt.in)
		if n != tt.name || typ != tt.typ {
			t.Errorf("splitTypedName(%q) = %q, %q; want %q, %q", tt.in, n, typ, tt.name, tt.typ)
		}
	}
}
