package profile

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzCSV checks the CSV parser against encoding/csv (same records, errors on the same
// record) and that the CSV source never panics and reports problems as *Error.
func FuzzCSV(f *testing.F) {
	for _, s := range []string{
		"email,name\nuser1@example.com,Ada\n",
		"a,b\r\n\"x,y\",\"q\"\"q\"\r\n",
		"\xEF\xBB\xBFa\n\"multi\nline\"\n",
		"a,b\n1\n",
		"a\n\"unterminated\n",
		"a\n\"x\"y\n",
		"a\nb\"c\n",
		"a,b\n\n\n1,2",
		"a,b\r",
		"a\n\"\"\"\"\n",
		"a:int,b:bool\n1,true\nx,y\n",
		"a\n\xff\n",
		",\n",
		"a,a\n",
		"\"a\r\nb\",c\r\n1,2\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Differential check of the record parser.
		body := bytes.TrimPrefix(data, utf8BOM)
		ours := &csvParser{lr: newLineReader(bytes.NewReader(data))}
		std := csv.NewReader(bytes.NewReader(body))
		std.FieldsPerRecord = -1
		for rec := 0; rec < 1000; rec++ {
			_, errA := ours.read()
			want, errB := std.Read()
			if errA == io.EOF || errB == io.EOF {
				if errA != errB {
					t.Fatalf("record %d: ours %v, encoding/csv %v", rec, errA, errB)
				}
				break
			}
			if (errA != nil) != (errB != nil) {
				t.Fatalf("record %d: ours %v, encoding/csv %v (input %q)", rec, errA, errB, data)
			}
			if errA != nil {
				break
			}
			got := make([]string, len(ours.ends))
			for i := range got {
				got[i] = string(ours.field(i))
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("record %d: ours %q, encoding/csv %q (input %q)", rec, got, want, data)
			}
		}

		// The source as a whole.
		p := filepath.Join(t.TempDir(), "f.csv")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		src, err := Open(context.Background(), p, "")
		if err != nil {
			mustBeProfileError(t, err)
			return
		}
		cols := src.Columns()
		err = src.Scan(context.Background(), func(r *Row) error {
			if len(r.Values) != len(cols) {
				t.Fatalf("row has %d values for %d columns", len(r.Values), len(cols))
			}
			return nil
		})
		if err != nil {
			mustBeProfileError(t, err)
		}
	})
}

// FuzzJSONL checks the JSON object parser against encoding/json (whatever it accepts is valid
// JSON with the same members) and that the JSON Lines source never panics.
func FuzzJSONL(f *testing.F) {
	for _, s := range []string{
		`{"email":"user1@example.com","n":1,"x":1.5,"ok":true,"z":null}`,
		`{"a":"\u00e9\ud83d\ude00\ud800\"\\\/\b\f\n\r\t"}`,
		`{"a":{"b":1}}`,
		`{"a":[1]}`,
		`[1,2]`,
		`{"a":1,}`,
		`{"a":-0.0e+5}`,
		`{"a":01}`,
		` { "a" : "b" } `,
		"{\"a\":\"\xff\"}",
		`{"a":1,"a":2}`,
		`{}`,
		`{"a":1}` + "\n" + `{"b":2}` + "\n",
		`{"n":1}` + "\n" + `{"n":1.5}`,
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p flatJSON
		members := map[string]any{}
		err := p.parse(data, func(m *jsonMember) error {
			switch m.kind {
			case jsonObject, jsonArray:
				return errors.New("nested")
			case jsonString:
				members[string(m.key)] = string(m.str)
			case jsonNumber:
				members[string(m.key)] = json.Number(string(m.num))
			case jsonBool:
				members[string(m.key)] = m.b
			default:
				members[string(m.key)] = nil
			}
			return nil
		})
		if !json.Valid(data) && err == nil {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		if err == nil {
			var want map[string]any
			d := json.NewDecoder(bytes.NewReader(data))
			d.UseNumber()
			if derr := d.Decode(&want); derr != nil {
				t.Fatalf("accepted %q, which encoding/json rejects: %v", data, derr)
			}
			if len(want) == 0 {
				want = map[string]any{}
			}
			if !reflect.DeepEqual(members, want) {
				t.Fatalf("members %#v, encoding/json %#v (input %q)", members, want, data)
			}
		}

		// The source as a whole.
		path := filepath.Join(t.TempDir(), "f.jsonl")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		src, err := OpenWith(context.Background(), path, Options{InferLines: 2})
		if err != nil {
			mustBeProfileError(t, err)
			return
		}
		cols := src.Columns()
		err = src.Scan(context.Background(), func(r *Row) error {
			for i, v := range r.Values {
				if !valueFits(v, cols[i].Type) {
					t.Fatalf("value %#v in %s column", v, cols[i].Type)
				}
			}
			return nil
		})
		if err != nil {
			mustBeProfileError(t, err)
		}
	})
}

func mustBeProfileError(t *testing.T, err error) {
	t.Helper()
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %T %v is not a *profile.Error", err, err)
	}
	if pe.Msg == "" {
		t.Fatalf("error without message: %#v", pe)
	}
}

func valueFits(v any, t Type) bool {
	if v == nil {
		return true
	}
	switch v.(type) {
	case string:
		return t == TypeString
	case int64:
		return t == TypeInt
	case float64:
		return t == TypeDouble
	case bool:
		return t == TypeBool
	}
	return false
}

// FuzzParquet checks that a damaged Parquet file never panics the source and that every
// problem is an *Error.
func FuzzParquet(f *testing.F) {
	good := parquetBytes(f, []pqTyped{{Email: "user1@example.com", First: strp("Ada"), Age: 3, Plan: "pro", Raw: []byte("r")},
		{Email: "user2@example.com", Plan: "free"}})
	f.Add(good)
	f.Add(parquetBytes(f, []pqNested{{Email: "user1@example.com"}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := openParquet(context.Background(), "f.parquet", bytes.NewReader(data), int64(len(data)))
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("open: %T %v is not an *Error", err, err)
			}
			return
		}
		defer func() { _ = src.Close() }()
		err = src.Scan(context.Background(), func(*Row) error { return nil })
		var pe *Error
		if err != nil && !errors.As(err, &pe) {
			t.Fatalf("scan: %T %v is not an *Error", err, err)
		}
	})
}
