package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/s3fake"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/synth"
)

// s3ExportFixture is an export fixture whose profile file is also a gzipped object in an
// S3-compatible store on loopback, which the configuration names instead of the file.
type s3ExportFixture struct {
	*exportFixture
	store *s3fake.Server
	size  int // bytes of the object
}

const s3ExportObject = "s3://" + s3fake.Bucket + "/exports/customers.csv.gz"

func newS3ExportFixture(t *testing.T, opts synth.Options) *s3ExportFixture {
	t.Helper()
	f := &s3ExportFixture{exportFixture: newExportFixture(t, opts), store: s3fake.New(t)}
	f.store.Env(t)
	f.upload(t)
	return f
}

// upload puts the profile file, gzipped, in the store.
func (f *s3ExportFixture) upload(t *testing.T) {
	t.Helper()
	gz := s3fake.GzipFile(t, f.path)
	f.store.Put(t, "exports/customers.csv.gz", gz)
	f.size = len(gz)
}

func (f *s3ExportFixture) config() string {
	c := strings.Replace(f.exportFixture.config(testAccAdmin, ""), fmt.Sprintf("%q", f.path), fmt.Sprintf("%q", s3ExportObject), 1)
	return strings.Replace(c, "provider \"sendgridaudience\" {\n", fmt.Sprintf(
		"provider \"sendgridaudience\" {\n  s3_endpoint = %q\n  s3_region = %q\n  s3_use_path_style = true\n", f.store.URL, s3fake.Region), 1)
}

// An export of a segment read from S3 plans and uploads exactly what the same file on disk
// gives, and an unchanged object plans nothing.
func TestAccExport_segmentFromS3(t *testing.T) {
	base := synth.Options{Count: 300, Seed: 23, InvalidFraction: 0.05}
	f := newS3ExportFixture(t, base)
	all := expectedEmails(t, base, nil)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: f.config(),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("sendgridaudience_export.test", plancheck.ResourceActionCreate),
					expectChanges(int64(len(all)), 0, 0),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("sendgridaudience_export.test", tfjsonpath.New("last_run").AtMapKey("status"), knownvalue.StringExact("succeeded")),
					statecheck.ExpectKnownValue("sendgridaudience_export.test", tfjsonpath.New("in_sync"), knownvalue.Bool(true)),
				},
				Check: func(*terraform.State) error { return f.checkMembers(t, all) },
			},
			{
				Config:           f.config(),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{ // A connection cut mid-read fails the plan: no count or run from part of the object.
				PreConfig:   func() { f.store.CutAt.Store(int64(f.size / 2)) },
				Config:      f.config(),
				ExpectError: allWordsRe(s3ExportObject, "reading the object failed", "nothing read from it is used"),
			},
			{
				PreConfig:        func() { f.store.CutAt.Store(0) },
				Config:           f.config(),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}

// An object replaced in the store between plan and apply fails the apply before anything is
// sent, as a local file edited in between does.
func TestAccExport_s3ObjectReplacedBetweenPlanAndApply(t *testing.T) {
	opts := synth.Options{Count: 100, Seed: 29}
	f := newS3ExportFixture(t, opts)
	edited := opts
	edited.EditPercent = 5
	replaced := false
	replace := func() {
		writeProfiles(t, f.path, edited)
		f.upload(t)
		replaced = true
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactoriesWithApplyHook("sendgridaudience_export", replace),
		Steps: []resource.TestStep{{
			Config:      f.config(),
			ExpectError: allWordsRe("Segment changed since the plan", `segment "customers" changed after it was read for the plan`),
		}},
	})
	if !replaced {
		t.Fatal("the object was not replaced between plan and apply")
	}
	if f.env.emulatorOnly(t, "contacts sent, from the emulator's counters") {
		if got := contactsSent(f.env.Emulator.Counters()); got != 0 {
			t.Fatalf("%d contacts were sent although the object changed after the plan", got)
		}
	}
}
