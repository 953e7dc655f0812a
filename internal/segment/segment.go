// Package segment selects profiles: a segment is a profile source (see internal/profile), an
// optional SQL query (database sources only, run where the data lives) and an optional CEL
// filter evaluated on each profile. It knows nothing about Terraform.
//
// # Filters
//
// A filter is a CEL expression (https://cel.dev) that must evaluate to a bool. It is compiled
// and type-checked against the source's columns when the segment is opened, so a misspelt
// column or a type error fails before any row is read, with the line and column in the
// expression, the message, and the line of the expression with a caret under the problem.
//
// Each column is a CEL variable of its type, under its own name:
//
//	string → string, int → int, double → double, bool → bool, timestamp → google.protobuf.Timestamp
//
// String, int, double and bool columns are declared nullable (CEL wrapper types), so that
// `col == null` and `col != null` type-check. A column whose name is not a CEL identifier
// ("first name", "e-mail", a reserved word such as "in") is no variable; every column, whatever
// its name, is also in the map `profile` (map(string, dyn)): profile["first name"]. Its values
// are dynamically typed (checked when the filter runs) and NULL columns are present as null.
// (A column named "profile" takes the name, and the map is then not declared.) The
// variables are resolved from the current row without copying it; the map is built only for
// rows of filters that use it.
//
// Besides the standard library the filter has CEL's string extensions (lowerAscii,
// upperAscii, trim, split, ...) and compares numbers across types (lifetime_value > 100 works
// for a double column).
//
// # Cost
//
// A filter is bounded in CEL's cost units (see limits.go): when the segment is opened, a filter
// whose estimated worst-case cost per profile exceeds MaxEstimatedCost (1,000,000,000, with
// text values up to 16 MiB) is refused, naming the filter; while a scan runs, each profile's
// evaluation stops past MaxRowCost (1,000,000) with an error naming the row, and a cancelled
// context stops an evaluation within 100 comprehension steps. Nested exists, all, map and
// filter over lists are what these limits catch. Filters estimated below the limits (most
// filters) run without cost tracking and context checks, which would slow every row.
//
// # Errors that could quote data
//
// Evaluation errors never quote the row: a missing map key, an index out of range and an
// invalid regular expression are described without the key, index or pattern, and any other
// message passes through privacy.Scrub with the row's values. Lists of columns in messages
// stop after 20 columns ("and N more").
//
// # Values that do not fit their column
//
// A row holding a value that does not fit its column's type (profile.Row.Invalid: a "yes" in a
// JSON Lines column of booleans, "forty" in a CSV "age:int" column) is not filtered: the filter
// cannot tell what the value means, so Scan and ScanAll hand the row on as selected, with
// Row.Invalid set, and an export reports it as an invalid profile (skipped or failing, as its
// invalid_profiles says) with its position, column and masked value. The column keeps its type.
//
// # NULL
//
// A NULL (or missing) value is CEL's null. `col == null` tests for it. Using a NULL value in
// any other operation (`lifetime_value > 100.0` on a row where it is NULL) is an evaluation
// error that stops the scan with an error naming the row and the NULL columns; guard such
// columns: `lifetime_value != null && lifetime_value > 100.0`. CEL's && and || absorb errors
// when the other side decides the result, as in that example. A filter that evaluates to null
// (a nullable bool column used alone, such as `marketing_opt_in`) does not select the row.
// In CSV sources an empty field of a string column is "" (not NULL).
package segment

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/profile"
)

// Spec describes a segment.
type Spec struct {
	// Name identifies the segment in messages.
	Name string
	// Source names the profile source: a .csv or .jsonl file, sqlite:path, or a postgres:// or
	// mysql:// URL without password (see internal/profile).
	Source string
	// Query is an optional SQL query; database sources only.
	Query string
	// Filter is an optional CEL expression over each profile's columns (see the package documentation).
	Filter string
	// Password is an optional database password (PostgreSQL, MySQL) from provider
	// configuration; without it PGPASSWORD or ~/.pgpass, or MYSQL_PWD, is used. It is never
	// part of messages.
	Password string
	// Remote configures s3:// and https:// sources (S3 endpoint, region, path-style).
	Remote profile.RemoteOptions
}

// Error is a problem with a segment, naming the attribute at fault: "source", "query" or
// "filter". For source and query problems Pos, Column, Msg and Hint are those of the
// *profile.Error in Err. Msg and Hint never contain profile values.
type Error struct {
	Segment   string      // Spec.Name
	Attribute string      // "source", "query" or "filter"
	Pos       profile.Pos // the row (or file) concerned, if any
	Column    string      // the column concerned, if any
	Msg       string      // what is wrong; for filter compile errors "filter:LINE:COL: message" and the line with a caret
	Hint      string      // what to do
	Err       error       // the underlying *profile.Error, if any
}

// Error returns `segment "name": attribute: where, column "c": msg; hint` (the hint goes on
// a line of its own when msg spans lines).
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("segment")
	if e.Segment != "" {
		b.WriteString(" ")
		b.WriteString(strconv.Quote(e.Segment))
	}
	b.WriteString(": ")
	if e.Attribute != "" {
		b.WriteString(e.Attribute)
		b.WriteString(": ")
	}
	where := e.Pos.String()
	if e.Column != "" {
		if where != "" {
			where += ", "
		}
		where += "column " + strconv.Quote(e.Column)
	}
	if where != "" {
		b.WriteString(where)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Hint != "" {
		if strings.Contains(e.Msg, "\n") {
			b.WriteString("\n")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Segment is an open segment. It is not safe for concurrent use.
type Segment struct {
	spec Spec
	src  profile.Source
	flt  *filter
}

// Check validates a spec without opening the source: the source string (its form and no
// password in a URL), a query only for database sources, and the filter's syntax (its types
// need the columns, which only Open knows). It is meant for plan-time validation of values
// that are known. The error is an *Error.
func Check(spec Spec) error {
	kind, err := profile.CheckSpec(spec.Source)
	if err != nil {
		return sourceError(spec, err)
	}
	if err := checkQuery(spec, kind); err != nil {
		return err
	}
	if strings.TrimSpace(spec.Filter) != "" {
		if err := parseFilter(spec); err != nil {
			return err
		}
	}
	return nil
}

func checkQuery(spec Spec, kind profile.Kind) error {
	q := strings.TrimSpace(spec.Query)
	if q != "" && !kind.IsDatabase() {
		return &Error{Segment: spec.Name, Attribute: "query",
			Msg:  fmt.Sprintf("a SQL query applies only to database sources (sqlite:, postgres://, mysql://), and this source is a %s file", kind.Label()),
			Hint: "remove the query and select profiles with the filter attribute (a CEL expression), or load the file into SQLite"}
	}
	if q != "" && kind == profile.KindSQLite {
		if err := profile.CheckSQLiteQuery(q); err != nil {
			return sourceError(spec, err)
		}
	}
	if q != "" && kind == profile.KindMySQL {
		if err := profile.CheckMySQLQuery(q); err != nil {
			return sourceError(spec, err)
		}
	}
	return nil
}

// Open opens the segment's source (connecting to a database and describing the query), and
// compiles and type-checks the filter against the source's columns. The caller must Close the
// segment. All errors are *Error (or ctx.Err()).
func Open(ctx context.Context, spec Spec) (*Segment, error) {
	kind, err := profile.CheckSpec(spec.Source)
	if err != nil {
		return nil, sourceError(spec, err)
	}
	if err := checkQuery(spec, kind); err != nil {
		return nil, err
	}
	qctx, cancel := queryDeadline(ctx, kind)
	src, err := profile.OpenWith(qctx, spec.Source, profile.Options{Query: strings.TrimSpace(spec.Query), Password: spec.Password, Remote: spec.Remote})
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(qctx.Err(), context.DeadlineExceeded) {
			return nil, queryTooLong(spec)
		}
		return nil, sourceError(spec, err)
	}
	s := &Segment{spec: spec, src: src}
	if strings.TrimSpace(spec.Filter) != "" {
		s.flt, err = compileFilter(spec, src.Columns())
		if err != nil {
			_ = src.Close()
			return nil, err
		}
	}
	return s, nil
}

// sourceError wraps a *profile.Error as *Error, attributed to the query or the source.
func sourceError(spec Spec, err error) error {
	pe, ok := err.(*profile.Error)
	if !ok {
		return err
	}
	attr := "source"
	if pe.InQuery && spec.Query != "" {
		attr = "query"
	}
	return &Error{Segment: spec.Name, Attribute: attr, Pos: pe.Pos, Column: pe.Column, Msg: pe.Msg, Hint: pe.Hint, Err: pe}
}

// Spec returns the spec the segment was opened with.
func (s *Segment) Spec() Spec { return s.spec }

// Kind returns the kind of the segment's source.
func (s *Segment) Kind() profile.Kind { return s.src.Kind() }

// SourceVersion identifies the version of a remote object (its ETag, S3 version ID and size,
// from a HEAD request) without reading it; "" for other sources and stores that tell none.
func (s *Segment) SourceVersion() string {
	if v, ok := s.src.(interface{ SourceVersion() string }); ok {
		return v.SourceVersion()
	}
	return ""
}

// Columns returns the source's columns (the caller must not modify the slice).
func (s *Segment) Columns() []profile.Column { return s.src.Columns() }

// Scan calls fn with each profile the filter selects (every profile without a filter), in
// source order. fn must not retain the *Row or its Values slice (see profile.Row); returning
// profile.ErrStop ends the scan with nil, any other error ends it with that error, unchanged.
// Problems with the source or the filter are *Error. Scan may be called again; each call
// reads the source from the start.
func (s *Segment) Scan(ctx context.Context, fn func(*profile.Row) error) error {
	return s.scan(ctx, func(r *profile.Row, selected bool) error {
		if !selected {
			return nil
		}
		return fn(r)
	})
}

// ScanAll calls fn with every profile of the source and whether the filter selects it (true
// for all without a filter). Otherwise it is Scan.
func (s *Segment) ScanAll(ctx context.Context, fn func(row *profile.Row, selected bool) error) error {
	return s.scan(ctx, fn)
}

// MaxQueryDuration bounds how long one read of a database source (its query, and a scan of
// its rows) may run, so that a query without end that returns no rows (which MaxSourceRows
// cannot stop) does not keep a plan busy without bound.
var MaxQueryDuration = time.Hour

// queryDeadline gives database sources MaxQueryDuration; files are bounded by their size and
// read with ctx as it is (the cancel function returned then does nothing).
func queryDeadline(ctx context.Context, kind profile.Kind) (context.Context, context.CancelFunc) {
	if !kind.IsDatabase() {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, MaxQueryDuration)
}

func queryTooLong(spec Spec) error {
	attr := "source"
	if spec.Query != "" {
		attr = "query"
	}
	return &Error{Segment: spec.Name, Attribute: attr,
		Msg:  fmt.Sprintf("the query ran for more than %s, the longest a segment's query may run, and was stopped", MaxQueryDuration),
		Hint: "select where the data lives with a bounded query (a recursive WITH needs a condition that ends it), or export the profiles to a file"}
}

// MaxSourceRows bounds the rows one scan of a segment reads (before its filter), so that a
// source or query without end cannot keep a plan busy without bound. It is ten times the
// largest CSV import SendGrid takes (1,000,000 contacts).
var MaxSourceRows = 10_000_000

func (s *Segment) scan(ctx context.Context, fn func(*profile.Row, bool) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var fnErr error
	rows := 0
	qctx, cancel := queryDeadline(ctx, s.src.Kind())
	defer cancel()
	err := s.src.Scan(qctx, func(r *profile.Row) error {
		if rows++; rows > MaxSourceRows {
			return &profile.Error{Pos: r.Pos, InQuery: s.src.Kind().IsDatabase(),
				Msg:  fmt.Sprintf("the source returns more than %d rows, the most a segment reads", MaxSourceRows),
				Hint: "select fewer rows where the data lives (a query's WHERE or LIMIT), or split the source into several segments; a query that never ends (a recursive WITH without a bound) also stops here"}
		}
		sel := true
		if s.flt != nil && len(r.Invalid) == 0 {
			var ferr error
			if sel, ferr = s.flt.eval(ctx, r); ferr != nil {
				return ferr
			}
		}
		if err := fn(r, sel); err != nil {
			if err != profile.ErrStop {
				fnErr = err
			}
			return err
		}
		return nil
	})
	if err == nil || (fnErr != nil && err == fnErr) {
		return err
	}
	if ctx.Err() == nil && errors.Is(qctx.Err(), context.DeadlineExceeded) {
		return queryTooLong(s.spec)
	}
	if _, ok := err.(*profile.Error); ok {
		return sourceError(s.spec, err)
	}
	return err
}

// DescribeInvalid says where an invalid value is and what is wrong with it, without the value:
// `customers.jsonl line 3, column "opt-in": the value is a string, but the column is bool
// (y*** (3 chars))`.
func DescribeInvalid(pos profile.Pos, iv profile.InvalidValue) string {
	if iv.Line > 0 {
		pos.Line = iv.Line
	}
	return fmt.Sprintf("%s, column %q: %s (%s)", pos.String(), iv.Name, iv.Msg, iv.Masked)
}

// Close closes the source.
func (s *Segment) Close() error { return s.src.Close() }
