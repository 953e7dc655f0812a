package provider

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestCheckActor(t *testing.T) {
	conn := connectionRef{
		DisplayName:    "SendGrid (marketing)",
		Administrators: []string{"admin@example.com", "ci-bot"},
		Contributors:   []string{"analyst@example.com", "Admin@example.com"},
	}
	cases := []struct {
		actor       string
		use, change bool
	}{
		{"admin@example.com", true, true},
		{"  ADMIN@example.COM ", true, true},
		{"ci-bot", true, true},
		{"analyst@example.com", true, false},
		{"intern@example.org", false, false},
		{"", false, false},
	}
	for _, tc := range cases {
		if err := checkActor(tc.actor, conn); (err == nil) != tc.use {
			t.Errorf("checkActor(%q) = %v, want allowed=%v", tc.actor, err, tc.use)
		}
		if err := checkAdministrator(tc.actor, conn); (err == nil) != tc.change {
			t.Errorf("checkAdministrator(%q) = %v, want allowed=%v", tc.actor, err, tc.change)
		}
	}
}

func TestActorErrorMessages(t *testing.T) {
	conn := connectionRef{DisplayName: "SendGrid (marketing)", Administrators: []string{"b@example.com", "a@example.com"},
		Contributors: []string{"c@example.com", "A@example.com"}}

	err := checkActor("", conn)
	var ae *ActorError
	if !errors.As(err, &ae) {
		t.Fatalf("want *ActorError, got %T", err)
	}
	msg := err.Error()
	for _, want := range []string{"actor is not set", "`actor`", "SENDGRIDAUDIENCE_ACTOR", "use this connection"} {
		if !strings.Contains(msg, want) {
			t.Errorf("unset actor message lacks %q: %s", want, msg)
		}
	}

	msg = checkActor("x@example.org", conn).Error()
	if !strings.Contains(msg, `actor "x@example.org" may not use this connection`) ||
		!strings.Contains(msg, `connection "SendGrid (marketing)"`) ||
		!strings.Contains(msg, "(a@example.com, b@example.com, c@example.com)") {
		t.Errorf("use message: %s", msg)
	}

	msg = checkAdministrator("c@example.com", conn).Error()
	if !strings.Contains(msg, "may not create, change or remove this connection: only administrators") ||
		!strings.Contains(msg, "(a@example.com, b@example.com)") {
		t.Errorf("change message: %s", msg)
	}
}

func TestConnectionRefFromObject(t *testing.T) {
	ctx := context.Background()
	set := func(ss ...string) types.Set {
		v, _ := types.SetValueFrom(ctx, types.StringType, ss)
		return v
	}
	obj, diags := types.ObjectValue(connectionRefAttrTypes, map[string]attr.Value{
		"id":                   types.StringValue("c2f5c9a4-3d1e-4f7b-8a6c-1e2d3f4a5b6c"),
		"administrators":       set("admin@example.com"),
		"contributors":         set("analyst@example.com"),
		"profile_cap":          types.Int64Value(5000),
		"user_id":              types.Int64Unknown(), // connection created in the same plan
		"key_fingerprint":      types.StringValue("sha256:0123456789abcdef"),
		"data_privacy_consent": types.BoolValue(true),
	})
	if diags.HasError() {
		t.Fatal(diags)
	}
	ref, known, d := connectionRefFromObject(ctx, obj)
	if d.HasError() || !known {
		t.Fatalf("known=%v diags=%v", known, d)
	}
	if ref.ProfileCap != 5000 || ref.UserID != 0 || !ref.Consent || ref.Administrators[0] != "admin@example.com" ||
		ref.Contributors[0] != "analyst@example.com" || ref.ID != "c2f5c9a4-3d1e-4f7b-8a6c-1e2d3f4a5b6c" {
		t.Errorf("ref = %+v", ref)
	}
	if checkActor("analyst@example.com", ref) != nil || checkAdministrator("analyst@example.com", ref) == nil {
		t.Error("roles from the object are wrong")
	}

	unknownAdmins, _ := types.ObjectValue(connectionRefAttrTypes, map[string]attr.Value{
		"id":             types.StringUnknown(),
		"administrators": types.SetUnknown(types.StringType), "contributors": set(),
		"profile_cap": types.Int64Value(1), "user_id": types.Int64Unknown(), "key_fingerprint": types.StringUnknown(),
		"data_privacy_consent": types.BoolValue(true),
	})
	if _, known, _ := connectionRefFromObject(ctx, unknownAdmins); known {
		t.Error("unknown administrators must make the reference unknown")
	}
	if _, known, _ := connectionRefFromObject(ctx, types.ObjectUnknown(connectionRefAttrTypes)); known {
		t.Error("unknown object must be unknown")
	}
}

// TestConnectionRefWithoutAdministrators: an object that is not a connection resource gets an
// error that shows the attribute the user actually writes (sendgrid_connection).
func TestConnectionRefWithoutAdministrators(t *testing.T) {
	obj, d := types.ObjectValue(map[string]attr.Type{"id": types.StringType}, map[string]attr.Value{"id": types.StringValue("x")})
	if d.HasError() {
		t.Fatal(d)
	}
	_, _, diags := connectionRefFromObject(context.Background(), obj)
	if !diags.HasError() {
		t.Fatal("want an error for an object without administrators")
	}
	if got := diags[0].Detail(); !strings.Contains(got, "sendgrid_connection = sendgridaudience_connection.") {
		t.Errorf("the advice must name the sendgrid_connection attribute: %q", got)
	}
}
