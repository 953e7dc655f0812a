package provider

import (
	"context"
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
	if !ok || !d.Path().Equal(path.Root("data_matching").AtName("first_name")) || d.Summary() != "Unknown column" || d.Detail() != want {
		t.Errorf("diagnostic %v %q: %q", d.Path(), d.Summary(), d.Detail())
	}
}
