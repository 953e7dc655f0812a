package docscheck

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/segment"
)

// TestMySQLSourceExample runs examples/mysql-source's query and filter against the MariaDB
// server make test starts (SENDGRIDAUDIENCE_TEST_MYSQL_DSN), on a database loaded from the
// example's seed.sql: the query must run, return every column the export's data_matching
// names, and select what the example's README says.
func TestMySQLSourceExample(t *testing.T) {
	dsn := os.Getenv("SENDGRIDAUDIENCE_TEST_MYSQL_DSN")
	if dsn == "" {
		t.Skip("SENDGRIDAUDIENCE_TEST_MYSQL_DSN is not set: skipping (make test starts a MariaDB server and sets it)")
	}
	dir := filepath.Join(repoRoot(t), "examples", "mysql-source")
	body := parseHCL(t, filepath.Join(dir, "main.tf"))
	seg := findBlock(t, body, "data", "sendgridaudience_segment")
	export := findBlock(t, body, "resource", "sendgridaudience_export")

	dbURL := seedDatabase(t, dsn, filepath.Join(dir, "seed.sql"))
	spec := segment.Spec{Name: "example", Source: dbURL, Query: stringAttr(t, seg, "query"), Filter: stringAttr(t, seg, "filter")}
	sum, err := segment.Preview(context.Background(), spec, nil)
	if err != nil {
		t.Fatalf("the example's segment fails on MariaDB: %v", err)
	}
	if sum.Scanned != 6 || sum.Count != 5 {
		t.Errorf("the example's query returns %d rows and its filter selects %d; the README says 6 and 5", sum.Scanned, sum.Count)
	}
	cols := map[string]bool{}
	for _, c := range sum.Columns {
		cols[c.Name] = true
	}
	dm, ok := export.Attributes["data_matching"]
	if !ok {
		t.Fatal("the example's export has no data_matching")
	}
	obj, ok := dm.Expr.(*hclsyntax.ObjectConsExpr)
	if !ok {
		t.Fatal("data_matching is not an object")
	}
	for _, item := range obj.Items {
		v, diags := item.ValueExpr.Value(nil)
		if diags.HasErrors() || !cols[v.AsString()] {
			t.Errorf("data_matching names column %q, which the query does not return (it returns %v)", v.AsString(), sum.Columns)
		}
	}
}

func findBlock(t *testing.T, body *hclsyntax.Body, kind, typ string) *hclsyntax.Body {
	t.Helper()
	for _, b := range body.Blocks {
		if b.Type == kind && len(b.Labels) == 2 && b.Labels[0] == typ {
			return b.Body
		}
	}
	t.Fatalf("no %s %q block", kind, typ)
	return nil
}

func stringAttr(t *testing.T, body *hclsyntax.Body, name string) string {
	t.Helper()
	a, ok := body.Attributes[name]
	if !ok {
		t.Fatalf("no attribute %s", name)
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		t.Fatalf("%s: %s", name, diags.Error())
	}
	return v.AsString()
}

// seedDatabase creates a database on the test server, runs the statements of a .sql file in
// it, and returns the database's mysql:// URL. The database is dropped when the test ends.
func seedDatabase(t *testing.T, dsn, file string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("docscheck_%d", time.Now().UnixNano())
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = u.User.Username(), "tcp", u.Host
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("mysql", cfg.FormatDSN())
		if err == nil {
			_, _ = db.Exec("DROP DATABASE IF EXISTS " + name)
			_ = db.Close()
		}
	})
	seed, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	if _, err := conn.ExecContext(context.Background(), "USE "+name); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range strings.Split(string(seed), ";\n") {
		var lines []string
		for _, l := range strings.Split(stmt, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(l), "--") {
				lines = append(lines, l)
			}
		}
		if s := strings.TrimSpace(strings.Join(lines, "\n")); s != "" {
			if _, err := conn.ExecContext(context.Background(), s); err != nil {
				t.Fatalf("seed.sql: %v", err)
			}
		}
	}
	u.Path = "/" + name
	return u.String()
}
