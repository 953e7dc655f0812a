package provider

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// TestAccSegmentDataSourceMySQL reads a segment from the MariaDB server make test starts
// (SENDGRIDAUDIENCE_TEST_MYSQL_DSN), as a user whose password comes from the provider's
// database_password: counts, MySQL's column types and a fingerprint, and no password in state.
func TestAccSegmentDataSourceMySQL(t *testing.T) {
	dsn := os.Getenv("SENDGRIDAUDIENCE_TEST_MYSQL_DSN")
	if dsn == "" || os.Getenv("TF_ACC") == "" {
		t.Skip("needs TF_ACC and SENDGRIDAUDIENCE_TEST_MYSQL_DSN (make test's MariaDB phase sets both)")
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr, cfg.DBName = u.User.Username(), "tcp", u.Host, strings.TrimPrefix(u.Path, "/")
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	// Registered first, so it runs last: after the cleanup below has dropped the user and table.
	t.Cleanup(func() { _ = db.Close() })
	suffix := time.Now().UnixNano() % 1e9
	table, user := fmt.Sprintf("acc_segment_%d", suffix), fmt.Sprintf("acc_reader_%d", suffix)
	const password = "Acc-Test-Pw-7731"
	for _, stmt := range []string{
		"CREATE TABLE " + table + " (email varchar(254), country char(2), lifetime_value decimal(10,2), opt_in boolean, signed_up datetime)",
		"INSERT INTO " + table + " VALUES ('user1@example.com','DE',10.5,true,'2026-01-02 03:04:05'), ('user2@example.com','US',200,false,NULL), ('user3@example.com','DE',NULL,true,NULL)",
		"CREATE USER '" + user + "'@'127.0.0.1' IDENTIFIED BY '" + password + "'",
		"GRANT SELECT ON " + cfg.DBName + "." + table + " TO '" + user + "'@'127.0.0.1'",
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	t.Cleanup(func() {
		for _, stmt := range []string{"DROP USER IF EXISTS '" + user + "'@'127.0.0.1'", "DROP TABLE IF EXISTS " + table} {
			if _, err := db.Exec(stmt); err != nil {
				t.Errorf("cleanup: %s: %v", stmt, err)
			}
		}
	})
	u.User = url.User(user)
	env, _, _ := testAccNewSharedEnv(t, "") // reads no SendGrid data
	provider := strings.TrimSuffix(env.ProviderConfig(testAccAdmin), "}\n") + fmt.Sprintf("  database_password = %q\n}\n", password)
	config := provider + fmt.Sprintf(`
data "sendgridaudience_segment" "test" {
  name   = "mysql"
  source = %q
  query  = "SELECT email, country, lifetime_value, opt_in, signed_up FROM %s ORDER BY email"
  filter = "opt_in == 1"
}
`, u.String(), table)
	col := func(i int, name, typ string) statecheck.StateCheck {
		return statecheck.ExpectKnownValue("data.sendgridaudience_segment.test", tfjsonpath.New("columns").AtSliceIndex(i),
			knownvalue.ObjectExact(map[string]knownvalue.Check{"name": knownvalue.StringExact(name), "type": knownvalue.StringExact(typ)}))
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.sendgridaudience_segment.test", tfjsonpath.New("profile_count"), knownvalue.Int64Exact(2)),
				statecheck.ExpectKnownValue("data.sendgridaudience_segment.test", tfjsonpath.New("source_count"), knownvalue.Int64Exact(3)),
				col(0, "email", "string"), col(2, "lifetime_value", "double"), col(3, "opt_in", "int"), col(4, "signed_up", "timestamp"),
				statecheck.ExpectKnownValue("data.sendgridaudience_segment.test", tfjsonpath.New("fingerprint"), knownvalue.StringRegexp(regexp.MustCompile(`^.+:[0-9a-f]{64}$`))),
			},
			Check: func(s *terraform.State) error {
				for _, m := range s.Modules {
					for addr, r := range m.Resources {
						for k, v := range r.Primary.Attributes {
							if strings.Contains(v, password) || strings.Contains(v, "user1@example.com") {
								return fmt.Errorf("%s.%s holds the password or a profile value", addr, k)
							}
						}
					}
				}
				return nil
			},
		}},
	})
}
