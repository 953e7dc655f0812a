package segment

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/privacy"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/synth"
)

const mysqlDSNEnv = "SENDGRIDAUDIENCE_TEST_MYSQL_DSN"

func testMySQL(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(mysqlDSNEnv)
	if dsn == "" {
		t.Skipf("%s is not set: skipping the MySQL test (make test starts a MariaDB server and sets it, e.g. mysql://root@127.0.0.1:33060/sgtest)", mysqlDSNEnv)
	}
	return dsn
}

// mysqlTestDB opens the test server (mysql://root@host:port/db, no password) with database/sql.
func mysqlTestDB(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr, cfg.DBName = u.User.Username(), "tcp", u.Host, u.Path[1:]
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// loadMySQL copies a synthetic data set into a new table on the test server (LOAD DATA from
// the generator's CSV) and returns its name; the table is dropped when the test ends.
// marketing_opt_in is a BOOLEAN, which MySQL reads as an int 0 or 1.
func loadMySQL(t testing.TB, dsn string, g *synth.Generator) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	db := mysqlTestDB(t, dsn)
	defer func() { _ = db.Close() }()
	name := fmt.Sprintf("segment_test_%d", time.Now().UnixNano())
	create := fmt.Sprintf(`CREATE TABLE %s (email varchar(254), first_name text, last_name text, country text,
		state_province_region text, city text, postal_code text, plan text, lifetime_value double,
		signup_date text, marketing_opt_in boolean) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`, name)
	if _, err := db.ExecContext(ctx, create); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db := mysqlTestDB(t, dsn)
		_, _ = db.Exec("DROP TABLE IF EXISTS " + name)
		_ = db.Close()
	})
	pr, pw := io.Pipe()
	go func() {
		err := g.WriteCSV(pw)
		_ = pw.CloseWithError(err)
	}()
	mysql.RegisterReaderHandler(name, func() io.Reader { return pr })
	defer mysql.DeregisterReaderHandler(name)
	load := fmt.Sprintf(`LOAD DATA LOCAL INFILE 'Reader::%s' INTO TABLE %s CHARACTER SET utf8mb4
		FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' ESCAPED BY '' LINES TERMINATED BY '\r\n' IGNORE 1 LINES
		(email, first_name, last_name, country, state_province_region, city, postal_code, plan, lifetime_value, signup_date, @opt)
		SET marketing_opt_in = (@opt = 'true')`, name, name)
	if _, err := db.ExecContext(ctx, load); err != nil {
		t.Fatalf("loading the test table: %v", err)
	}
	return name
}

func TestMySQLSegment(t *testing.T) {
	dsn := testMySQL(t)
	g, srcs := dataset(t, 3000)
	tbl := loadMySQL(t, dsn, g)
	key := privacy.DeriveKey("SG.test", privacy.PurposeFingerprint)

	// The query selects in the database, the filter on each profile, type-checked against
	// the query's columns (marketing_opt_in is an int in MySQL).
	spec := Spec{Name: "my", Source: dsn, Query: "SELECT * FROM " + tbl + " WHERE plan <> 'free' ORDER BY email",
		Filter: `marketing_opt_in == 1 && lifetime_value > 50.0`}
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
	if sum.Count != int64(want) || sum.Count == 0 || sum.Scanned == 0 {
		t.Errorf("count %d of %d, want %d", sum.Count, sum.Scanned, want)
	}
	if len(sum.Columns) != 11 || sum.Columns[10].Name != "marketing_opt_in" || sum.Columns[10].Type != "int" || sum.Fingerprint == "" {
		t.Errorf("summary %+v", sum)
	}

	// A filter that uses the int column as a bool fails to type-check, naming the column.
	_, err = Open(context.Background(), Spec{Name: "my", Source: dsn, Query: "SELECT * FROM " + tbl, Filter: `marketing_opt_in && country == "Japan"`})
	wantSegmentError(t, err, "filter", []string{"marketing_opt_in"})

	// The same profiles in the same order as the SQLite file give the same fingerprint (the
	// seven digits before the @ are the row number).
	cols := "email, first_name, country, lifetime_value"
	myAll, err := Preview(context.Background(), Spec{Source: dsn, Query: "SELECT " + cols + " FROM " + tbl +
		" ORDER BY REGEXP_SUBSTR(email, '[0-9]{7}(?=@)')", Filter: `country == "Japan"`}, key)
	if err != nil {
		t.Fatal(err)
	}
	liteAll, err := Preview(context.Background(), Spec{Source: srcs["sqlite"], Query: "SELECT " + cols + " FROM profiles ORDER BY rowid",
		Filter: `country == "Japan"`}, key)
	if err != nil {
		t.Fatal(err)
	}
	if myAll.Fingerprint != liteAll.Fingerprint || myAll.Count != liteAll.Count || myAll.Count == 0 {
		t.Errorf("MySQL and SQLite copies of the same profiles differ: %+v vs %+v", myAll, liteAll)
	}

	// Query errors name the query attribute; a query that writes is refused at plan time,
	// before any connection.
	_, err = Open(context.Background(), Spec{Name: "my", Source: dsn, Query: "SELECT emial FROM " + tbl})
	wantSegmentError(t, err, "query", []string{"Unknown column 'emial'", "error 1054"})
}

// TestMySQLQueryCheckedAtPlanTime: a MySQL query that would write is refused by Check, before
// any connection (the host does not exist).
func TestMySQLQueryCheckedAtPlanTime(t *testing.T) {
	src := "mysql://app@db.example.invalid/crm"
	for q, want := range map[string]string{
		"SELECT * FROM t INTO OUTFILE '/tmp/x'": "INTO",
		"DELETE FROM profiles":                  "a DELETE statement",
		"SELECT 1; DROP TABLE profiles":         "more than one SQL statement",
	} {
		err := Check(Spec{Name: "my", Source: src, Query: q})
		wantSegmentError(t, err, "query", []string{want})
	}
	if err := Check(Spec{Name: "my", Source: src, Query: "SELECT email FROM profiles WHERE plan = 'pro'"}); err != nil {
		t.Errorf("a SELECT was refused: %v", err)
	}
	err := Check(Spec{Name: "my", Source: "mysql://app:pw-in-url@db.example.invalid/crm"})
	wantSegmentError(t, err, "source", []string{"contains a password"}, "pw-in-url")
}
