package profile

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// pgDSNEnv names the environment variable holding a PostgreSQL URL (without password) for
// tests, such as postgres://postgres@127.0.0.1:54329/postgres?sslmode=disable. make test
// starts a throwaway server and sets it.
const pgDSNEnv = "SENDGRIDAUDIENCE_TEST_PG_DSN"

// testPG returns the test server's URL, or skips the test.
func testPG(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(pgDSNEnv)
	if dsn == "" {
		t.Skipf("%s is not set: skipping the PostgreSQL test (make test starts a server and sets it, e.g. postgres://postgres@127.0.0.1:54329/postgres?sslmode=disable)", pgDSNEnv)
	}
	return dsn
}

// pgExec runs statements on the test server.
func pgExec(t testing.TB, dsn string, stmts ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connecting to the test server: %v", err)
	}
	defer func() { _ = c.Close(context.Background()) }()
	for _, s := range stmts {
		if _, err := c.Exec(ctx, s).ReadAll(); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// pgTable creates a table with a unique name, dropped when the test ends.
func pgTable(t testing.TB, dsn, columns string, inserts ...string) string {
	t.Helper()
	name := fmt.Sprintf("profile_test_%d", time.Now().UnixNano())
	stmts := []string{fmt.Sprintf("CREATE TABLE %s (%s)", name, columns)}
	for _, v := range inserts {
		stmts = append(stmts, fmt.Sprintf("INSERT INTO %s VALUES %s", name, v))
	}
	pgExec(t, dsn, stmts...)
	t.Cleanup(func() { pgExec(t, dsn, "DROP TABLE IF EXISTS "+name) })
	return name
}

func TestPostgresTypesFromFieldDescriptions(t *testing.T) {
	dsn := testPG(t)
	tbl := pgTable(t, dsn,
		`email text, name varchar(50), code char(3), small smallint, age integer, big bigint, ltv double precision, r real,
		 price numeric(10,2), opt_in boolean, signed_up date, seen_at timestamp, changed_at timestamptz, id uuid, attrs jsonb, tags text[]`,
		`('user1@example.com', 'Ada', 'abc', 1, 36, 9007199254740993, 12.5, 1.5, 3.25, true, '2024-05-01', '2024-05-01 12:30:00', '2024-05-01 12:30:00+02',
		  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": 1}', '{x,y}')`,
		`('user2@example.com', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
	)
	cols, rows, err := readAll(t, dsn, Options{Query: "SELECT * FROM " + tbl + " ORDER BY email"})
	if err != nil {
		t.Fatal(err)
	}
	wantCols := []Column{{"email", TypeString}, {"name", TypeString}, {"code", TypeString}, {"small", TypeInt}, {"age", TypeInt},
		{"big", TypeInt}, {"ltv", TypeDouble}, {"r", TypeDouble}, {"price", TypeDouble}, {"opt_in", TypeBool},
		{"signed_up", TypeTimestamp}, {"seen_at", TypeTimestamp}, {"changed_at", TypeTimestamp}, {"id", TypeString},
		{"attrs", TypeString}, {"tags", TypeString}}
	if !reflect.DeepEqual(cols, wantCols) {
		t.Errorf("columns = %v\nwant %v", cols, wantCols)
	}
	want := [][]any{
		{"user1@example.com", "Ada", "abc", int64(1), int64(36), int64(9007199254740993), 12.5, 1.5, 3.25, true,
			time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 5, 1, 12, 30, 0, 0, time.UTC),
			time.Date(2024, 5, 1, 10, 30, 0, 0, time.UTC), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", `{"a": 1}`, "{x,y}"},
		{"user2@example.com", nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
	}
	if len(rows) != 2 {
		t.Fatalf("got %d rows, want 2", len(rows))
	}
	for i := range want {
		if !reflect.DeepEqual(rows[i].Values, want[i]) {
			t.Errorf("row %d = %#v\nwant %#v", i+1, rows[i].Values, want[i])
		}
		if rows[i].Pos.Row != int64(i+1) || !strings.HasPrefix(rows[i].Pos.File, "postgres") || strings.Contains(rows[i].Pos.File, "sslmode") {
			t.Errorf("row %d position %+v", i+1, rows[i].Pos)
		}
	}
}

func TestPostgresQueryRunsInTheDatabase(t *testing.T) {
	dsn := testPG(t)
	tbl := pgTable(t, dsn, "email text, country text, ltv numeric",
		`('user1@example.com','US',10),('user2@example.com','DE',200),('user3@example.com','US',300)`)
	cols, rows, err := readAll(t, dsn, Options{Query: "SELECT email, lower(country) AS cc, ltv::int AS whole FROM " + tbl + " WHERE ltv > 50 ORDER BY email"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []Column{{"email", TypeString}, {"cc", TypeString}, {"whole", TypeInt}}; !reflect.DeepEqual(cols, want) {
		t.Errorf("columns = %v, want %v", cols, want)
	}
	if len(rows) != 2 || !reflect.DeepEqual(rows[1].Values, []any{"user3@example.com", "us", int64(300)}) {
		t.Errorf("rows = %v", rows)
	}

	// A scan can be repeated and stopped early; the connection stays usable.
	src, err := Open(context.Background(), dsn, "SELECT g AS n FROM generate_series(1, 100000) AS g")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = src.Close() }()
	n := 0
	if err := src.Scan(context.Background(), func(*Row) error { n++; return ErrStop }); err != nil || n != 1 {
		t.Errorf("stopped scan: %d rows, %v", n, err)
	}
	var sum int64
	if err := src.Scan(context.Background(), func(r *Row) error { sum += r.Values[0].(int64); return nil }); err != nil || sum != 100000*100001/2 {
		t.Errorf("full scan after a stopped one: sum %d, %v", sum, err)
	}
}

func TestPostgresErrors(t *testing.T) {
	dsn := testPG(t)
	tbl := pgTable(t, dsn, "email text, age text", `('jane.doe@example.com', 'forty')`)
	tests := []struct {
		name    string
		query   string
		want    []string
		secrets []string
	}{
		{"syntax error with caret", "SELECT email\nFROM " + tbl + "\nWHERE age >", []string{"the query failed", "syntax error", "42601", "query:3:12:", "^"}, nil},
		{"unknown table", "SELECT * FROM no_such_table_here", []string{`relation "no_such_table_here" does not exist`, "42P01"}, nil},
		{"data value in the server's message is masked", "SELECT age::int FROM " + tbl, []string{"invalid input syntax for type integer", "22P02", "(5 chars)"}, []string{"forty"}},
		{"email value masked", "SELECT email::int FROM " + tbl, []string{"invalid input syntax"}, []string{"jane.doe", "jane.doe@example.com"}},
		{"writes are refused", "DELETE FROM " + tbl + " RETURNING email", []string{"read-only", "25006", "write a SELECT"}, nil},
		{"parameters", "SELECT email FROM " + tbl + " WHERE age = $1", []string{"1 parameter placeholder"}, nil},
		{"duplicate column names", "SELECT email, email FROM " + tbl, []string{"two columns with this name"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readAll(t, dsn, Options{Query: tt.query})
			pe := wantError(t, err, tt.want, tt.secrets...)
			if !pe.InQuery {
				t.Errorf("error not marked as a query error: %v", err)
			}
		})
	}
	// The default query names the missing table and says to set a query.
	_, _, err := readAll(t, dsn, Options{})
	wantError(t, err, []string{"no table named profiles", "set the query"})

	// The DELETE above was refused: the row is still there.
	_, rows, err := readAll(t, dsn, Options{Query: "SELECT email FROM " + tbl})
	if err != nil || len(rows) != 1 {
		t.Errorf("after a DELETE query the table holds %d rows (%v), want 1", len(rows), err)
	}
}

func TestPostgresUnknownDatabase(t *testing.T) {
	dsn := testPG(t)
	u := strings.Replace(dsn, "/postgres?", "/no_such_db_for_tests?", 1)
	if u == dsn {
		t.Skip("test URL does not name the postgres database")
	}
	_, err := Open(context.Background(), u, "")
	wantError(t, err, []string{`no database "no_such_db_for_tests"`, "3D000"})
}

func TestPostgresUnreachable(t *testing.T) {
	// A port nobody listens on: listen, note the port, close.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	start := time.Now()
	_, err = Open(context.Background(), "postgres://app@"+addr+"/crm?sslmode=disable", "")
	pe := wantError(t, err, []string{"cannot connect to PostgreSQL at " + addr, "connection refused", "server is running"})
	if pe.Pos.File != "postgres://app@"+addr+"/crm" {
		t.Errorf("Pos.File = %q", pe.Pos.File)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("refused connection took %v", time.Since(start))
	}

	// A cancelled context ends the attempt with the context's error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Open(ctx, "postgres://app@"+addr+"/crm", ""); err != context.Canceled {
		t.Errorf("cancelled open: %v", err)
	}
}

func TestPostgresPasswordInURLIsRejectedBeforeConnecting(t *testing.T) {
	for _, u := range []string{
		"postgres://app:Secr3tPw@127.0.0.1:1/crm",
		"postgresql://app@127.0.0.1:1/crm?password=Secr3tPw",
	} {
		_, err := Open(context.Background(), u, "")
		wantError(t, err, []string{"contains a password", "PGPASSWORD", ".pgpass", "provider configuration"}, "Secr3tPw")
	}
}

func TestPostgresMissingPassword(t *testing.T) {
	// A server that asks for a password and rejects the (empty) one it gets, as PostgreSQL
	// does: AuthenticationCleartextPassword, then ErrorResponse 28P01.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer func() { _ = c.Close() }()
		buf := make([]byte, 1024)
		_, _ = c.Read(buf)                                  // startup message
		_, _ = c.Write([]byte{'R', 0, 0, 0, 8, 0, 0, 0, 3}) // AuthenticationCleartextPassword
		_, _ = c.Read(buf)                                  // password message
		var body []byte
		for _, f := range []string{"SFATAL", "VFATAL", "C28P01", `Mpassword authentication failed for user "app"`} {
			body = append(append(body, f...), 0)
		}
		body = append(body, 0)
		n := len(body) + 4
		_, _ = c.Write(append([]byte{'E', byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, body...))
	}()
	t.Setenv("PGPASSWORD", "")
	t.Setenv("PGPASSFILE", "/nonexistent/pgpass")
	_, err = Open(context.Background(), "postgres://app@"+l.Addr().String()+"/crm?sslmode=disable", "")
	wantError(t, err, []string{`rejected the login of user "app"`, "28P01", "PGPASSWORD", ".pgpass", "provider configuration"})
}

func TestPostgresCancelDuringScan(t *testing.T) {
	dsn := testPG(t)
	// A cross join streams its rows (generate_series alone would be materialised first).
	src, err := Open(context.Background(), dsn, "SELECT a.g * 10000 + b.g AS n FROM generate_series(1, 10000) AS a(g), generate_series(1, 10000) AS b(g)")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = src.Close() }()
	ctx, cancel := context.WithCancel(context.Background())
	var cancelled time.Time
	n := 0
	err = src.Scan(ctx, func(*Row) error {
		n++
		if n == 1000 {
			cancel()
			cancelled = time.Now()
		}
		return nil
	})
	if err != context.Canceled {
		t.Errorf("scan after cancel returned %v after %d rows, want context.Canceled", err, n)
	}
	if d := time.Since(cancelled); d > 5*time.Second || n > 100000 {
		t.Errorf("the scan went on for %v and %d rows after the cancel", d, n)
	}
	// The source still works (reconnecting if the cancel closed the connection).
	n = 0
	err = src.Scan(context.Background(), func(*Row) error { n++; return ErrStop })
	if err != nil || n != 1 {
		t.Errorf("scan after a cancelled scan: %d rows, %v", n, err)
	}
}

// TestPostgresQueriesCannotWrite: several statements are refused, and a query that turns the
// session's read-only default off in one scan still cannot write in the next, because every
// scan runs in its own READ ONLY transaction.
func TestPostgresQueriesCannotWrite(t *testing.T) {
	dsn := testPG(t)
	tbl := pgTable(t, dsn, "email text", `('user1@example.com'),('user2@example.com')`)
	fn := tbl + "_wipe"
	pgExec(t, dsn, "CREATE FUNCTION "+fn+"() RETURNS bigint LANGUAGE sql AS $$ WITH d AS (DELETE FROM "+tbl+" RETURNING 1) SELECT count(*) FROM d $$")
	t.Cleanup(func() { pgExec(t, dsn, "DROP FUNCTION IF EXISTS "+fn+"()") })
	count := func() int {
		_, rows, err := readAll(t, dsn, Options{Query: "SELECT email FROM " + tbl})
		if err != nil {
			t.Fatal(err)
		}
		return len(rows)
	}

	_, _, err := readAll(t, dsn, Options{Query: "SELECT email FROM " + tbl + "; DELETE FROM " + tbl})
	wantError(t, err, []string{"multiple commands", "single SELECT"})
	if n := count(); n != 2 {
		t.Fatalf("after a two-statement query the table holds %d rows, want 2", n)
	}

	q := "SELECT CASE WHEN current_setting('transaction_read_only') = 'on' " +
		"THEN set_config('default_transaction_read_only', 'off', false) ELSE " + fn + "()::text END AS x"
	src, err := Open(context.Background(), dsn, q)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = src.Close() }()
	for i := range 3 {
		err := src.Scan(context.Background(), func(*Row) error { return nil })
		if err != nil && !strings.Contains(err.Error(), "read-only") {
			t.Fatalf("scan %d: %v", i+1, err)
		}
	}
	if n := count(); n != 2 {
		t.Fatalf("after three scans of a query that turns read-only off, the table holds %d rows, want 2", n)
	}
}

// TestPostgresLimits: a value over MaxValueBytes and a row over the message bound are errors
// naming what is at fault. (PostgreSQL returns at most 1,664 columns, fewer than MaxColumns.)
func TestPostgresLimits(t *testing.T) {
	dsn := testPG(t)
	_, _, err := readAll(t, dsn, Options{Query: "SELECT 'a' AS small, repeat('x', 17 * 1024 * 1024) AS big"})
	pe := wantError(t, err, []string{"row 1", `column "big"`, "at most 16 MiB"})
	if pe.Column != "big" {
		t.Errorf("column %q", pe.Column)
	}
	parts := make([]string, 5)
	for i := range parts {
		parts[i] = fmt.Sprintf("repeat('x', 15 * 1024 * 1024) AS c%d", i)
	}
	_, _, err = readAll(t, dsn, Options{Query: "SELECT " + strings.Join(parts, ", ")})
	wantError(t, err, []string{"more than 64 MiB"})
}

func TestPostgresMissingTableHintNamesOnlyTablesThatExist(t *testing.T) {
	dsn := testPG(t)
	db := fmt.Sprintf("profile_test_db_%d", time.Now().UnixNano())
	pgExec(t, dsn, "CREATE DATABASE "+db)
	t.Cleanup(func() { pgExec(t, dsn, "DROP DATABASE IF EXISTS "+db) })
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + db
	dbDSN := u.String()

	_, _, err = readAll(t, dbDSN, Options{})
	pe := wantError(t, err, []string{"no table named profiles", "the database holds no tables or views"})
	if strings.Contains(pe.Hint, "customers") || strings.Contains(pe.Hint, "SELECT") {
		t.Errorf("hint %q names a table the database does not hold", pe.Hint)
	}

	pgExec(t, dbDSN, `CREATE TABLE "crm export" (email text)`, `CREATE SCHEMA crm`, `CREATE TABLE crm.contacts (email text)`)
	_, _, err = readAll(t, dbDSN, Options{})
	pe = wantError(t, err, []string{"no table named profiles", `set the query to read the table that holds the profiles, for example SELECT * FROM "crm export"`,
		`the database holds: "crm export", crm.contacts`})
	if strings.Contains(pe.Hint, "customers") {
		t.Errorf("hint %q names a table the database does not hold", pe.Hint)
	}
	_, _, err = readAll(t, dbDSN, Options{Query: "SELECT email FROM customers"})
	wantError(t, err, []string{`relation "customers" does not exist`, `the database holds: "crm export", crm.contacts`})
}

// Query parameters that url.Query() drops (after a ';', or with a malformed escape) and a
// #fragment are refused, so that no password hides in the source string, which is stored in
// Terraform state.
func TestPostgresURLHidingPlacesAreRejected(t *testing.T) {
	for u, want := range map[string]string{
		"postgres://app@127.0.0.1:1/crm?sslmode=disable;password=Secr3tPw": "parameters cannot be parsed",
		"postgres://app@127.0.0.1:1/crm?pass%zzword=Secr3tPw":              "parameters cannot be parsed",
		"postgres://app@127.0.0.1:1/crm#password=Secr3tPw":                 "#fragment",
	} {
		_, err := CheckSpec(u)
		wantError(t, err, []string{want}, "Secr3tPw")
	}
}
