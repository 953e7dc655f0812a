package profile

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/privacy"
)

// sqliteSource is a SQLite database file, opened read-only.
type sqliteSource struct {
	path  string
	query string
	db    *sql.DB
	conn  *sql.Conn // the one connection, with its length limit (limitedConn)
	cols  []Column
}

func openSQLite(ctx context.Context, path, query string) (Source, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	if st.IsDir() {
		return nil, &Error{Pos: Pos{File: path}, Msg: "the source is a directory, not a SQLite database file", Hint: "name the database file itself"}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	var magic [16]byte
	n, _ := f.Read(magic[:])
	_ = f.Close()
	if n > 0 && (n < len(magic) || string(magic[:]) != "SQLite format 3\x00") {
		return nil, &Error{Pos: Pos{File: path}, Msg: "the file is not a SQLite database",
			Hint: "sqlite: sources name a SQLite 3 database file; CSV and JSON Lines files are named by their path (.csv, .jsonl)"}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	if query == "" {
		query = DefaultQuery
	}
	if err := checkReadQuery(Pos{File: path}, query); err != nil {
		return nil, err
	}
	db, err := sql.Open(sqliteDriverName, sqliteDSN(abs))
	if err != nil {
		return nil, &Error{Pos: Pos{File: path}, Msg: "the SQLite database cannot be opened", Err: err, Hint: "check the file"}
	}
	// One connection: a scan holds it, and there is nothing to run in parallel.
	db.SetMaxOpenConns(1)
	conn, err := limitedConn(ctx, db)
	if err != nil {
		_ = db.Close()
		return nil, &Error{Pos: Pos{File: path}, Msg: "the SQLite database cannot be opened", Err: err, Hint: "check the file"}
	}
	s := &sqliteSource{path: path, query: query, db: db, conn: conn}
	rows, err := s.run(ctx)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	s.cols, err = sqliteColumns(rows)
	_ = rows.Close()
	if err != nil {
		_ = db.Close()
		return nil, &Error{Pos: Pos{File: path}, InQuery: true, Msg: "the query's columns cannot be read: " + privacy.Scrub(err.Error(), query), Err: err}
	}
	if err := checkColumnNames(Pos{File: path}, s.cols); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// maxSQLiteLength bounds, inside SQLite, the length of any string, BLOB or row a query builds
// (SQLITE_LIMIT_LENGTH), so that a query such as hex(randomblob(...)) is stopped before it holds
// hundreds of megabytes; values over MaxValueBytes but within this bound get the row-and-column
// error of every source.
const maxSQLiteLength = 64 << 20

// limitedConn takes the database's one connection and sets its length limit. The source keeps
// the connection for every query, so the limit cannot be lost to a connection the pool opens
// later.
func limitedConn(ctx context.Context, db *sql.DB) (*sql.Conn, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := sqlite.Limit(conn, sqlite3.SQLITE_LIMIT_LENGTH, maxSQLiteLength); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return conn, nil
}

// sqliteDSN builds a read-only file: URI for path (see sqlitero.go for the other guards).
func sqliteDSN(path string) string {
	r := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	return "file:" + r.Replace(filepath.ToSlash(path)) + "?mode=ro&_query_only=1&_pragma=busy_timeout(5000)"
}

// checkColumnNames rejects results with an empty or repeated column name, which no filter or
// mapping could address.
func checkColumnNames(pos Pos, cols []Column) error {
	if len(cols) == 0 {
		return &Error{Pos: pos, InQuery: true, Msg: "the query returns no columns", Hint: "write a SELECT that returns the profile columns"}
	}
	if len(cols) > MaxColumns {
		return tooManyColumns(pos, len(cols))
	}
	seen := make(map[string]bool, len(cols))
	for _, c := range cols {
		if c.Name == "" {
			return &Error{Pos: pos, InQuery: true, Msg: "a result column has no name", Hint: "name every expression in the SELECT list with AS"}
		}
		if seen[c.Name] {
			return &Error{Pos: pos, InQuery: true, Column: c.Name, Msg: "the query returns two columns with this name",
				Hint: "give every result column a distinct name (SELECT a.email AS email, b.email AS other_email ...)"}
		}
		seen[c.Name] = true
	}
	return nil
}

func (s *sqliteSource) run(ctx context.Context) (*sql.Rows, error) {
	rows, err := s.conn.QueryContext(ctx, s.query)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, s.queryError(ctx, err)
	}
	return rows, nil
}

func (s *sqliteSource) queryError(ctx context.Context, err error) error {
	msg := err.Error()
	pos := Pos{File: s.path}
	switch {
	case strings.Contains(msg, "file is not a database"):
		return &Error{Pos: pos, Msg: "the file is not a SQLite database", Err: err,
			Hint: "sqlite: sources name a SQLite 3 database file"}
	case strings.Contains(msg, "unable to open database file"):
		return &Error{Pos: pos, Msg: "the SQLite database cannot be opened", Err: err,
			Hint: "check that the file exists and that its directory is readable"}
	case strings.Contains(msg, "not authorized"), strings.Contains(msg, "readonly database"), strings.Contains(msg, "query_only"):
		return &Error{Pos: pos, InQuery: true, Msg: "the query tries to do more than read (write, ATTACH, DETACH, PRAGMA, CREATE or a transaction), which a segment's read-only connection refuses before running it", Err: err,
			Hint: readOnlyHint}
	case strings.Contains(msg, "string or blob too big"):
		return &Error{Pos: pos, InQuery: true, Msg: fmt.Sprintf("the query builds a value or row longer than %d MiB, which SQLite stops before it fills memory (a value may hold at most %d MiB)", maxSQLiteLength>>20, MaxValueBytes>>20), Err: err,
			Hint: "select shorter values: leave large text and BLOB columns out of the query"}
	case strings.Contains(msg, "database is locked"):
		return &Error{Pos: pos, Msg: "the SQLite database is locked by another program", Err: err,
			Hint: "wait for the writer to finish, or export from a copy of the file"}
	}
	e := &Error{Pos: pos, InQuery: true, Msg: "the query failed: " + privacy.Scrub(strings.TrimPrefix(msg, "SQL logic error: "), s.query), Err: err,
		Hint: "check the query against the database's tables and columns"}
	if strings.Contains(msg, "no such table") {
		e.Hint = s.missingTableHint(ctx)
		if s.query == DefaultQuery {
			e.Msg = "the database has no table named profiles, which is read when no query is given"
		}
	}
	return e
}

// missingTableHint says what to read instead of a table that does not exist: the tables the
// database holds, or that it holds none.
func (s *sqliteSource) missingTableHint(ctx context.Context) string {
	tables := s.tables(ctx)
	for i, name := range tables {
		if !isSQLName(name) {
			tables[i] = `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
		}
	}
	return missingTableHint(tables, s.query == DefaultQuery)
}

// missingTableHint says what to read instead of a table that does not exist, given the tables
// the database holds as a query names them: with the default query, a query reading the first.
func missingTableHint(tables []string, defaultQuery bool) string {
	if len(tables) == 0 {
		return "the database holds no tables or views: check that the source names the database that holds the profiles"
	}
	held := "the database holds: " + strings.Join(tables, ", ")
	if !defaultQuery {
		return "check the query against the database's tables and columns; " + held
	}
	return "set the query to read the table that holds the profiles, for example SELECT * FROM " + tables[0] + "; " + held
}

// isSQLName reports whether name can stand in a query without quotes.
func isSQLName(name string) bool {
	for i, r := range name {
		letter := r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		digit := r >= '0' && r <= '9'
		if !letter && (i == 0 || !digit) {
			return false
		}
	}
	return name != ""
}

// tables lists the database's tables and views (names only, at most 20).
func (s *sqliteSource) tables(ctx context.Context) []string {
	rows, err := s.conn.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type IN ('table','view') AND name NOT LIKE 'sqlite_%' ORDER BY name LIMIT 20")
	if err != nil {
		return nil
	}
	defer func() { _ = rows.Close() }()
	var out []string
	for rows.Next() {
		var n string
		if rows.Scan(&n) == nil {
			out = append(out, n)
		}
	}
	return out
}

// sqliteColumns types the result columns by their declared types.
func sqliteColumns(rows *sql.Rows) ([]Column, error) {
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	cols := make([]Column, len(cts))
	for i, ct := range cts {
		cols[i] = Column{Name: ct.Name(), Type: sqliteType(ct.DatabaseTypeName())}
	}
	return cols, nil
}

// sqliteType maps a declared column type to a Type, following SQLite's affinity rules
// (https://www.sqlite.org/datatype3.html#determination_of_column_affinity) with two additions
// for types SQLite itself does not have:
//
//	contains BOOL                      bool   (0/1 or true/false)
//	contains INT                       int
//	contains CHAR, CLOB or TEXT        string
//	contains BLOB, or no declared type string (expressions in a query have none)
//	contains REAL, FLOA or DOUB        double
//	contains DATE or TIME              timestamp (text as RFC 3339 or YYYY-MM-DD[ HH:MM:SS], integers as Unix seconds)
//	anything else (NUMERIC, DECIMAL)   double
func sqliteType(decl string) Type {
	d := strings.ToUpper(decl)
	has := func(s string) bool { return strings.Contains(d, s) }
	switch {
	case has("BOOL"):
		return TypeBool
	case has("INT"):
		return TypeInt
	case has("CHAR"), has("CLOB"), has("TEXT"):
		return TypeString
	case d == "", has("BLOB"):
		return TypeString
	case has("REAL"), has("FLOA"), has("DOUB"):
		return TypeDouble
	case has("DATE"), has("TIME"):
		return TypeTimestamp
	}
	return TypeDouble
}

func (s *sqliteSource) Kind() Kind        { return KindSQLite }
func (s *sqliteSource) Columns() []Column { return s.cols }

func (s *sqliteSource) Close() error {
	if s.db == nil {
		return nil
	}
	_ = s.conn.Close()
	err := s.db.Close()
	s.db = nil
	return err
}

func (s *sqliteSource) Scan(ctx context.Context, fn func(*Row) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.db == nil {
		return &Error{Pos: Pos{File: s.path}, Msg: "the source is closed", Hint: "open the source again"}
	}
	rows, err := s.run(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }()
	cols, err := sqliteColumns(rows)
	if err != nil || len(cols) != len(s.cols) {
		return &Error{Pos: Pos{File: s.path}, InQuery: true, Msg: "the query's columns changed after the source was opened", Hint: "run again"}
	}
	ncol := len(s.cols)
	raw := make([]any, ncol)
	ptrs := make([]any, ncol)
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	row := &Row{Values: make([]any, ncol)}
	row.Pos.File = s.path
	for n := int64(1); rows.Next(); n++ {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := rows.Scan(ptrs...); err != nil {
			return &Error{Pos: Pos{File: s.path, Row: n}, Msg: "reading the row failed: " + privacy.Scrub(err.Error(), s.query), Err: err}
		}
		row.Pos.Row = n
		for i, v := range raw {
			if n := valueLen(v); n > MaxValueBytes {
				return valueTooLong(row.Pos, s.cols[i].Name, n)
			}
			c, err := sqlValue(v, s.cols[i].Type)
			if err != nil {
				err.Pos, err.Column = row.Pos, s.cols[i].Name
				return err
			}
			row.Values[i] = c
		}
		if err := fn(row); err != nil {
			if err == ErrStop {
				return nil
			}
			return err
		}
	}
	if err := rows.Err(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return s.queryError(ctx, err)
	}
	return nil
}

// valueLen is the length of a text or BLOB value, 0 for others.
func valueLen(v any) int {
	switch x := v.(type) {
	case string:
		return len(x)
	case []byte:
		return len(x)
	}
	return 0
}

// sqlValue converts a value from database/sql (nil, int64, float64, bool, []byte, string,
// time.Time) to the column type t. The error lacks Pos and Column and never holds the value.
func sqlValue(v any, t Type) (any, *Error) {
	if v == nil {
		return nil, nil
	}
	if b, ok := v.([]byte); ok {
		if !utf8.Valid(b) {
			return nil, &Error{Msg: "the value is binary data (a BLOB that is not UTF-8 text)", Hint: "select text columns only, or convert the value in the query (e.g. hex(x))"}
		}
		v = string(b)
	}
	if x, ok := v.(string); ok && t == TypeString && !utf8.ValidString(x) {
		return nil, &Error{Msg: "the text is not valid UTF-8", Hint: "store text as UTF-8"}
	}
	var (
		out any
		ok  bool
	)
	switch t {
	case TypeString:
		out, ok = sqlString(v)
	case TypeInt:
		out, ok = sqlInt(v)
	case TypeDouble:
		out, ok = sqlDouble(v)
	case TypeBool:
		out, ok = sqlBool(v)
	case TypeTimestamp:
		out, ok = sqlTimestamp(v)
	}
	if !ok {
		return nil, typeMismatch(v, t)
	}
	return out, nil
}

func sqlString(v any) (any, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano), true
	}
	return nil, false
}

func sqlInt(v any) (any, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case float64:
		if x == math.Trunc(x) && x >= -(1<<63) && x < 1<<63 {
			return int64(x), true
		}
	case bool:
		if x {
			return int64(1), true
		}
		return int64(0), true
	case string:
		if i, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
			return i, true
		}
	}
	return nil, false
}

func sqlDouble(v any) (any, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case string:
		if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
			return f, true
		}
	}
	return nil, false
}

func sqlBool(v any) (any, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case int64:
		if x == 0 || x == 1 {
			return x == 1, true
		}
	case string:
		if b, ok := parseBool([]byte(strings.TrimSpace(x))); ok {
			return b, true
		}
	}
	return nil, false
}

func sqlTimestamp(v any) (any, bool) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), true
	case int64:
		return time.Unix(x, 0).UTC(), true
	case string:
		if ts, ok := parseTime(strings.TrimSpace(x)); ok {
			return ts, true
		}
	}
	return nil, false
}

func typeMismatch(v any, t Type) *Error {
	kind := "a value"
	switch v.(type) {
	case string:
		kind = "text"
	case int64:
		kind = "an integer"
	case float64:
		kind = "a real number"
	case bool:
		kind = "a boolean"
	case time.Time:
		kind = "a timestamp"
	}
	return &Error{Msg: fmt.Sprintf("the column is declared %s but this row holds %s that cannot be read as %s", t, kind, t),
		Hint: "correct the data, or convert the value in the query (a result column without a declared type reads as a string)"}
}
