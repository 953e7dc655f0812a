package synth

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// Format is an output format.
type Format string

// The output formats.
const (
	CSV     Format = "csv"
	JSONL   Format = "jsonl"
	SQLite  Format = "sqlite"
	Parquet Format = "parquet"
)

// FormatOf guesses the format from a file name: .csv, .jsonl/.ndjson, .db/.sqlite/.sqlite3, .parquet.
func FormatOf(path string) (Format, bool) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return CSV, true
	case ".jsonl", ".ndjson":
		return JSONL, true
	case ".db", ".sqlite", ".sqlite3":
		return SQLite, true
	case ".parquet":
		return Parquet, true
	}
	return "", false
}

// CSVHeader is the header row WriteCSV writes. The typed columns carry a type suffix
// (see internal/profile), so that a CSV source reads them as numbers and booleans.
const CSVHeader = "email,first_name,last_name,country,state_province_region,city,postal_code,plan,lifetime_value:double,signup_date,marketing_opt_in:bool"

// WriteFile writes the data set to path in the given format, replacing the file.
func (g *Generator) WriteFile(ctx context.Context, path string, f Format) error {
	if f == SQLite {
		return g.WriteSQLite(ctx, path)
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	switch f {
	case CSV:
		err = g.WriteCSV(out)
	case JSONL:
		err = g.WriteJSONL(out)
	case Parquet:
		err = g.WriteParquet(out)
	default:
		err = fmt.Errorf("synth: unknown format %q", f)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// WriteCSV writes the data set as RFC 4180 CSV with CRLF line ends and the CSVHeader row.
// Fields holding commas, quotes or line breaks are quoted.
func (g *Generator) WriteCSV(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	if _, err := bw.WriteString(CSVHeader + "\r\n"); err != nil {
		return err
	}
	buf := make([]byte, 0, 512)
	err := g.Each(func(_ int, p *Profile) error {
		b := buf[:0]
		b = appendCSV(b, p.Email)
		b = append(b, ',')
		b = appendCSV(b, p.FirstName)
		b = append(b, ',')
		b = appendCSV(b, p.LastName)
		b = append(b, ',')
		b = appendCSV(b, p.Country)
		b = append(b, ',')
		b = appendCSV(b, p.StateProvinceRegion)
		b = append(b, ',')
		b = appendCSV(b, p.City)
		b = append(b, ',')
		b = appendCSV(b, p.PostalCode)
		b = append(b, ',')
		b = appendCSV(b, p.Plan)
		b = append(b, ',')
		b = strconv.AppendFloat(b, p.LifetimeValue, 'f', -1, 64)
		b = append(b, ',')
		b = append(b, p.SignupDate...)
		b = append(b, ',')
		b = strconv.AppendBool(b, p.MarketingOptIn)
		b = append(b, '\r', '\n')
		buf = b
		_, err := bw.Write(b)
		return err
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

func appendCSV(b []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\r\n") && (s == "" || (s[0] != ' ' && s[len(s)-1] != ' ')) {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// WriteJSONL writes the data set as JSON Lines: one object per line with the columns as keys,
// lifetime_value as a number and marketing_opt_in as a boolean.
func (g *Generator) WriteJSONL(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	buf := make([]byte, 0, 512)
	err := g.Each(func(_ int, p *Profile) error {
		b := append(buf[:0], `{"email":`...)
		b = appendJSONString(b, p.Email)
		b = append(b, `,"first_name":`...)
		b = appendJSONString(b, p.FirstName)
		b = append(b, `,"last_name":`...)
		b = appendJSONString(b, p.LastName)
		b = append(b, `,"country":`...)
		b = appendJSONString(b, p.Country)
		b = append(b, `,"state_province_region":`...)
		b = appendJSONString(b, p.StateProvinceRegion)
		b = append(b, `,"city":`...)
		b = appendJSONString(b, p.City)
		b = append(b, `,"postal_code":`...)
		b = appendJSONString(b, p.PostalCode)
		b = append(b, `,"plan":`...)
		b = appendJSONString(b, p.Plan)
		b = append(b, `,"lifetime_value":`...)
		b = appendJSONNumber(b, p.LifetimeValue)
		b = append(b, `,"signup_date":`...)
		b = appendJSONString(b, p.SignupDate)
		b = append(b, `,"marketing_opt_in":`...)
		b = strconv.AppendBool(b, p.MarketingOptIn)
		b = append(b, '}', '\n')
		buf = b
		_, err := bw.Write(b)
		return err
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// appendJSONNumber writes a double so that JSON Lines inference reads the column as double:
// whole values get ".0" (a data set where the first rows all held whole amounts would
// otherwise make the column int).
func appendJSONNumber(b []byte, f float64) []byte {
	n := len(b)
	b = strconv.AppendFloat(b, f, 'f', -1, 64)
	if !strings.ContainsAny(string(b[n:]), ".eE") {
		b = append(b, '.', '0')
	}
	return b
}

func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		b = append(b, s[i:i+size]...)
		i += size
	}
	return append(b, '"')
}

// SQLiteSchema is the table WriteSQLite creates.
const SQLiteSchema = `CREATE TABLE profiles (
  email TEXT,
  first_name TEXT,
  last_name TEXT,
  country TEXT,
  state_province_region TEXT,
  city TEXT,
  postal_code TEXT,
  plan TEXT,
  lifetime_value REAL,
  signup_date TEXT,
  marketing_opt_in BOOLEAN
)`

// WriteSQLite writes the data set as a SQLite database with one table, profiles
// (SQLiteSchema), replacing the file.
func (g *Generator) WriteSQLite(ctx context.Context, path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	db, err := sql.Open("sqlite", path+"?_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)")
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	err = g.insertSQLite(ctx, db)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	return err
}

func (g *Generator) insertSQLite(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, SQLiteSchema); err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	const batch = 200
	ncol := len(Columns)
	stmtFor := func(rows int) (*sql.Stmt, error) {
		var sb strings.Builder
		sb.WriteString("INSERT INTO profiles VALUES ")
		row := "(" + strings.TrimSuffix(strings.Repeat("?,", ncol), ",") + ")"
		for i := 0; i < rows; i++ {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(row)
		}
		return tx.PrepareContext(ctx, sb.String())
	}
	full, err := stmtFor(batch)
	if err != nil {
		return err
	}
	defer func() { _ = full.Close() }()
	args := make([]any, 0, batch*ncol)
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		st := full
		if n := len(args) / ncol; n != batch {
			var err error
			if st, err = stmtFor(n); err != nil {
				return err
			}
			defer func() { _ = st.Close() }()
		}
		_, err := st.ExecContext(ctx, args...)
		args = args[:0]
		return err
	}
	err = g.Each(func(_ int, p *Profile) error {
		args = p.Values(args)
		if len(args) == batch*ncol {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	return tx.Commit()
}
