package profile

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// makeSQLite creates a database file from SQL statements.
func makeSQLite(t testing.TB, stmts ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "profiles.db")
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return p
}

func TestSQLiteTypesFromDeclarations(t *testing.T) {
	p := makeSQLite(t,
		`CREATE TABLE profiles (email TEXT, name VARCHAR(50), age INTEGER, big BIGINT, ltv REAL, price NUMERIC(10,2),
		 opt_in BOOLEAN, signed_up DATE, seen_at DATETIME, note BLOB, anything)`,
		`INSERT INTO profiles VALUES ('user1@example.com', 'Ada', 36, 9007199254740993, 12.5, 3, 1, '2024-05-01', '2024-05-01 12:30:00', CAST('hi' AS BLOB), 7)`,
		`INSERT INTO profiles VALUES ('user2@example.com', NULL, NULL, NULL, NULL, NULL, 0, NULL, 1714566600, NULL, 'x')`,
		`INSERT INTO profiles VALUES ('user3@example.com', 'Zoë', '41', 1, 2, 2.25, 'true', '2024-05-01T10:00:00Z', NULL, NULL, 1.5)`,
	)
	cols, rows, err := readAll(t, "sqlite:"+p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantCols := []Column{{"email", TypeString}, {"name", TypeString}, {"age", TypeInt}, {"big", TypeInt}, {"ltv", TypeDouble},
		{"price", TypeDouble}, {"opt_in", TypeBool}, {"signed_up", TypeTimestamp}, {"seen_at", TypeTimestamp}, {"note", TypeString}, {"anything", TypeString}}
	if !reflect.DeepEqual(cols, wantCols) {
		t.Errorf("columns = %v\nwant %v", cols, wantCols)
	}
	want := [][]any{
		{"user1@example.com", "Ada", int64(36), int64(9007199254740993), 12.5, 3.0, true,
			time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 5, 1, 12, 30, 0, 0, time.UTC), "hi", "7"},
		{"user2@example.com", nil, nil, nil, nil, nil, false, nil, time.Unix(1714566600, 0).UTC(), nil, "x"},
		{"user3@example.com", "Zoë", int64(41), int64(1), 2.0, 2.25, true, time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), nil, nil, "1.5"},
	}
	if len(rows) != len(want) {
		t.Fatalf("got %d rows, want %d", len(rows), len(want))
	}
	for i, r := range rows {
		if !reflect.DeepEqual(r.Values, want[i]) {
			t.Errorf("row %d = %#v\nwant %#v", i+1, r.Values, want[i])
		}
		if r.Pos.Row != int64(i+1) || r.Pos.File != p || r.Pos.String() != p+" row "+itoa(i+1) {
			t.Errorf("row %d position %+v (%s)", i+1, r.Pos, r.Pos)
		}
	}
}

func itoa(i int) string { return string(rune('0' + i)) }

func TestSQLiteQuery(t *testing.T) {
	p := makeSQLite(t,
		`CREATE TABLE customers (email TEXT, country TEXT, ltv REAL)`,
		`INSERT INTO customers VALUES ('user1@example.com','US',10),('user2@example.com','DE',200),('user3@example.com','US',300)`,
	)
	cols, rows, err := readAll(t, p, Options{Query: "SELECT email, upper(country) AS cc, ltv * 2 AS double_ltv FROM customers WHERE ltv > 50 ORDER BY email"})
	if err != nil {
		t.Fatal(err)
	}
	// Expressions have no declared type: they read as strings.
	wantCols := []Column{{"email", TypeString}, {"cc", TypeString}, {"double_ltv", TypeString}}
	if !reflect.DeepEqual(cols, wantCols) {
		t.Errorf("columns = %v, want %v", cols, wantCols)
	}
	want := [][]any{{"user2@example.com", "DE", "400"}, {"user3@example.com", "US", "600"}}
	if len(rows) != 2 || !reflect.DeepEqual(rows[0].Values, want[0]) || !reflect.DeepEqual(rows[1].Values, want[1]) {
		t.Errorf("rows = %v, want %v", rows, want)
	}
}

func TestSQLiteErrors(t *testing.T) {
	withTables := makeSQLite(t, `CREATE TABLE customers (email TEXT, age INTEGER, opt BOOLEAN, at DATE)`,
		`INSERT INTO customers VALUES ('user1@example.com', 'forty', 1, '2024-01-01'), ('user2@example.com', 3, 7, 'soon')`)
	notDB := writeFile(t, "notes.db", "this is not a database, it is a text file with some words in it\n")
	tests := []struct {
		name    string
		spec    string
		query   string
		want    []string
		secrets []string
		inQuery bool
		col     string
	}{
		{"missing file", "sqlite:" + filepath.Join(t.TempDir(), "nope.db"), "", []string{"nope.db", "does not exist"}, nil, false, ""},
		{"not a database", "sqlite:" + notDB, "", []string{"notes.db", "not a SQLite database"}, nil, false, ""},
		{"no profiles table", "sqlite:" + withTables, "", []string{"no table named profiles", "set the query", "customers"}, nil, true, ""},
		{"misspelt SELECT", "sqlite:" + withTables, "SELEC email FROM customers", []string{`"SELEC"`, "not SELECT", "syntax error", "check the query"}, nil, true, ""},
		{"syntax error", "sqlite:" + withTables, "SELECT email FROM customers WHERE WHERE", []string{"the query failed", "syntax error"}, nil, true, ""},
		{"unknown column", "sqlite:" + withTables, "SELECT mail FROM customers", []string{"no such column: mail"}, nil, true, ""},
		{"duplicate result column", "sqlite:" + withTables, "SELECT email, email FROM customers", []string{`column "email"`, "two columns with this name"}, nil, true, "email"},
		{"text in an integer column", "sqlite:" + withTables, "SELECT email, age FROM customers", []string{"row 1", `column "age"`, "declared int", "holds text"}, []string{"forty", "user1"}, false, "age"},
		{"integer out of range in a boolean column", "sqlite:" + withTables, "SELECT opt FROM customers", []string{"row 2", `column "opt"`, "declared bool"}, nil, false, "opt"},
		{"text that is no date", "sqlite:" + withTables, "SELECT at FROM customers", []string{"row 2", `column "at"`, "declared timestamp"}, []string{"soon"}, false, "at"},
		{"write statement", "sqlite:" + withTables, "DELETE FROM customers", []string{"DELETE statement", "read-only", "write one SELECT"}, nil, true, ""},
		{"no result columns", "sqlite:" + withTables, "CREATE INDEX IF NOT EXISTS x ON customers(email)", []string{"read-only"}, nil, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readAll(t, tt.spec, Options{Query: tt.query})
			pe := wantError(t, err, tt.want, tt.secrets...)
			if pe.InQuery != tt.inQuery || pe.Column != tt.col {
				t.Errorf("InQuery=%v Column=%q, want %v %q", pe.InQuery, pe.Column, tt.inQuery, tt.col)
			}
		})
	}
	// The DELETE above did not run: the file is opened read-only.
	_, rows, err := readAll(t, "sqlite:"+withTables, Options{Query: "SELECT email FROM customers"})
	if err != nil || len(rows) != 2 {
		t.Errorf("after a DELETE query the table holds %d rows (err %v), want 2", len(rows), err)
	}
}

func TestSQLiteRescanAndClose(t *testing.T) {
	p := makeSQLite(t, `CREATE TABLE profiles (email TEXT)`, `INSERT INTO profiles VALUES ('user1@example.com'),('user2@example.com')`)
	src, err := Open(context.Background(), p, "")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		n := 0
		if err := src.Scan(context.Background(), func(*Row) error { n++; return nil }); err != nil || n != 2 {
			t.Errorf("scan: %d rows, %v", n, err)
		}
	}
	n := 0
	if err := src.Scan(context.Background(), func(*Row) error { n++; return ErrStop }); err != nil || n != 1 {
		t.Errorf("stopped scan: %d rows, %v", n, err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if err := src.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if err := src.Scan(context.Background(), func(*Row) error { return nil }); err == nil {
		t.Error("scan after close succeeded")
	}
}

func TestSQLiteMissingTableHintNamesOnlyTablesThatExist(t *testing.T) {
	users := makeSQLite(t, `CREATE TABLE users (email TEXT)`, `CREATE VIEW active_users AS SELECT email FROM users`)
	empty := makeSQLite(t, `CREATE TABLE t (a)`, `DROP TABLE t`)
	tests := []struct {
		name, spec, query string
		want, not         []string
	}{
		{"no profiles table", "sqlite:" + users, "",
			[]string{"no table named profiles", "set the query", "SELECT * FROM active_users", "the database holds: active_users, users"}, []string{"customers"}},
		{"no tables at all", "sqlite:" + empty, "",
			[]string{"no table named profiles", "the database holds no tables or views", "names the database that holds the profiles"}, []string{"customers", "SELECT * FROM"}},
		{"query on a missing table", "sqlite:" + users, "SELECT email FROM customers",
			[]string{"no such table: customers", "the database holds: active_users, users"}, nil},
		{"query on a missing table of an empty database", "sqlite:" + empty, "SELECT email FROM customers",
			[]string{"no such table: customers", "the database holds no tables or views"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readAll(t, tt.spec, Options{Query: tt.query})
			pe := wantError(t, err, tt.want)
			for _, s := range tt.not {
				if strings.Contains(pe.Hint, s) {
					t.Errorf("hint %q names %q", pe.Hint, s)
				}
			}
		})
	}
}

func TestSQLiteMissingTableHintQuotesOddNames(t *testing.T) {
	p := makeSQLite(t, `CREATE TABLE "crm export" (email TEXT)`)
	_, _, err := readAll(t, "sqlite:"+p, Options{})
	wantError(t, err, []string{`SELECT * FROM "crm export"`, `the database holds: "crm export"`})
}
