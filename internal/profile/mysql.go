package profile

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-sql-driver/mysql"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/privacy"
)

// mysqlSource runs a query on a MySQL or MariaDB server over one connection and streams its
// result rows: the text protocol sends them one after another and the driver reads one at a
// time, so nothing is buffered whole.
//
// A segment never writes: the query passes checkMySQLQuery (one SELECT, WITH or VALUES
// statement; no INTO; no executable comments) before it reaches the server; the driver sends
// it without CLIENT_MULTI_STATEMENTS, so the server runs one statement at most, and never
// reads local files (LOAD DATA LOCAL is not enabled); the session is READ ONLY (SET SESSION
// TRANSACTION READ ONLY) and each scan runs the query inside its own START TRANSACTION READ
// ONLY, rolled back at the end.
type mysqlSource struct {
	desc  string // mysql://user@host:port/db, without parameters, for messages and Pos.File
	query string
	conn  driver.Connector
	dc    mysqlConn // nil after a dropped connection: the next Scan connects again
	where string    // host:port, for messages
	user  string
	db    string
	cols  []Column
	dbt   []string // the server's type name per column (DatabaseTypeName)
	// connID is the server's id of the connection, and running says that a query was sent on
	// it whose result has not been read to the end: dropping the connection then kills the
	// query (see drop).
	connID  string
	running bool
}

// mysqlConn is what the driver's connections offer: queries and statements without preparing.
type mysqlConn interface {
	driver.Conn
	driver.ExecerContext
	driver.QueryerContext
}

// mysqlConnectTimeout bounds connecting: the TCP connection, TLS, the login and the session's
// settings. A variable for tests.
var mysqlConnectTimeout = 15 * time.Second

// mysqlPasswordEnv is the variable the mysql client reads a password from.
const mysqlPasswordEnv = "MYSQL_PWD"

// mysqlLogger discards the driver's log lines, which go to standard error otherwise.
type mysqlLogger struct{}

func (mysqlLogger) Print(...any) {}

func openMySQL(ctx context.Context, rawURL string, opts Options) (Source, error) {
	desc := pgDescription(rawURL)
	cfg, err := mysqlConfig(rawURL, opts.Password)
	if err != nil {
		return nil, &Error{Pos: Pos{File: desc}, Msg: "the MySQL URL is not valid",
			Hint: "write mysql://user@host:3306/database (optionally ?tls=true)"}
	}
	s := &mysqlSource{desc: desc, query: opts.Query, where: cfg.Addr, user: cfg.User, db: cfg.DBName}
	if s.query == "" {
		s.query = DefaultQuery
	}
	if e := checkMySQLQuery(Pos{File: desc}, s.query); e != nil {
		return nil, e
	}
	if s.conn, err = mysql.NewConnector(cfg); err != nil {
		return nil, &Error{Pos: Pos{File: desc}, Msg: "the MySQL URL's settings are not valid",
			Hint: "write mysql://user@host:3306/database (optionally ?tls=true, false, skip-verify or preferred)"}
	}
	if err := s.connect(ctx); err != nil {
		return nil, err
	}
	if err := s.describe(ctx); err != nil {
		s.drop()
		return nil, err
	}
	return s, nil
}

// mysqlConfig turns a checked mysql:// URL into the driver's settings. The password comes
// from password, else from MYSQL_PWD; never from the URL (checkMySQLURL refuses one).
func mysqlConfig(rawURL, password string) (*mysql.Config, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	cfg := mysql.NewConfig()
	cfg.User = u.User.Username()
	cfg.Passwd = password
	if cfg.Passwd == "" {
		cfg.Passwd = os.Getenv(mysqlPasswordEnv)
	}
	port := u.Port()
	if port == "" {
		port = "3306"
	}
	cfg.Net = "tcp"
	cfg.Addr = net.JoinHostPort(u.Hostname(), port)
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	cfg.TLSConfig = u.Query().Get("tls")
	cfg.Timeout = mysqlConnectTimeout
	cfg.Loc = time.UTC
	cfg.Logger = mysqlLogger{}
	cfg.AllowAllFiles = false
	cfg.MultiStatements = false
	return cfg, nil
}

// mysqlURLParams are the parameters a mysql:// URL may carry, with their values.
var mysqlURLParams = map[string][]string{"tls": {"true", "false", "skip-verify", "preferred"}}

// checkMySQLURL rejects mysql:// URLs that cannot be parsed, carry a password, name no host
// or carry a parameter other than tls. The error never repeats the URL.
func checkMySQLURL(s string) error {
	u, uerr := checkDBURL(s, "MySQL", "mysql://user@host:3306/database?tls=true",
		"remove the password from the URL and supply it with the "+mysqlPasswordEnv+" environment variable or the provider's database_password",
		"password", "passwd")
	if uerr != nil {
		return uerr
	}
	if u.Hostname() == "" {
		return &Error{Msg: "the MySQL URL names no host", Hint: "write mysql://user@host:3306/database"}
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return &Error{Msg: "the MySQL URL's port is not a number from 1 to 65535", Hint: "write mysql://user@host:3306/database"}
		}
	}
	for k, vs := range u.Query() {
		allowed, ok := mysqlURLParams[k]
		if !ok {
			return &Error{Msg: fmt.Sprintf("the MySQL URL has the parameter %q, which a segment source does not take", k),
				Hint: "remove it; the only parameter is tls (true, false, skip-verify or preferred)"}
		}
		for _, v := range vs {
			if !slices.Contains(allowed, v) {
				return &Error{Msg: fmt.Sprintf("the MySQL URL's %s parameter must be one of %s", k, strings.Join(allowed, ", ")),
					Hint: "write for example mysql://user@host:3306/database?tls=true"}
			}
		}
	}
	return nil
}

// connect opens the connection and makes the session read-only, with times in UTC.
func (s *mysqlSource) connect(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, mysqlConnectTimeout)
	defer cancel()
	dc, err := s.conn.Connect(cctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if cctx.Err() != nil {
			err = errConnectTimeout
		}
		return s.connectError(err)
	}
	c, ok := dc.(mysqlConn)
	if !ok {
		_ = dc.Close()
		return &Error{Pos: Pos{File: s.desc}, Msg: "the MySQL driver cannot run queries without preparing them", Hint: "report this as a bug"}
	}
	s.dc, s.running = c, false
	err = s.exec(cctx, "SET SESSION TRANSACTION READ ONLY")
	if err == nil {
		err = s.exec(cctx, "SET time_zone = '+00:00'")
	}
	if err == nil {
		s.connID, err = s.connectionID(cctx)
	}
	if err != nil {
		s.drop()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if cctx.Err() != nil {
			return s.connectError(errConnectTimeout)
		}
		return s.queryError(err, 0)
	}
	return nil
}

// errConnectTimeout is the cause of a connection that took longer than mysqlConnectTimeout.
var errConnectTimeout = errors.New("no answer within the connection timeout")

func (s *mysqlSource) exec(ctx context.Context, stmt string) error {
	_, err := s.dc.ExecContext(ctx, stmt, nil)
	return err
}

// run starts a READ ONLY transaction and runs q in it.
func (s *mysqlSource) run(ctx context.Context, q string) (driver.Rows, error) {
	if err := s.exec(ctx, "START TRANSACTION READ ONLY"); err != nil {
		return nil, err
	}
	s.running = true
	rows, err := s.dc.QueryContext(ctx, q, nil)
	if _, failed := mysqlError(err); failed {
		s.running = false // the server answered with an error: the query ended
	}
	return rows, err
}

// drop closes the connection without reading what the server still sends, and the next Scan
// connects again. A server notices a closed connection only when it next sends, so a query
// still running (a long sort, a cancelled scan) is killed from a second connection.
func (s *mysqlSource) drop() {
	if s.dc == nil {
		return
	}
	_ = s.dc.Close()
	s.dc = nil
	if s.running && s.connID != "" {
		s.kill(s.connID)
	}
	s.running = false
}

// mysqlKillTimeout bounds killing a query after its connection was dropped.
const mysqlKillTimeout = 5 * time.Second

// kill ends the server's connection id (and its query), as best it can.
func (s *mysqlSource) kill(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), mysqlKillTimeout)
	defer cancel()
	dc, err := s.conn.Connect(ctx)
	if err != nil {
		return
	}
	defer func() { _ = dc.Close() }()
	if c, ok := dc.(driver.ExecerContext); ok {
		// The thread may have ended already ("Unknown thread id"): nothing to do then.
		_, _ = c.ExecContext(ctx, "KILL CONNECTION "+id, nil)
	}
}

// connectionID asks the server for the connection's id.
func (s *mysqlSource) connectionID(ctx context.Context) (string, error) {
	rows, err := s.dc.QueryContext(ctx, "SELECT CONNECTION_ID()", nil)
	if err != nil {
		return "", err
	}
	defer func() { _ = rows.Close() }()
	dest := make([]driver.Value, 1)
	if err := rows.Next(dest); err != nil {
		return "", err
	}
	switch id := dest[0].(type) {
	case int64:
		return strconv.FormatInt(id, 10), nil
	case uint64:
		return strconv.FormatUint(id, 10), nil
	}
	return "", fmt.Errorf("CONNECTION_ID() returned %T", dest[0])
}

// describe learns the query's columns. MySQL describes a result only when it sends the result,
// so the query (up to its first ';') runs as a derived table with LIMIT 0, which the server
// answers without reading rows. A query that cannot stand in a derived table (SELECT
// HIGH_PRIORITY, SQL_NO_CACHE, ...) runs as it is, until the server sends the column
// descriptions (with the first rows: as soon as they fill its network buffer, or at the end
// of the result), and the connection is then dropped and the query killed.
func (s *mysqlSource) describe(ctx context.Context) error {
	q := mysqlStatement(s.query)
	rows, err := s.run(ctx, "SELECT * FROM (\n"+q+"\n) AS sendgridaudience_columns LIMIT 0")
	if err == nil {
		err = s.setColumns(rows)
		if cerr := rows.Close(); cerr == nil {
			s.running = false
		}
		if err == nil {
			err = s.exec(ctx, "ROLLBACK")
		}
	}
	if _, ok := err.(*Error); ok || err == nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if s.dc == nil || s.exec(ctx, "ROLLBACK") != nil {
		s.drop()
		if err := s.connect(ctx); err != nil {
			return err
		}
	}
	rows, err = s.run(ctx, s.query)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return s.queryError(err, 0)
	}
	err = s.setColumns(rows)
	s.drop()
	return err
}

// setColumns records the columns of a result and checks their names.
func (s *mysqlSource) setColumns(rows driver.Rows) error {
	names := rows.Columns()
	typed, ok := rows.(driver.RowsColumnTypeDatabaseTypeName)
	if !ok {
		return &Error{Pos: Pos{File: s.desc}, Msg: "the MySQL driver does not describe column types", Hint: "report this as a bug"}
	}
	s.cols = make([]Column, len(names))
	s.dbt = make([]string, len(names))
	for i, n := range names {
		s.dbt[i] = typed.ColumnTypeDatabaseTypeName(i)
		s.cols[i] = Column{Name: n, Type: mysqlColumnType(s.dbt[i])}
	}
	return checkColumnNames(Pos{File: s.desc}, s.cols)
}

// mysqlColumnType maps a MySQL or MariaDB result column type to a Type:
//
//	TINYINT, SMALLINT, MEDIUMINT, INT, BIGINT (signed or not), YEAR, BIT   int
//	FLOAT, DOUBLE, DECIMAL                                                   double
//	DATE, DATETIME, TIMESTAMP                                                timestamp (UTC; a date is midnight UTC)
//	anything else (CHAR, VARCHAR, TEXT, ENUM, SET, JSON, TIME, BLOB, ...)   string, as the server writes it
//
// MySQL has no boolean type: BOOLEAN is TINYINT(1), an int 0 or 1.
func mysqlColumnType(dbType string) Type {
	switch strings.TrimPrefix(dbType, "UNSIGNED ") {
	case "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT", "YEAR", "BIT":
		return TypeInt
	case "FLOAT", "DOUBLE", "DECIMAL":
		return TypeDouble
	case "DATE", "DATETIME", "TIMESTAMP":
		return TypeTimestamp
	}
	return TypeString
}

func (s *mysqlSource) Kind() Kind        { return KindMySQL }
func (s *mysqlSource) Columns() []Column { return s.cols }

func (s *mysqlSource) Close() error {
	if s.conn == nil {
		return nil
	}
	var err error
	if s.dc != nil {
		err = s.dc.Close()
		s.dc = nil
	}
	s.conn = nil
	return err
}

func (s *mysqlSource) Scan(ctx context.Context, fn func(*Row) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.conn == nil {
		return &Error{Pos: Pos{File: s.desc}, Msg: "the source is closed", Hint: "open the source again"}
	}
	rows, err := s.start(ctx)
	if err != nil {
		return err
	}
	fnErr := s.readRows(ctx, rows, fn)
	if fnErr != nil {
		// Stopping early leaves the rest of the result unread; reading it to the end could
		// take as long as the whole scan, so drop the connection instead.
		s.drop()
		if fnErr == ErrStop {
			fnErr = nil
		}
		return fnErr
	}
	err = rows.Close()
	if err == nil {
		s.running = false
		// The transaction read only: end it without keeping anything.
		err = s.exec(ctx, "ROLLBACK")
	}
	if err != nil {
		s.drop()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return s.queryError(err, 0)
	}
	return nil
}

// start connects again if the connection was dropped, and runs the query in a READ ONLY
// transaction, checking that it still returns the columns Open saw.
func (s *mysqlSource) start(ctx context.Context) (driver.Rows, error) {
	if s.dc == nil {
		if err := s.connect(ctx); err != nil {
			return nil, err
		}
	}
	rows, err := s.run(ctx, s.query)
	if err != nil {
		if ctx.Err() != nil {
			s.drop()
			return nil, ctx.Err()
		}
		e := s.queryError(err, 0)
		s.drop()
		return nil, e
	}
	names := rows.Columns()
	typed, _ := rows.(driver.RowsColumnTypeDatabaseTypeName)
	same := typed != nil && len(names) == len(s.cols)
	for i := 0; same && i < len(names); i++ {
		same = names[i] == s.cols[i].Name && mysqlColumnType(typed.ColumnTypeDatabaseTypeName(i)) == s.cols[i].Type
	}
	if !same {
		s.drop()
		return nil, &Error{Pos: Pos{File: s.desc}, InQuery: true, Msg: "the query's columns changed after the source was opened", Hint: "run again"}
	}
	return rows, nil
}

// readRows calls fn for each row of rows; it returns fn's error, the scan's, or nil at the end.
func (s *mysqlSource) readRows(ctx context.Context, rows driver.Rows, fn func(*Row) error) error {
	ncol := len(s.cols)
	dest := make([]driver.Value, ncol)
	row := &Row{Values: make([]any, ncol)}
	row.Pos.File = s.desc
	intern := newInterner(ncol)
	for n := int64(1); ; n++ {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		row.Pos.Row = n
		if err := rows.Next(dest); err != nil {
			if err == io.EOF {
				return nil
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return s.queryError(err, n)
		}
		for i, v := range dest {
			val, err := s.value(row.Pos, i, v, intern)
			if err != nil {
				return err
			}
			row.Values[i] = val
		}
		if err := fn(row); err != nil {
			return err
		}
	}
}

// value converts what the driver read for column i into a value of the column's type. The
// driver gives int64 for signed integers, uint64 for BIGINT UNSIGNED, float32 for FLOAT,
// float64 for DOUBLE and the server's text ([]byte, valid until the next row) otherwise.
func (s *mysqlSource) value(pos Pos, i int, v driver.Value, intern *interner) (any, error) {
	if v == nil {
		return nil, nil
	}
	col := s.cols[i]
	if b, ok := v.([]byte); ok && len(b) > MaxValueBytes {
		return nil, valueTooLong(pos, col.Name, len(b))
	}
	var (
		out any
		ok  bool
	)
	switch x := v.(type) {
	case int64:
		out, ok = x, col.Type == TypeInt
	case uint64:
		out, ok = int64(x), col.Type == TypeInt && x <= math.MaxInt64
	case float64:
		out, ok = x, col.Type == TypeDouble
	case float32:
		// The shortest text of the float32 reads as the number the server shows (1.1, not 1.100000023841858).
		f, err := strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
		out, ok = f, col.Type == TypeDouble && err == nil
	case []byte:
		out, ok = s.textValue(i, x, intern)
	}
	if !ok {
		return nil, &Error{Pos: pos, Column: col.Name, Msg: "the " + s.dbt[i] + " value cannot be read as " + string(col.Type), Hint: mysqlValueHint(col.Type, s.dbt[i])}
	}
	return out, nil
}

// mysqlValueHint says how to read a value that does not fit its column's type.
func mysqlValueHint(t Type, dbType string) string {
	switch {
	case t == TypeTimestamp:
		return "zero dates (0000-00-00) and dates with a zero month or day are not dates: read them as NULL with NULLIF(x, '0000-00-00'), or as text with CAST(x AS CHAR)"
	case dbType == "UNSIGNED BIGINT":
		return "values above 9223372036854775807 do not fit an int: read the column as text with CAST(x AS CHAR)"
	case t == TypeString:
		return "the value is not UTF-8 text (binary data?): leave the column out of the query, or convert it there (for example HEX(x))"
	}
	return "convert the column in the query (for example CAST(x AS CHAR))"
}

// textValue reads the server's text of a value of column i (a DECIMAL, a date, a BIT's bytes,
// a string).
func (s *mysqlSource) textValue(i int, b []byte, intern *interner) (any, bool) {
	switch s.cols[i].Type {
	case TypeDouble:
		f, err := strconv.ParseFloat(string(b), 64)
		return f, err == nil
	case TypeInt:
		// BIT(n): big-endian bytes.
		if len(b) > 8 || len(b) == 8 && b[0]&0x80 != 0 {
			return nil, false
		}
		var n int64
		for _, c := range b {
			n = n<<8 | int64(c)
		}
		return n, true
	case TypeTimestamp:
		return parseMySQLTime(b)
	}
	if !utf8.Valid(b) {
		return nil, false
	}
	return intern.str(i, b), true
}

// parseMySQLTime reads DATE, DATETIME and TIMESTAMP text (the session's time zone is UTC).
// Zero dates and dates with a zero month or day are not dates.
func parseMySQLTime(b []byte) (any, bool) {
	layout := "2006-01-02"
	if len(b) > len(layout) {
		layout = "2006-01-02 15:04:05.999999"
	}
	t, err := time.ParseInLocation(layout, string(b), time.UTC)
	return t, err == nil
}

// mysqlTablesQuery lists the tables and views of the URL's database (or of every database
// but the server's own when the URL names none): schema and name, at most 20.
const mysqlTablesQuery = `SELECT table_schema, table_name FROM information_schema.tables
WHERE (DATABASE() IS NULL AND table_schema NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys'))
   OR table_schema = DATABASE()
ORDER BY table_schema, table_name LIMIT 20`

// tables lists the tables a query could read, as a query names them; false when they cannot
// be listed.
func (s *mysqlSource) tables(ctx context.Context) ([]string, bool) {
	if s.dc == nil {
		return nil, false
	}
	rows, err := s.dc.QueryContext(ctx, mysqlTablesQuery, nil)
	if err != nil {
		return nil, false
	}
	defer func() { _ = rows.Close() }()
	var out []string
	dest := make([]driver.Value, 2)
	for rows.Next(dest) == nil {
		schema, _ := dest[0].([]byte)
		name, _ := dest[1].([]byte)
		t := mysqlName(string(name))
		if s.db == "" {
			t = mysqlName(string(schema)) + "." + t
		}
		out = append(out, t)
	}
	return out, true
}

// mysqlName quotes a name with backticks when a query cannot use it as it is.
func mysqlName(name string) string {
	if isSQLName(name) {
		return name
	}
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// mysqlError returns the server's error, if err is one.
func mysqlError(err error) (*mysql.MySQLError, bool) {
	var me *mysql.MySQLError
	ok := errors.As(err, &me)
	return me, ok
}

// queryError turns a failure of the query into *Error, masking any data values the server quoted.
func (s *mysqlSource) queryError(err error, row int64) error {
	pos := Pos{File: s.desc, Row: row}
	me, ok := mysqlError(err)
	if !ok {
		s.drop()
		return &Error{Pos: pos, Msg: "the connection to MySQL was lost: " + privacy.Scrub(err.Error(), s.query), Err: err,
			Hint: "check the server and the network, then run again"}
	}
	raw := me.Message
	if s.db != "" {
		// "Table 'db.name' doesn't exist": the query names the table without the database.
		raw = strings.ReplaceAll(raw, "'"+s.db+".", "'")
	}
	msg := privacy.Scrub(raw, s.query)
	e := &Error{Pos: pos, InQuery: true, Msg: fmt.Sprintf("the query failed: %s (error %d, SQLSTATE %s)", msg, me.Number, string(me.SQLState[:])), Err: err,
		Hint: "check the query against the database's tables and columns"}
	switch me.Number {
	case 1146: // ER_NO_SUCH_TABLE
		if s.query == DefaultQuery {
			e.Msg = fmt.Sprintf("the database has no table named profiles, which is read when no query is given (error %d)", me.Number)
			e.Hint = "set the query to read the table that holds the profiles"
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if tables, ok := s.tables(ctx); ok {
			e.Hint = missingTableHint(tables, s.query == DefaultQuery)
		}
	case 1792, 1290, 1836: // read-only transaction, read-only server, read-only mode
		e.Hint = "segment queries run in a read-only transaction; write a SELECT"
	case 1142, 1143, 1044: // command, column or database denied
		e.Hint = "grant the database user SELECT on the tables the query reads"
	}
	return e
}

// connectError explains why connecting failed, without the password.
func (s *mysqlSource) connectError(err error) error {
	pos := Pos{File: s.desc}
	if me, ok := mysqlError(err); ok {
		switch me.Number {
		case 1045: // ER_ACCESS_DENIED_ERROR
			return &Error{Pos: pos, Msg: fmt.Sprintf("MySQL at %s rejected the login of user %q (error 1045)", s.where, s.user), Err: err,
				Hint: "supply the password with the " + mysqlPasswordEnv + " environment variable or the provider's database_password, and check the user's host in the server's grants"}
		case 1049: // ER_BAD_DB_ERROR
			return &Error{Pos: pos, Msg: fmt.Sprintf("MySQL at %s has no database %q (error 1049)", s.where, s.db), Err: err,
				Hint: "check the database name in the URL's path"}
		case 1044: // ER_DBACCESS_DENIED_ERROR
			return &Error{Pos: pos, Msg: fmt.Sprintf("MySQL at %s refused user %q access to database %q (error 1044)", s.where, s.user, s.db), Err: err,
				Hint: "grant the user SELECT on the database, or check the database name in the URL's path"}
		}
		return &Error{Pos: pos, Msg: fmt.Sprintf("MySQL at %s refused the connection: %s (error %d)", s.where, privacy.Scrub(me.Message, ""), me.Number), Err: err,
			Hint: "check the URL, the user and the server's settings"}
	}
	cause := err.Error()
	var oe *net.OpError
	var ne net.Error
	switch {
	case errors.As(err, &oe) && oe.Err != nil:
		cause = oe.Err.Error()
		if se := errors.Unwrap(oe.Err); se != nil {
			cause = se.Error()
		}
	case errors.As(err, &ne) && ne.Timeout():
		cause = "timed out"
	case errors.Is(err, errConnectTimeout):
		cause = "the server did not answer within " + mysqlConnectTimeout.String()
	}
	return &Error{Pos: pos, Msg: fmt.Sprintf("cannot connect to MySQL at %s: %s", s.where, cause), Err: err,
		Hint: "check that the server is running and reachable from this machine (host, port, firewall, tls); the connection is tried for at most " + mysqlConnectTimeout.String()}
}
