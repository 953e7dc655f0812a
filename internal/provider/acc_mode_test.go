package provider

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
)

// Real-API mode of the acceptance suite. With SENDGRIDAUDIENCE_ACC_SENDGRID=1, a real key in
// SENDGRID_API_KEY and a scratch list's ID in SENDGRIDAUDIENCE_ACC_LIST_ID, the tests that can run
// against real SendGrid do (testAccNewSharedEnv), with the provider pointed at the real API; every
// other test skips with its reason (testAccNewEnv: it seeds the emulator, reads its counters,
// injects faults or adds keys). Shared tests use only the scratch list (they never create or delete
// a list), and skip emulator-only assertions (emulatorOnly).
const (
	envAccSendGrid = "SENDGRIDAUDIENCE_ACC_SENDGRID"
	envAccListID   = "SENDGRIDAUDIENCE_ACC_LIST_ID"
)

// accMode is where the acceptance tests send their requests.
type accMode struct {
	Real   bool
	Key    string // real mode: the API key
	ListID string // real mode: the scratch list
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
	m := accMode{Real: true, Key: strings.TrimSpace(getenv(envAPIKey)), ListID: strings.TrimSpace(getenv(envAccListID))}
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
	env := &testAccEnv{URL: sendgrid.DefaultBaseURL, Key: m.Key, Real: true}
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
		t.Logf("real SendGrid: skipping the emulator-only assertion: %s", what)
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
		})
	}
}
