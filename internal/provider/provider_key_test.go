package provider

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/synth"
)

// diagRecorder is a provider server that records the error diagnostics every call returns, so
// that a test can count how often a cause is reported in one plan.
type diagRecorder struct {
	tfprotov6.ProviderServer
	mu     *sync.Mutex
	errors *[]string // summaries, in the order returned
}

func (s diagRecorder) record(ds []*tfprotov6.Diagnostic) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range ds {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			*s.errors = append(*s.errors, d.Summary)
		}
	}
}

func (s diagRecorder) ConfigureProvider(ctx context.Context, req *tfprotov6.ConfigureProviderRequest) (*tfprotov6.ConfigureProviderResponse, error) {
	resp, err := s.ProviderServer.ConfigureProvider(ctx, req)
	if resp != nil {
		s.record(resp.Diagnostics)
	}
	return resp, err
}

func (s diagRecorder) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	resp, err := s.ProviderServer.PlanResourceChange(ctx, req)
	if resp != nil {
		s.record(resp.Diagnostics)
	}
	return resp, err
}

func (s diagRecorder) ReadResource(ctx context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	resp, err := s.ProviderServer.ReadResource(ctx, req)
	if resp != nil {
		s.record(resp.Diagnostics)
	}
	return resp, err
}

func (s diagRecorder) ReadDataSource(ctx context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	resp, err := s.ProviderServer.ReadDataSource(ctx, req)
	if resp != nil {
		s.record(resp.Diagnostics)
	}
	return resp, err
}

// recordingFactories serves the provider through a diagRecorder; errors returns what it recorded
// and forgets it.
func recordingFactories() (map[string]func() (tfprotov6.ProviderServer, error), func() []string) {
	var mu sync.Mutex
	var errs []string
	serve := providerserver.NewProtocol6WithError(New("test")())
	return map[string]func() (tfprotov6.ProviderServer, error){
			"sendgridaudience": func() (tfprotov6.ProviderServer, error) {
				s, err := serve()
				return diagRecorder{ProviderServer: s, mu: &mu, errors: &errs}, err
			},
		}, func() []string {
			mu.Lock()
			defer mu.Unlock()
			out := append([]string(nil), errs...)
			errs = nil
			sort.Strings(out)
			return out
		}
}

// everyKindConfig is a configuration with one of everything that talks to SendGrid: a
// connection, a list binding, a custom field, a segment and an export.
func everyKindConfig(provider, listID, source string) string {
	return provider + testAccConnectionConfig("Marketing", []string{testAccAdmin}, nil, "") + fmt.Sprintf(`
resource "sendgridaudience_list_binding" "test" {
  list_id = %q
}

resource "sendgridaudience_custom_field" "test" {
  name = "loyalty_tier"
  type = "Text"
}

data "sendgridaudience_segment" "customers" {
  name   = "customers"
  source = %q
}

resource "sendgridaudience_export" "test" {
  name                = "newsletter"
  sendgrid_connection = sendgridaudience_connection.test
  list_id             = sendgridaudience_list_binding.test.list_id
  segments            = [data.sendgridaudience_segment.customers]
  data_matching       = { email = "email" }
}
`, listID, source)
}

// closedLoopbackURL is an http URL on a loopback port nothing listens on.
func closedLoopbackURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "http://" + addr
}

// One cause, one diagnostic: a missing key, a wrong key or an unreachable SendGrid is reported
// once per plan, however many resources need SendGrid, and an unreachable host is not blamed on
// the key.
func TestAccProvider_oneDiagnosticPerCause(t *testing.T) {
	env := testAccNewEnv(t)
	listID := env.Emulator.SeedList(env.Key, "Newsletter")
	source := filepath.Join(t.TempDir(), "customers.csv")
	writeProfiles(t, source, synth.Options{Count: 5, Seed: 61})
	t.Setenv(envAPIKey, "")
	t.Setenv(envAPIURL, "")
	down := closedLoopbackURL(t)
	cases := []struct {
		name     string
		provider string
		want     []string // the error summaries of the plan, sorted
		text     []string // phrases of the CLI's output, in order
	}{
		{"missing key", testAccProviderConfig(env.URL, "", testAccAdmin),
			[]string{"SendGrid API key not configured"},
			[]string{"SendGrid API key not configured", "Set api_key in the provider block or the SENDGRID_API_KEY environment variable"}},
		{"wrong key", testAccProviderConfig(env.URL, "SG.wrong-key-for-the-test", testAccAdmin),
			[]string{"SendGrid API key is invalid or revoked"},
			[]string{"SendGrid API key is invalid or revoked", "401"}},
		{"unreachable host", testAccProviderConfig(down, env.Key, testAccAdmin),
			[]string{"Cannot reach SendGrid"},
			[]string{"Cannot reach SendGrid", "No answer from " + strings.TrimPrefix(down, "http://"), "This is not about the API key",
				"proxy", "api_url", "SENDGRID_API_URL"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			factories, recorded := recordingFactories()
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: factories,
				Steps: []resource.TestStep{{
					Config:      everyKindConfig(c.provider, listID, source),
					PlanOnly:    true,
					ExpectError: allWordsRe(c.text...),
				}},
			})
			if got := recorded(); strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("the plan reported %d errors %q, want %q", len(got), got, c.want)
			}
		})
	}
}

// The same causes met by the refresh of an applied configuration (every resource reads SendGrid,
// and the export plans again) are still reported once each.
func TestAccProvider_oneDiagnosticPerCauseOnRefresh(t *testing.T) {
	env := testAccNewEnv(t)
	listID := env.Emulator.SeedList(env.Key, "Newsletter")
	source := filepath.Join(t.TempDir(), "customers.csv")
	writeProfiles(t, source, synth.Options{Count: 5, Seed: 62})
	t.Setenv(envAPIKey, "")
	t.Setenv(envAPIURL, "")
	factories, recorded := recordingFactories()
	expect := func(want string) func() {
		return func() {
			if got := recorded(); len(got) != 1 || got[0] != want {
				t.Errorf("the previous plan reported %d errors %q, want one %q", len(got), got, want)
			}
		}
	}
	step := func(provider string, pre func(), text ...string) resource.TestStep {
		// Not PlanOnly: the harness's plan before an apply refreshes, so every resource reads SendGrid.
		return resource.TestStep{Config: everyKindConfig(provider, listID, source), PreConfig: pre, ExpectError: allWordsRe(text...)}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{
			{Config: everyKindConfig(env.ProviderConfig(testAccAdmin), listID, source)},
			step(testAccProviderConfig(env.URL, "", testAccAdmin), func() { recorded() }, "SendGrid API key not configured"),
			step(testAccProviderConfig(env.URL, "SG.wrong-key-for-the-test", testAccAdmin), expect("SendGrid API key not configured"),
				"SendGrid API key is invalid or revoked"),
			step(testAccProviderConfig(closedLoopbackURL(t), env.Key, testAccAdmin), expect("SendGrid API key is invalid or revoked"),
				"Cannot reach SendGrid"),
			{Config: everyKindConfig(env.ProviderConfig(testAccAdmin), listID, source), PreConfig: expect("Cannot reach SendGrid"), PlanOnly: true},
		},
	})
}
