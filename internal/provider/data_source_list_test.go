package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

func TestAccListDataSource(t *testing.T) {
	env, newsletter, name := testAccNewSharedEnv(t, "Newsletter")
	p := env.ProviderConfig(testAccAdmin)
	valid := p + fmt.Sprintf(`
data "sendgridaudience_list" "by_name" {
  name = %q
}
data "sendgridaudience_list" "by_id" {
  id = %q
}
`, name, newsletter)
	checks := []statecheck.StateCheck{
		statecheck.ExpectKnownValue("data.sendgridaudience_list.by_name", tfjsonpath.New("id"), knownvalue.StringExact(newsletter)),
		statecheck.ExpectKnownValue("data.sendgridaudience_list.by_id", tfjsonpath.New("name"), knownvalue.StringExact(name)),
		statecheck.ExpectKnownValue("data.sendgridaudience_list.by_id", tfjsonpath.New("id"), knownvalue.StringExact(newsletter)),
	}
	if env.emulatorOnly(t, "lists seeded with names that differ only in case, and an empty list's count") {
		// SendGrid refuses two lists with the same name, so ambiguity is covered by TestPickListByName;
		// here names that differ only in case must not be confused.
		vip := env.Emulator.SeedList(env.Key, "VIP")
		vipLower := env.Emulator.SeedList(env.Key, "vip")
		valid += fmt.Sprintf(`
data "sendgridaudience_list" "vip_by_id" {
  id = %q
}
data "sendgridaudience_list" "vip" {
  name = "vip"
}
`, vip)
		checks = append(checks,
			statecheck.ExpectKnownValue("data.sendgridaudience_list.by_name", tfjsonpath.New("contact_count"), knownvalue.Int64Exact(0)),
			statecheck.ExpectKnownValue("data.sendgridaudience_list.vip_by_id", tfjsonpath.New("name"), knownvalue.StringExact("VIP")),
			statecheck.ExpectKnownValue("data.sendgridaudience_list.vip_by_id", tfjsonpath.New("id"), knownvalue.StringExact(vip)),
			statecheck.ExpectKnownValue("data.sendgridaudience_list.vip", tfjsonpath.New("id"), knownvalue.StringExact(vipLower)),
		)
	}
	// A name that differs from the list's only in case is not found, and the list is suggested.
	similar := strings.ToLower(name)
	if similar == name {
		similar = strings.ToUpper(name)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:            valid,
				ConfigStateChecks: checks,
			},
			{
				SkipFunc: func() (bool, error) {
					if similar == name {
						t.Logf("the scratch list's name %q has no letters to change the case of", name)
					}
					return similar == name, nil
				},
				Config:      p + fmt.Sprintf(`data "sendgridaudience_list" "x" { name = %q }`, similar),
				ExpectError: allWordsRe("SendGrid list not found", fmt.Sprintf("named exactly %q", similar), `similar name`, newsletter),
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
