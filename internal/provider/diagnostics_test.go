package provider

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/export"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
)

// TestForbiddenNamesMissingScopesFromTheKeysScopes: SendGrid's 403 says only "access forbidden",
// so the key diagnostic names the missing scopes from GET /v3/scopes and points at the
// connection's granted_scopes and the troubleshooting guide.
func TestForbiddenNamesMissingScopesFromTheKeysScopes(t *testing.T) {
	granted := []string{"mail.send", emulator.ScopeUsernameRead, emulator.ScopeAccountRead}
	var missing []string
	for _, s := range connectionRequiredScopes {
		if !slices.Contains(granted, s) {
			missing = append(missing, s)
		}
	}
	if len(missing) == 0 {
		t.Fatal("the test key must lack a required scope")
	}
	_, srv := emulator.NewTestServer(t, emulator.Config{Keys: map[string]emulator.Key{"SG.part": {UserID: 1, Scopes: granted}}})
	c, err := sendgrid.New(sendgrid.Config{APIKey: "SG.part", BaseURL: srv.URL, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateList(context.Background(), "scratch")
	if !sendgrid.IsForbidden(err) {
		t.Fatalf("want a 403, got %v", err)
	}
	var diags diag.Diagnostics
	addKeyError(&diags, err)
	if len(diags) != 1 {
		t.Fatalf("diagnostics = %v", diags)
	}
	d := diags[0].Summary() + ": " + diags[0].Detail()
	for _, want := range []string{"lacks a permission", "access forbidden", "GET /v3/scopes", "granted_scopes", "Troubleshooting",
		"add " + strings.Join(missing, ", ")} {
		if !strings.Contains(d, want) {
			t.Errorf("403 diagnostic lacks %q:\n%s", want, d)
		}
	}

	// Every required scope granted: the request needs a permission the scopes do not show.
	d = forbiddenDetail(&sendgrid.APIError{StatusCode: 403, Method: "PUT", Path: "/v3/marketing/contacts",
		Errors: []sendgrid.ErrorItem{{Message: "access forbidden"}}, Granted: connectionRequiredScopes})
	if !strings.Contains(d, "include every scope the provider checks") || strings.Contains(d, " and add ") {
		t.Errorf("403 with every scope granted:\n%s", d)
	}
}

// Every configuration problem the engine reports is worded for the export resource, on the
// attribute it names, with the facts the engine gives.
func TestConfigErrorWording(t *testing.T) {
	for p := export.ProblemNoSegments; p <= export.ProblemColumnType; p++ {
		summary, detail := configText(&export.ConfigError{Problem: p})
		if summary == "Invalid configuration" || detail == "" {
			t.Errorf("problem %d has no wording", p)
		}
	}
	var diags diag.Diagnostics
	addConfigError(&diags, &export.ConfigError{Attr: export.Attribute{Kind: export.AttrMapping, Name: "first_name"},
		Problem: export.ProblemUnknownColumn, Segment: "vip", Column: "frist_name", Suggestion: "first_name",
		Columns: []string{"email", "first_name"}})
	if len(diags) != 1 {
		t.Fatalf("diags = %v", diags)
	}
	d, ok := diags[0].(diag.DiagnosticWithPath)
	want := `data_matching.first_name: segment "vip" has no column "frist_name". Did you mean "first_name"? Columns: email, first_name.`
	if !ok || !d.Path().Equal(path.Root("data_matching").AtMapKey("first_name")) || d.Summary() != "Unknown column" || d.Detail() != want {
		t.Errorf("diagnostic %v %q: %q", d.Path(), d.Summary(), d.Detail())
	}
}

// configPath keeps the top-level attribute and turns the next step into an index, which the CLIs
// resolve to the line of that key or element; deeper steps are dropped.
func TestConfigPath(t *testing.T) {
	for _, c := range []struct {
		in   path.Path
		want string
	}{
		{path.Root("max_profiles"), "max_profiles"},
		{path.Root("data_matching").AtName("first_name"), `data_matching["first_name"]`},
		{path.Root("data_matching").AtName("custom_fields").AtMapKey("tier"), `data_matching["custom_fields"]`},
		{path.Root("segments").AtListIndex(2).AtName("filter"), "segments[2]"},
		{path.Root("sendgrid_connection").AtName("profile_cap"), `sendgrid_connection["profile_cap"]`},
		{path.Empty(), ""},
	} {
		if got := configPath(c.in).String(); got != c.want {
			t.Errorf("configPath(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}

// Counts are written in the singular for exactly one.
func TestCounted(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{{0, "0 contacts"}, {1, "1 contact"}, {2, "2 contacts"}} {
		if got := export.Counted(c.n, "contact"); got != c.want {
			t.Errorf("export.Counted(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

// A refusal at plan time says what to do, not that nothing was sent (nothing ever is at plan);
// at apply time it says that nothing was sent.
func TestRefusalsSayNothingWasSentOnlyAtApply(t *testing.T) {
	inv := &export.InvalidProfilesError{Invalid: &export.InvalidReport{Total: 1, ByReason: map[string]int64{"email: invalid": 1}}}
	rem := &export.RemovalError{Removing: 1, Removable: 1, Empty: true}
	for _, err := range []error{inv, rem} {
		var plan, apply diag.Diagnostics
		addEngineError(&plan, err, refusedAtPlan)
		addEngineError(&apply, err, refusedAtApply)
		if len(plan) != 1 || strings.Contains(strings.ToLower(plan[0].Detail()), "nothing was") {
			t.Errorf("%T at plan: %v", err, plan)
		}
		if len(apply) != 1 || !strings.Contains(apply[0].Detail(), "Nothing was sent or removed.") {
			t.Errorf("%T at apply: %v", err, apply)
		}
	}
	var d diag.Diagnostics
	addEngineError(&d, inv, refusedAtPlan)
	if d[0].Summary() != `1 invalid profile (invalid_profiles = "fail")` {
		t.Errorf("summary %q", d[0].Summary())
	}
}

// A request that got no answer is reported as SendGrid unreachable, naming only the host (never
// credentials, a path or a query), and not as a problem of the key; a plan reports it, and a
// refused key, once however many resources meet it.
func TestUnreachableAndRefusedKeyReportedOncePerPlan(t *testing.T) {
	down := &sendgrid.TransportError{Method: "GET", Path: "/v3/scopes", Attempts: 6, Err: &url.Error{Op: "Get",
		URL: "https://user:SG.secret-key@api.example.net/v3/scopes?token=abc", Err: errors.New("connect: connection refused")}}
	var diags diag.Diagnostics
	addKeyError(&diags, down)
	if len(diags) != 1 || diags[0].Summary() != "Cannot reach SendGrid" {
		t.Fatalf("diags = %v", diags)
	}
	detail := diags[0].Detail()
	if !strings.Contains(detail, "No answer from api.example.net (") || !strings.Contains(detail, "SENDGRID_API_URL") ||
		strings.Contains(detail, "SG.secret") || strings.Contains(detail, "token=") {
		t.Errorf("detail: %s", detail)
	}

	data := &providerData{causes: newSharedCauses()}
	refused := &sendgrid.APIError{StatusCode: 401, Method: "GET", Path: "/v3/scopes"}
	var plan diag.Diagnostics
	for range 3 {
		for _, err := range []error{down, refused} {
			if !data.reportShared(&plan, err) {
				t.Fatalf("%v is not a shared cause", err)
			}
		}
	}
	if len(plan) != 2 || plan[0].Summary() != "Cannot reach SendGrid" || plan[1].Summary() != "SendGrid API key is invalid or revoked" {
		t.Errorf("three resources meeting both causes: %v", plan)
	}
	if data.reportShared(&plan, &sendgrid.APIError{StatusCode: 403, Method: "POST", Path: "/v3/marketing/lists"}) {
		t.Error("a 403 is about one request, not shared")
	}
	var noKey diag.Diagnostics
	for range 3 {
		planClient(data, &noKey)
	}
	if len(noKey) != 1 || noKey[0].Summary() != "SendGrid API key not configured" {
		t.Errorf("missing key: %v", noKey)
	}
}
