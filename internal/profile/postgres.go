package profile

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/privacy"
)

// pgSource runs a query on a PostgreSQL server over one connection and streams its result rows
// (the rows are read from the connection as the scan consumes them, never buffered whole).
// The session is read-only (default_transaction_read_only=on) and each scan runs the query as
// one prepared statement (PostgreSQL refuses several commands in one) inside its own
// BEGIN TRANSACTION READ ONLY: a segment never writes.
type pgSource struct {
	desc  string // postgres://user@host:port/db, without parameters, for messages and Pos.File
	query string
	cfg   *pgconn.Config
	conn  *pgconn.PgConn
	tmap  *pgtype.Map
	cols  []Column
	oids  []uint32
	fmts  []int16 // result format per column: binary for numbers, booleans and times, text otherwise
}

// maxPGMessageBytes bounds one message from the server, such as a result row.
const maxPGMessageBytes = 4 * MaxValueBytes

// pgConnectTimeout bounds connecting when the URL sets no connect_timeout.
const pgConnectTimeout = 15 * time.Second

func openPostgres(ctx context.Context, rawURL string, opts Options) (Source, error) {
	desc := pgDescription(rawURL)
	cfg, err := pgconn.ParseConfig(rawURL)
	if err != nil {
		// ParseConfig errors can quote the connection string; show none of it.
		return nil, &Error{Pos: Pos{File: desc}, Msg: "the PostgreSQL URL is not valid",
			Hint: "write postgres://user@host:5432/database?sslmode=require; see the libpq connection URI documentation for parameters"}
	}
	if opts.Password != "" {
		cfg.Password = opts.Password
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = pgConnectTimeout
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "terraform-provider-sendgridaudience"
	}
	cfg.RuntimeParams["default_transaction_read_only"] = "on"
	// A row arrives in one protocol message: bound it, so that a huge value fails before it
	// is held in memory whole (each value is bounded again at MaxValueBytes).
	cfg.MaxProtocolMessageBodyLen = maxPGMessageBytes
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, pgConnectError(desc, cfg, err)
	}
	s := &pgSource{desc: desc, query: opts.Query, cfg: cfg, conn: conn, tmap: pgtype.NewMap()}
	if s.query == "" {
		s.query = DefaultQuery
	}
	fields, err := s.prepare(ctx)
	if err != nil {
		_ = conn.Close(context.Background())
		return nil, err
	}
	s.cols = make([]Column, len(fields))
	s.oids = make([]uint32, len(fields))
	s.fmts = make([]int16, len(fields))
	for i, f := range fields {
		t, binary := pgColumnType(f.DataTypeOID)
		s.cols[i] = Column{Name: f.Name, Type: t}
		s.oids[i] = f.DataTypeOID
		if binary {
			s.fmts[i] = pgtype.BinaryFormatCode
		}
	}
	if err := checkColumnNames(Pos{File: desc}, s.cols); err != nil {
		_ = conn.Close(context.Background())
		return nil, err
	}
	return s, nil
}

// pgDescription returns scheme://user@host:port/database from a URL, without parameters.
func pgDescription(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "postgres://"
	}
	d := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	if u.User != nil {
		d.User = url.User(u.User.Username())
	}
	return d.String()
}

// pgColumnType maps a PostgreSQL type to a Type, and says whether the column is read in
// binary format:
//
//	boolean                                   bool
//	smallint, integer, bigint, oid            int
//	real, double precision, numeric           double
//	date, timestamp, timestamp with time zone timestamp (UTC; a date is midnight UTC)
//	anything else (text, varchar, char, uuid, json, enums, arrays, ...)
//	                                          string, as PostgreSQL writes it as text
func pgColumnType(oid uint32) (Type, bool) {
	switch oid {
	case pgtype.BoolOID:
		return TypeBool, true
	case pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID, pgtype.OIDOID:
		return TypeInt, true
	case pgtype.Float4OID, pgtype.Float8OID, pgtype.NumericOID:
		return TypeDouble, true
	case pgtype.DateOID, pgtype.TimestampOID, pgtype.TimestamptzOID:
		return TypeTimestamp, true
	}
	return TypeString, false
}

func (s *pgSource) prepare(ctx context.Context) ([]pgconn.FieldDescription, error) {
	sd, err := s.conn.Prepare(ctx, "", s.query, nil)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		e := s.queryError(err, 0)
		var pe *pgconn.PgError
		if qe, ok := e.(*Error); ok && errors.As(err, &pe) && pe.Code == "42P01" {
			if tables, ok := s.tables(ctx); ok {
				qe.Hint = missingTableHint(tables, s.query == DefaultQuery)
			}
		}
		return nil, e
	}
	if len(sd.ParamOIDs) > 0 {
		return nil, &Error{Pos: Pos{File: s.desc}, InQuery: true, Msg: fmt.Sprintf("the query has %d parameter placeholder(s) ($1, ...)", len(sd.ParamOIDs)),
			Hint: "write the values into the query itself; segment queries take no parameters"}
	}
	return sd.Fields, nil
}

// pgTablesQuery lists the tables and views the user can see, as a query names them (schema
// and quotes when needed), those of the public schema first; at most 20.
const pgTablesQuery = `SELECT CASE WHEN table_schema = 'public' THEN quote_ident(table_name)
  ELSE quote_ident(table_schema) || '.' || quote_ident(table_name) END
FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
ORDER BY table_schema <> 'public', 1 LIMIT 20`

// tables lists the tables a query could read; false when they cannot be listed (as inside a
// transaction a failed query has aborted).
func (s *pgSource) tables(ctx context.Context) ([]string, bool) {
	res, err := s.conn.Exec(ctx, pgTablesQuery).ReadAll()
	if err != nil || len(res) != 1 || res[0].Err != nil {
		return nil, false
	}
	out := make([]string, 0, len(res[0].Rows))
	for _, row := range res[0].Rows {
		if len(row) == 1 {
			out = append(out, string(row[0]))
		}
	}
	return out, true
}

func (s *pgSource) Kind() Kind        { return KindPostgres }
func (s *pgSource) Columns() []Column { return s.cols }

func (s *pgSource) Close() error {
	if s.conn == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.conn.Close(ctx)
	s.conn = nil
	return err
}

func (s *pgSource) Scan(ctx context.Context, fn func(*Row) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.conn == nil {
		return &Error{Pos: Pos{File: s.desc}, Msg: "the source is closed", Hint: "open the source again"}
	}
	if err := s.start(ctx); err != nil {
		return err
	}
	dec := s.newDecoder()
	rr := s.conn.ExecPrepared(ctx, "", nil, nil, s.fmts)
	row := &Row{Values: make([]any, len(s.cols))}
	row.Pos.File = s.desc
	var fnErr error
	for n := int64(1); rr.NextRow(); n++ {
		if n&1023 == 0 {
			if fnErr = ctx.Err(); fnErr != nil {
				break
			}
		}
		row.Pos.Row = n
		if fnErr = dec.decode(row, rr.Values()); fnErr == nil {
			fnErr = fn(row)
		}
		if fnErr != nil {
			break
		}
	}
	if fnErr != nil {
		return s.abort(rr, fnErr)
	}
	_, err := rr.Close()
	// The transaction read only: end it without keeping anything.
	_, rbErr := s.conn.Exec(ctx, "ROLLBACK").ReadAll()
	if err == nil {
		err = rbErr
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return s.queryError(err, 0)
	}
	return nil
}

// abort ends a scan stopped early (by fn, ErrStop, a bad value or ctx) and returns its error.
// Reading the rest of the result could take as long as the whole scan, so it drops the
// connection instead: the server ends the query when it can no longer send, and the next Scan
// connects again.
func (s *pgSource) abort(rr *pgconn.ResultReader, fnErr error) error {
	_ = s.conn.Conn().Close()
	_, _ = rr.Close()
	closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
	_ = s.conn.Close(closeCtx)
	cancel()
	if fnErr == ErrStop {
		return nil
	}
	return fnErr
}

// pgDecoder turns the raw values of a result row into a Row's values by column type: strings
// (interned) from the text format, the other types with pgx's scan plans for the binary format.
type pgDecoder struct {
	cols   []Column
	plans  []pgtype.ScanPlan
	intern *interner
	i64    int64
	f64    float64
	b      bool
	ts     time.Time
}

func (s *pgSource) newDecoder() *pgDecoder {
	d := &pgDecoder{cols: s.cols, plans: make([]pgtype.ScanPlan, len(s.cols)), intern: newInterner(len(s.cols))}
	for i, c := range s.cols {
		if s.fmts[i] != pgtype.BinaryFormatCode {
			continue
		}
		var target any
		switch c.Type {
		case TypeInt:
			target = &d.i64
		case TypeDouble:
			target = &d.f64
		case TypeBool:
			target = &d.b
		case TypeTimestamp:
			target = &d.ts
		}
		d.plans[i] = s.tmap.PlanScan(s.oids[i], pgtype.BinaryFormatCode, target)
	}
	return d
}

// decode fills row.Values from the raw values of one result row.
func (d *pgDecoder) decode(row *Row, vals [][]byte) error {
	for i, raw := range vals {
		if raw == nil {
			row.Values[i] = nil
			continue
		}
		if len(raw) > MaxValueBytes {
			return valueTooLong(row.Pos, d.cols[i].Name, len(raw))
		}
		var err error
		switch d.cols[i].Type {
		case TypeString:
			if !utf8.Valid(raw) {
				err = errors.New("invalid UTF-8")
			}
			row.Values[i] = d.intern.str(i, raw)
		case TypeInt:
			err = d.plans[i].Scan(raw, &d.i64)
			row.Values[i] = d.i64
		case TypeDouble:
			err = d.plans[i].Scan(raw, &d.f64)
			row.Values[i] = d.f64
		case TypeBool:
			err = d.plans[i].Scan(raw, &d.b)
			row.Values[i] = d.b
		case TypeTimestamp:
			err = d.plans[i].Scan(raw, &d.ts)
			row.Values[i] = d.ts.UTC()
		}
		if err != nil {
			return &Error{Pos: row.Pos, Column: d.cols[i].Name, Msg: "the value cannot be read as " + string(d.cols[i].Type),
				Hint: "convert the column in the query (for example CAST(x AS text)); infinite dates and timestamps cannot be exported"}
		}
	}
	return nil
}

// start connects again if the connection was dropped, begins a READ ONLY transaction and
// prepares the query.
func (s *pgSource) start(ctx context.Context) error {
	if s.conn.IsClosed() {
		// A cancelled scan or a network failure closed the connection: connect again.
		conn, err := pgconn.ConnectConfig(ctx, s.cfg)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return pgConnectError(s.desc, s.cfg, err)
		}
		s.conn = conn
	}
	// Each scan runs in an explicit READ ONLY transaction, so that a query cannot turn the
	// session's default off for a later scan (with set_config) and then write.
	if _, err := s.conn.Exec(ctx, "BEGIN TRANSACTION READ ONLY").ReadAll(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return s.queryError(err, 0)
	}
	fields, err := s.prepare(ctx)
	if err == nil {
		err = s.checkFields(fields)
	}
	if err != nil {
		_, _ = s.conn.Exec(ctx, "ROLLBACK").ReadAll()
		return err
	}
	return nil
}

// checkFields checks that the prepared query still returns the columns Open saw.
func (s *pgSource) checkFields(fields []pgconn.FieldDescription) error {
	if len(fields) != len(s.cols) {
		return &Error{Pos: Pos{File: s.desc}, InQuery: true, Msg: "the query's columns changed after the source was opened", Hint: "run again"}
	}
	for i, f := range fields {
		if f.DataTypeOID != s.oids[i] || f.Name != s.cols[i].Name {
			return &Error{Pos: Pos{File: s.desc}, InQuery: true, Column: s.cols[i].Name, Msg: "the query's columns changed after the source was opened", Hint: "run again"}
		}
	}
	return nil
}

// queryError turns a failure of the query into *Error, masking any data values the server quoted.
func (s *pgSource) queryError(err error, row int64) error {
	pos := Pos{File: s.desc, Row: row}
	var big *pgproto3.ExceededMaxBodyLenErr
	if errors.As(err, &big) {
		return &Error{Pos: pos, Msg: fmt.Sprintf("the server sent a message (a result row) of more than %d MiB; a row may hold at most %d MiB and a value %d MiB", maxPGMessageBytes>>20, maxPGMessageBytes>>20, MaxValueBytes>>20), Err: err,
			Hint: "leave long columns out of the query, or shorten them there (for example left(x, 1000))"}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		msg := privacy.Scrub(pe.Message, s.query)
		e := &Error{Pos: pos, InQuery: true, Msg: "the query failed: " + msg + " (SQLSTATE " + pe.Code + ")", Err: err,
			Hint: "check the query against the database's tables and columns"}
		if pe.Position > 0 {
			e.Msg += "\n" + pointAt(s.query, int(pe.Position))
		}
		if pe.Hint != "" {
			e.Hint = privacy.Scrub(pe.Hint, s.query)
		}
		switch {
		case pe.Code == "42P01" && s.query == DefaultQuery:
			e.Msg = "the database has no table named profiles, which is read when no query is given (SQLSTATE 42P01)"
			e.Hint = "set the query to read the table that holds the profiles"
		case pe.Code == "25006":
			e.Hint = "segment queries run in a read-only session; write a SELECT"
		case pe.Code == "42601" && strings.Contains(pe.Message, "multiple commands"):
			e.Hint = "write a single SELECT statement"
		case strings.HasPrefix(pe.Code, "42501"):
			e.Hint = "grant the database user SELECT on the tables the query reads"
		}
		return e
	}
	if s.conn.IsClosed() {
		return &Error{Pos: pos, Msg: "the connection to PostgreSQL was lost: " + privacy.Scrub(err.Error(), s.query), Err: err,
			Hint: "check the server and the network, then run again"}
	}
	return &Error{Pos: pos, InQuery: true, Msg: "the query failed: " + privacy.Scrub(err.Error(), s.query), Err: err}
}

// pointAt shows the line of query holding the 1-based character position pos, with a caret.
func pointAt(query string, pos int) string {
	runes := []rune(query)
	if pos < 1 || pos > len(runes)+1 {
		return ""
	}
	line, col := 1, 1
	start := 0
	for i := 0; i < pos-1 && i < len(runes); i++ {
		if runes[i] == '\n' {
			line++
			col = 1
			start = i + 1
			continue
		}
		col++
	}
	end := start
	for end < len(runes) && runes[end] != '\n' {
		end++
	}
	return fmt.Sprintf("query:%d:%d:\n | %s\n | %s^", line, col, string(runes[start:end]), strings.Repeat(".", col-1))
}

func pgConnectError(desc string, cfg *pgconn.Config, err error) error {
	pos := Pos{File: desc}
	where := net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port))
	if strings.HasPrefix(cfg.Host, "/") {
		where = cfg.Host
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "28P01", "28000":
			return &Error{Pos: pos, Msg: fmt.Sprintf("PostgreSQL at %s rejected the login of user %q (SQLSTATE %s)", where, cfg.User, pe.Code), Err: err,
				Hint: "supply the password with PGPASSWORD, a ~/.pgpass file (PGPASSFILE) or the provider configuration, and check the server's pg_hba.conf"}
		case "3D000":
			return &Error{Pos: pos, Msg: fmt.Sprintf("PostgreSQL at %s has no database %q (SQLSTATE 3D000)", where, cfg.Database), Err: err,
				Hint: "check the database name in the URL's path"}
		}
		return &Error{Pos: pos, Msg: fmt.Sprintf("PostgreSQL at %s refused the connection: %s (SQLSTATE %s)", where, pe.Message, pe.Code), Err: err,
			Hint: "check the URL, the user and the server's settings"}
	}
	cause := err.Error()
	var ne net.Error
	var oe *net.OpError
	switch {
	case errors.As(err, &oe) && oe.Err != nil:
		cause = oe.Err.Error()
		if se := errors.Unwrap(oe.Err); se != nil {
			cause = se.Error()
		}
	case errors.As(err, &ne) && ne.Timeout():
		cause = "timed out"
	}
	if strings.Contains(cause, "password") {
		// pgconn reports "no password supplied" and "server requested a password".
		return &Error{Pos: pos, Msg: fmt.Sprintf("PostgreSQL at %s asks for a password, and none was supplied", where), Err: err,
			Hint: "supply it with PGPASSWORD, a ~/.pgpass file (PGPASSFILE) or the provider configuration; never in the URL"}
	}
	return &Error{Pos: pos, Msg: fmt.Sprintf("cannot connect to PostgreSQL at %s: %s", where, cause), Err: err,
		Hint: "check that the server is running and reachable from this machine (host, port, firewall, sslmode); the connection is tried for at most " + pgConnectTimeout.String() + " unless the URL sets connect_timeout"}
}
