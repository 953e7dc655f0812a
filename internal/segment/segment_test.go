package segment

import (
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/profile"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/synth"
)

// dataset writes a synthetic data set in every format and returns the generator and the
// source strings.
func dataset(t testing.TB, n int) (*synth.Generator, map[string]string) {
	t.Helper()
	g, err := synth.New(synth.Options{Count: n, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	srcs := map[string]string{}
	for name, f := range map[string]synth.Format{"profiles.csv": synth.CSV, "profiles.jsonl": synth.JSONL, "profiles.db": synth.SQLite,
		"profiles.parquet": synth.Parquet} {
		p := filepath.Join(dir, name)
		if err := g.WriteFile(context.Background(), p, f); err != nil {
			t.Fatal(err)
		}
		srcs[string(f)] = p
	}
	srcs["sqlite"] = "sqlite:" + srcs["sqlite"]
	srcs["csv.gz"] = compressCopy(t, srcs["csv"], ".gz")
	srcs["jsonl.zst"] = compressCopy(t, srcs["jsonl"], ".zst")
	return g, srcs
}

// compressCopy writes a gzip (ext ".gz") or Zstandard (".zst") copy of a file beside it and
// returns its name.
func compressCopy(t testing.TB, path, ext string) string {
	t.Helper()
	in, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = in.Close() }()
	out, err := os.Create(path + ext)
	if err != nil {
		t.Fatal(err)
	}
	var zw io.WriteCloser = gzip.NewWriter(out)
	if ext == ".zst" {
		if zw, err = zstd.NewWriter(out); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := io.Copy(zw, in); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return path + ext
}

func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// wantSegmentError checks that err is an *Error about attr whose message holds every want
// and none of the secrets.
func wantSegmentError(t testing.TB, err error, attr string, want []string, secrets ...string) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one about %s mentioning %q", attr, want)
	}
	var se *Error
	if !errors.As(err, &se) {
		t.Fatalf("error %T %q is not a *segment.Error", err, err)
	}
	if se.Attribute != attr {
		t.Errorf("error %q is about %q, want %q", err, se.Attribute, attr)
	}
	msg := err.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q\ndoes not mention %q", msg, w)
		}
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			t.Errorf("error %q reveals the value %q", msg, s)
		}
	}
	return se
}

func count(t testing.TB, spec Spec) int {
	t.Helper()
	s, err := Open(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	n := 0
	if err := s.Scan(context.Background(), func(*profile.Row) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFilterSelectsTheSameProfilesInEveryFormat(t *testing.T) {
	g, srcs := dataset(t, 2000)
	tests := []struct {
		filter string
		want   func(p *synth.Profile) bool
	}{
		{"", func(*synth.Profile) bool { return true }},
		{`country == "United States" && lifetime_value > 100.0`, func(p *synth.Profile) bool {
			return p.Country == "United States" && p.LifetimeValue > 100
		}},
		{`lifetime_value >= 100`, func(p *synth.Profile) bool { return p.LifetimeValue >= 100 }}, // int literal against a double column
		{`email.endsWith("@example.org")`, func(p *synth.Profile) bool { return strings.HasSuffix(p.Email, "@example.org") }},
		{`marketing_opt_in && plan in ["pro", "enterprise"]`, func(p *synth.Profile) bool {
			return p.MarketingOptIn && (p.Plan == "pro" || p.Plan == "enterprise")
		}},
		{"signup_date >= \"2020-01-01\" &&\n  first_name.lowerAscii() == \"ada\"", func(p *synth.Profile) bool {
			return p.SignupDate >= "2020-01-01" && strings.ToLower(p.FirstName) == "ada"
		}},
		{`profile["city"] == "Washington, D.C."`, func(p *synth.Profile) bool { return p.City == "Washington, D.C." }},
		{`!(state_province_region in ["California", "Texas"])`, func(p *synth.Profile) bool {
			return p.StateProvinceRegion != "California" && p.StateProvinceRegion != "Texas"
		}},
	}
	for _, tt := range tests {
		want := 0
		_ = g.Each(func(_ int, p *synth.Profile) error {
			if tt.want(p) {
				want++
			}
			return nil
		})
		if want == 0 && tt.filter != "" {
			t.Fatalf("filter %q selects nothing in the test data; pick another", tt.filter)
		}
		for _, kind := range []string{"csv", "jsonl", "sqlite", "parquet", "csv.gz", "jsonl.zst"} {
			if got := count(t, Spec{Name: "s", Source: srcs[kind], Filter: tt.filter}); got != want {
				t.Errorf("%s, filter %q: %d profiles, want %d", kind, tt.filter, got, want)
			}
		}
	}
}

func TestFilterCompileErrors(t *testing.T) {
	_, srcs := dataset(t, 10)
	odd := writeFile(t, "odd.csv", "email,first name,in,ltv:double\nuser1@example.com,Ada,x,1.5\n")
	tests := []struct {
		name   string
		source string
		filter string
		want   []string
	}{
		{"misspelt column", srcs["csv"], `contry == "US"`,
			[]string{"filter:1:1: undeclared reference to 'contry'", "| contry == \"US\"", "| ^", "did you mean country?"}},
		{"error on a later line points there", srcs["csv"], "country == \"US\" &&\n  lifetime_valu > 10.0",
			[]string{"filter:2:3:", "|   lifetime_valu > 10.0", "| ..^", "did you mean lifetime_value?"}},
		{"syntax error", srcs["csv"], `country = "US"`, []string{"filter:1:9: Syntax error", "| ........^", "use == to compare", `in CEL: country == "US"`}},
		{"not a bool", srcs["csv"], `lifetime_value * 2.0`, []string{"must evaluate to a bool", "evaluates to double", "| lifetime_value * 2.0"}},
		{"type mismatch", srcs["csv"], `country > 3`, []string{"filter:1:9:", "no matching overload", "(string, int)", `column "country" is string`, "letter by letter"}},
		{"int arithmetic on a double", srcs["csv"], `lifetime_value + 1 > 2.0`, []string{"no matching overload", "write 1.0"}},
		{"unknown name lists the columns", srcs["jsonl"], `zzzzzzzzzzzz`, []string{"is neither a column nor a CEL function; the columns are email (string)", "marketing_opt_in (bool)"}},
		{"odd column names via profile", odd, `first_nme == "Ada"`, []string{`did you mean profile["first name"]?`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(context.Background(), Spec{Name: "vip", Source: tt.source, Filter: tt.filter})
			se := wantSegmentError(t, err, "filter", append(tt.want, `segment "vip": filter:`))
			if se.Hint == "" {
				t.Error("no hint")
			}
		})
	}
}

func TestFilterColumnNames(t *testing.T) {
	odd := writeFile(t, "odd.csv", "email,first name,in,ltv:double\nuser1@example.com,Ada,x,1.5\nuser2@example.com,Grace,y,\n")
	for filter, want := range map[string]int{
		`profile["first name"] == "Ada"`: 1,
		`profile["in"] == "y"`:           1,
		`profile["ltv"] == null`:         1,
		`email != ""`:                    2,
	} {
		if got := count(t, Spec{Source: odd, Filter: filter}); got != want {
			t.Errorf("filter %q: %d profiles, want %d", filter, got, want)
		}
	}
	// A column named "profile" is a variable like any other; the map is then not declared.
	p := writeFile(t, "p.csv", "email,profile\nuser1@example.com,gold\n")
	if got := count(t, Spec{Source: p, Filter: `profile == "gold"`}); got != 1 {
		t.Errorf("column named profile: %d profiles, want 1", got)
	}
}

func TestFilterNulls(t *testing.T) {
	p := writeFile(t, "c.csv", "email,ltv:double,opt:bool,at:timestamp,age:int\n"+
		"user1@example.com,150.5,true,2024-01-02,40\n"+
		"user2@example.com,,,,\n"+
		"user3@example.com,20,false,2023-06-01,\n")
	tests := []struct {
		filter string
		want   int
	}{
		{`ltv != null && ltv > 100.0`, 1},
		{`ltv == null`, 1},
		{`opt`, 1},         // NULL does not select
		{`opt != true`, 2}, // null != true
		{`at == null || at > timestamp("2024-01-01T00:00:00Z")`, 2},
		{`age == null || age >= 40`, 3},
		{`age != null && age >= 40`, 1},
		{`has(profile.ltv)`, 3}, // the map holds every column, NULL ones too
	}
	for _, tt := range tests {
		if got := count(t, Spec{Source: p, Filter: tt.filter}); got != tt.want {
			t.Errorf("filter %q: %d profiles, want %d", tt.filter, got, tt.want)
		}
	}
	// Using a NULL value is an error naming the row and the NULL column.
	s, err := Open(context.Background(), Spec{Name: "big", Source: p, Filter: `ltv > 100.0 || age > 30`})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	err = s.Scan(context.Background(), func(*profile.Row) error { return nil })
	se := wantSegmentError(t, err, "filter", []string{"c.csv line 3", "evaluating the filter failed", `columns "ltv", "age" are NULL`, "ltv != null &&"})
	if se.Pos.Line != 3 || se.Pos.Row != 2 {
		t.Errorf("Pos = %+v, want line 3 row 2", se.Pos)
	}
}

func TestFilterRuntimeErrorsDoNotRevealValues(t *testing.T) {
	p := writeFile(t, "c.csv", "email,first_name\nuser1@example.com,Bartholomew\n")
	s, err := Open(context.Background(), Spec{Source: p, Filter: `int(first_name) > 3 || double(email) > 1.0`})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	err = s.Scan(context.Background(), func(*profile.Row) error { return nil })
	wantSegmentError(t, err, "filter", []string{"c.csv line 2", "evaluating the filter failed"}, "Bartholomew", "user1@example.com", "user1")
}

func TestSourceAndQueryErrors(t *testing.T) {
	_, srcs := dataset(t, 10)
	dir := t.TempDir()
	tests := []struct {
		name    string
		spec    Spec
		attr    string
		want    []string
		secrets []string
	}{
		{"query on a CSV source", Spec{Name: "s", Source: srcs["csv"], Query: "SELECT * FROM profiles"}, "query",
			[]string{"SQL query applies only to database sources", "CSV file", "filter"}, nil},
		{"query on a JSON Lines source", Spec{Name: "s", Source: srcs["jsonl"], Query: "SELECT 1"}, "query",
			[]string{"JSON Lines file"}, nil},
		{"missing file", Spec{Name: "s", Source: filepath.Join(dir, "gone.csv")}, "source", []string{"gone.csv", "does not exist"}, nil},
		{"password in URL", Spec{Name: "s", Source: "postgres://app:hunter2hunter2@db.example.com/crm"}, "source",
			[]string{"contains a password", "PGPASSWORD"}, []string{"hunter2hunter2"}},
		{"SQL error", Spec{Name: "s", Source: srcs["sqlite"], Query: "SELECT nope FROM profiles"}, "query",
			[]string{"no such column: nope"}, nil},
		{"default table missing", Spec{Name: "s", Source: "sqlite:" + writeSQLiteNoProfiles(t)}, "source",
			[]string{"no table named profiles"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(context.Background(), tt.spec)
			wantSegmentError(t, err, tt.attr, tt.want, tt.secrets...)
			if _, err := Preview(context.Background(), tt.spec, []byte("k")); err == nil {
				t.Error("Preview succeeded")
			}
		})
	}
	// Errors found while scanning are attributed to the source too.
	bad := writeFile(t, "bad.csv", "email,n\nuser1@example.com,1\nuser2@example.com\n")
	s, err := Open(context.Background(), Spec{Name: "s", Source: bad})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	err = s.Scan(context.Background(), func(*profile.Row) error { return nil })
	wantSegmentError(t, err, "source", []string{`segment "s": source: `, "bad.csv line 3", "1 fields but the header has 2"})
}

func writeSQLiteNoProfiles(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.db")
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	if _, err := db.Exec("CREATE TABLE customers (email TEXT)"); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheck(t *testing.T) {
	tests := []struct {
		spec Spec
		attr string // "" for no error
		want string
	}{
		{Spec{Source: "customers.csv", Filter: `country == "US"`}, "", ""},
		{Spec{Source: "sqlite:x.db", Query: "SELECT * FROM t"}, "", ""},
		{Spec{Source: "postgres://app@db.example.com/crm", Query: "SELECT 1"}, "", ""},
		{Spec{Source: "customers.csv", Query: "SELECT 1"}, "query", "database sources"},
		{Spec{Source: "customers.txt"}, "source", "cannot tell"},
		{Spec{Source: "postgres://app:pw12345678@db/crm"}, "source", "password"},
		{Spec{Source: "customers.csv", Filter: `country ==`}, "filter", "filter:1:11: Syntax error"},
	}
	for _, tt := range tests {
		err := Check(tt.spec)
		if tt.attr == "" {
			if err != nil {
				t.Errorf("Check(%+v) = %v", tt.spec, err)
			}
			continue
		}
		wantSegmentError(t, err, tt.attr, []string{tt.want}, "pw12345678")
	}
}

func TestScanAndScanAll(t *testing.T) {
	g, srcs := dataset(t, 500)
	s, err := Open(context.Background(), Spec{Source: srcs["csv"], Filter: `plan == "free"`})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	if got := s.Columns(); len(got) != len(synth.Columns) || got[8] != synth.Columns[8] {
		t.Errorf("columns = %v", got)
	}
	var all, selected int
	err = s.ScanAll(context.Background(), func(r *profile.Row, sel bool) error {
		all++
		p := g.Profile(int(r.Pos.Row - 1))
		if sel != (p.Plan == "free") || r.Values[0] != p.Email {
			t.Fatalf("row %d: selected=%v for plan %q", r.Pos.Row, sel, p.Plan)
		}
		if sel {
			selected++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if all != 500 || selected == 0 || selected == 500 {
		t.Errorf("ScanAll saw %d rows, %d selected", all, selected)
	}
	if n := count(t, Spec{Source: srcs["csv"], Filter: `plan == "free"`}); n != selected {
		t.Errorf("Scan returned %d rows, ScanAll selected %d", n, selected)
	}
	// The callback's own error comes back unchanged; ErrStop ends the scan quietly.
	boom := errors.New("boom")
	if err := s.Scan(context.Background(), func(*profile.Row) error { return boom }); err != boom {
		t.Errorf("callback error came back as %v", err)
	}
	n := 0
	if err := s.ScanAll(context.Background(), func(*profile.Row, bool) error { n++; return profile.ErrStop }); err != nil || n != 1 {
		t.Errorf("ErrStop: %d rows, %v", n, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Scan(ctx, func(*profile.Row) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled scan: %v", err)
	}
}

// TestSourceRowsAreBounded: a query that never ends (a recursive WITH without a bound) stops at
// MaxSourceRows with an error on the query, instead of keeping the plan busy for ever.
func TestSourceRowsAreBounded(t *testing.T) {
	defer func(n int) { MaxSourceRows = n }(MaxSourceRows)
	MaxSourceRows = 5000
	spec := Spec{Name: "s", Source: "sqlite:" + writeSQLiteNoProfiles(t),
		Query: "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM r) SELECT 'u' || x || '@example.com' AS email FROM r"}
	s, err := Open(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	n := 0
	err = s.Scan(context.Background(), func(*profile.Row) error { n++; return nil })
	wantSegmentError(t, err, "query", []string{"more than 5000 rows", "WHERE or LIMIT"})
	if n != 5000 {
		t.Errorf("%d rows passed on before the error, want 5000", n)
	}
}

// TestQueryDurationIsBounded: a query without end that returns no rows (so MaxSourceRows never
// trips) is stopped after MaxQueryDuration with an error on the query.
func TestQueryDurationIsBounded(t *testing.T) {
	defer func(d time.Duration) { MaxQueryDuration = d }(MaxQueryDuration)
	MaxQueryDuration = 300 * time.Millisecond
	spec := Spec{Name: "s", Source: "sqlite:" + writeSQLiteNoProfiles(t),
		Query: "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM r) SELECT 'u' || x || '@example.com' AS email FROM r WHERE x < 0"}
	start := time.Now()
	_, err := Open(context.Background(), spec)
	wantSegmentError(t, err, "query", []string{"ran for more than 300ms", "bounded query"})
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("stopped after %s", d)
	}
}

// A file source is read with the caller's context as it is; a database source gets its own
// deadline.
func TestQueryDeadlineOnlyForDatabases(t *testing.T) {
	ctx := context.Background()
	for _, k := range []profile.Kind{profile.KindCSV, profile.KindJSONL} {
		qctx, cancel := queryDeadline(ctx, k)
		cancel()
		if qctx != ctx {
			t.Errorf("%s: a context of its own", k)
		}
	}
	for _, k := range []profile.Kind{profile.KindSQLite, profile.KindPostgres} {
		qctx, cancel := queryDeadline(ctx, k)
		dl, ok := qctx.Deadline()
		cancel()
		if !ok || time.Until(dl) > MaxQueryDuration || qctx.Err() == nil {
			t.Errorf("%s: deadline %v %v, after cancel %v", k, dl, ok, qctx.Err())
		}
	}
}
