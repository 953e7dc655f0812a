// Package profile reads customer profiles from the sources a segment can name: CSV files, JSON
// Lines files and Parquet files (plain, gzip- or Zstandard-compressed), SQLite database files
// and PostgreSQL servers. It knows nothing about Terraform.
//
// Every source streams: rows are read one at a time into a reused Row, so peak memory does not
// grow with the number of rows (a text file source holds one line, or one CSV record, at a
// time; lines and records over 16 MiB are errors; a Parquet source one batch of rows and the
// pages they come from). The columns and their types are known when Open
// returns, before any row is read. A Scan callback must not retain the *Row or its Values
// slice; the values themselves may be kept.
//
// # Source strings
//
//	customers.csv, csv:path            CSV with a header row (RFC 4180)
//	customers.jsonl, .ndjson, jsonl:path
//	                                   JSON Lines: one JSON object per line
//	customers.parquet, parquet:path    Parquet file (see parquet.go for its types)
//	customers.csv.gz, jsonl:x.zst, ... any of the files above compressed with gzip (.gz) or
//	                                   Zstandard (.zst), decompressed while read (see compress.go)
//	sqlite:path, path.sqlite, .sqlite3, .db
//	                                   SQLite database file, opened read-only
//	s3://bucket/key.csv, https://host/path/customers.jsonl.gz
//	                                   a CSV or JSON Lines object (plain, .gz or .zst; the
//	                                   format from the name, or a csv:/jsonl: prefix) in S3 or an
//	                                   S3-compatible store, or served over HTTPS; streamed, never
//	                                   stored on disk (see remote.go)
//	postgres://user@host:port/db?sslmode=...  (or postgresql://)
//	                                   PostgreSQL; the password comes from Options.Password,
//	                                   PGPASSWORD or ~/.pgpass, never from the URL; the
//	                                   session is read-only (default_transaction_read_only)
//	mysql://user@host:port/db?tls=...  MySQL or MariaDB; the password comes from
//	                                   Options.Password or MYSQL_PWD, never from the URL;
//	                                   the session is read-only (see mysql.go, mysqlquery.go)
//
// Remote objects (s3://bucket/key, https://...) are streamed: Open asks for the object's
// identity with a HEAD request (ETag, S3 version ID, size; see SourceVersion on the source)
// and reads it once to learn the columns (the header of a CSV file; every line of a JSON
// Lines file), unless the same version was opened before in this process (the columns are
// remembered by identity); each Scan reads it again. Every read is pinned to that identity (version ID,
// or If-Match and a check of the ETag), so a scan never mixes two versions of an object, and
// a body shorter than its size or cut mid-read is an *Error, never a shorter segment. S3
// credentials come only from the AWS SDK's default chain (environment, shared files,
// instance and container roles), https:// sources are read without credentials, and a source
// string holding credentials (user information, presigned or token query parameters) is refused.
//
// A query (Options.Query) is allowed for database sources only, and runs in the database;
// without one a database source reads DefaultQuery, SELECT * FROM profiles. A query is one
// statement without parameters, and it can only read: a SQLite query must be one SELECT, WITH
// or VALUES statement, runs on a connection opened with mode=ro and query_only whose
// authorizer refuses ATTACH, DETACH, PRAGMA, writes and transactions when the statement is
// prepared (see sqlitero.go); a PostgreSQL query runs as a single prepared statement inside a
// READ ONLY transaction.
//
// # Types
//
// Column types are CEL-friendly: string, int (int64), double (float64), bool and timestamp
// (time.Time, UTC). Row.Values[i] holds a value of Columns()[i].Type, or nil for NULL or missing.
//
// CSV carries no types: every column is a string unless its header names a type with a suffix,
// as in "lifetime_value:double", "age:int", "opt_in:bool", "signed_up:timestamp" (the suffix is
// removed from the column name; also accepted: integer, float, number, real, boolean, date,
// datetime, text; a suffix that names no type stays part of the name, as in "utm:source").
// Header names are used exactly as written (spaces included); an empty or repeated name is an
// error, and so is a first line that looks like data (a field holding an @, a number or a
// date: the file has no header row) or holds control characters (a binary file); such errors
// never show the line. An empty field is "" in a string column and NULL in a typed column. Booleans are
// true/false/t/f/yes/no/y/n/1/0 (any case); timestamps are RFC 3339, YYYY-MM-DD (midnight UTC)
// or YYYY-MM-DD HH:MM:SS (UTC). Lines holding nothing are skipped; a UTF-8 byte order mark and
// CRLF line ends are accepted; every value must be valid UTF-8.
//
// JSON Lines: the columns and types come from every object of the file; see Options.InferLines.
//
// Parquet: from the file's schema; see parquet.go.
//
// A value that does not fit its column's type (a CSV field "yes" in an "opt_in:int" column; a
// JSON string among the booleans of a bool column) does not change the type and does not stop
// the scan: the row carries it in Row.Invalid (position, column, masked value), and its Value is
// nil. Segments hand such rows on as invalid profiles, which an export skips or fails on as its
// invalid_profiles setting says.
//
// SQLite: from each result column's declared type, by SQLite's affinity rules
// (https://www.sqlite.org/datatype3.html) with bool and timestamp added:
//
//	declared type contains BOOL                 bool (0/1, or text true/false)
//	contains INT                                int
//	contains CHAR, CLOB or TEXT                 string
//	contains BLOB, or no declared type          string (expressions in a query have none; BLOBs must be UTF-8)
//	contains REAL, FLOA or DOUB                 double
//	contains DATE or TIME                       timestamp (text as above; integers as Unix seconds)
//	anything else (NUMERIC, DECIMAL)            double
//
// A stored value that does not fit its column's type (SQLite does not enforce declared types)
// is an error naming the row and column.
//
// PostgreSQL: from the result's field descriptions:
//
//	boolean                                     bool
//	smallint, integer, bigint, oid              int
//	real, double precision, numeric             double
//	date, timestamp, timestamptz                timestamp (a date is midnight UTC)
//	anything else (text, varchar, uuid, json, arrays, enums, ...)
//	                                            string, as PostgreSQL writes it as text
//
// MySQL and MariaDB: from the result's column types (see mysqlColumnType):
//
//	TINYINT, SMALLINT, MEDIUMINT, INT, BIGINT, YEAR, BIT   int (BOOLEAN is TINYINT(1): 0 or 1)
//	FLOAT, DOUBLE, DECIMAL                                 double
//	DATE, DATETIME, TIMESTAMP                              timestamp (the session's time zone is UTC)
//	anything else (CHAR, VARCHAR, TEXT, ENUM, JSON, ...)   string, as the server writes it
//
// # Limits
//
// A source has at most MaxColumns (10,000) columns; a line or CSV record of a file, and a value
// from a database, holds at most MaxValueBytes (16 MiB); a PostgreSQL result row at most 64 MiB.
// Each is an error naming the row and column.
//
// # Errors
//
// Every problem with a source is an *Error naming the file and line (or row), the column,
// what is wrong and what to do: a missing or unreadable file, a file in UTF-16, invalid UTF-8,
// a missing, empty or repeated header name, ragged rows, unterminated or stray quotes, an
// invalid JSON line, a SQLite value that does not fit its column, SQL errors (with a caret under the
// position PostgreSQL reports), a database that cannot be reached or rejects the login, and a
// password in a URL. Messages never contain profile values: database messages pass through
// privacy.Scrub, which masks quoted text, email addresses and long digit runs unless they occur
// in the query itself.
package profile

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/privacy"
)

// Type is the type of a column. The names are CEL's.
type Type string

// The column types.
const (
	TypeString    Type = "string"
	TypeInt       Type = "int"
	TypeDouble    Type = "double"
	TypeBool      Type = "bool"
	TypeTimestamp Type = "timestamp"
)

// ParseType returns the Type named s ("string", "int", "double", "bool", "timestamp").
func ParseType(s string) (Type, bool) {
	switch t := Type(s); t {
	case TypeString, TypeInt, TypeDouble, TypeBool, TypeTimestamp:
		return t, true
	}
	return "", false
}

// Column describes one column of a source.
type Column struct {
	Name string
	Type Type
}

// Pos says where a row (or a problem) is: a file and line for files, a row number for
// databases. Line and Row count from 1; zero means unknown.
type Pos struct {
	File string // path of the file as given, or a description of the database ("sqlite:x.db", "postgres://host:5432/db")
	Line int64  // line in the file where the row starts (files)
	Row  int64  // number of the row in the source: data rows for files, result rows for queries
}

// String returns "customers.csv line 12", "sqlite:x.db row 12", or whatever part is known.
func (p Pos) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	switch {
	case p.Line > 0:
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("line ")
		b.WriteString(strconv.FormatInt(p.Line, 10))
	case p.Row > 0:
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("row ")
		b.WriteString(strconv.FormatInt(p.Row, 10))
	}
	return b.String()
}

// Row is one profile. Values[i] belongs to Columns()[i]; it is nil (NULL or missing), or a
// string, int64, float64, bool or time.Time as the column's type says.
//
// Sources reuse the Row and its Values slice from one call of the Scan callback to the next:
// a callback must not retain the *Row or the Values slice after it returns. The values
// themselves (strings, numbers, times) are immutable and may be kept.
type Row struct {
	Pos    Pos
	Values []any
	// Invalid lists the values of this row that do not fit their column's type (a string in a
	// bool column, a fraction in an int column); their Values are nil. Such a row is an invalid
	// profile, reported with its position and column, never a reason to change a column's type.
	Invalid []InvalidValue
}

// InvalidValue is a value that does not fit its column's type.
type InvalidValue struct {
	Column int    // index in Columns()
	Name   string // the column's name
	Line   int64  // line of the value in a file (a CSV field may start on a later line than its row), or 0
	Msg    string // what is wrong, without the value, e.g. "the value is a string, but the column is bool"
	Hint   string // what to do, or empty
	Masked string // the value masked by privacy.MaskValue: its first character and length
}

// addInvalid records that column col of the row holds a value that does not fit its type.
func (r *Row) addInvalid(col int, name string, line int64, raw []byte, e *Error) {
	r.Values[col] = nil
	r.Invalid = append(r.Invalid, InvalidValue{Column: col, Name: name, Line: line, Msg: e.Msg, Hint: e.Hint, Masked: privacy.MaskValue(string(raw))})
}

// Source is an open profile source.
type Source interface {
	// Kind says what kind of source this is.
	Kind() Kind
	// Columns returns the columns, known before any row is read. The caller must not modify the slice.
	Columns() []Column
	// Scan calls fn for each row, in source order, until the rows end, fn returns an error,
	// ctx is done, or the source fails. It returns nil at the end of the rows; fn's error as
	// it is, except ErrStop which ends the scan with nil; ctx.Err() when ctx is done; and an
	// *Error when the source fails (a ragged row, an unreachable database, ...).
	//
	// Scan may be called again after it returns; each call reads the source from the start
	// (files are reopened, queries are run again). Calls must not overlap.
	// fn must not retain the *Row or its Values slice (see Row).
	Scan(ctx context.Context, fn func(*Row) error) error
	// Close releases the source (open files, database connections). It is safe to call twice.
	Close() error
}

// ErrStop, returned by a Scan callback, ends the scan early without an error.
var ErrStop = errors.New("profile: stop scan")

// Kind is the kind of a source.
type Kind string

// The kinds of sources.
const (
	KindCSV      Kind = "csv"
	KindJSONL    Kind = "jsonl"
	KindSQLite   Kind = "sqlite"
	KindPostgres Kind = "postgres"
	KindParquet  Kind = "parquet"
	KindMySQL    Kind = "mysql"
)

// IsDatabase reports whether the source runs SQL queries (SQLite, PostgreSQL, MySQL).
func (k Kind) IsDatabase() bool { return k == KindSQLite || k == KindPostgres || k == KindMySQL }

// Options adjust how a source is opened. The zero value is fine.
type Options struct {
	// Query is the SQL query to run; database sources only. Empty: SELECT * FROM profiles.
	Query string

	// Password is the database password (PostgreSQL and MySQL), for callers that hold it in
	// configuration (such as the provider's). Without it PostgreSQL sources use PGPASSWORD or
	// ~/.pgpass (PGPASSFILE), as libpq does, and MySQL sources MYSQL_PWD, as the mysql client
	// does. A password in the URL itself is always rejected, so that it never reaches
	// Terraform state.
	Password string

	// Remote configures s3:// and https:// sources (endpoint, region, path-style addressing).
	Remote RemoteOptions

	// InferLines is no longer used: the columns and types of a JSON Lines file come from all of
	// its objects. Open reads the whole file once to determine them, and Scan reads it again
	// to produce the rows, one line at a time, so memory stays bounded. Rules:
	//
	//   - The columns are the keys of the objects, in order of first appearance.
	//   - A column's type is the kind held by most of its non-null values: booleans make it
	//     bool; numbers make it int when all of them are whole (no fraction or exponent, within
	//     int64) and double otherwise; strings make it string. A tie, or only nulls, is string.
	//   - In a bool, int or double column, a value of another kind is an invalid value of its
	//     row (see Row.Invalid), never a reason to change the type: one "yes" among a column of
	//     booleans makes that row invalid, and the column stays bool. In a string column,
	//     numbers and booleans are their JSON text.
	//   - A key missing from a line, or null, is NULL. Nested objects and arrays are errors.
	//   - Blank lines are skipped; a UTF-8 byte order mark and CRLF line ends are accepted.
	InferLines int
}

// DefaultInferLines was the default of Options.InferLines, which is no longer used.
const DefaultInferLines = 1000

// MaxColumns bounds the number of columns of every source, so that a wide file or query cannot
// make messages and memory grow without bound.
const MaxColumns = 10000

// MaxValueBytes bounds one value: a field of a file (a whole line or CSV record, in fact) or a
// value read from a database.
const MaxValueBytes = maxLineBytes

// tooManyColumns is the error for a source with n > MaxColumns columns.
func tooManyColumns(pos Pos, n int) *Error {
	return &Error{Pos: pos, InQuery: true, Msg: fmt.Sprintf("the source has %d or more columns; at most %d are read", n, MaxColumns),
		Hint: "select only the columns the segment needs (in the query for databases; export fewer columns to the file otherwise)"}
}

// valueTooLong is the error for a database value over MaxValueBytes.
func valueTooLong(pos Pos, column string, n int) *Error {
	return &Error{Pos: pos, Column: column, Msg: fmt.Sprintf("the value is %d bytes long; a value may hold at most %d MiB", n, MaxValueBytes>>20),
		Hint: "leave the column out of the query, or shorten it there (for example substr(x, 1, 1000))"}
}

// DefaultQuery is the query a database source runs when none is given.
const DefaultQuery = "SELECT * FROM profiles"

// Open opens the source named by spec (see the package documentation) with an optional SQL
// query, which is allowed only for database sources. It is OpenWith(ctx, spec, Options{Query: query}).
func Open(ctx context.Context, spec, query string) (Source, error) {
	return OpenWith(ctx, spec, Options{Query: query})
}

// OpenWith opens the source named by spec. When it returns, the source's columns are known
// (a database source has connected and described its query; a JSON Lines file has been read up
// to Options.InferLines lines). All errors are *Error.
func OpenWith(ctx context.Context, spec string, opts Options) (Source, error) {
	kind, loc, err := parseSpec(spec)
	if err != nil {
		return nil, err
	}
	if opts.Query != "" && !kind.IsDatabase() {
		return nil, &Error{
			Pos:     Pos{File: loc},
			InQuery: true,
			Msg:     fmt.Sprintf("a SQL query cannot be used with a %s file", kind.Label()),
			Hint:    "remove the query, and select profiles with a filter instead; queries are for sqlite:, postgres:// and mysql:// sources",
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if isRemote(strings.ToLower(loc)) {
		return openRemote(ctx, kind, loc, opts)
	}
	switch kind {
	case KindCSV:
		return openCSV(loc)
	case KindJSONL:
		return openJSONL(loc, opts.InferLines)
	case KindSQLite:
		return openSQLite(ctx, loc, opts.Query)
	case KindParquet:
		return openParquetFile(ctx, loc)
	case KindMySQL:
		return openMySQL(ctx, loc, opts)
	default:
		return openPostgres(ctx, loc, opts)
	}
}

// CheckSpec validates a source string without touching the file or database: its form, a
// known file extension or scheme, and no password in a URL. It returns the source's kind.
// The error is an *Error.
func CheckSpec(spec string) (Kind, error) {
	k, _, err := parseSpec(spec)
	return k, err
}

// Label names the kind as people write it: "CSV", "JSON Lines", "PostgreSQL".
func (k Kind) Label() string {
	switch k {
	case KindCSV:
		return "CSV"
	case KindJSONL:
		return "JSON Lines"
	case KindSQLite:
		return "SQLite"
	case KindPostgres:
		return "PostgreSQL"
	case KindParquet:
		return "Parquet"
	case KindMySQL:
		return "MySQL"
	}
	return string(k)
}

// parseSpec splits a source string into its kind and location (a path, or a URL).
func parseSpec(spec string) (Kind, string, error) {
	s := strings.TrimSpace(spec)
	if s == "" {
		return "", "", &Error{Msg: "the source is empty",
			Hint: "name a CSV or JSON Lines file (customers.csv, customers.jsonl), a SQLite file (sqlite:customers.db) or a PostgreSQL URL (postgres://user@host:5432/db)"}
	}
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		if err := checkPostgresURL(s); err != nil {
			return "", "", err
		}
		return KindPostgres, s, nil
	case strings.HasPrefix(lower, "mysql://"):
		if err := checkMySQLURL(s); err != nil {
			return "", "", err
		}
		return KindMySQL, s, nil
	case strings.HasPrefix(lower, "sqlite:"):
		p := strings.TrimPrefix(s[len("sqlite:"):], "//")
		if p == "" {
			return "", "", &Error{Pos: Pos{File: s}, Msg: "the SQLite source names no file", Hint: `write sqlite:path/to/profiles.db`}
		}
		return KindSQLite, p, nil
	case isRemote(lower):
		rs, err := parseRemote(s, "")
		return rs.kind, s, err
	case strings.HasPrefix(lower, "csv:"):
		return fileKind(KindCSV, s[len("csv:"):], s)
	case strings.HasPrefix(lower, "jsonl:"):
		return fileKind(KindJSONL, s[len("jsonl:"):], s)
	case strings.HasPrefix(lower, "parquet:"):
		return fileKind(KindParquet, s[len("parquet:"):], s)
	case strings.Contains(s, "://"):
		scheme := s[:strings.Index(s, "://")]
		return "", "", &Error{Msg: fmt.Sprintf("unsupported source scheme %q", scheme),
			Hint: "use postgres:// (or postgresql://) for PostgreSQL, mysql:// for MySQL and MariaDB, sqlite:path for SQLite, or a path to a .csv or .jsonl file"}
	}
	switch innerExt(s) {
	case ".csv":
		return KindCSV, s, nil
	case ".jsonl", ".ndjson":
		return KindJSONL, s, nil
	case ".parquet":
		return KindParquet, s, nil
	}
	switch strings.ToLower(filepath.Ext(s)) {
	case ".sqlite", ".sqlite3", ".db":
		return KindSQLite, s, nil
	}
	if c := compressionOf(s); c != "" {
		return "", "", &Error{Pos: Pos{File: s}, Msg: "cannot tell the kind of the compressed file from its name",
			Hint: "name it like customers.csv" + c + ", customers.jsonl" + c + " or customers.parquet" + c + ", or prefix the path with csv:, jsonl: or parquet:"}
	}
	return "", "", &Error{Pos: Pos{File: s}, Msg: "cannot tell the kind of source from the file name",
		Hint: "use a .csv, .jsonl, .ndjson or .parquet file (optionally compressed: .csv.gz, .jsonl.zst), prefix the path with csv:, jsonl:, parquet: or sqlite:, or give a postgres:// URL"}
}

func fileKind(k Kind, p, spec string) (Kind, string, error) {
	if p == "" {
		return "", "", &Error{Pos: Pos{File: spec}, Msg: "the source names no file", Hint: "write " + string(k) + ":path/to/file"}
	}
	if isRemote(strings.ToLower(p)) {
		if _, err := parseRemote(p, k); err != nil {
			return "", "", err
		}
	}
	return k, p, nil
}

// checkPostgresURL rejects URLs that cannot be parsed or carry a password. The error never
// repeats the URL, which may hold the secret.
func checkPostgresURL(s string) error {
	u, uerr := checkDBURL(s, "PostgreSQL", "postgres://user@host:5432/database?sslmode=require",
		"remove the password from the URL and supply it with the PGPASSWORD environment variable, a ~/.pgpass file (PGPASSFILE), or the provider configuration",
		"password")
	if uerr != nil {
		return uerr
	}
	if u.Host == "" && u.Query().Get("host") == "" {
		return &Error{Msg: "the PostgreSQL URL names no host", Hint: "write postgres://user@host:5432/database"}
	}
	return nil
}

// checkDBURL parses the URL of a database source (label: "PostgreSQL", "MySQL") and refuses
// what would put a secret in the source string, which Terraform stores in state: a password in
// the user information or in a parameter named one of pwParams (pwHint says where it goes
// instead), parameters that url.Query() would drop unchecked, and a #fragment. example is the
// URL form the hints show. The errors never repeat the URL.
func checkDBURL(s, label, example, pwHint string, pwParams ...string) (*url.URL, *Error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, &Error{Msg: "the " + label + " URL cannot be parsed", Hint: "write " + example + " (percent-encode special characters)"}
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, &Error{Msg: "the " + label + " URL's parameters cannot be parsed (a ';' separator, or a malformed %-escape)",
			Hint: "write " + example + ", with parameters separated by '&'"}
	}
	if u.Fragment != "" || strings.HasSuffix(s, "#") {
		return nil, &Error{Msg: "the " + label + " URL has a #fragment, which names nothing in a database and may hold a secret; the source string is stored in Terraform state",
			Hint: "remove the # and what follows it"}
	}
	_, hasPw := u.User.Password()
	for k := range q {
		for _, p := range pwParams {
			hasPw = hasPw || strings.EqualFold(k, p)
		}
	}
	if hasPw {
		return nil, &Error{Msg: "the " + label + " URL contains a password; the source string is stored in Terraform state, so it must not hold a secret",
			Hint: pwHint}
	}
	return u, nil
}

// Error is a problem with a source: where it is, which column, what is wrong and what to do.
// Msg and Hint never contain profile values.
type Error struct {
	Pos     Pos    // file and line, or row; zero when the problem is not tied to a row
	Column  string // column name, when the problem is about one column
	Msg     string // what is wrong
	Hint    string // what to do about it
	InQuery bool   // the problem is with the SQL query (as opposed to the source string or the data)
	Err     error  // underlying error (for errors.Is / errors.As), not shown by Error
}

// Error returns "where, column "x": msg; hint".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Pos.String())
	if e.Column != "" {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString("column ")
		b.WriteString(strconv.Quote(e.Column))
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }
