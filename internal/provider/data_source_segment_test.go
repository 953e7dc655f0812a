package provider

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/synth"
)

func TestAccSegmentDataSource(t *testing.T) {
	env := testAccNewEnv(t)
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
				return fmt.Errorf("the same profiles from CSV and JSON Lines must have the same fingerprint")
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
