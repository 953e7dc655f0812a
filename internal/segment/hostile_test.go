package segment

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/profile"
)

// list100 is the CEL list [0, 1, ..., 99].
func list100() string {
	s := make([]string, 100)
	for i := range s {
		s[i] = fmt.Sprint(i)
	}
	return "[" + strings.Join(s, ",") + "]"
}

func TestExpensiveFiltersAreRefusedWhenOpened(t *testing.T) {
	p := writeFile(t, "c.csv", "email,first_name\nuser1@example.com,Ada\n")
	l := list100()
	for name, f := range map[string]string{
		"four nested exists":         fmt.Sprintf("%[1]s.exists(a, %[1]s.exists(b, %[1]s.exists(c, %[1]s.exists(d, a+b+c+d == -1))))", l),
		"four nested maps":           fmt.Sprintf("%[1]s.map(a, %[1]s.map(b, %[1]s.map(c, %[1]s.map(d, a+b+c+d)))).size() > 0", l),
		"nested loops over the data": `first_name.split("").exists(a, first_name.split("").exists(b, a + b == "zz"))`,
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			s, err := Open(context.Background(), Spec{Source: p, Filter: f})
			if err == nil {
				_ = s.Close()
			}
			wantSegmentError(t, err, "filter", []string{"too expensive", "over the limit of 1,000,000,000", "avoid nesting"})
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("refusing took %v", d)
			}
		})
	}
	// Ordinary filters, string functions and a single loop over split() are fine.
	for _, f := range []string{
		`email.endsWith("@example.com") && first_name.lowerAscii().contains("a")`,
		`first_name.matches("^A.*") || profile["email"] == "x"`,
		`email.split("@").exists(x, x == "example.com")`,
	} {
		if n := count(t, Spec{Source: p, Filter: f}); n != 1 {
			t.Errorf("%s: %d rows, want 1", f, n)
		}
	}
}

// TestRowCostIsBounded: a filter under the estimate but expensive on every row stops at the
// per-row cost limit, quickly and without growing memory.
func TestRowCostIsBounded(t *testing.T) {
	p := writeFile(t, "c.csv", "email\nuser1@example.com\nuser2@example.com\n")
	l := list100()
	for name, f := range map[string]string{
		"three nested exists": fmt.Sprintf("%[1]s.exists(a, %[1]s.exists(b, %[1]s.exists(c, a+b+c == -1)))", l),
		"three nested maps":   fmt.Sprintf("%[1]s.map(a, %[1]s.map(b, %[1]s.map(c, a+b+c))).size() == 0", l),
	} {
		t.Run(name, func(t *testing.T) {
			s, err := Open(context.Background(), Spec{Source: p, Filter: f})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = s.Close() }()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			err = s.Scan(context.Background(), func(*profile.Row) error { return nil })
			runtime.ReadMemStats(&after)
			se := wantSegmentError(t, err, "filter", []string{"line 2", "cost limit of 1,000,000"})
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 256<<20 {
				t.Errorf("the evaluation allocated %d MB", alloc>>20)
			} else {
				t.Logf("stopped after %v, %d MB allocated", time.Since(start), alloc>>20)
			}
			if se.Pos.Line != 2 {
				t.Errorf("error at %+v", se.Pos)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("stopping took %v", d)
			}
		})
	}
}

// TestCancelStopsEvaluation: cancelling the context stops a running evaluation promptly.
func TestCancelStopsEvaluation(t *testing.T) {
	var b strings.Builder
	b.WriteString("email\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "user%d@example.com\n", i)
	}
	p := writeFile(t, "c.csv", b.String())
	l := list100()
	s, err := Open(context.Background(), Spec{Source: p, Filter: fmt.Sprintf("%[1]s.exists(a, %[1]s.exists(b, a+b == -1 || email == 'x'))", l)})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	ctx, cancel := context.WithCancel(context.Background())
	rows := 0
	var cancelled time.Time
	done := make(chan error, 1)
	go func() {
		done <- s.Scan(ctx, func(*profile.Row) error { rows++; return nil })
	}()
	time.Sleep(100 * time.Millisecond)
	cancelled = time.Now()
	cancel()
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the scan did not stop within 5s of the cancel")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("scan returned %v, want context.Canceled", err)
	}
	if d := time.Since(cancelled); d > 500*time.Millisecond {
		t.Errorf("the scan stopped %v after the cancel", d)
	}
}

// canary values: none may appear in any error.
const (
	canaryEmail = "zqcanary44170093@example.com"
	canaryName  = "Zqcanaryname"
	canaryNum   = 99887766
)

var canaries = []string{"zqcanary", "99887766", "44170093"}

// canarySources writes one profile holding canary values to every kind of source.
func canarySources(t *testing.T) map[string]Spec {
	t.Helper()
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "c.csv")
	if err := os.WriteFile(csvPath, []byte(fmt.Sprintf("email,first_name,n:int\n%s,%s,%d\n", canaryEmail, canaryName, canaryNum)), 0o600); err != nil {
		t.Fatal(err)
	}
	jsonlPath := filepath.Join(dir, "c.jsonl")
	if err := os.WriteFile(jsonlPath, []byte(fmt.Sprintf(`{"email":%q,"first_name":%q,"n":%d}`+"\n", canaryEmail, canaryName, canaryNum)), 0o600); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(dir, "c.db")
	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"CREATE TABLE profiles (email TEXT, first_name TEXT, n INTEGER)",
		fmt.Sprintf("INSERT INTO profiles VALUES ('%s', '%s', %d)", canaryEmail, canaryName, canaryNum)} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	_ = db.Close()
	specs := map[string]Spec{"csv": {Source: csvPath}, "jsonl": {Source: jsonlPath}, "sqlite": {Source: "sqlite:" + dbPath}}
	if dsn := os.Getenv(pgDSNEnv); dsn != "" {
		tbl := fmt.Sprintf("canary_%d", time.Now().UnixNano())
		c, err := pgconn.Connect(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = c.Close(context.Background()) }()
		q := fmt.Sprintf("CREATE TABLE %[1]s (email text, first_name text, n bigint); INSERT INTO %[1]s VALUES ('%[2]s', '%[3]s', %[4]d)", tbl, canaryEmail, canaryName, canaryNum)
		if _, err := c.Exec(context.Background(), q).ReadAll(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if c, err := pgconn.Connect(context.Background(), dsn); err == nil {
				_, _ = c.Exec(context.Background(), "DROP TABLE "+tbl).ReadAll()
				_ = c.Close(context.Background())
			}
		})
		specs["postgres"] = Spec{Source: dsn, Query: "SELECT * FROM " + tbl}
	}
	return specs
}

// TestCanaryValuesNeverAppearInErrors runs filters and queries whose errors quote data on
// every kind of source, and checks that no canary value appears in any error.
func TestCanaryValuesNeverAppearInErrors(t *testing.T) {
	filters := []string{
		`{"a": 1}[email] == 1`,
		`profile[first_name] == "x"`,
		`first_name.matches(first_name + "(")`,
		`email.matches(email)`,
		`[1, 2, 3][n] == 1`,
		`[1, 2, 3][n % 1000] == 1`,
		`int(first_name) == 1`,
		`double(email) > 1.0`,
		`timestamp(first_name) > timestamp("2024-01-01T00:00:00Z")`,
		`duration(email) > duration("1s")`,
		`first_name.split("x")[5] == "a"`,
		`n / 0 == 1`,
		`{email: 1, first_name: 2}[string(n)] == 1`,
		`profile[string(n)] == 1`,
		`email.charAt(n) == "a"`,
		`email.substring(n) == "a"`,
		`n * n * n * n > 0`,
	}
	for kind, base := range canarySources(t) {
		for _, f := range filters {
			spec := base
			spec.Name, spec.Filter = "canary", f
			err := scanErr(spec)
			if err == nil {
				continue
			}
			msg := err.Error()
			for _, c := range canaries {
				if strings.Contains(strings.ToLower(msg), strings.ToLower(c)) {
					t.Errorf("%s, filter %s: error %q reveals %q", kind, f, msg, c)
				}
			}
		}
	}
}

func scanErr(spec Spec) error {
	s, err := Open(context.Background(), spec)
	if err != nil {
		return err
	}
	defer func() { _ = s.Close() }()
	return s.Scan(context.Background(), func(*profile.Row) error { return nil })
}

// TestCanaryValuesNeverAppearInQueryErrors: database errors that quote values are masked.
func TestCanaryValuesNeverAppearInQueryErrors(t *testing.T) {
	for kind, base := range canarySources(t) {
		var queries []string
		switch kind {
		case "sqlite":
			queries = []string{"SELECT email, CAST(email AS INTEGER) + 0 AS e FROM profiles WHERE json(email)", "SELECT json_extract(email, '$') AS x FROM profiles", "SELECT n AS b FROM profiles WHERE abs(-9223372036854775807 - n) > 0"}
		case "postgres":
			tbl := strings.TrimPrefix(base.Query, "SELECT * FROM ")
			queries = []string{"SELECT email::int AS x FROM " + tbl, "SELECT first_name::date AS x FROM " + tbl, "SELECT email::json AS x FROM " + tbl,
				"SELECT (n::text || '1')::int AS x FROM " + tbl, "SELECT to_number(first_name, '999') AS x FROM " + tbl, "SELECT first_name::uuid AS x FROM " + tbl}
		default:
			continue
		}
		for _, q := range queries {
			spec := base
			spec.Query = q
			err := scanErr(spec)
			if err == nil {
				continue
			}
			msg := err.Error()
			for _, c := range canaries {
				if strings.Contains(strings.ToLower(msg), strings.ToLower(c)) {
					t.Errorf("%s, query %s: error %q reveals %q", kind, q, msg, c)
				}
			}
		}
	}
}

// TestCancelInterruptsOneEvaluation: a cancelled context stops an evaluation that is under
// way (here, one that would otherwise run to the cost limit).
func TestCancelInterruptsOneEvaluation(t *testing.T) {
	l := list100()
	cols := []profile.Column{{Name: "email", Type: profile.TypeString}}
	f, err := compileFilter(Spec{Filter: fmt.Sprintf("%[1]s.exists(a, %[1]s.exists(b, %[1]s.exists(c, a+b+c == -1)))", l)}, cols)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	_, err = f.eval(ctx, &profile.Row{Values: []any{"user1@example.com"}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("eval returned %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Errorf("eval ran %v after the cancel", d)
	}
}

// TestWideSourceErrorsAreBounded: a bad filter on a wide file lists the first columns only.
func TestWideSourceErrorsAreBounded(t *testing.T) {
	names := make([]string, 5000)
	for i := range names {
		names[i] = fmt.Sprintf("column_%d", i)
	}
	p := writeFile(t, "wide.csv", strings.Join(names, ",")+"\n"+strings.Repeat("1,", len(names)-1)+"1\n")
	_, err := Open(context.Background(), Spec{Source: p, Filter: `zzz == 1`})
	msg := wantSegmentError(t, err, "filter", []string{"column_0 (string)", "column_19 (string)", "and 4980 more"}, "column_20 ").Error()
	if len(msg) > 2000 {
		t.Errorf("the error is %d bytes long", len(msg))
	}
}

// TestCheckRefusesWritingSQLiteQueries: Check (plan-time validation, no file opened) refuses
// SQLite queries that are not one read statement, naming the query attribute.
func TestCheckRefusesWritingSQLiteQueries(t *testing.T) {
	for _, q := range []string{"VACUUM INTO 'copy.db'", "ATTACH 'x.db' AS w", "SELECT 1; DELETE FROM profiles", "PRAGMA user_version = 1"} {
		err := Check(Spec{Name: "s", Source: "sqlite:" + filepath.Join(t.TempDir(), "none.db"), Query: q})
		wantSegmentError(t, err, "query", []string{"read-only"})
	}
	if err := Check(Spec{Name: "s", Source: "sqlite:x.db", Query: "WITH a AS (SELECT 1) SELECT * FROM a;"}); err != nil {
		t.Errorf("a read query was refused: %v", err)
	}
}
