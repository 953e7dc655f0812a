package provider

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/synth"
)

// Real-API mode of the acceptance suite. With SENDGRIDAUDIENCE_ACC_SENDGRID=1, a real key in
// SENDGRID_API_KEY and a scratch list's ID in SENDGRIDAUDIENCE_ACC_LIST_ID, the tests that can run
// against real SendGrid do (testAccNewSharedEnv), with the provider pointed at the real API (or at
// SENDGRIDAUDIENCE_ACC_API_URL: scripts/test.sh points it at a separately started emulator, so the
// shared tests are proven to rely on nothing but the HTTP API); every other test skips with its
// reason (testAccNewEnv: it seeds the emulator, reads its counters, injects faults or adds keys).
// Shared tests use only the scratch list (they never create or delete a list) and remove the
// contacts they put on it; custom fields they create carry a per-run suffix and are deleted when
// the test ends (testAccCustomField); emulator-only assertions are skipped (emulatorOnly).
// Run them one at a time (go test -parallel 1): they share the scratch list, whose contact count
// the exports compare with their last run's.
const (
	envAccSendGrid = "SENDGRIDAUDIENCE_ACC_SENDGRID"
	envAccListID   = "SENDGRIDAUDIENCE_ACC_LIST_ID"
	envAccAPIURL   = "SENDGRIDAUDIENCE_ACC_API_URL"
)

// accMode is where the acceptance tests send their requests.
type accMode struct {
	Real   bool
	Key    string // real mode: the API key
	ListID string // real mode: the scratch list
	URL    string // real mode: the API's base URL (default sendgrid.DefaultBaseURL)
}

// accModeFrom reads the mode from the environment. Unset (or 0/false) is the emulator; 1/true
// needs a key and a scratch list, and anything else is refused, so a typo never runs the suite
// somewhere unintended.
func accModeFrom(getenv func(string) string) (accMode, error) {
	switch v := strings.ToLower(strings.TrimSpace(getenv(envAccSendGrid))); v {
	case "", "0", "false":
		return accMode{}, nil
	case "1", "true":
	default:
		return accMode{}, fmt.Errorf("%s=%q: set it to 1 to run the acceptance tests against real SendGrid, or unset it for the emulator", envAccSendGrid, v)
	}
	m := accMode{Real: true, Key: strings.TrimSpace(getenv(envAPIKey)), ListID: strings.TrimSpace(getenv(envAccListID)),
		URL: strings.TrimSuffix(strings.TrimSpace(getenv(envAccAPIURL)), "/")}
	if m.URL == "" {
		m.URL = sendgrid.DefaultBaseURL
	}
	var missing []string
	if m.Key == "" {
		missing = append(missing, envAPIKey+" (a SendGrid API key with the scopes "+strings.Join(connectionRequiredScopes, ", ")+")")
	}
	if m.ListID == "" {
		missing = append(missing, envAccListID+" (the ID of a scratch list whose contacts the tests may add and remove)")
	}
	if len(missing) > 0 {
		return accMode{}, fmt.Errorf("%s=1 runs the acceptance tests against real SendGrid and needs %s", envAccSendGrid, strings.Join(missing, " and "))
	}
	return m, nil
}

// testAccMode returns the mode of this run, failing the test on an incomplete configuration.
func testAccMode(t *testing.T) accMode {
	t.Helper()
	m, err := accModeFrom(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// testAccNewSharedEnv is the environment of a test that runs in both modes: the emulator with a
// seeded list named name (emulator mode), or real SendGrid with the scratch list. It returns the
// environment and the list's ID and name (none when name is empty: the test needs no list).
func testAccNewSharedEnv(t *testing.T, name string) (*testAccEnv, string, string) {
	t.Helper()
	m := testAccMode(t)
	if !m.Real {
		env := newEmulatorEnv(t)
		if name == "" {
			return env, "", ""
		}
		return env, env.Emulator.SeedList(env.Key, name), name
	}
	if f := flag.Lookup("test.parallel"); f != nil && f.Value.String() != "1" {
		t.Fatalf("%s=1: run the tests one at a time (go test -parallel 1): they share the scratch list, and an export compares its count with its last run's", envAccSendGrid)
	}
	env := &testAccEnv{URL: m.URL, Key: m.Key, Real: true}
	if name == "" {
		return env, "", ""
	}
	l, err := env.Client(t).GetList(context.Background(), m.ListID)
	if err != nil {
		t.Fatalf("the scratch list %s=%s cannot be read with the key: %v", envAccListID, m.ListID, err)
	}
	return env, l.ID, l.Name
}

// emulatorOnly reports whether assertions about emulator-only state (seeded accounts, counters,
// exact scopes of the test key) may run; in real-API mode it logs what is skipped.
func (e *testAccEnv) emulatorOnly(t *testing.T, what string) bool {
	t.Helper()
	if e.Real {
		t.Logf("real-API mode: skipping the emulator-only assertion: %s", what)
		return false
	}
	return true
}

func TestAccModeSelection(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	for _, c := range []struct {
		name    string
		getenv  func(string) string
		real    bool
		wantErr string
	}{
		{"unset is the emulator, even with a key in the environment", env(envAPIKey, "SG.x"), false, ""},
		{"0 is the emulator", env(envAccSendGrid, "0"), false, ""},
		{"1 with key and list", env(envAccSendGrid, "1", envAPIKey, "SG.x", envAccListID, "l1"), true, ""},
		{"1 with key, list and API URL", env(envAccSendGrid, "1", envAPIKey, "SG.x", envAccListID, "l1", envAccAPIURL, "http://127.0.0.1:9/"), true, ""},
		{"1 without a key", env(envAccSendGrid, "1", envAccListID, "l1"), false, envAPIKey + " (a SendGrid API key"},
		{"1 without a list", env(envAccSendGrid, "1", envAPIKey, "SG.x"), false, envAccListID + " (the ID of a scratch list"},
		{"1 without either", env(envAccSendGrid, "true"), false, " and " + envAccListID},
		{"a typo", env(envAccSendGrid, "yes", envAPIKey, "SG.x", envAccListID, "l1"), false, "set it to 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := accModeFrom(c.getenv)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, c.wantErr)
				}
				if strings.Contains(err.Error(), "SG.x") {
					t.Errorf("the error shows the key: %v", err)
				}
				return
			}
			if err != nil || m.Real != c.real {
				t.Fatalf("mode = %+v, %v; want real=%v", m, err, c.real)
			}
			if m.Real && (m.Key != "SG.x" || m.ListID != "l1") {
				t.Errorf("mode = %+v", m)
			}
			wantURL := sendgrid.DefaultBaseURL
			if c.getenv(envAccAPIURL) != "" {
				wantURL = "http://127.0.0.1:9"
			}
			if m.Real && m.URL != wantURL {
				t.Errorf("API URL = %q, want %q", m.URL, wantURL)
			}
		})
	}
}

// emulatedMembers returns the emails on the emulator's list once SendGrid has applied every
// job it accepted: it applies them later, and nobody waits for removal jobs (their status is
// not served), so reading the list right after an apply could see it before the removals.
func (e *testAccEnv) emulatedMembers(listID string) []string {
	e.Emulator.FlushJobs()
	return e.Emulator.ListMembers(e.Key, listID)
}

// testAccListMembers returns which of emails are on the list: from the emulator, or (real mode)
// by searching SendGrid, polling until want holds or a few minutes have passed, since SendGrid
// applies jobs, search results and list counts minutes after a job completes.
func (e *testAccEnv) testAccListMembers(t *testing.T, listID string, emails []string, want func(on int) bool) (int, error) {
	t.Helper()
	count := func() (int, error) {
		if !e.Real {
			on := map[string]bool{}
			for _, m := range e.emulatedMembers(listID) {
				on[m] = true
			}
			n := 0
			for _, em := range emails {
				if on[em] {
					n++
				}
			}
			return n, nil
		}
		n := 0
		for i := 0; i < len(emails); i += sendgrid.MaxSearchEmails {
			found, err := e.Client(t).SearchEmails(context.Background(), emails[i:min(i+sendgrid.MaxSearchEmails, len(emails))])
			if err != nil {
				return 0, err
			}
			for _, c := range found {
				if slices.Contains(c.ListIDs, listID) {
					n++
				}
			}
		}
		return n, nil
	}
	start := time.Now()
	for {
		n, err := count()
		if err != nil || want(n) || !e.Real || time.Since(start) > 10*time.Minute {
			return n, err
		}
		// Every second at first (a short lag, as an emulator standing in for SendGrid has), then
		// every 5 seconds (SendGrid's minutes).
		time.Sleep(min(time.Second+time.Since(start)/4, 5*time.Second))
	}
}

// Runs against the emulator and, in real-API mode, against SendGrid: an export of 20 synthetic
// profiles (@example.* addresses) to the scratch list, and on_destroy = "remove_from_list" takes
// them off again (the contacts stay in the account, as SendGrid keeps them).
func TestAccExport_scratchListRoundTrip(t *testing.T) {
	env, listID, _ := testAccNewSharedEnv(t, "Newsletter")
	opts := synth.Options{Count: 20, Seed: 29}
	path := filepath.Join(t.TempDir(), "customers.csv")
	g, err := synth.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.WriteFile(context.Background(), path, synth.CSV); err != nil {
		t.Fatal(err)
	}
	emails := expectedEmails(t, opts, nil)
	config := env.ProviderConfig(testAccAdmin) + testAccConnectionConfig("Marketing", []string{testAccAdmin}, nil, "") + fmt.Sprintf(`
data "sendgridaudience_segment" "customers" {
  name   = "customers"
  source = %q
}

resource "sendgridaudience_export" "test" {
  name                = "acc-scratch-round-trip"
  sendgrid_connection = sendgridaudience_connection.test
  list_id             = %q
  segments            = [data.sendgridaudience_segment.customers]
  on_destroy          = "remove_from_list"
  data_matching = {
    email      = "email"
    first_name = "first_name"
  }
}
`, path, listID)
	all := func(on int) bool { return on == len(emails) }
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: config,
			Check: func(*terraform.State) error {
				if n, err := env.testAccListMembers(t, listID, emails, all); err != nil || n != len(emails) {
					return fmt.Errorf("%d of %d exported contacts are on the list (%v)", n, len(emails), err)
				}
				return nil
			},
		}},
		CheckDestroy: func(*terraform.State) error {
			if n, err := env.testAccListMembers(t, listID, emails, func(on int) bool { return on == 0 }); err != nil || n != 0 {
				return fmt.Errorf("%d exported contacts are still on the list after destroy (%v)", n, err)
			}
			return nil
		},
	})
}

// accRunSuffix and accFieldSeq make the names of custom fields created in real-API mode unique
// to this run and test, so they never meet a field of the account (names are unique ignoring
// case) nor one another test deletes when it ends.
var (
	accRunSuffix = fmt.Sprintf("%08x", uint32(time.Now().UnixNano()))
	accFieldSeq  atomic.Int64
)

// testAccFieldName is the custom field name a test uses for base: base on the emulator; in
// real-API mode base with a suffix unique to this run and call, and any field of that name left
// when the test ends (a failed step, an interrupted destroy) is deleted then.
func (e *testAccEnv) testAccFieldName(t *testing.T, base string) string {
	t.Helper()
	if !e.Real {
		return base
	}
	name := fmt.Sprintf("%s_%s_%d", base, accRunSuffix, accFieldSeq.Add(1))
	t.Cleanup(func() {
		custom, _, err := e.Client(t).Fields(context.Background())
		if err != nil {
			t.Errorf("cleanup: reading the custom fields: %v", err)
			return
		}
		for _, f := range custom {
			if strings.EqualFold(f.Name, name) {
				if err := e.Client(t).DeleteField(context.Background(), f.ID); err != nil {
					t.Errorf("cleanup: deleting the custom field %s: %v", f.Name, err)
				}
			}
		}
	})
	return name
}

// testAccCustomField creates a custom field for a test and returns its name (testAccFieldName):
// seeded in the emulator, or created in SendGrid and deleted when the test ends.
func (e *testAccEnv) testAccCustomField(t *testing.T, base string, typ sendgrid.FieldType) string {
	t.Helper()
	name := e.testAccFieldName(t, base)
	if !e.Real {
		e.Emulator.SeedField(e.Key, name, string(typ))
		return name
	}
	if _, err := e.Client(t).CreateField(context.Background(), name, typ); err != nil {
		t.Fatalf("creating the custom field %s: %v", name, err)
	}
	return name
}

// removeFromListAtEnd, in real-API mode, takes the contacts with the addresses emails() returns
// off the scratch list when the test ends, and waits until SendGrid shows them gone, so the next
// test finds the list as this one found it. The contacts stay in the account. On the emulator,
// which each test starts afresh, it does nothing.
func (e *testAccEnv) removeFromListAtEnd(t *testing.T, listID string, emails func() []string) {
	t.Helper()
	if !e.Real {
		return
	}
	t.Cleanup(func() {
		ctx := context.Background()
		all := emails()
		var ids []string
		for i := 0; i < len(all); i += sendgrid.MaxSearchEmails {
			found, err := e.Client(t).SearchEmails(ctx, all[i:min(i+sendgrid.MaxSearchEmails, len(all))])
			if err != nil {
				t.Errorf("cleanup: searching the test's contacts: %v", err)
				return
			}
			for _, c := range found {
				if slices.Contains(c.ListIDs, listID) {
					ids = append(ids, c.ID)
				}
			}
		}
		for i := 0; i < len(ids); i += 100 {
			if _, err := e.Client(t).RemoveListContacts(ctx, listID, ids[i:min(i+100, len(ids))]); err != nil {
				t.Errorf("cleanup: removing the test's contacts from the scratch list: %v", err)
				return
			}
		}
		if n, err := e.testAccListMembers(t, listID, all, func(on int) bool { return on == 0 }); err != nil || n != 0 {
			t.Errorf("cleanup: %d of the test's contacts are still on the scratch list (%v)", n, err)
		}
	})
}
