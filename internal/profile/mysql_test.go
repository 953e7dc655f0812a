package profile

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // database/sql driver "mysql", for setting up tables
)

// mysqlDSNEnv names the environment variable holding a MySQL URL (without password) for tests,
// such as mysql://root@127.0.0.1:33060/sgtest. make test starts a MariaDB server (scripts/mariadb.sh)
// and sets it.
const mysqlDSNEnv = "SENDGRIDAUDIENCE_TEST_MYSQL_DSN"

// testMySQL returns the test server's URL, or skips the test.
func testMySQL(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(mysqlDSNEnv)
	if dsn == "" {
		t.Skipf("%s is not set: skipping the MySQL test (make test starts a MariaDB server and sets it, e.g. mysql://root@127.0.0.1:33060/sgtest)", mysqlDSNEnv)
	}
	return dsn
}

// myDB opens the test server with database/sql, for setting up and checking tables.
func myDB(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	cfg, err := mysqlConfig(dsn, "")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Passwd = "" // root logs in without one, whatever MYSQL_PWD a test sets
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// myExec runs statements on the test server.
func myExec(t testing.TB, dsn string, stmts ...string) {
	t.Helper()
	db := myDB(t, dsn)
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// myCount returns the result of a SELECT COUNT(*) ... on the test server.
func myCount(t testing.TB, dsn, query string) int {
	t.Helper()
	var n int
	if err := myDB(t, dsn).QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// myTable creates a table with a unique name, dropped when the test ends.
func myTable(t testing.TB, dsn, columns string, inserts ...string) string {
	t.Helper()
	name := fmt.Sprintf("profile_test_%d", time.Now().UnixNano())
	stmts := []string{fmt.Sprintf("CREATE TABLE %s (%s)", name, columns)}
	for _, v := range inserts {
		stmts = append(stmts, fmt.Sprintf("INSERT INTO %s VALUES %s", name, v))
	}
	myExec(t, dsn, stmts...)
	t.Cleanup(func() { myExec(t, dsn, "DROP TABLE IF EXISTS "+name) })
	return name
}

func TestMySQLTypesFromColumnMetadata(t *testing.T) {
	dsn := testMySQL(t)
	tbl := myTable(t, dsn,
		`email varchar(254), name text, code char(3), opt_in boolean, small smallint, age int, big bigint,
		 ubig bigint unsigned, yr year, flags bit(3), ltv double, r float, price decimal(10,2), signed_up date,
		 seen_at datetime(3), changed_at timestamp NULL, at_time time, plan enum('free','pro'), attrs json, raw varbinary(10)`,
		`('user1@example.com', 'Ada', 'abc', true, 1, 36, 9007199254740993, 18446744073709551615, 2024, b'101', 12.5, 1.1, 3.25,
		  '2024-05-01', '2024-05-01 12:30:00.250', '2024-05-01 12:30:00', '08:15:00', 'pro', '{"a": 1}', 'bytes')`,
		`('user2@example.com', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
	)
	// The unsigned maximum does not fit an int: the query reads it as text.
	cols, rows, err := readAll(t, dsn, Options{Query: "SELECT email, name, code, opt_in, small, age, big, CAST(ubig AS CHAR) AS ubig, yr, flags, ltv, r, price, " +
		"signed_up, seen_at, changed_at, at_time, plan, attrs, raw FROM " + tbl + " ORDER BY email"})
	if err != nil {
		t.Fatal(err)
	}
	wantCols := []Column{{"email", TypeString}, {"name", TypeString}, {"code", TypeString}, {"opt_in", TypeInt}, {"small", TypeInt},
		{"age", TypeInt}, {"big", TypeInt}, {"ubig", TypeString}, {"yr", TypeInt}, {"flags", TypeInt}, {"ltv", TypeDouble}, {"r", TypeDouble},
		{"price", TypeDouble}, {"signed_up", TypeTimestamp}, {"seen_at", TypeTimestamp}, {"changed_at", TypeTimestamp},
		{"at_time", TypeString}, {"plan", TypeString}, {"attrs", TypeString}, {"raw", TypeString}}
	if !reflect.DeepEqual(cols, wantCols) {
		t.Errorf("columns = %v\nwant %v", cols, wantCols)
	}
	want := [][]any{
		{"user1@example.com", "Ada", "abc", int64(1), int64(1), int64(36), int64(9007199254740993), "18446744073709551615", int64(2024), int64(5),
			12.5, 1.1, 3.25, time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 5, 1, 12, 30, 0, 250e6, time.UTC),
			time.Date(2024, 5, 1, 12, 30, 0, 0, time.UTC), "08:15:00", "pro", `{"a": 1}`, "bytes"},
		{"user2@example.com", nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
	}
	if len(rows) != 2 {
		t.Fatalf("got %d rows, want 2", len(rows))
	}
	for i := range want {
		if !reflect.DeepEqual(rows[i].Values, want[i]) {
			t.Errorf("row %d = %#v\nwant %#v", i+1, rows[i].Values, want[i])
		}
		if rows[i].Pos.Row != int64(i+1) || rows[i].Pos.File != strings.SplitN(dsn, "?", 2)[0] {
			t.Errorf("row %d position %+v", i+1, rows[i].Pos)
		}
	}
}

// TestMySQLValuesThatDoNotFit: a value the column's type cannot hold is an error naming the
// row and column, never shown.
func TestMySQLValuesThatDoNotFit(t *testing.T) {
	dsn := testMySQL(t)
	tbl := myTable(t, dsn, "email varchar(254), ubig bigint unsigned, d date, b blob",
		"('user1@example.com', 1, '2024-01-01', 'ok'), ('user2@example.com', 18446744073709551615, '2024-01-01', 'ok')")
	myExec(t, dsn, "SET SESSION sql_mode = ''")
	_, _, err := readAll(t, dsn, Options{Query: "SELECT email, ubig FROM " + tbl + " ORDER BY email"})
	pe := wantError(t, err, []string{"row 2", `column "ubig"`, "UNSIGNED BIGINT value cannot be read as int"}, "18446744073709551615")
	if pe.Column != "ubig" || pe.Pos.Row != 2 {
		t.Errorf("error at %+v column %q", pe.Pos, pe.Column)
	}
	_, _, err = readAll(t, dsn, Options{Query: "SELECT email, CAST(UNHEX('FF00') AS BINARY) AS b FROM " + tbl + " ORDER BY email"})
	wantError(t, err, []string{"row 1", `column "b"`, "cannot be read as string", "not UTF-8"})
	_, _, err = readAll(t, dsn, Options{Query: "SELECT email, CAST('0000-00-00' AS DATE) AS d FROM " + tbl + " ORDER BY email"})
	wantError(t, err, []string{"row 1", `column "d"`, "DATE value cannot be read as timestamp", "NULLIF(x, '0000-00-00')"})
}

func TestMySQLQueryRunsInTheDatabase(t *testing.T) {
	dsn := testMySQL(t)
	tbl := myTable(t, dsn, "email varchar(254), country varchar(2), ltv decimal(10,2)",
		`('user1@example.com','US',10),('user2@example.com','DE',200),('user3@example.com','US',300)`)
	cols, rows, err := readAll(t, dsn, Options{Query: "SELECT email, lower(country) AS cc, CAST(ltv AS SIGNED) AS whole FROM " + tbl + " WHERE ltv > 50 ORDER BY email;"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []Column{{"email", TypeString}, {"cc", TypeString}, {"whole", TypeInt}}; !reflect.DeepEqual(cols, want) {
		t.Errorf("columns = %v, want %v", cols, want)
	}
	if len(rows) != 2 || !reflect.DeepEqual(rows[1].Values, []any{"user3@example.com", "us", int64(300)}) {
		t.Errorf("rows = %v", rows)
	}

	// A query that cannot stand in a derived table (a comment after the semicolon) is
	// described by running it.
	_, rows, err = readAll(t, dsn, Options{Query: "SELECT email FROM " + tbl + " ORDER BY email; -- all of them"})
	if err != nil || len(rows) != 3 {
		t.Errorf("query with a trailing comment: %d rows, %v", len(rows), err)
	}

	// A scan can be repeated and stopped early; the source connects again after a stop.
	// (seq_1_to_N is a table of MariaDB's Sequence engine.)
	src, err := Open(context.Background(), dsn, "SELECT seq AS n FROM seq_1_to_100000")
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
	if err := src.Scan(context.Background(), func(*Row) error { return nil }); err != nil {
		t.Errorf("second full scan: %v", err)
	}
}

func TestMySQLErrors(t *testing.T) {
	dsn := testMySQL(t)
	tbl := myTable(t, dsn, "email varchar(254), age text", `('jane.doe@example.com', 'forty')`)
	tests := []struct {
		name  string
		query string
		want  []string
	}{
		{"syntax error", "SELECT email\nFROM " + tbl + "\nWHERE age >", []string{"the query failed", "SQL syntax", "error 1064", "line 3"}},
		{"unknown table", "SELECT * FROM no_such_table_here", []string{"no_such_table_here' doesn't exist", "error 1146", "the database holds: " + tbl}},
		{"unknown column", "SELECT emial FROM " + tbl, []string{"Unknown column 'emial'", "error 1054"}},
		{"duplicate column names", "SELECT email, email FROM " + tbl, []string{"two columns with this name"}},
		{"parameters", "SELECT email FROM " + tbl + " WHERE age = ?", []string{"SQL syntax"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readAll(t, dsn, Options{Query: tt.query})
			pe := wantError(t, err, tt.want, "jane.doe", "forty")
			if !pe.InQuery {
				t.Errorf("error not marked as a query error: %v", err)
			}
		})
	}
	// The default query names the missing table and says to set a query.
	_, _, err := readAll(t, dsn, Options{})
	wantError(t, err, []string{"no table named profiles", "set the query", "for example SELECT * FROM "})
}

func TestMySQLMissingTableHintNamesOnlyTablesThatExist(t *testing.T) {
	dsn := testMySQL(t)
	db := fmt.Sprintf("profile_test_db_%d", time.Now().UnixNano())
	myExec(t, dsn, "CREATE DATABASE "+db)
	t.Cleanup(func() { myExec(t, dsn, "DROP DATABASE IF EXISTS "+db) })
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + db
	dbDSN := u.String()
	_, _, err = readAll(t, dbDSN, Options{})
	wantError(t, err, []string{"no table named profiles", "the database holds no tables or views"})

	myExec(t, dbDSN, "CREATE TABLE `crm export` (email text)", "CREATE TABLE contacts (email text)")
	_, _, err = readAll(t, dbDSN, Options{})
	wantError(t, err, []string{"for example SELECT * FROM contacts", "the database holds: contacts, `crm export`"})
}

func TestMySQLUnknownDatabase(t *testing.T) {
	dsn := testMySQL(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/no_such_db_for_tests"
	_, err = Open(context.Background(), u.String(), "")
	wantError(t, err, []string{`no database "no_such_db_for_tests"`, "error 1049"})
}

func TestMySQLUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	start := time.Now()
	_, err = Open(context.Background(), "mysql://app@"+addr+"/crm", "")
	pe := wantError(t, err, []string{"cannot connect to MySQL at " + addr, "connection refused", "server is running"})
	if pe.Pos.File != "mysql://app@"+addr+"/crm" {
		t.Errorf("Pos.File = %q", pe.Pos.File)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("refused connection took %v", time.Since(start))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Open(ctx, "mysql://app@"+addr+"/crm", ""); err != context.Canceled {
		t.Errorf("cancelled open: %v", err)
	}
}

// TestMySQLServerThatDoesNotAnswer: a server that accepts the connection and says nothing
// (no handshake) fails the open after the connection timeout, naming the address.
func TestMySQLServerThatDoesNotAnswer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer func() { _ = c.Close() }()
		}
	}()
	old := mysqlConnectTimeout
	mysqlConnectTimeout = 300 * time.Millisecond
	t.Cleanup(func() { mysqlConnectTimeout = old })
	start := time.Now()
	_, err = Open(context.Background(), "mysql://app@"+l.Addr().String()+"/crm", "")
	wantError(t, err, []string{"cannot connect to MySQL at " + l.Addr().String(), "did not answer within 300ms"})
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the open took %v", d)
	}
}

func TestMySQLPasswordInURLIsRejectedBeforeConnecting(t *testing.T) {
	for _, u := range []string{"mysql://app:Secr3tPw@127.0.0.1:1/crm", "mysql://app@127.0.0.1:1/crm?password=Secr3tPw"} {
		_, err := Open(context.Background(), u, "")
		wantError(t, err, []string{"contains a password", "MYSQL_PWD", "database_password"}, "Secr3tPw")
	}
}

// TestMySQLPassword: the password comes from Options.Password or MYSQL_PWD; without it the
// login is refused with advice, and the password never shows.
func TestMySQLPassword(t *testing.T) {
	dsn := testMySQL(t)
	tbl := myTable(t, dsn, "email varchar(254)", "('user1@example.com')")
	user := fmt.Sprintf("pw_test_%d", time.Now().UnixNano()%1e9)
	const pw = "Secr3t-Pw-for-tests"
	myExec(t, dsn, "CREATE USER '"+user+"'@'127.0.0.1' IDENTIFIED BY '"+pw+"'", "GRANT SELECT ON sgtest.* TO '"+user+"'@'127.0.0.1'")
	t.Cleanup(func() { myExec(t, dsn, "DROP USER IF EXISTS '"+user+"'@'127.0.0.1'") })
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(user)
	userDSN := u.String()
	q := Options{Query: "SELECT email FROM " + tbl}

	t.Setenv(mysqlPasswordEnv, "")
	_, _, err = readAll(t, userDSN, q)
	wantError(t, err, []string{`rejected the login of user "` + user + `"`, "error 1045", "MYSQL_PWD", "database_password"})
	_, _, err = readAll(t, userDSN, Options{Query: q.Query, Password: "wrong-" + pw})
	wantError(t, err, []string{"rejected the login"}, pw)

	_, rows, err := readAll(t, userDSN, Options{Query: q.Query, Password: pw})
	if err != nil || len(rows) != 1 {
		t.Errorf("with Options.Password: %d rows, %v", len(rows), err)
	}
	t.Setenv(mysqlPasswordEnv, pw)
	_, rows, err = readAll(t, userDSN, q)
	if err != nil || len(rows) != 1 {
		t.Errorf("with MYSQL_PWD: %d rows, %v", len(rows), err)
	}
	// A user who may not read the table is told to grant SELECT.
	other := myTable(t, dsn, "email varchar(254)")
	myExec(t, dsn, "REVOKE SELECT ON sgtest.* FROM '"+user+"'@'127.0.0.1'", "GRANT SELECT ON sgtest."+tbl+" TO '"+user+"'@'127.0.0.1'")
	_, _, err = readAll(t, userDSN, Options{Query: "SELECT email FROM " + other})
	wantError(t, err, []string{"error 1142"}, pw)
}

func TestMySQLCancelDuringScan(t *testing.T) {
	dsn := testMySQL(t)
	src, err := Open(context.Background(), dsn, "SELECT seq AS n FROM seq_1_to_100000000")
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
	n = 0
	err = src.Scan(context.Background(), func(*Row) error { n++; return ErrStop })
	if err != nil || n != 1 {
		t.Errorf("scan after a cancelled scan: %d rows, %v", n, err)
	}
}

// TestMySQLCancelEndsTheServersQuery: a scan cancelled while the server is still working (no
// row sent yet) ends the query on the server too, and so do a scan stopped early and a query
// described by its first row.
func TestMySQLCancelEndsTheServersQuery(t *testing.T) {
	dsn := testMySQL(t)
	marker := fmt.Sprintf("cancel_marker_%d", time.Now().UnixNano())
	running := func() int {
		return myCount(t, dsn, "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE '%"+marker+" %' AND info NOT LIKE '%processlist%'")
	}
	gone := func(what string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for running() > 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the query still runs on the server", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// Cheap to describe (LIMIT 0 reads no row), a second per row to run.
	src, err := Open(context.Background(), dsn, "SELECT seq AS "+marker+" FROM seq_1_to_1000 WHERE SLEEP(1) = 0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = src.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := src.Scan(ctx, func(*Row) error { return nil }); err != context.DeadlineExceeded {
		t.Errorf("scan: %v, want context.DeadlineExceeded", err)
	}
	gone("after a cancelled scan")

	big, err := Open(context.Background(), dsn, "SELECT a.seq AS "+marker+" FROM seq_1_to_100000 a, seq_1_to_1000 b")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = big.Close() }()
	if err := big.Scan(context.Background(), func(*Row) error { return ErrStop }); err != nil {
		t.Fatal(err)
	}
	gone("after a scan stopped at the first row")

	// A query that cannot stand in a derived table (SQL_NO_CACHE) is described by running it
	// until the server sends its first row (20 kB, more than the server's network buffer):
	// the server stops it then.
	slow, err := Open(context.Background(), dsn, "SELECT SQL_NO_CACHE seq AS "+marker+", REPEAT('x', 20000) AS pad FROM seq_1_to_1000 WHERE SLEEP(0.5) = 0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = slow.Close() }()
	if cols := slow.Columns(); len(cols) != 2 || cols[0] != (Column{marker, TypeInt}) {
		t.Errorf("columns %v", cols)
	}
	gone("after describing a query by its first row")
}

// TestMySQLQueriesCannotWrite: queries that write, in every form the server offers, are refused
// and the database is unchanged.
func TestMySQLQueriesCannotWrite(t *testing.T) {
	dsn := testMySQL(t)
	tbl := myTable(t, dsn, "email varchar(254)", `('user1@example.com'),('user2@example.com')`)
	fn := tbl + "_wipe"
	myExec(t, dsn, "CREATE FUNCTION "+fn+"() RETURNS INT MODIFIES SQL DATA BEGIN DELETE FROM "+tbl+"; RETURN 1; END")
	t.Cleanup(func() { myExec(t, dsn, "DROP FUNCTION IF EXISTS "+fn) })
	seq := tbl + "_seq"
	myExec(t, dsn, "CREATE SEQUENCE "+seq)
	t.Cleanup(func() { myExec(t, dsn, "DROP SEQUENCE IF EXISTS "+seq) })
	outfile := filepath.Join(os.TempDir(), fmt.Sprintf("sgaudience-outfile-%d.txt", time.Now().UnixNano()))
	t.Cleanup(func() { _ = os.Remove(outfile) })
	tables := func() int {
		return myCount(t, dsn, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()")
	}
	before := tables()
	queries := []struct{ query, want string }{
		{"INSERT INTO " + tbl + " VALUES ('x@example.com')", "an INSERT statement"},
		{"UPDATE " + tbl + " SET email = 'x'", "an UPDATE statement"},
		{"DELETE FROM " + tbl, "a DELETE statement"},
		{"REPLACE INTO " + tbl + " VALUES ('x@example.com')", "a REPLACE statement"},
		{"CREATE TABLE " + tbl + "_new (a int)", "a CREATE statement"},
		{"DROP TABLE " + tbl, "a DROP statement"},
		{"TRUNCATE " + tbl, "a TRUNCATE statement"},
		{"LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE " + tbl, "a LOAD statement"},
		{"SELECT * FROM " + tbl + " INTO OUTFILE '" + outfile + "'", "INTO"},
		{"SELECT email FROM " + tbl + " LIMIT 1 INTO DUMPFILE '" + outfile + "'", "INTO"},
		{"SELECT email FROM " + tbl + "; DELETE FROM " + tbl, "more than one SQL statement"},
		{"SELECT 1 /*!00000 ; DELETE FROM " + tbl + " */", "executable comment"},
		{"SELECT " + fn + "() AS n", "READ ONLY transaction"},
		{"SELECT nextval(" + seq + ") AS n", "READ ONLY transaction"},
		{"WITH d AS (SELECT " + fn + "() AS n) SELECT n FROM d", "READ ONLY transaction"},
	}
	for _, tt := range queries {
		_, _, err := readAll(t, dsn, Options{Query: tt.query})
		wantError(t, err, []string{tt.want})
	}
	// A query the server reads as two statements (with NO_BACKSLASH_ESCAPES a backslash ends
	// no string) is refused by the server, which runs one statement at most.
	myExec(t, dsn, "SET GLOBAL sql_mode = CONCAT(@@GLOBAL.sql_mode, ',NO_BACKSLASH_ESCAPES')")
	t.Cleanup(func() { myExec(t, dsn, "SET GLOBAL sql_mode = REPLACE(@@GLOBAL.sql_mode, 'NO_BACKSLASH_ESCAPES', '')") })
	_, _, err := readAll(t, dsn, Options{Query: `SELECT "a\" AS x; DELETE FROM ` + tbl + `; -- "`})
	wantError(t, err, []string{"SQL syntax", "error 1064"})

	if n := myCount(t, dsn, "SELECT COUNT(*) FROM "+tbl); n != 2 {
		t.Errorf("after the refused queries the table holds %d rows, want 2", n)
	}
	if n := tables(); n != before {
		t.Errorf("after the refused queries the database holds %d tables, want %d", n, before)
	}
	if n := myCount(t, dsn, "SELECT next_not_cached_value FROM "+seq); n != 1 {
		t.Errorf("the sequence moved on to %d", n)
	}
	if _, err := os.Stat(outfile); err == nil {
		t.Errorf("a refused query wrote %s", outfile)
	}
}

// TestMySQLLimits: a value over MaxValueBytes is an error naming the row and column.
func TestMySQLLimits(t *testing.T) {
	dsn := testMySQL(t)
	var old int64
	if err := myDB(t, dsn).QueryRow("SELECT @@GLOBAL.max_allowed_packet").Scan(&old); err != nil {
		t.Fatal(err)
	}
	myExec(t, dsn, "SET GLOBAL max_allowed_packet = 67108864")
	t.Cleanup(func() { myExec(t, dsn, fmt.Sprintf("SET GLOBAL max_allowed_packet = %d", old)) })
	_, _, err := readAll(t, dsn, Options{Query: "SELECT 'a' AS small, REPEAT('x', 17 * 1024 * 1024) AS big"})
	pe := wantError(t, err, []string{"row 1", `column "big"`, "at most 16 MiB"})
	if pe.Column != "big" {
		t.Errorf("column %q", pe.Column)
	}
}

// A #fragment is never sent to the server, but it can hold a secret, and the source string is
// stored in Terraform state.
func TestMySQLURLFragmentIsRejected(t *testing.T) {
	_, err := CheckSpec("mysql://app@127.0.0.1:1/crm#password=Secr3tPw")
	wantError(t, err, []string{"#fragment"}, "Secr3tPw")
}

// Query parameters that url.Query() drops (after a ';', or with a malformed escape) are refused
// like any other, so that no password hides in the source string.
func TestMySQLURLMalformedParametersAreRejected(t *testing.T) {
	for _, u := range []string{"mysql://app@127.0.0.1:1/crm?tls=true;password=Secr3tPw", "mysql://app@127.0.0.1:1/crm?pass%zzword=Secr3tPw"} {
		_, err := CheckSpec(u)
		wantError(t, err, []string{"MySQL URL"}, "Secr3tPw")
	}
}
