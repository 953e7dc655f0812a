package profile

import (
	"strings"
	"testing"
)

// TestCSVWithoutHeaderRowShowsNoValues: a file whose first line is data is refused without
// repeating that line.
func TestCSVWithoutHeaderRowShowsNoValues(t *testing.T) {
	for content, want := range map[string]string{
		"jane.doe@example.com,Jane,Doe\nuser2@example.com,Bob,Roe\n": "field 1 holds an @",
		// Numbers long enough that the test's random temporary directory cannot contain them.
		"Jane,Doe,98765.4321,2024-05-01\nBob,Roe,39,2024-05-02\n": "field 3 is a number; field 4 is a date",
	} {
		p := writeFile(t, "noheader.csv", content)
		_, _, err := readAll(t, p, Options{})
		pe := wantError(t, err, []string{"looks like data", "header row", want, "line 1"}, "jane.doe", "Jane", "Doe", "98765.4321", "2024-05-01")
		if pe.Pos.Line != 1 {
			t.Errorf("position %+v", pe.Pos)
		}
	}
	// Ordinary headers are accepted, typed ones included.
	p := writeFile(t, "ok.csv", "email,ltv:double,utm:source,signed_up:timestamp\nuser1@example.com,1.5,x,2024-05-01\n")
	if _, rows, err := readAll(t, p, Options{}); err != nil || len(rows) != 1 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
}

// TestBinaryFilesAreNamedNotPrinted: a file of NUL bytes gives a short error that says the file
// is binary and holds no NUL.
func TestBinaryFilesAreNamedNotPrinted(t *testing.T) {
	for _, name := range []string{"nul.csv", "nul.jsonl"} {
		p := writeFile(t, name, strings.Repeat("\x00", 4096)+"\n")
		_, _, err := readAll(t, p, Options{})
		msg := wantError(t, err, nil).Error()
		if strings.ContainsRune(msg, 0) || strings.Contains(msg, `\x00`) || len(msg) > 600 {
			t.Errorf("%s: %d-byte error %q", name, len(msg), msg)
		}
		if !strings.Contains(msg, "binary") {
			t.Errorf("%s: error %q does not say the file is binary", name, msg)
		}
	}
}

// TestColumnCountIsBounded: files with more than MaxColumns columns are refused with a short
// error.
func TestColumnCountIsBounded(t *testing.T) {
	names := make([]string, MaxColumns+1)
	vals := make([]string, MaxColumns+1)
	obj := make([]string, MaxColumns+1)
	for i := range names {
		names[i] = "c" + strings.Repeat("x", i%7) + itoaN(i)
		vals[i] = "1"
		obj[i] = `"` + names[i] + `":1`
	}
	csv := writeFile(t, "wide.csv", strings.Join(names, ",")+"\n"+strings.Join(vals, ",")+"\n")
	jsonl := writeFile(t, "wide.jsonl", "{"+strings.Join(obj, ",")+"}\n")
	for _, p := range []string{csv, jsonl} {
		_, _, err := readAll(t, p, Options{})
		msg := wantError(t, err, []string{"at most 10000"}).Error()
		if len(msg) > 600 {
			t.Errorf("%d-byte error", len(msg))
		}
	}
	// MaxColumns columns are fine.
	ok := writeFile(t, "ok.csv", strings.Join(names[:MaxColumns], ",")+"\n"+strings.Join(vals[:MaxColumns], ",")+"\n")
	if _, rows, err := readAll(t, ok, Options{}); err != nil || len(rows) != 1 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
}

func itoaN(i int) string {
	if i == 0 {
		return "0"
	}
	s := ""
	for ; i > 0; i /= 10 {
		s = string(rune('0'+i%10)) + s
	}
	return s
}

// TestSQLiteValueSizeIsBounded: a value over MaxValueBytes is an error naming the row and the
// column, as in files.
func TestSQLiteValueSizeIsBounded(t *testing.T) {
	p := makeSQLite(t, `CREATE TABLE profiles (email TEXT)`, `INSERT INTO profiles VALUES ('user1@example.com')`)
	_, _, err := readAll(t, "sqlite:"+p, Options{Query: "SELECT email, hex(zeroblob(9000000)) AS big FROM profiles"})
	pe := wantError(t, err, []string{"row 1", `column "big"`, "at most 16 MiB"})
	if pe.Column != "big" || pe.Pos.Row != 1 {
		t.Errorf("error at %+v column %q", pe.Pos, pe.Column)
	}
	if _, rows, err := readAll(t, "sqlite:"+p, Options{Query: "SELECT email, hex(zeroblob(1000)) AS big FROM profiles"}); err != nil || len(rows) != 1 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
}

// TestSQLiteStopsBuildingHugeValues: a query that builds a value far past MaxValueBytes is
// stopped by SQLite's own length limit (so the value never fills memory), with an error that
// names the limit and what to do.
func TestSQLiteStopsBuildingHugeValues(t *testing.T) {
	p := makeSQLite(t, `CREATE TABLE profiles (email TEXT)`, `INSERT INTO profiles VALUES ('user1@example.com')`)
	_, _, err := readAll(t, "sqlite:"+p, Options{Query: "SELECT email, hex(zeroblob(40000000)) AS big FROM profiles"})
	wantError(t, err, []string{"longer than 64 MiB", "at most 16 MiB", "leave large text and BLOB columns out"})
}
