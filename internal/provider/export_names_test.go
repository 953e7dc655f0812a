package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/synth"
)

func TestExportNamesClaim(t *testing.T) {
	cfg := func(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
	type call struct {
		list, name, config string
		hadState           bool
		wantClash          string
	}
	cases := []struct {
		name  string
		calls []call
	}{
		{name: "two exports, other names", calls: []call{
			{list: "L", name: "a", config: "1"}, {list: "L", name: "b", config: "2"}}},
		{name: "one name on two lists", calls: []call{
			{list: "L", name: "a", config: "1"}, {list: "M", name: "a", config: "2"}}},
		{name: "two new exports, one name", calls: []call{
			{list: "L", name: "a", config: "1"}, {list: "L", name: "a", config: "2", wantClash: "first"}}},
		{name: "new export with an applied one's name", calls: []call{
			{list: "L", name: "a", config: "1", hadState: true}, {list: "L", name: "a", config: "2", wantClash: "first"}}},
		{name: "two applied exports, one name, identical blocks", calls: []call{
			{list: "L", name: "a", config: "1", hadState: true}, {list: "L", name: "a", config: "1", hadState: true, wantClash: "first"}}},
		{name: "replacement planned again", calls: []call{
			{list: "L", name: "a", config: "1", hadState: true}, {list: "L", name: "a", config: "1"}}},
		{name: "replacement planned again, then another export", calls: []call{
			{list: "L", name: "a", config: "1", hadState: true}, {list: "L", name: "a", config: "1"},
			{list: "L", name: "a", config: "2", wantClash: "first"}}},
		{name: "new export first, then an applied one", calls: []call{
			{list: "L", name: "a", config: "1"}, {list: "L", name: "a", config: "1", hadState: true, wantClash: "first"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := newExportNames()
			for i, c := range tc.calls {
				desc := "first"
				if i > 0 {
					desc = fmt.Sprintf("call %d", i+1)
				}
				got := n.claim(c.list, c.name, &exportClaim{config: cfg(c.config), hadState: c.hadState, describing: desc})
				if got != c.wantClash {
					t.Fatalf("call %d: clash %q, want %q", i+1, got, c.wantClash)
				}
			}
		})
	}
}

// Two export blocks with one name on one list fail at plan; renaming (a replacement, planned
// twice by Terraform), a forced replacement and destroying raise no false alarm.
func TestAccExport_nameUniquePerList(t *testing.T) {
	f := newExportFixture(t, synth.Options{Count: 20, Seed: 5})
	second := func(name string) string {
		return fmt.Sprintf(`
resource "sendgridaudience_export" "second" {
  name                = %q
  sendgrid_connection = sendgridaudience_connection.test
  list_id             = %q
  segments            = [{ name = "vip", source = %q }]
  data_matching       = { email = "email" }
}
`, name, f.listID, f.path)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:   f.config(testAccAdmin, "") + second("newsletter"),
				PlanOnly: true,
				// Terraform plans the two concurrently: either one may be "this one".
				ExpectError: regexp.MustCompile(allWordsRe(`under the name "newsletter"`, `segments "customers"`, `segments "vip"`, "Give each export on a list its own name").String() +
					"|" + allWordsRe(`under the name "newsletter"`, `segments "vip"`, `segments "customers"`, "Give each export on a list its own name").String()),
			},
			{Config: f.config(testAccAdmin, "") + second("vip")},
			{
				// A new name replaces the export: Terraform plans it twice in one plan.
				Config: f.config(testAccAdmin, "") + second("vip-weekly"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("sendgridaudience_export.second", plancheck.ResourceActionDestroyBeforeCreate),
				}},
			},
			{
				Config: f.config(testAccAdmin, "") + second("vip-weekly"),
				Taint:  []string{"sendgridaudience_export.second"},
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("sendgridaudience_export.second", plancheck.ResourceActionDestroyBeforeCreate),
				}},
			},
			{
				// An applied export renamed onto another's name is refused too.
				Config:      f.config(testAccAdmin, "") + second("newsletter"),
				PlanOnly:    true,
				ExpectError: wordsRe("Two exports with one name on one list"),
			},
		},
	})
}
