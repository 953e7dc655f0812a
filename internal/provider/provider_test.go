package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
)

// Acceptance-test harness shared by every resource and data source test of this package.
//
// Tests run against an in-process SendGrid emulator started per test (testAccNewEnv) and the
// provider served in-process (testAccProtoV6ProviderFactories), under whichever CLI
// TF_ACC_TERRAFORM_PATH names (Terraform or OpenTofu). Test HCL never declares
// required_providers: the harness serves the provider under the CLI's default namespace.

// testAccProtoV6ProviderFactories serves the provider in-process to the CLI.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"sendgridaudience": providerserver.NewProtocol6WithError(New("test")()),
}

// testClock is the real clock moved ahead by hand: for recorded times such as consented_at, and
// for waits (list-count lag, settle window) a test skips rather than sleeps through.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func newTestClock() *testClock { return &testClock{} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Advance moves the clock ahead by d.
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// testAccFactoriesWith serves a provider that reads its clock from clock and offers the consent
// text of version consentVersion.
func testAccFactoriesWith(clock *testClock, consentVersion string) map[string]func() (tfprotov6.ProviderServer, error) {
	p := &sendgridAudienceProvider{version: "test", now: clock.Now, consentVersion: consentVersion}
	return map[string]func() (tfprotov6.ProviderServer, error){
		"sendgridaudience": providerserver.NewProtocol6WithError(p),
	}
}

// Actors and account used by the acceptance tests (synthetic values only).
const (
	testAccAdmin       = "admin@example.com"
	testAccContributor = "analyst@example.com"
	testAccOutsider    = "intern@example.org"
	testAccUserID      = int64(1001)
	testAccUsername    = "acme-marketing"
)

// testAccEnv is one emulator on a loopback httptest server, with an API key that has the
// default scopes (emulator.DefaultScopes) on account testAccUserID.
type testAccEnv struct {
	URL      string             // base URL of the emulator, http://127.0.0.1:PORT (real mode: SendGrid's)
	Key      string             // API key with the default scopes (real mode: the real key)
	Emulator *emulator.Emulator // for seeding and inspection; nil against real SendGrid
	Real     bool               // real-API mode (acc_mode_test.go)
	// Clock is the emulator's clock (nil in real-API mode); a provider served by
	// testAccFactoriesWith(Clock, …) shares it.
	Clock *testClock
}

// testAccLag is the emulator's list-count lag in acceptance tests; testAccSettle the
// provider's settle window (longer than the lag, as DefaultSettleWindow is than SendGrid's).
const (
	testAccLag    = 2 * time.Second
	testAccSettle = 3 * time.Second
)

// testAccNewEnv starts an emulator for one test; it stops when the test ends. In real-API mode
// the test is skipped: it uses emulator-only state (testAccNewSharedEnv is for tests that run in
// both modes).
func testAccNewEnv(t *testing.T) *testAccEnv {
	t.Helper()
	if testAccMode(t).Real {
		t.Skipf("%s=1: %s skipped: it seeds the emulator, reads its counters, injects faults or adds keys, which real SendGrid cannot do",
			envAccSendGrid, t.Name())
	}
	return newEmulatorEnv(t)
}

// newEmulatorEnv starts the emulator of one test.
func newEmulatorEnv(t *testing.T) *testAccEnv {
	t.Helper()
	key := "SG.acctest-" + strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "-"))
	// SendGrid's list counts lag its jobs (minutes; here compressed to testAccLag); TestMain
	// shortens the provider's settle window to match.
	clock := newTestClock()
	emu, srv := emulator.NewTestServer(t, emulator.Config{
		Seed:  1,
		Clock: clock.Now,
		Keys: map[string]emulator.Key{
			key: {UserID: testAccUserID, Username: testAccUsername, Scopes: emulator.DefaultScopes()},
		},
		ConsistencyLag: testAccLag,
	})
	return &testAccEnv{URL: srv.URL, Key: key, Emulator: emu, Clock: clock}
}

// AddKey registers another API key on the emulator and returns it: userID chooses the account
// (testAccUserID for the same one), scopes what it may do.
func (e *testAccEnv) AddKey(t *testing.T, userID int64, username string, scopes []string) string {
	t.Helper()
	key := fmt.Sprintf("SG.acctest-extra-%d-%d", userID, len(scopes))
	for i := 0; i < len(scopes); i++ {
		key += "-" + strings.ReplaceAll(scopes[i], ".", "_")
	}
	e.Emulator.AddKey(key, emulator.Key{UserID: userID, Username: username, Scopes: scopes})
	return key
}

// Client returns a SendGrid client on the emulator with the test key, for changes "behind
// Terraform's back" and for assertions.
func (e *testAccEnv) Client(t *testing.T) *sendgrid.Client {
	t.Helper()
	attempts := 2
	if e.Real {
		attempts = 6 // real SendGrid rate-limits: wait for the reset as the provider does
	}
	c, err := sendgrid.New(sendgrid.Config{APIKey: e.Key, BaseURL: e.URL, MaxAttempts: attempts})
	if err != nil {
		t.Fatalf("sendgrid client: %v", err)
	}
	return c
}

// ProviderConfig renders the provider block for the emulator with the test key and actor.
func (e *testAccEnv) ProviderConfig(actor string) string {
	return testAccProviderConfig(e.URL, e.Key, actor)
}

// ProviderConfigWithKey renders the provider block for the emulator with another key.
func (e *testAccEnv) ProviderConfigWithKey(key, actor string) string {
	return testAccProviderConfig(e.URL, key, actor)
}

// testAccProviderConfig renders a provider block. Empty arguments are left out (so the
// environment, or nothing, supplies them).
func testAccProviderConfig(apiURL, apiKey, actor string) string {
	var b strings.Builder
	b.WriteString("provider \"sendgridaudience\" {\n")
	if apiURL != "" {
		fmt.Fprintf(&b, "  api_url = %q\n", apiURL)
	}
	if apiKey != "" {
		fmt.Fprintf(&b, "  api_key = %q\n", apiKey)
	}
	if actor != "" {
		fmt.Fprintf(&b, "  actor   = %q\n", actor)
	}
	b.WriteString("}\n")
	return b.String()
}

// testAccConnectionConfig renders a sendgridaudience_connection "test" with the given
// administrators and contributors and consent = true.
func testAccConnectionConfig(displayName string, admins, contributors []string, extra string) string {
	return fmt.Sprintf(`
resource "sendgridaudience_connection" "test" {
  display_name         = %q
  administrators       = %s
  contributors         = %s
  data_privacy_consent = true
%s
}
`, displayName, hclStrings(admins), hclStrings(contributors), extra)
}

// hclStrings renders a list of strings as an HCL tuple.
func hclStrings(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// wordsRe matches the words of s in order, whatever white space or line wrapping the CLI puts
// between them (Terraform and OpenTofu wrap diagnostic text).
func wordsRe(s string) *regexp.Regexp {
	words := strings.Fields(s)
	for i, w := range words {
		words[i] = regexp.QuoteMeta(w)
	}
	return regexp.MustCompile(`(?s)` + strings.Join(words, `\s+`))
}

// allWordsRe matches when every phrase appears, in the given order, anywhere in the output.
func allWordsRe(phrases ...string) *regexp.Regexp {
	parts := make([]string, len(phrases))
	for i, p := range phrases {
		parts[i] = strings.TrimPrefix(wordsRe(p).String(), "(?s)")
	}
	return regexp.MustCompile(`(?s)` + strings.Join(parts, `.*`))
}

func TestWordsRe(t *testing.T) {
	re := wordsRe("invalid or revoked (401)")
	if !re.MatchString("the key is invalid or\n  revoked (401) now") {
		t.Error("wordsRe must match across a wrapped line")
	}
	if re.MatchString("invalid or not revoked (401)") {
		t.Error("wordsRe must keep the words in order and adjacent")
	}
	all := allWordsRe("Data privacy", "lawful basis")
	if !all.MatchString("Error: Data privacy consent\n...\nhas a lawful\nbasis") || all.MatchString("lawful basis ... Data privacy") {
		t.Error("allWordsRe must match phrases in order across lines")
	}
}

// testAccListDataConfig is a configuration that needs SendGrid: a list lookup by name.
const testAccListDataConfig = `
data "sendgridaudience_list" "test" {
  name = "Newsletter"
}
`

// Runs against the emulator and, in real-API mode, against SendGrid (the scratch list by name).
func TestAccProvider_validConfigWorksAgainstEmulator(t *testing.T) {
	env, id, name := testAccNewSharedEnv(t, "Newsletter")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: env.ProviderConfig(testAccAdmin) + fmt.Sprintf("data \"sendgridaudience_list\" \"test\" {\n  name = %q\n}\n", name),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.sendgridaudience_list.test", tfjsonpath.New("id"), knownvalue.StringExact(id)),
				statecheck.ExpectKnownValue("data.sendgridaudience_list.test", tfjsonpath.New("name"), knownvalue.StringExact(name)),
			},
		}},
	})
}

func TestAccProvider_plainHTTPToRemoteHostRefused(t *testing.T) {
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      testAccProviderConfig("http://sendgrid-proxy.example.net", "SG.not-sent", testAccAdmin) + testAccListDataConfig,
			PlanOnly:    true,
			ExpectError: allWordsRe("Invalid provider api_url: plain http to a non-loopback host", "sendgrid-proxy.example.net"),
		}},
	})
}

func TestAccProvider_apiURLAndRegionConflict(t *testing.T) {
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: `
provider "sendgridaudience" {
  api_url = "https://api.sendgrid.com"
  region  = "eu"
  api_key = "SG.not-sent"
  actor   = "admin@example.com"
}
` + testAccListDataConfig,
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Attribute\s+"region"\s+cannot\s+be\s+specified\s+when\s+"api_url"\s+is\s+specified`),
		}},
	})
}

func TestAccProvider_unknownRegion(t *testing.T) {
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: `
provider "sendgridaudience" {
  region  = "mars"
  api_key = "SG.not-sent"
}
` + testAccListDataConfig,
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Attribute\s+region\s+value\s+must\s+be\s+one\s+of:\s+\["global"\s+"eu"\],\s+got:\s+"mars"`),
		}},
	})
}

func TestAccProvider_missingAPIKeySaysHowToSetIt(t *testing.T) {
	env, _, _ := testAccNewSharedEnv(t, "")
	t.Setenv(envAPIKey, "")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      testAccProviderConfig(env.URL, "", testAccAdmin) + testAccListDataConfig,
			ExpectError: allWordsRe("SendGrid API key not configured", "Set api_key in the provider block or the SENDGRID_API_KEY environment variable"),
		}},
	})
}

func TestAccProvider_apiKeyFromEnvironment(t *testing.T) {
	env, id, name := testAccNewSharedEnv(t, "Newsletter")
	t.Setenv(envAPIKey, env.Key)
	t.Setenv(envAPIURL, env.URL)
	t.Setenv(envActor, testAccAdmin)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: "provider \"sendgridaudience\" {}\n" + fmt.Sprintf("data \"sendgridaudience_list\" \"test\" {\n  name = %q\n}\n", name),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.sendgridaudience_list.test", tfjsonpath.New("id"), knownvalue.StringExact(id)),
			},
		}},
	})
}

// An emulator URL in the environment and region in the provider block both choose the host: plan
// fails naming both rather than silently send the key to production SendGrid; api_url in the
// provider block wins over the environment.
func TestAccProvider_regionConflictsWithAPIURLFromEnvironment(t *testing.T) {
	env := testAccNewEnv(t)
	id := env.Emulator.SeedList(env.Key, "Newsletter")
	t.Setenv(envAPIURL, env.URL)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
provider "sendgridaudience" {
  region  = "global"
  api_key = %q
  actor   = %q
}
`, env.Key, testAccAdmin) + testAccListDataConfig,
			PlanOnly: true,
			ExpectError: allWordsRe("Invalid provider region: conflicts with the SENDGRID_API_URL environment variable",
				`region = "global" chooses SendGrid's host https://api.sendgrid.com`, "unset SENDGRID_API_URL"),
		}, {
			Config: fmt.Sprintf(`
provider "sendgridaudience" {
  api_url = %q
  api_key = %q
  actor   = %q
}
`, env.URL, env.Key, testAccAdmin) + testAccListDataConfig,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.sendgridaudience_list.test", tfjsonpath.New("id"), knownvalue.StringExact(id)),
			},
		}},
	})
}

// configureProvider runs the provider's Configure with the given settings (all others null).
func configureProvider(t *testing.T, settings map[string]string) (*providerData, diag.Diagnostics) {
	t.Helper()
	ctx := context.Background()
	p := New("test")()
	var sr provider.SchemaResponse
	p.Schema(ctx, provider.SchemaRequest{}, &sr)
	typ := sr.Schema.Type().TerraformType(ctx).(tftypes.Object)
	vals := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		if v, ok := settings[name]; ok {
			vals[name] = tftypes.NewValue(at, v)
		} else {
			vals[name] = tftypes.NewValue(at, nil)
		}
	}
	var resp provider.ConfigureResponse
	p.Configure(ctx, provider.ConfigureRequest{Config: tfsdk.Config{Schema: sr.Schema, Raw: tftypes.NewValue(typ, vals)}}, &resp)
	data, _ := resp.ResourceData.(*providerData)
	return data, resp.Diagnostics
}

func TestConfigureRegionEUKeepsTheEUHostAndSaysWhatIsUndocumented(t *testing.T) {
	data, diags := configureProvider(t, map[string]string{"api_key": "SG.unit-test", "region": "eu"})
	if diags.HasError() || data == nil {
		t.Fatalf("configure failed: %v", diags)
	}
	if data.baseURL != "https://api.eu.sendgrid.com" {
		t.Errorf("region eu uses %q, want the EU host", data.baseURL)
	}
	warns := diags.Warnings()
	if len(warns) != 1 || warns[0].Summary() != "Marketing Campaigns on SendGrid's EU host is not documented" ||
		!strings.Contains(warns[0].Detail(), "lists only https://api.sendgrid.com") || !strings.Contains(warns[0].Detail(), "never falls back") {
		t.Errorf("warnings = %v", warns)
	}

	data, diags = configureProvider(t, map[string]string{"api_key": "SG.unit-test", "region": "global"})
	if diags.HasError() || len(diags.Warnings()) != 0 || data == nil || data.baseURL != "https://api.sendgrid.com" {
		t.Errorf("region global: %v %v", data, diags)
	}
}
