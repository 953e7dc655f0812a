package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/synth"
)

// The connection's profile_cap refuses only runs that add contacts to the account: with the
// account over the cap, a run that only updates the export's contacts goes through, and one that
// adds a contact is refused on the export's sendgrid_connection line, saying the account is full
// rather than to narrow the segments.
func TestAccExport_profileCapRefusesOnlyAdditions(t *testing.T) {
	opts := synth.Options{Count: 40, Seed: 51}
	f := newEmulatorExportFixture(t, opts)
	withCap := func(c string, profileCap int) string {
		return strings.Replace(c, "data_privacy_consent = true", fmt.Sprintf("data_privacy_consent = true\n  profile_cap = %d", profileCap), 1)
	}
	base := f.config(testAccAdmin, "")
	withoutCity := strings.Replace(base, `city       = "city"`, "", 1)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: withCap(base, 1000),
			},
			{
				// Someone else filled the account: 30 more contacts, and the cap lowered below
				// the total. Dropping a mapped field updates every contact and adds none.
				PreConfig: func() {
					f.env.Emulator.FlushJobs()
					for i := range 30 {
						f.env.Emulator.SeedContact(f.env.Key, fmt.Sprintf("other-%d@example.net", i), nil)
					}
				},
				Config: withCap(withoutCity, 50),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("sendgridaudience_export.test", plancheck.ResourceActionUpdate),
					expectAccount(0, int64(len(expectedEmails(t, opts, nil)))+30),
				}},
			},
			{
				// One new profile: the account is full, and the advice says so.
				PreConfig: func() { f.write(t, synth.Options{Count: 41, Seed: 51}) },
				Config:    withCap(withoutCity, 50),
				PlanOnly:  true,
				ExpectError: allWordsRe("Export exceeds the connection's profile_cap",
					"sendgrid_connection = sendgridaudience_connection.test",
					"this run adds 1 new to it", "over the connection's profile_cap of 50.",
					"The account is already at or over the cap, so no new contact fits"),
			},
		},
	})
}
