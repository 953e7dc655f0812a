package provider

import (
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/synth"
)

func TestAccSegmentDataSource(t *testing.T) {
	env, _, _ := testAccNewSharedEnv(t, "") // reads no SendGrid data
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "customers.csv")
	jsonlPath := filepath.Join(dir, "customers.jsonl")
	opts := synth.Options{Count: 250, Seed: 12}
	g, err := synth.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.WriteFile(context.Background(), csvPath, synth.CSV); err != nil {
		t.Fatal(err)
	}
	if err := g.WriteFile(context.Background(), jsonlPath, synth.JSONL); err != nil {
		t.Fatal(err)
	}
	parquetPath := filepath.Join(dir, "customers.parquet")
	if err := g.WriteFile(context.Background(), parquetPath, synth.Parquet); err != nil {
		t.Fatal(err)
	}
	gzPath := filepath.Join(dir, "customers.csv.gz")
	writeGzip(t, gzPath, g)
	var optedIn int64
	_ = g.Each(func(_ int, p *synth.Profile) error {
		if p.MarketingOptIn {
			optedIn++
		}
		return nil
	})
	config := func(source, filter string) string {
		return env.ProviderConfig(testAccAdmin) + fmt.Sprintf(`
data "sendgridaudience_segment" "test" {
  name   = "opted-in"
  source = %q
  filter = %q
}
`, source, filter)
	}
	var fingerprint string
	captureFingerprint := statecheck.ExpectKnownValue("data.sendgridaudience_segment.test", tfjsonpath.New("fingerprint"),
		knownvalue.StringFunc(func(v string) error {
			if fingerprint == "" {
				fingerprint = v
				return nil
			}
			if v != fingerprint {
				return fmt.Errorf("the same profiles from CSV, JSON Lines, Parquet and gzipped CSV must have the same fingerprint")
			}
			return nil
		}))

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config(csvPath, "marketing_opt_in == true"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.sendgridaudience_segment.test", tfjsonpath.New("profile_count"), knownvalue.Int64Exact(optedIn)),
					statecheck.ExpectKnownValue("data.sendgridaudience_segment.test", tfjsonpath.New("source_count"), knownvalue.Int64Exact(250)),
					statecheck.ExpectKnownValue("data.sendgridaudience_segment.test", tfjsonpath.New("columns").AtSliceIndex(0),
						knownvalue.ObjectExact(map[string]knownvalue.Check{"name": knownvalue.StringExact("email"), "type": knownvalue.StringExact("string")})),
					statecheck.ExpectKnownValue("data.sendgridaudience_segment.test", tfjsonpath.New("columns").AtSliceIndex(8),
						knownvalue.ObjectExact(map[string]knownvalue.Check{"name": knownvalue.StringExact("lifetime_value"), "type": knownvalue.StringExact("double")})),
					captureFingerprint,
				},
			},
			{
				Config:            config(jsonlPath, "marketing_opt_in == true"),
				ConfigStateChecks: []statecheck.StateCheck{captureFingerprint},
			},
			{ // Parquet: count, columns and types from the schema, the same fingerprint.
				Config: config(parquetPath, "marketing_opt_in == true"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.sendgridaudience_segment.test", tfjsonpath.New("profile_count"), knownvalue.Int64Exact(optedIn)),
					statecheck.ExpectKnownValue("data.sendgridaudience_segment.test", tfjsonpath.New("source_count"), knownvalue.Int64Exact(250)),
					statecheck.ExpectKnownValue("data.sendgridaudience_segment.test", tfjsonpath.New("columns").AtSliceIndex(10),
						knownvalue.ObjectExact(map[string]knownvalue.Check{"name": knownvalue.StringExact("marketing_opt_in"), "type": knownvalue.StringExact("bool")})),
					captureFingerprint,
				},
			},
			{
				Config: config(gzPath, "marketing_opt_in == true"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.sendgridaudience_segment.test", tfjsonpath.New("profile_count"), knownvalue.Int64Exact(optedIn)),
					captureFingerprint,
				},
			},
			{ // The filter is type-checked against the Parquet schema.
				Config:      config(parquetPath, "marketing_opt_in == 'yes'"),
				ExpectError: allWordsRe("The segment's filter is invalid", "filter:1:", "marketing_opt_in", "bool"),
			},
			{ // A query cannot apply to a Parquet file: refused before anything is read.
				Config: env.ProviderConfig(testAccAdmin) + fmt.Sprintf(`
data "sendgridaudience_segment" "test" {
  name   = "opted-in"
  source = %q
  query  = "SELECT * FROM profiles"
}
`, parquetPath),
				ExpectError: allWordsRe("query", "Parquet file"),
			},
			{ // A type error in the filter points into the expression.
				Config:      config(csvPath, "lifetime_value > 'high'"),
				ExpectError: allWordsRe("The segment's filter is invalid", "filter:1:"),
			},
			{ // A misspelt column.
				Config:      config(csvPath, "marketing_optin == true"),
				ExpectError: allWordsRe("marketing_optin", "marketing_opt_in"),
			},
			{ // A missing file names the attribute and the path.
				Config:      config(filepath.Join(dir, "missing.csv"), ""),
				ExpectError: allWordsRe("Cannot read the segment's source", "missing.csv"),
			},
			{ // A database password in a URL never reaches state: refused with advice.
				Config:      config("postgres://crm:hunter2@127.0.0.1:5432/crm", ""),
				ExpectError: regexp.MustCompile(`(?s)PGPASSWORD`),
			},
			{Config: config(csvPath, "")},
		},
	})
}

// TestAccSegmentDataSourceHostileInput: a query that would write is refused and the database
// file stays unchanged with no new file beside it; an expensive filter is refused at plan;
// a filter error that would quote a profile's email does not.
func TestAccSegmentDataSourceHostileInput(t *testing.T) {
	env, _, _ := testAccNewSharedEnv(t, "") // reads no SendGrid data
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "customers.db")
	g, err := synth.New(synth.Options{Count: 50, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.WriteFile(context.Background(), dbPath, synth.SQLite); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	config := func(query, filter string) string {
		return env.ProviderConfig(testAccAdmin) + fmt.Sprintf(`
data "sendgridaudience_segment" "test" {
  name   = "hostile"
  source = %q
  query  = %q
  filter = %q
}
`, "sqlite:"+dbPath, query, filter)
	}
	list := "[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,96,97,98,99]"
	unchanged := func() error {
		after, err := os.ReadFile(dbPath)
		if err != nil {
			return err
		}
		if string(after) != string(before) {
			return fmt.Errorf("the database file changed")
		}
		ents, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		if len(ents) != 1 {
			return fmt.Errorf("the source's directory holds %d entries, want only the database", len(ents))
		}
		return nil
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      config("VACUUM INTO '"+filepath.Join(dir, "copy.db")+"'", ""),
				ExpectError: allWordsRe("The segment's query failed", "VACUUM statement", "read-only"),
			},
			{
				Config:      config("ATTACH '"+dbPath+"' AS w; DELETE FROM w.profiles; SELECT * FROM profiles", ""),
				ExpectError: allWordsRe("The segment's query failed", "ATTACH statement", "read-only"),
			},
			{
				PreConfig: func() {
					if err := unchanged(); err != nil {
						t.Errorf("after the refused queries: %v", err)
					}
				},
				Config:      config("SELECT * FROM profiles", fmt.Sprintf("%[1]s.exists(a, %[1]s.exists(b, %[1]s.exists(c, %[1]s.exists(d, a+b+c+d == -1))))", list)),
				ExpectError: allWordsRe("The segment's filter is invalid", "too expensive"),
			},
			{
				Config:      config("SELECT * FROM profiles", `{"a": 1}[email] == 1`),
				ExpectError: allWordsRe("no such key", "the key is not shown"),
			},
			{
				Config: config("SELECT * FROM profiles", "marketing_opt_in == true"),
				Check: func(*terraform.State) error {
					return unchanged()
				},
			},
		},
	})
}

// writeGzip writes g as a gzip-compressed CSV file.
func writeGzip(t *testing.T, path string, g *synth.Generator) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	if err := g.WriteCSV(zw); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestAccSegmentDataSourceMySQLCheckedAtPlan: a mysql:// source with a password in the URL, and
// MySQL queries that would write, are refused when the configuration is validated, before any
// connection (the host does not exist).
func TestAccSegmentDataSourceMySQLCheckedAtPlan(t *testing.T) {
	env, _, _ := testAccNewSharedEnv(t, "") // reads no SendGrid data
	config := func(source, query string) string {
		return env.ProviderConfig(testAccAdmin) + fmt.Sprintf(`
data "sendgridaudience_segment" "test" {
  name   = "mysql"
  source = %q
  query  = %q
}
`, source, query)
	}
	const src = "mysql://exporter@shop-db.example.invalid:3306/crm"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      config("mysql://exporter:Hunter2-secret@shop-db.example.invalid/crm", "SELECT * FROM customers"),
				ExpectError: allWordsRe("Cannot read the segment's source", "contains a password", "MYSQL_PWD", "database_password"),
			},
			{
				Config:      config(src, "SELECT * FROM customers INTO OUTFILE '/tmp/customers.txt'"),
				ExpectError: allWordsRe("The segment's query failed", "INTO", "read-only"),
			},
			{
				Config:      config(src, "DELETE FROM customers"),
				ExpectError: allWordsRe("The segment's query failed", "DELETE statement", "read-only"),
			},
			{
				Config:      config(src, "SELECT 1 /*!00000 ; DROP TABLE customers */"),
				ExpectError: allWordsRe("The segment's query failed", "executable comment"),
			},
		},
	})
}
