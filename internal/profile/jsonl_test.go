package profile

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestJSONLInfersColumns(t *testing.T) {
	tests := []struct {
		name     string
		content  string
		opts     Options
		wantCols []Column
		want     [][]any
		wantLine []int64
	}{
		{
			name: "types from values, columns in order of first appearance",
			content: `{"email":"user1@example.com","age":30,"ltv":10,"opt_in":true,"zip":"02134"}
{"email":"user2@example.com","age":41,"ltv":12.5,"opt_in":false,"zip":94103,"extra":null}
`,
			wantCols: []Column{{"email", TypeString}, {"age", TypeInt}, {"ltv", TypeDouble}, {"opt_in", TypeBool}, {"zip", TypeString}, {"extra", TypeString}},
			want: [][]any{
				{"user1@example.com", int64(30), 10.0, true, "02134", nil},
				{"user2@example.com", int64(41), 12.5, false, "94103", nil},
			},
			wantLine: []int64{1, 2},
		},
		{
			name:     "missing keys are NULL; blank lines, BOM and CRLF",
			content:  "\xEF\xBB\xBF{\"email\":\"user1@example.com\",\"city\":\"Paris\"}\r\n\r\n  \n{\"email\":\"user2@example.com\"}\r\n{\"city\":\"Oslo\"}",
			wantCols: []Column{{"email", TypeString}, {"city", TypeString}},
			want:     [][]any{{"user1@example.com", "Paris"}, {"user2@example.com", nil}, {nil, "Oslo"}},
			wantLine: []int64{1, 4, 5},
		},
		{
			name:     "escapes and unicode",
			content:  `{"email":"user1@example.com","name":"Zo\u00eb \"Z\" \\ \n","emoji":"\ud83d\ude00","raw":"São"}` + "\n",
			wantCols: []Column{{"email", TypeString}, {"name", TypeString}, {"emoji", TypeString}, {"raw", TypeString}},
			want:     [][]any{{"user1@example.com", "Zoë \"Z\" \\ \n", "😀", "São"}},
			wantLine: []int64{1},
		},
		{
			name:     "a string column holds numbers and booleans as JSON text",
			content:  `{"v":"a"}` + "\n" + `{"v":"b"}` + "\n" + `{"v":true}` + "\n" + `{"v":2.50}` + "\n",
			wantCols: []Column{{"v", TypeString}},
			want:     [][]any{{"a"}, {"b"}, {"true"}, {"2.50"}},
			wantLine: []int64{1, 2, 3, 4},
		},
		{
			name:     "a tie of kinds is string",
			content:  `{"zip":"02134"}` + "\n" + `{"zip":94103}` + "\n",
			wantCols: []Column{{"zip", TypeString}},
			want:     [][]any{{"02134"}, {"94103"}},
			wantLine: []int64{1, 2},
		},
		{
			name:     "whole numbers in a double column and exponents",
			content:  `{"x":1.5,"n":1e2}` + "\n" + `{"x":3,"n":2}` + "\n",
			wantCols: []Column{{"x", TypeDouble}, {"n", TypeDouble}},
			want:     [][]any{{1.5, 100.0}, {3.0, 2.0}},
			wantLine: []int64{1, 2},
		},
		{
			name:     "the whole file decides: a fraction on the last line makes a double column",
			content:  `{"n":1}` + "\n" + `{"n":2}` + "\n" + `{"n":-3.5}` + "\n",
			opts:     Options{InferLines: 1},
			wantCols: []Column{{"n", TypeDouble}},
			want:     [][]any{{1.0}, {2.0}, {-3.5}},
			wantLine: []int64{1, 2, 3},
		},
		{
			name:     "a key first seen on the last line is a column",
			content:  `{"email":"user1@example.com"}` + "\n" + `{"email":"user2@example.com"}` + "\n\n" + `{"email":"user3@example.com","vip":true}` + "\n",
			opts:     Options{InferLines: 2},
			wantCols: []Column{{"email", TypeString}, {"vip", TypeBool}},
			want:     [][]any{{"user1@example.com", nil}, {"user2@example.com", nil}, {"user3@example.com", true}},
			wantLine: []int64{1, 2, 4},
		},
		{
			name:     "big integers beyond int64 make a double column",
			content:  `{"n":1}` + "\n" + `{"n":99999999999999999999}` + "\n",
			wantCols: []Column{{"n", TypeDouble}},
			want:     [][]any{{1.0}, {1e20}},
			wantLine: []int64{1, 2},
		},
		{
			name:     "empty objects",
			content:  `{"email":"user1@example.com"}` + "\n{}\n",
			wantCols: []Column{{"email", TypeString}},
			want:     [][]any{{"user1@example.com"}, {nil}},
			wantLine: []int64{1, 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "customers.jsonl", tt.content)
			cols, rows, err := readAll(t, p, tt.opts)
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
				if r.Pos.Line != tt.wantLine[i] || r.Pos.Row != int64(i+1) {
					t.Errorf("row %d at %+v, want line %d", i+1, r.Pos, tt.wantLine[i])
				}
			}
		})
	}
}

func TestJSONLErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		opts    Options
		want    []string
		secrets []string
		col     string
	}{
		{"empty file", "", Options{}, []string{"customers.jsonl", "no JSON objects"}, nil, ""},
		{"invalid JSON line", `{"email":"user1@example.com"}` + "\n" + `{"email":"user2@example.com",}` + "\n",
			Options{}, []string{"customers.jsonl line 2", "invalid JSON at column 30", "expected a string as object key"}, []string{"user2@example.com"}, ""},
		{"unterminated string", `{"email":"user1@example.com}` + "\n", Options{}, []string{"line 1", "invalid JSON", "unterminated string"}, []string{"user1"}, ""},
		{"not an object", `["user1@example.com"]` + "\n", Options{}, []string{"line 1", "expected a JSON object"}, []string{"user1"}, ""},
		{"trailing garbage", `{"a":1} x` + "\n", Options{}, []string{"line 1", "after the end of the object"}, nil, ""},
		{"nested object", `{"email":"user1@example.com","address":{"city":"Paris"}}` + "\n", Options{},
			[]string{"line 1", `column "address"`, "JSON object", "flatten"}, []string{"Paris"}, "address"},
		{"nested array after inference", `{"tags":"a"}` + "\n" + `{"tags":["x"]}` + "\n", Options{InferLines: 1},
			[]string{"line 2", `column "tags"`, "JSON array"}, nil, "tags"},
		{"duplicate key", `{"email":"user1@example.com","email":"user2@example.com"}` + "\n", Options{},
			[]string{"line 1", `column "email"`, "appears twice"}, []string{"user1", "user2"}, "email"},
		{"duplicate key after inference", `{"a":1}` + "\n" + `{"a":1,"a":2}` + "\n", Options{InferLines: 1},
			[]string{"line 2", `column "a"`, "appears twice"}, nil, "a"},
		{"invalid UTF-8", `{"name":"Zo` + "\xEB" + `"}` + "\n", Options{}, []string{"line 1", "invalid UTF-8 at column 12", "UTF-8"}, []string{"Zo"}, ""},
		{"control character", "{\"name\":\"a\tb\"}\n", Options{}, []string{"line 1", "control character"}, nil, ""},
		{"empty key", `{"":1}` + "\n", Options{}, []string{"line 1", "key is empty"}, nil, ""},
		{"bad escape", `{"a":"\x"}` + "\n", Options{}, []string{"line 1", "invalid escape"}, nil, ""},
		{"bad number", `{"a":01}` + "\n", Options{}, []string{"line 1", "expected ',' or '}'"}, nil, ""},
		{"UTF-16 file", "\xFE\xFF\x00{", Options{}, []string{"UTF-16"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "customers.jsonl", tt.content)
			_, _, err := readAll(t, p, tt.opts)
			pe := wantError(t, err, tt.want, tt.secrets...)
			if pe.Column != tt.col {
				t.Errorf("Column = %q, want %q", pe.Column, tt.col)
			}
		})
	}
}

func TestJSONLOpenReadsEveryLine(t *testing.T) {
	// The columns and types come from the whole file, so Open reads every line: an error on
	// the last line is found before any row is handed out.
	var b strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&b, `{"email":"user%06d@example.com","n":%d}`+"\n", i, i)
	}
	b.WriteString("not json\n")
	p := writeFile(t, "customers.jsonl", b.String())
	_, err := OpenWith(t.Context(), p, Options{InferLines: 10})
	wantError(t, err, []string{"line 5001", "invalid JSON"})
}

// A value of another kind than most of its column's values is an invalid value of its row,
// with its line, column and masked value; the column keeps its type: one "yes" among booleans
// does not turn the column into a string column that no bool filter matches.
func TestJSONLValueAgainstTheColumnsTypeIsInvalid(t *testing.T) {
	tests := []struct {
		name     string
		content  string
		wantType Type
		badRow   int // 1-based
		want     []string
		secret   string
	}{
		{"string among booleans", `{"email":"user1@example.com","opt-in":true}` + "\n" + `{"email":"user2@example.com","opt-in":false}` + "\n" +
			`{"email":"user3@example.com","opt-in":"yes"}` + "\n", TypeBool, 3, []string{"is a string, but the column is bool", "most values of this column make it bool"}, "yes"},
		{"boolean among whole numbers", `{"n":1}` + "\n" + `{"n":true}` + "\n" + `{"n":3}` + "\n", TypeInt, 2,
			[]string{"is a boolean, but the column is int"}, "true"},
		{"string among doubles", `{"n":1.5}` + "\n" + `{"n":"12,50"}` + "\n" + `{"n":3}` + "\n", TypeDouble, 2,
			[]string{"is a string, but the column is double"}, "12,50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "customers.jsonl", tt.content)
			cols, rows, err := readAll(t, p, Options{})
			if err != nil {
				t.Fatal(err)
			}
			col := len(cols) - 1
			if cols[col].Type != tt.wantType {
				t.Fatalf("column %q is %s, want %s", cols[col].Name, cols[col].Type, tt.wantType)
			}
			for i, r := range rows {
				if i+1 != tt.badRow {
					if len(r.Invalid) != 0 || r.Values[col] == nil {
						t.Errorf("row %d: %v %+v, want a valid value", i+1, r.Values, r.Invalid)
					}
					continue
				}
				if len(r.Invalid) != 1 || r.Values[col] != nil {
					t.Fatalf("row %d: values %v, invalid %+v; want one invalid value", i+1, r.Values, r.Invalid)
				}
				iv := r.Invalid[0]
				text := iv.Msg + "; " + iv.Hint + " " + iv.Masked
				if iv.Column != col || iv.Line != int64(tt.badRow) || strings.Contains(text, tt.secret) {
					t.Errorf("invalid value %+v: want column %d, line %d, no %q", iv, col, tt.badRow, tt.secret)
				}
				for _, w := range tt.want {
					if !strings.Contains(text, w) {
						t.Errorf("invalid value %q lacks %q", text, w)
					}
				}
			}
		})
	}
}

func TestJSONLLongLine(t *testing.T) {
	long := `{"a":"` + strings.Repeat("x", maxLineBytes) + `"}` + "\n"
	p := writeFile(t, "long.jsonl", `{"a":"b"}`+"\n"+long)
	_, _, err := readAll(t, p, Options{})
	wantError(t, err, []string{"long.jsonl line 2", "longer than 16 MiB"})
}

func TestJSONLLinesAcrossBufferBoundary(t *testing.T) {
	// Lines longer than the 64 KiB read buffer are assembled correctly.
	big := strings.Repeat("y", 200<<10)
	p := writeFile(t, "wide.jsonl", `{"a":"`+big+`"}`+"\r\n"+`{"a":"b"}`+"\n")
	_, rows, err := readAll(t, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Values[0] != big || rows[1].Values[0] != "b" || rows[1].Pos.Line != 2 {
		t.Errorf("wide lines read wrongly: %d rows", len(rows))
	}
}
