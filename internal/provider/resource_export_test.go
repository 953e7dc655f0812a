package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/synth"
)

// exportFixture is a synthetic profile file on disk and the SendGrid list it is exported to.
type exportFixture struct {
	env    *testAccEnv
	listID string
	path   string
	opts   synth.Options
	field  string          // the Number custom field lifetime_value is mapped to
	emails map[string]bool // every valid address the profile file has held
}

// newExportFixture runs in both modes: a seeded list on the emulator, or the scratch list in
// real-API mode, whose contacts the test adds are removed from it when the test ends.
func newExportFixture(t *testing.T, opts synth.Options) *exportFixture {
	t.Helper()
	env, listID, _ := testAccNewSharedEnv(t, "Newsletter")
	return exportFixtureOn(t, env, listID, opts)
}

// newEmulatorExportFixture is newExportFixture for a test only the emulator can run.
func newEmulatorExportFixture(t *testing.T, opts synth.Options) *exportFixture {
	t.Helper()
	env := testAccNewEnv(t)
	return exportFixtureOn(t, env, env.Emulator.SeedList(env.Key, "Newsletter"), opts)
}

func exportFixtureOn(t *testing.T, env *testAccEnv, listID string, opts synth.Options) *exportFixture {
	t.Helper()
	f := &exportFixture{
		env:    env,
		listID: listID,
		path:   filepath.Join(t.TempDir(), "customers.csv"),
		opts:   opts,
		emails: map[string]bool{},
	}
	f.field = env.testAccCustomField(t, "lifetime_value", sendgrid.FieldNumber)
	env.removeFromListAtEnd(t, listID, f.sent)
	f.write(t, opts)
	return f
}

// write (re)generates the profile file.
func (f *exportFixture) write(t *testing.T, opts synth.Options) {
	t.Helper()
	writeProfiles(t, f.path, opts)
	for _, e := range expectedEmails(t, opts, nil) {
		f.emails[e] = true
	}
}

// sent returns every valid address the profile file has held, sorted.
func (f *exportFixture) sent() []string {
	out := make([]string, 0, len(f.emails))
	for e := range f.emails {
		out = append(out, e)
	}
	sort.Strings(out)
	return out
}

// writeProfiles generates a profile file at path.
func writeProfiles(t *testing.T, path string, opts synth.Options) {
	t.Helper()
	g, err := synth.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.WriteFile(context.Background(), path, synth.CSV); err != nil {
		t.Fatal(err)
	}
}

// expected returns the lower-cased emails of the profiles the export must leave on the list:
// valid, first occurrence, selected by keep.
func expectedEmails(t *testing.T, opts synth.Options, keep func(*synth.Profile) bool) []string {
	t.Helper()
	g, err := synth.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	_ = g.Each(func(_ int, p *synth.Profile) error {
		e := strings.ToLower(strings.TrimSpace(p.Email))
		if p.Invalid != "" || seen[e] || (keep != nil && !keep(p)) {
			return nil
		}
		seen[e] = true
		return nil
	})
	out := make([]string, 0, len(seen))
	for e := range seen {
		out = append(out, e)
	}
	sort.Strings(out)
	return out
}

func (f *exportFixture) config(actor, extra string) string {
	return f.env.ProviderConfig(actor) + testAccConnectionConfig("Marketing", []string{testAccAdmin}, []string{testAccContributor}, "") +
		fmt.Sprintf(`
data "sendgridaudience_segment" "customers" {
  name   = "customers"
  source = %q
}

resource "sendgridaudience_export" "test" {
  name       = "newsletter"
  sendgrid_connection = sendgridaudience_connection.test
  list_id    = %q
  segments   = [data.sendgridaudience_segment.customers]

  data_matching = {
    email      = "email"
    first_name = "first_name"
    last_name  = "last_name"
    city       = "city"
    custom_fields = {
      %s = "lifetime_value"
    }
  }
%s
}
`, f.path, f.listID, f.field, extra)
}

// checkMembers reports whether the list holds exactly the contacts in want: on the emulator the
// whole list; in real-API mode, whose scratch list may hold others' contacts, every address in
// want and none of the test's other addresses (polling while SendGrid catches up).
func (f *exportFixture) checkMembers(t *testing.T, want []string) error {
	if !f.env.Real {
		got := f.env.emulatedMembers(f.listID)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			return fmt.Errorf("list holds %d contacts, want %d (the segments exactly)", len(got), len(want))
		}
		return nil
	}
	if n, err := f.env.testAccListMembers(t, f.listID, want, func(on int) bool { return on == len(want) }); err != nil || n != len(want) {
		return fmt.Errorf("%d of the %d contacts of the segments are on the list (%v)", n, len(want), err)
	}
	var others []string
	for _, e := range f.sent() {
		if !slices.Contains(want, e) {
			others = append(others, e)
		}
	}
	if n, err := f.env.testAccListMembers(t, f.listID, others, func(on int) bool { return on == 0 }); err != nil || n != 0 {
		return fmt.Errorf("%d contacts outside the segments are on the list (%v)", n, err)
	}
	return nil
}

func contactsSent(c emulator.Counters) int64 { return c.ContactsUpserted + c.ContactsImported }

// expectChanges checks the planned run's counts, and that the plan shows them in full: the
// refreshed state holds no changes, so every count is a new value in the plan's diff, whatever
// the last run's counts were.
func expectChanges(add, update, remove int64) plancheck.PlanCheck {
	return planChecks{
		plancheck.ExpectKnownValue("sendgridaudience_export.test", tfjsonpath.New("changes"), knownvalue.ObjectExact(map[string]knownvalue.Check{
			"to_add": knownvalue.Int64Exact(add), "to_update": knownvalue.Int64Exact(update),
			"to_remove": knownvalue.Int64Exact(remove), "unchanged": knownvalue.NotNull(),
			"new_in_account": knownvalue.NotNull(), "account_contacts_after": knownvalue.NotNull(),
		})),
		changesShown{address: "sendgridaudience_export.test"},
	}
}

// expectNothingSent checks that the plan sends nothing: no changes, and the last run's report
// kept (not known after apply).
func expectNothingSent() plancheck.PlanCheck {
	return planChecks{
		plancheck.ExpectKnownValue("sendgridaudience_export.test", tfjsonpath.New("changes"), knownvalue.Null()),
		plancheck.ExpectKnownValue("sendgridaudience_export.test", tfjsonpath.New("last_run").AtMapKey("status"), knownvalue.NotNull()),
	}
}

// planChecks runs several plan checks as one.
type planChecks []plancheck.PlanCheck

func (cs planChecks) CheckPlan(ctx context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, c := range cs {
		var r plancheck.CheckPlanResponse
		c.CheckPlan(ctx, req, &r)
		if r.Error != nil {
			resp.Error = r.Error
			return
		}
	}
}

// changesShown checks that a resource's planned changes are shown in full: null before the
// plan (the refresh cleared them), so no count hides among "unchanged attributes".
type changesShown struct{ address string }

func (c changesShown) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address != c.address {
			continue
		}
		before, _ := rc.Change.Before.(map[string]any)
		after, _ := rc.Change.After.(map[string]any)
		if before != nil && before["changes"] != nil {
			resp.Error = fmt.Errorf("%s: changes before the plan is %v, want null (the counts must show in full)", c.address, before["changes"])
		} else if after == nil || after["changes"] == nil {
			resp.Error = fmt.Errorf("%s: the plan has no changes", c.address)
		}
		return
	}
	resp.Error = fmt.Errorf("%s: not in the plan", c.address)
}

// expectAccount checks the planned contacts the run adds to the SendGrid account, and the
// account's total after it.
func expectAccount(added, after int64) plancheck.PlanCheck {
	return plancheck.ExpectKnownValue("sendgridaudience_export.test", tfjsonpath.New("changes"), knownvalue.ObjectPartial(map[string]knownvalue.Check{
		"new_in_account": knownvalue.Int64Exact(added), "account_contacts_after": knownvalue.Int64Exact(after),
	}))
}

func TestAccExport_incrementalRuns(t *testing.T) {
	base := synth.Options{Count: 400, Seed: 11, InvalidFraction: 0.05, DuplicateFraction: 0.02}
	f := newExportFixture(t, base)
	all := expectedEmails(t, base, nil)
	edited := base
	edited.EditPercent = 1
	var editedValid int64
	g, _ := synth.New(edited)
	_ = g.Each(func(_ int, p *synth.Profile) error {
		if p.Edited && p.Invalid == "" && p.DuplicateOf < 0 {
			editedValid++
		}
		return nil
	})
	if editedValid == 0 {
		t.Fatal("the 1 % edit must touch at least one valid profile")
	}
	var sentBefore int64

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{ // First apply uploads every valid profile once; the plan shows the counts.
				Config: f.config(testAccAdmin, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("sendgridaudience_export.test", plancheck.ResourceActionCreate),
					expectChanges(int64(len(all)), 0, 0),
					plancheck.ExpectKnownValue("sendgridaudience_export.test", tfjsonpath.New("validation").AtMapKey("invalid"), knownvalue.Int64Exact(20)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("sendgridaudience_export.test", tfjsonpath.New("last_run").AtMapKey("status"), knownvalue.StringExact("succeeded")),
					statecheck.ExpectKnownValue("sendgridaudience_export.test", tfjsonpath.New("last_run").AtMapKey("requested"), knownvalue.Int64Exact(int64(len(all)))),
					statecheck.ExpectKnownValue("sendgridaudience_export.test", tfjsonpath.New("profile_count"), knownvalue.Int64Exact(int64(len(all)))),
					statecheck.ExpectKnownValue("sendgridaudience_export.test", tfjsonpath.New("in_sync"), knownvalue.Bool(true)),
				},
				Check: func(*terraform.State) error {
					if err := f.checkMembers(t, all); err != nil {
						return err
					}
					if !f.env.emulatorOnly(t, "contacts sent, from the emulator's counters") {
						return nil
					}
					if got := contactsSent(f.env.Emulator.Counters()); got != int64(len(all)) {
						return fmt.Errorf("first run sent %d contacts, want %d", got, len(all))
					}
					sentBefore = contactsSent(f.env.Emulator.Counters())
					return nil
				},
			},
			{ // Unchanged data: an empty plan, nothing sent (a contributor may run the export).
				Config: f.config(testAccContributor, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				Check: func(*terraform.State) error {
					if !f.env.emulatorOnly(t, "contacts sent, from the emulator's counters") {
						return nil
					}
					if got := contactsSent(f.env.Emulator.Counters()) - sentBefore; got != 0 {
						return fmt.Errorf("an unchanged run sent %d contacts", got)
					}
					return nil
				},
			},
			{ // 1 % of the profiles edited: the plan shows exactly those updates and apply sends only them.
				PreConfig: func() { f.write(t, edited) },
				Config:    f.config(testAccAdmin, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("sendgridaudience_export.test", plancheck.ResourceActionUpdate),
					expectChanges(0, editedValid, 0),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("sendgridaudience_export.test", tfjsonpath.New("last_run").AtMapKey("requested"), knownvalue.Int64Exact(editedValid)),
				},
				Check: func(*terraform.State) error {
					if f.env.emulatorOnly(t, "contacts sent, from the emulator's counters") {
						if got := contactsSent(f.env.Emulator.Counters()) - sentBefore; got != editedValid {
							return fmt.Errorf("the incremental run sent %d contacts, want %d", got, editedValid)
						}
					}
					if err := f.checkMembers(t, all); err != nil {
						return err
					}
					return nil
				},
			},
			{ // run_trigger forces a full run with unchanged data: every contact is sent again.
				Config: f.config(testAccAdmin, `  run_trigger = "2026-11-28"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("sendgridaudience_export.test", plancheck.ResourceActionUpdate),
					expectChanges(0, int64(len(all)), 0),
				}},
			},
			{ // Another on-demand run: the same counts as the last run's, still shown in full.
				Config: f.config(testAccAdmin, `  run_trigger = "2026-11-29"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("sendgridaudience_export.test", plancheck.ResourceActionUpdate),
					expectChanges(0, int64(len(all)), 0),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("sendgridaudience_export.test", tfjsonpath.New("last_run").AtMapKey("requested"), knownvalue.Int64Exact(int64(len(all)))),
				},
				Check: func(*terraform.State) error {
					if !f.env.Real {
						sentBefore = contactsSent(f.env.Emulator.Counters())
					}
					return nil
				},
			},
			{ // The one-off trigger removed again: the setting changes, nothing runs.
				Config: f.config(testAccAdmin, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("sendgridaudience_export.test", plancheck.ResourceActionUpdate),
					expectNothingSent(),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("sendgridaudience_export.test", tfjsonpath.New("last_run").AtMapKey("requested"), knownvalue.Int64Exact(int64(len(all)))),
				},
				Check: func(*terraform.State) error {
					if f.env.emulatorOnly(t, "contacts sent, from the emulator's counters") {
						if got := contactsSent(f.env.Emulator.Counters()) - sentBefore; got != 0 {
							return fmt.Errorf("removing run_trigger sent %d contacts", got)
						}
					}
					return nil
				},
			},
			{
				ResourceName:      "sendgridaudience_export.test",
				ImportState:       true,
				ImportStateId:     f.listID + "/newsletter",
				ImportStateVerify: true,
				// Import restores the export's identity and settings (id, list_id, name, sync_mode,
				// invalid_profiles, on_destroy, max_profiles). The configuration's references and the
				// last run's record cannot be read back from SendGrid; in_sync is false so that the
				// first apply after an import is a full run.
				ImportStateVerifyIgnore: []string{
					"sendgrid_connection", "segments", "data_matching", "managed_custom_fields", "run_trigger",
					"profile_count", "changes", "validation", "in_sync", "last_run", "timeouts",
				},
			},
		},
	})
}

// Edits that do not change what a run sends plan no run: a connection attribute the export does
// not use changes nothing on the export; a setting of the export is saved without a run, and the
// last run's report stays.
func TestAccExport_settingsEditsSendNothing(t *testing.T) {
	opts := synth.Options{Count: 60, Seed: 21}
	f := newExportFixture(t, opts)
	var first string
	lastRunStarted := func(s *terraform.State) string {
		return s.RootModule().Resources["sendgridaudience_export.test"].Primary.Attributes["last_run.started_at"]
	}
	renamed := func(extra string) string {
		return strings.Replace(f.config(testAccAdmin, extra), `display_name         = "Marketing"`, `display_name         = "Marketing (EU)"`, 1)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: f.config(testAccAdmin, ""),
				Check:  func(s *terraform.State) error { first = lastRunStarted(s); return nil },
			},
			{ // The connection's display name is not the export's concern.
				Config: renamed(""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("sendgridaudience_connection.test", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("sendgridaudience_export.test", plancheck.ResourceActionNoop),
				}},
			},
			{ // A setting of the export: saved, no run, the report stays.
				Config: renamed(`  on_destroy = "remove_from_list"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("sendgridaudience_export.test", plancheck.ResourceActionUpdate),
					expectNothingSent(),
				}},
				Check: func(s *terraform.State) error {
					if got := lastRunStarted(s); first == "" || got != first {
						return fmt.Errorf("last_run.started_at %q after a settings edit, want the first run's %q", got, first)
					}
					return nil
				},
			},
		},
	})
}

func TestAccExport_mirrorRemovesLeavers(t *testing.T) {
	opts := synth.Options{Count: 300, Seed: 5, InvalidFraction: 0.02}
	f := newExportFixture(t, opts)
	all := expectedEmails(t, opts, nil)
	paying := expectedEmails(t, opts, func(p *synth.Profile) bool { return p.Plan != "free" })
	if len(paying) == len(all) || len(paying) == 0 {
		t.Fatalf("fixture must have free and paying profiles (%d of %d)", len(paying), len(all))
	}
	filter := func(extra string) string {
		return strings.Replace(f.config(testAccAdmin, `  sync_mode = "mirror"`+extra),
			`name   = "customers"`, `name   = "customers"
  filter = "plan != 'free'"`, 1)
	}
	// The free profiles are more than 20 % of the list: the removal guard refuses the run until
	// the configuration allows it.
	filtered := filter("\n  allow_mass_removal = true")
	var before emulator.Counters

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: f.config(testAccAdmin, `  sync_mode = "mirror"`),
				Check: func(*terraform.State) error {
					if !f.env.Real {
						before = f.env.Emulator.Counters()
					}
					return f.checkMembers(t, all)
				},
			},
			{
				Config:      filter(""),
				ExpectError: regexp.MustCompile(`(?s)would remove too many contacts.*allow_mass_removal\s+=\s+true`),
			},
			{
				Config: filter("\n  max_removal_percent = 30"),
				PreConfig: func() {
					if err := f.checkMembers(t, all); err != nil {
						t.Errorf("after the refused plan: %v", err)
					}
					if f.env.Real {
						return
					}
					if after := f.env.Emulator.Counters(); contactsSent(after) != contactsSent(before) {
						t.Errorf("the refused plan sent %d contacts", contactsSent(after)-contactsSent(before))
					}
				},
				ExpectError: regexp.MustCompile(`(?s)would remove too many contacts.*allows\s+\(30\s+%\)`),
			},
			{ // Removed once SendGrid shows the first run's contacts in searches: before that they
				// wait, deferred.
				PreConfig: func() { time.Sleep(testAccLag) },
				Config:    filtered,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					expectChanges(0, 0, int64(len(all)-len(paying))),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("sendgridaudience_export.test", tfjsonpath.New("last_run").AtMapKey("removed"), knownvalue.Int64Exact(int64(len(all)-len(paying)))),
				},
				Check: func(*terraform.State) error {
					if err := f.checkMembers(t, paying); err != nil {
						return err
					}
					if !f.env.emulatorOnly(t, "every contact still in the account, from the emulator's store") {
						return nil
					}
					for _, e := range all {
						if _, ok := f.env.Emulator.Contact(f.env.Key, e); !ok {
							return fmt.Errorf("a contact was deleted from SendGrid; mirror mode only removes from the list")
						}
					}
					return nil
				},
			},
			{
				Config:           filtered,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}

func TestAccExport_planTimeRefusals(t *testing.T) {
	opts := synth.Options{Count: 120, Seed: 3}
	f := newExportFixture(t, opts)
	base := f.config(testAccAdmin, "")
	cases := []struct {
		name   string
		config string
		want   *regexp.Regexp
	}{
		// The CLI shows the attribute's own line (`first_name = "frist_name"`), not the resource's.
		{"typo in a column", strings.Replace(base, `first_name = "first_name"`, `first_name = "frist_name"`, 1),
			allWordsRe("Unknown column", `first_name = "frist_name"`, "data_matching.first_name:", `Did you mean "first_name"?`)},
		{"missing email mapping", strings.Replace(base, `email      = "email"`, ``, 1),
			allWordsRe(`attribute "email" is required`)},
		{"over the cap", f.config(testAccAdmin, `  max_profiles = 50`),
			allWordsRe("Export exceeds max_profiles", "max_profiles = 50 The segments select 120 distinct profiles, more than max_profiles = 50 allows. Narrow")},
		{"consent false", strings.Replace(base, `data_privacy_consent = true`, `data_privacy_consent = false`, 1),
			allWordsRe("consent", "lawful basis")},
		{"literal segment with a missing file", strings.Replace(base, "segments   = [data.sendgridaudience_segment.customers]",
			`segments   = [{ name = "crm", source = "no-such-file.csv" }]`, 1),
			allWordsRe("Cannot read the segment's source", `segment "crm"`, "no-such-file.csv")},
		{"unknown custom field", strings.Replace(base, f.field+` = "lifetime_value"`, `tier = "plan"`, 1),
			allWordsRe("Unknown custom field", "custom_fields = {", `data_matching.custom_fields["tier"]: SendGrid has no custom field named "tier"`)},
		{"invalid rows with fail policy", func() string {
			bad := *f
			bad.path = filepath.Join(t.TempDir(), "bad.csv")
			bad.write(t, synth.Options{Count: 50, Seed: 9, InvalidFraction: 0.1})
			return bad.config(testAccAdmin, `  invalid_profiles = "fail"`)
		}(), allWordsRe(`5 invalid profiles (invalid_profiles = "fail")`, `invalid_profiles = "fail" Fix these rows in the source`, "bad.csv line")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps:                    []resource.TestStep{{Config: tc.config, PlanOnly: true, ExpectError: tc.want}},
			})
		})
	}
	if f.env.emulatorOnly(t, "contacts sent, from the emulator's counters") {
		if got := contactsSent(f.env.Emulator.Counters()); got != 0 {
			t.Fatalf("plan-time refusals sent %d contacts", got)
		}
	}
}

func TestAccExport_actorNotAllowed(t *testing.T) {
	f := newExportFixture(t, synth.Options{Count: 60, Seed: 4})
	var sent int64
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: f.config(testAccAdmin, ""),
				Check: func(*terraform.State) error {
					if f.env.emulatorOnly(t, "contacts sent, from the emulator's counters") {
						sent = contactsSent(f.env.Emulator.Counters())
					}
					return nil
				},
			},
			{ // Someone who is neither administrator nor contributor changes the data and plans.
				PreConfig:   func() { f.write(t, synth.Options{Count: 60, Seed: 4, EditPercent: 50}) },
				Config:      f.config(testAccOutsider, ""),
				PlanOnly:    true,
				ExpectError: allWordsRe("Actor may not run this export", `actor "`+testAccOutsider+`" may not use this connection`),
			},
			{
				PreConfig: func() {
					if !f.env.emulatorOnly(t, "contacts sent, from the emulator's counters") {
						return
					}
					if got := contactsSent(f.env.Emulator.Counters()); got != sent {
						t.Errorf("a refused plan sent %d contacts", got-sent)
					}
				},
				Config: f.config(testAccAdmin, ""),
			},
		},
	})
}

func TestAccExport_faultThenConverge(t *testing.T) {
	opts := synth.Options{Count: 300, Seed: 21, InvalidFraction: 0.02}
	f := newEmulatorExportFixture(t, opts) // emulator only: injects failing jobs
	all := expectedEmails(t, opts, nil)
	edited := opts
	edited.EditPercent = 10
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: f.config(testAccAdmin, "")},
			{ // Every upsert job fails: the apply reports it and records nothing as sent.
				PreConfig: func() {
					f.write(t, edited)
					f.env.Emulator.SetFaults(emulator.Faults{JobFailRatio: 1})
				},
				Config:      f.config(testAccAdmin, ""),
				ExpectError: regexp.MustCompile(`(?i)export run (partial|failed)`),
			},
			{ // Faults gone: a plain apply converges.
				PreConfig: func() { f.env.Emulator.SetFaults(emulator.Faults{}) },
				Config:    f.config(testAccAdmin, ""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("sendgridaudience_export.test", tfjsonpath.New("last_run").AtMapKey("status"), knownvalue.StringExact("succeeded")),
				},
				Check: func(*terraform.State) error {
					if err := f.checkMembers(t, all); err != nil {
						return err
					}
					return nil
				},
			},
			{
				Config:           f.config(testAccAdmin, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}

// noSecrets fails when the JSON of a plan or state holds the API key, an email address, or a
// profile value.
type noSecrets struct {
	t      *testing.T
	key    string
	values []string
}

var emailLike = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)

func (n noSecrets) scan(what string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	s := string(raw)
	if strings.Contains(s, n.key) {
		return fmt.Errorf("%s contains the API key", what)
	}
	for _, m := range emailLike.FindAllString(s, -1) {
		if m == testAccAdmin || m == testAccContributor || m == testAccOutsider {
			continue // the actors named in the configuration
		}
		return fmt.Errorf("%s contains an email address (%d characters)", what, len(m))
	}
	for _, v := range n.values {
		if strings.Contains(s, `"`+v+`"`) {
			return fmt.Errorf("%s contains a profile value", what)
		}
	}
	return nil
}

func (n noSecrets) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	resp.Error = n.scan("the plan", req.Plan)
}

func (n noSecrets) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = n.scan("the state", req.State)
}

func TestAccExport_noSecretsInPlanOrState(t *testing.T) {
	opts := synth.Options{Count: 80, Seed: 2, InvalidFraction: 0.1}
	f := newExportFixture(t, opts)
	g, _ := synth.New(opts)
	var values []string
	_ = g.Each(func(_ int, p *synth.Profile) error {
		values = append(values, p.FirstName+" "+p.LastName, p.PostalCode)
		if p.Invalid == "" {
			values = append(values, strings.ToLower(p.Email))
		}
		return nil
	})
	check := noSecrets{t: t, key: f.env.Key, values: values}
	// The key comes from the environment, as it should in real use: a key written in the
	// configuration is echoed by the CLI in the plan's "configuration" section.
	t.Setenv(envAPIKey, f.env.Key)
	t.Setenv(envAPIURL, f.env.URL)
	config := strings.Replace(f.config(testAccAdmin, ""), f.env.ProviderConfig(testAccAdmin), testAccProviderConfig("", "", testAccAdmin), 1)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:            config,
			ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{check}},
			ConfigStateChecks: []statecheck.StateCheck{check},
		}},
	})
}

func TestAccExport_driftBehindTerraformsBack(t *testing.T) {
	opts := synth.Options{Count: 150, Seed: 8}
	f := newEmulatorExportFixture(t, opts) // emulator only: moves the emulator's clock past the lag and settle window
	all := expectedEmails(t, opts, nil)
	removeSome := func() {
		ctx := context.Background()
		c := f.env.Client(t)
		// Searches show a job's contacts only after the consistency lag.
		f.env.Clock.Advance(testAccLag)
		found, err := c.SearchEmails(ctx, all[:5])
		if err != nil || len(found) != 5 {
			t.Fatalf("search: %d found, %v", len(found), err)
		}
		var ids []string
		for _, ref := range found {
			ids = append(ids, ref.ID)
		}
		if _, err := c.RemoveListContacts(ctx, f.listID, ids); err != nil {
			t.Fatal(err)
		}
		// Removal jobs have no documented status; and list counts lag: move the clock past the
		// lag and the settle window after the last run before planning.
		f.env.Emulator.FlushJobs()
		f.env.Clock.Advance(testAccLag + testAccSettle)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactoriesWith(f.env.Clock, consentVersion),
		Steps: []resource.TestStep{
			{Config: f.config(testAccAdmin, "")},
			{ // Contacts removed from the list outside Terraform: refresh notices, the plan reconciles.
				PreConfig: removeSome,
				Config:    f.config(testAccAdmin, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("sendgridaudience_export.test", plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue("sendgridaudience_export.test", tfjsonpath.New("in_sync"), knownvalue.Bool(true)),
				}},
				Check: func(*terraform.State) error { return f.checkMembers(t, all) },
			},
			{
				Config:           f.config(testAccAdmin, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}

func TestAccExport_connectionOfAnotherAccountRefused(t *testing.T) {
	f := newExportFixture(t, synth.Options{Count: 40, Seed: 6})
	// A connection verified for another SendGrid account than the provider's key belongs to
	// (as when an export lacks the provider alias of its connection).
	config := strings.Replace(f.config(testAccAdmin, ""), "sendgrid_connection = sendgridaudience_connection.test", fmt.Sprintf(`sendgrid_connection = {
    id                   = "0b7b2f9c-4a1e-4c8e-9d6a-2f5e8c1b3a7d"
    display_name         = "EU marketing"
    administrators       = [%q]
    contributors         = []
    profile_cap          = 100000
    user_id              = %d
    key_fingerprint      = "sha256:0000000000000000"
    data_privacy_consent = true
  }`, testAccAdmin, testAccUserID+1), 1)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      config,
			PlanOnly:    true,
			ExpectError: allWordsRe("Export and connection use different SendGrid accounts", fmt.Sprintf("account %d", testAccUserID+1)),
		}},
	})
	if f.env.emulatorOnly(t, "contacts sent, from the emulator's counters") {
		if got := contactsSent(f.env.Emulator.Counters()); got != 0 {
			t.Fatalf("a refused export sent %d contacts", got)
		}
	}
}

func TestAccExport_onDestroyRemovesOnlyItsContacts(t *testing.T) {
	opts := synth.Options{Count: 120, Seed: 13}
	f := newExportFixture(t, opts)
	other := "someone.else@example.net"
	// A member the list had before the export, which the export then updates: not its own.
	before := expectedEmails(t, opts, nil)[0]
	if f.env.emulatorOnly(t, "contacts the export did not add, seeded on the list") {
		f.env.Emulator.SeedContact(f.env.Key, other, nil, f.listID)
		f.env.Emulator.SeedContact(f.env.Key, before, nil, f.listID)
	}
	config := f.config(testAccAdmin, `  on_destroy = "remove_from_list"`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: config},
			{ // Removing the export from the configuration removes its contacts from the list.
				Config: f.env.ProviderConfig(testAccAdmin) + testAccConnectionConfig("Marketing", []string{testAccAdmin}, []string{testAccContributor}, ""),
				Check: func(*terraform.State) error {
					if !f.env.emulatorOnly(t, "the list and the account as the emulator holds them") {
						return f.checkMembers(t, nil) // none of the export's contacts is left on the list
					}
					got := f.env.emulatedMembers(f.listID)
					if want := []string{before, other}; strings.Join(got, ",") != strings.Join(want, ",") {
						return fmt.Errorf("after destroy the list holds %d contacts; want only the 2 the export did not add", len(got))
					}
					for _, e := range expectedEmails(t, opts, nil) {
						if _, ok := f.env.Emulator.Contact(f.env.Key, e); !ok {
							return fmt.Errorf("a contact was deleted from SendGrid; on_destroy only removes from the list")
						}
					}
					return nil
				},
			},
		},
	})
}

// serverWithApplyHook serves the provider and runs hook once, before the first apply of a
// change to a resource of type typeName: after the plan was made, as a person editing the data
// between plan and apply would.
type serverWithApplyHook struct {
	tfprotov6.ProviderServer
	typeName string
	once     *sync.Once
	hook     func()
}

func (s serverWithApplyHook) ApplyResourceChange(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	if req.TypeName == s.typeName {
		s.once.Do(s.hook)
	}
	return s.ProviderServer.ApplyResourceChange(ctx, req)
}

// testAccFactoriesWithApplyHook serves the provider with hook run before the first apply of a
// change to a typeName resource.
func testAccFactoriesWithApplyHook(typeName string, hook func()) map[string]func() (tfprotov6.ProviderServer, error) {
	once := &sync.Once{}
	serve := providerserver.NewProtocol6WithError(New("test")())
	return map[string]func() (tfprotov6.ProviderServer, error){
		"sendgridaudience": func() (tfprotov6.ProviderServer, error) {
			s, err := serve()
			return serverWithApplyHook{ProviderServer: s, typeName: typeName, once: once, hook: hook}, err
		},
	}
}

func TestAccExport_segmentChangedBetweenPlanAndApply(t *testing.T) {
	opts := synth.Options{Count: 100, Seed: 17}
	f := newExportFixture(t, opts)
	edited := opts
	edited.EditPercent = 5
	// The edited file is written now and moved in place between plan and apply.
	editedPath := f.path + ".edited"
	writeProfiles(t, editedPath, edited)
	editDone := make(chan error, 1)
	edit := func() { editDone <- os.Rename(editedPath, f.path) }
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactoriesWithApplyHook("sendgridaudience_export", edit),
		Steps: []resource.TestStep{
			{
				Config:      f.config(testAccAdmin, ""),
				ExpectError: allWordsRe("Segment changed since the plan", `segment "customers" changed after it was read for the plan (its content fingerprint differs). Nothing was uploaded. The source now holds other profiles than the plan showed: run terraform plan again`),
			},
		},
	})
	select {
	case err := <-editDone:
		if err != nil {
			t.Fatalf("editing the profile file between plan and apply: %v", err)
		}
	default:
		t.Fatal("the profile file was not edited between plan and apply")
	}
	if f.env.emulatorOnly(t, "contacts sent, from the emulator's counters") {
		if got := contactsSent(f.env.Emulator.Counters()); got != 0 {
			t.Fatalf("%d contacts were sent although the segment changed after the plan", got)
		}
	}
}

// Following the README against a list that already has members: mirror mode removes none of
// them, neither those outside the segments nor those it exports, when they leave; it removes only
// what it added. claim_list = true makes the list equal to the segments, and says so in the plan.
func TestAccExport_mirrorIntoListWithMembers(t *testing.T) {
	opts := synth.Options{Count: 200, Seed: 21}
	f := newEmulatorExportFixture(t, opts) // seeds members the export did not add
	all := expectedEmails(t, opts, nil)
	paying := expectedEmails(t, opts, func(p *synth.Profile) bool { return p.Plan != "free" })
	isPaying := map[string]bool{}
	for _, e := range paying {
		isPaying[e] = true
	}
	var others []string
	for i := 0; i < 14; i++ {
		e := fmt.Sprintf("member%02d@example.org", i)
		others = append(others, e)
		f.env.Emulator.SeedContact(f.env.Key, e, nil, f.listID)
	}
	// Two profiles of the segment were on the list before the export; one is free (it leaves
	// the filtered segment below).
	var free, pay string
	for _, e := range all {
		switch {
		case !isPaying[e] && free == "":
			free = e
		case isPaying[e] && pay == "":
			pay = e
		}
	}
	for _, e := range []string{free, pay} {
		f.env.Emulator.SeedContact(f.env.Key, e, nil, f.listID)
	}
	// The free profiles are more than 20 % of what the export added: the run is allowed to
	// remove them.
	mirror := f.config(testAccAdmin, "  sync_mode = \"mirror\"\n  allow_mass_removal = true")
	filter := func(c string) string {
		return strings.Replace(c, `name   = "customers"`, `name   = "customers"
  filter = "plan != 'free'"`, 1)
	}
	claim := filter(f.config(testAccAdmin, "  sync_mode = \"mirror\"\n  claim_list = true\n  allow_mass_removal = true"))
	members := func(want ...[]string) func(*terraform.State) error {
		return func(*terraform.State) error {
			var all []string
			for _, w := range want {
				all = append(all, w...)
			}
			sort.Strings(all)
			return f.checkMembers(t, slices.Compact(all))
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: mirror,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					expectChanges(int64(len(all)), 0, 0), // a first run sends every profile and removes nothing
				}},
				Check: members(all, others),
			},
			{ // The free profiles leave: those the export added go, the one it found stays. (Searched
				// for once SendGrid shows the first run's contacts: before that they wait, deferred.)
				PreConfig: func() { time.Sleep(testAccLag) },
				Config:    filter(mirror),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					expectChanges(0, 0, int64(len(all)-len(paying)-1)),
				}},
				Check: members(paying, others, []string{free}),
			},
			{ // Claiming the list removes every other member (read once SendGrid's counts settled).
				PreConfig: func() { time.Sleep(testAccSettle) },
				Config:    claim,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					expectChanges(0, 0, int64(len(others)+1)),
				}},
				Check: members(paying),
			},
		},
	})
}

// Switching an upsert export to mirror removes, in the very plan that switches, the contacts it
// added that left the segments while it was upserting.
func TestAccExport_switchToMirrorPlansRemovals(t *testing.T) {
	opts := synth.Options{Count: 150, Seed: 17}
	f := newExportFixture(t, opts)
	all := expectedEmails(t, opts, nil)
	paying := expectedEmails(t, opts, func(p *synth.Profile) bool { return p.Plan != "free" })
	filtered := func(extra string) string {
		return strings.Replace(f.config(testAccAdmin, extra), `name   = "customers"`, `name   = "customers"
  filter = "plan != 'free'"`, 1)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: f.config(testAccAdmin, "")},
			{ // Upsert: the free profiles leave the segment and stay on the list.
				Config: filtered(""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					expectNothingSent(),
				}},
				Check: func(*terraform.State) error { return f.checkMembers(t, all) },
			},
			{ // More than 20 % of what the export added leaves: allowed for this run (once SendGrid
				// shows the first run's contacts in searches; before that their removal waits).
				PreConfig: func() { time.Sleep(testAccLag) },
				Config:    filtered("  sync_mode = \"mirror\"\n  allow_mass_removal = true"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					expectChanges(0, 0, int64(len(all)-len(paying))),
				}},
				Check: func(*terraform.State) error { return f.checkMembers(t, paying) },
			},
		},
	})
}

// A mirror export whose source is replaced by a header-only file (a failed upstream job) does
// not empty the list: the plan fails, nothing is removed, and allow_mass_removal lets it through.
func TestAccExport_emptySourceRefused(t *testing.T) {
	opts := synth.Options{Count: 40, Seed: 29}
	f := newEmulatorExportFixture(t, opts)
	all := expectedEmails(t, opts, nil)
	for i := 0; i < 3; i++ { // contacts of the account on no list of the export
		f.env.Emulator.SeedContact(f.env.Key, fmt.Sprintf("elsewhere%d@example.org", i), nil)
	}
	mirror := f.config(testAccAdmin, `  sync_mode = "mirror"`)
	emptySource := func() {
		data, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		header, _, _ := strings.Cut(string(data), "\n")
		if err := os.WriteFile(f.path, []byte(header+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: mirror,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					expectAccount(int64(len(all)), int64(len(all)+3)), // 3 contacts were in the account before
				}},
				Check: func(*terraform.State) error { return f.checkMembers(t, all) },
			},
			{
				PreConfig:   emptySource,
				Config:      mirror,
				ExpectError: regexp.MustCompile(`(?s)select no profile.*allow_mass_removal\s+=\s+true`),
			},
			{
				PreConfig: func() {
					if err := f.checkMembers(t, all); err != nil {
						t.Errorf("after the refused plan: %v", err)
					}
					time.Sleep(testAccLag) // until SendGrid shows the first run's contacts in searches
				},
				Config: f.config(testAccAdmin, "  sync_mode = \"mirror\"\n  allow_mass_removal = true"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					expectChanges(0, 0, int64(len(all))),
					// Removed from the list, the contacts stay in the account (and its allowance).
					expectAccount(0, int64(len(all)+3)),
				}},
				Check: func(*terraform.State) error { return f.checkMembers(t, nil) },
			},
		},
	})
}

// After the API key changed, the export's record cannot tell its contacts apart: destroying
// with on_destroy = "remove_from_list" fails at plan time rather than remove nothing; with the
// key that wrote the record it removes them.
func TestAccExport_destroyWithUnusableRecordFails(t *testing.T) {
	opts := synth.Options{Count: 30, Seed: 31}
	f := newEmulatorExportFixture(t, opts)
	all := expectedEmails(t, opts, nil)
	rotated := f.env.AddKey(t, testAccUserID, testAccUsername, emulator.DefaultScopes())
	cfg := f.config(testAccAdmin, `  on_destroy = "remove_from_list"`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg, Check: func(*terraform.State) error { return f.checkMembers(t, all) }},
			{
				Config:      strings.Replace(cfg, f.env.ProviderConfig(testAccAdmin), f.env.ProviderConfigWithKey(rotated, testAccAdmin), 1),
				Destroy:     true,
				ExpectError: regexp.MustCompile(`(?s)Cannot tell which contacts this export added.*written\s+under\s+another\s+key`),
			},
			{
				PreConfig: func() {
					if err := f.checkMembers(t, all); err != nil {
						t.Errorf("after the refused destroy: %v", err)
					}
				},
				Config:  cfg,
				Destroy: true,
				Check: func(*terraform.State) error {
					f.env.Emulator.FlushJobs()
					return f.checkMembers(t, nil)
				},
			},
		},
	})
}

// Two exports on one connection, planned in the same run, are checked together against its
// profile_cap: each fits alone, together they do not; the error names both and nothing is sent.
func TestAccExport_capSharedByExports(t *testing.T) {
	opts := synth.Options{Count: 60, Seed: 37}
	f := newEmulatorExportFixture(t, opts)
	second := f.env.Emulator.SeedList(f.env.Key, "Promotions")
	otherPath := filepath.Join(t.TempDir(), "prospects.csv")
	writeProfiles(t, otherPath, synth.Options{Count: 60, Seed: 38})
	withCap := func(c string, profileCap int) string {
		return strings.Replace(c, "data_privacy_consent = true", fmt.Sprintf("data_privacy_consent = true\n  profile_cap = %d", profileCap), 1)
	}
	// The connection exists before the exports are planned, so the plan sees its ID and cap.
	connection := withCap(f.env.ProviderConfig(testAccAdmin)+testAccConnectionConfig("Marketing", []string{testAccAdmin}, []string{testAccContributor}, ""), 100)
	config := func(profileCap int) string {
		return withCap(f.config(testAccAdmin, ""), profileCap) + fmt.Sprintf(`
data "sendgridaudience_segment" "prospects" {
  name   = "prospects"
  source = %q
}

resource "sendgridaudience_export" "second" {
  name                = "promo"
  sendgrid_connection = sendgridaudience_connection.test
  list_id             = %q
  segments            = [data.sendgridaudience_segment.prospects]
  data_matching       = { email = "email" }
}
`, otherPath, second)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: connection},
			{
				Config:      config(100),
				ExpectError: regexp.MustCompile(`(?s)exceed its profile_cap together\s+with\s+sendgridaudience_export\.\w+,.*sendgrid_connection\s+=\s+sendgridaudience_connection\.test.*(newsletter\s+adds\s+\d+.*promo\s+adds|promo\s+adds\s+\d+.*newsletter\s+adds)`),
			},
			{
				PreConfig: func() {
					if n := contactsSent(f.env.Emulator.Counters()); n != 0 {
						t.Errorf("the refused plan sent %d contacts", n)
					}
				},
				Config: config(200),
			},
		},
	})
}

// With record_key, rotating the API key costs no full run: the apply after the rotation sends
// no contact and does not read the list back.
func TestAccExport_keyRotationWithRecordKey(t *testing.T) {
	opts := synth.Options{Count: 80, Seed: 41}
	f := newEmulatorExportFixture(t, opts)
	all := expectedEmails(t, opts, nil)
	rotated := f.env.AddKey(t, testAccUserID, testAccUsername, emulator.DefaultScopes())
	withRecordKey := func(cfg string) string {
		return strings.Replace(cfg, "provider \"sendgridaudience\" {\n", "provider \"sendgridaudience\" {\n  record_key = \"acctest-record-key\"\n", 1)
	}
	cfg := withRecordKey(f.config(testAccAdmin, `  sync_mode = "mirror"`))
	var before emulator.Counters
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg, Check: func(*terraform.State) error {
				before = f.env.Emulator.Counters()
				return f.checkMembers(t, all)
			}},
			{
				Config: strings.Replace(cfg, f.env.ProviderConfig(testAccAdmin), withRecordKey(f.env.ProviderConfigWithKey(rotated, testAccAdmin)), 1),
				Check: func(*terraform.State) error {
					after := f.env.Emulator.Counters()
					if n := contactsSent(after) - contactsSent(before); n != 0 {
						return fmt.Errorf("after the key rotation %d contacts were sent, want none", n)
					}
					if n := after.Requests["POST /v3/marketing/contacts/exports"] - before.Requests["POST /v3/marketing/contacts/exports"]; n != 0 {
						return fmt.Errorf("after the key rotation the list was read %d times, want none", n)
					}
					return f.checkMembers(t, all)
				},
			},
		},
	})
}
