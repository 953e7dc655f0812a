package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
)

// One "yes" among the booleans of a JSON Lines column: the column stays bool, the row is an
// invalid profile with its line and column (failing the plan with invalid_profiles = "fail",
// skipped otherwise), and a filter comparing the column with a string fails at plan.
func TestAccExport_valueAgainstItsColumnsType(t *testing.T) {
	env := testAccNewEnv(t)
	listID := env.Emulator.SeedList(env.Key, "Newsletter")
	var b strings.Builder
	for i := range 30 {
		optIn := "true"
		if i == 12 {
			optIn = `"yes"`
		}
		fmt.Fprintf(&b, `{"email":"user%03d@example.com","opt-in":%s}`+"\n", i, optIn)
	}
	path := filepath.Join(t.TempDir(), "customers.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	config := func(filter, extra string) string {
		return env.ProviderConfig(testAccAdmin) + testAccConnectionConfig("Marketing", []string{testAccAdmin}, nil, "") + fmt.Sprintf(`
data "sendgridaudience_segment" "opted_in" {
  name   = "opted-in"
  source = %q
  filter = %q
}

resource "sendgridaudience_export" "test" {
  name                = "newsletter"
  sendgrid_connection = sendgridaudience_connection.test
  list_id             = %q
  segments            = [data.sendgridaudience_segment.opted_in]
  data_matching       = { email = "email" }
%s
}
`, path, filter, listID, extra)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      config(`profile["opt-in"] == "yes"`, ""),
				PlanOnly:    true,
				ExpectError: allWordsRe(`column "opt-in" is bool (its type in the source), but the filter compares it (==) with a string`),
			},
			{
				Config:   config(`profile["opt-in"] == true`, `  invalid_profiles = "fail"`),
				PlanOnly: true,
				ExpectError: allWordsRe(`1 invalid profile (invalid_profiles = "fail")`, `customers.jsonl line 13: column "opt-in" wrong_type_for_column`,
					"the value is a string, but the column is bool"),
			},
			{
				Config: config(`profile["opt-in"] == true`, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					expectChanges(29, 0, 0),
				}},
			},
		},
	})
}
