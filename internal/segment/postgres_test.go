package segment

import (
	"context"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/privacy"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/synth"
)

const pgDSNEnv = "SENDGRIDAUDIENCE_TEST_PG_DSN"

func testPG(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(pgDSNEnv)
	if dsn == "" {
		t.Skipf("%s is not set: skipping the PostgreSQL test (make test starts a server and sets it, e.g. postgres://postgres@127.0.0.1:54329/postgres?sslmode=disable)", pgDSNEnv)
	}
	return dsn
}

// loadPG copies a synthetic data set into a new table on the test server and returns its
// name; the table is dropped when the test ends.
func loadPG(t testing.TB, dsn string, g *synth.Generator) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connecting to the test server: %v", err)
	}
	defer func() { _ = c.Close(context.Background()) }()
	name := fmt.Sprintf("segment_test_%d", time.Now().UnixNano())
	create := fmt.Sprintf(`CREATE UNLOGGED TABLE %s (email text, first_name text, last_name text, country text,
		state_province_region text, city text, postal_code text, plan text, lifetime_value double precision,
		signup_date text, marketing_opt_in boolean)`, name)
	if _, err := c.Exec(ctx, create).ReadAll(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgconn.Connect(context.Background(), dsn)
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP TABLE IF EXISTS "+name).ReadAll()
			_ = c.Close(context.Background())
		}
	})
	pr, pw := io.Pipe()
	go func() {
		err := g.WriteCSV(pw)
		_ = pw.CloseWithError(err)
	}()
	if _, err := c.CopyFrom(ctx, pr, fmt.Sprintf("COPY %s FROM STDIN WITH (FORMAT csv, HEADER true)", name)); err != nil {
		t.Fatalf("loading the test table: %v", err)
	}
	return name
}

func TestPostgresSegment(t *testing.T) {
	dsn := testPG(t)
	g, srcs := dataset(t, 3000)
	tbl := loadPG(t, dsn, g)
	key := privacy.DeriveKey("SG.test", privacy.PurposeFingerprint)

	// The query selects in the database, the filter on each profile.
	spec := Spec{Name: "pg", Source: dsn, Query: "SELECT * FROM " + tbl + " WHERE plan <> 'free' ORDER BY email",
		Filter: `marketing_opt_in && lifetime_value > 50`}
	want := 0
	_ = g.Each(func(_ int, p *synth.Profile) error {
		if p.Plan != "free" && p.MarketingOptIn && p.LifetimeValue > 50 {
			want++
		}
		return nil
	})
	sum, err := Preview(context.Background(), spec, key)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Count != int64(want) || sum.Count == 0 {
		t.Errorf("count %d, want %d", sum.Count, want)
	}

	// The same profiles in the same order as the CSV file give the same fingerprint (the
	// seven digits before the @ are the row number).
	pgAll, err := Preview(context.Background(), Spec{Source: dsn, Query: "SELECT * FROM " + tbl + " ORDER BY substring(email from '([0-9]{7})@')",
		Filter: `country == "Japan"`}, key)
	if err != nil {
		t.Fatal(err)
	}
	csvAll, err := Preview(context.Background(), Spec{Source: srcs["csv"], Filter: `country == "Japan"`}, key)
	if err != nil {
		t.Fatal(err)
	}
	if pgAll.Fingerprint != csvAll.Fingerprint || pgAll.Count != csvAll.Count {
		t.Errorf("PostgreSQL and CSV copies of the same profiles differ: %+v vs %+v", pgAll, csvAll)
	}

	// A query error names the query attribute and points into it.
	_, err = Open(context.Background(), Spec{Name: "pg", Source: dsn, Query: "SELECT emial FROM " + tbl})
	wantSegmentError(t, err, "query", []string{`column "emial" does not exist`, "query:1:8:"})
}
