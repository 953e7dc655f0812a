package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

func TestAccListDataSource(t *testing.T) {
	env := testAccNewEnv(t)
	newsletter := env.Emulator.SeedList(env.Key, "Newsletter")
	// SendGrid refuses two lists with the same name, so ambiguity is covered by TestPickListByName;
	// here names that differ only in case must not be confused.
	vip := env.Emulator.SeedList(env.Key, "VIP")
	vipLower := env.Emulator.SeedList(env.Key, "vip")
	p := env.ProviderConfig(testAccAdmin)
	valid := p + fmt.Sprintf(`
data "sendgridaudience_list" "by_name" {
  name = "Newsletter"
}
data "sendgridaudience_list" "by_id" {
  id = %q
}
data "sendgridaudience_list" "vip" {
  name = "vip"
}
`, vip)

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: valid,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.sendgridaudience_list.by_name", tfjsonpath.New("id"), knownvalue.StringExact(newsletter)),
					statecheck.ExpectKnownValue("data.sendgridaudience_list.by_name", tfjsonpath.New("contact_count"), knownvalue.Int64Exact(0)),
					statecheck.ExpectKnownValue("data.sendgridaudience_list.by_id", tfjsonpath.New("name"), knownvalue.StringExact("VIP")),
					statecheck.ExpectKnownValue("data.sendgridaudience_list.by_id", tfjsonpath.New("id"), knownvalue.StringExact(vip)),
					statecheck.ExpectKnownValue("data.sendgridaudience_list.vip", tfjsonpath.New("id"), knownvalue.StringExact(vipLower)),
				},
			},
			{
				Config:      p + `data "sendgridaudience_list" "x" { name = "newsletter" }`,
				ExpectError: allWordsRe("SendGrid list not found", `named exactly "newsletter"`, `similar name`, newsletter),
			},
			{
				Config:      p + `data "sendgridaudience_list" "x" { id = "7d5e1c2b-0f4a-4b8e-9c3d-6a1f2e3d4c5b" }`,
				ExpectError: allWordsRe("SendGrid list not found", "No contact list with ID 7d5e1c2b-0f4a-4b8e-9c3d-6a1f2e3d4c5b"),
			},
			{
				Config: p + fmt.Sprintf(`
data "sendgridaudience_list" "x" {
  id   = %q
  name = "Newsletter"
}`, newsletter),
				ExpectError: regexp.MustCompile(`(?s)Invalid Attribute Combination.*Exactly\s+one\s+of\s+these\s+attributes\s+must\s+be\s+configured:\s+\[id,name\]`),
			},
			{
				Config:      p + `data "sendgridaudience_list" "x" {}`,
				ExpectError: regexp.MustCompile(`(?s)Missing Attribute Configuration.*Exactly\s+one\s+of\s+these\s+attributes\s+must\s+be\s+configured:\s+\[id,name\]`),
			},
			{
				// The last configuration is valid again, so that the final destroy can run.
				Config: valid,
			},
		},
	})
}
