package provider

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
)

// role is what the provider's actor may do with a connection.
type role int

const (
	roleNone          role = iota // not listed on the connection
	roleContributor               // may run exports through the connection
	roleAdministrator             // may also create, change and remove the connection
)

func (r role) String() string {
	switch r {
	case roleAdministrator:
		return "administrator"
	case roleContributor:
		return "contributor"
	default:
		return "none"
	}
}

// connectionRef is what other resources know about a connection: who may use it and which
// SendGrid account it was verified against. An export receives it through an object attribute
// typed with connectionRefAttrTypes (`sendgrid_connection = sendgridaudience_connection.main`).
type connectionRef struct {
	ID             string
	DisplayName    string
	Administrators []string
	Contributors   []string
	ProfileCap     int64
	UserID         int64
	KeyFingerprint string
	Consent        bool
}

// connectionRefAttrTypes is the object type under which an export accepts a whole
// sendgridaudience_connection resource. Terraform drops the connection's other attributes when
// it converts the resource to this type, so editing one the export does not use (display_name,
// granted_scopes) does not change the export's plan.
var connectionRefAttrTypes = map[string]attr.Type{
	"id":                   types.StringType,
	"administrators":       types.SetType{ElemType: types.StringType},
	"contributors":         types.SetType{ElemType: types.StringType},
	"profile_cap":          types.Int64Type,
	"user_id":              types.Int64Type,
	"key_fingerprint":      types.StringType,
	"data_privacy_consent": types.BoolType,
}

// connectionRefFromObject converts an object attribute typed with connectionRefAttrTypes (or any
// object carrying at least its attribute names). known is false when the object, or who may use
// the connection, is not known yet: callers then skip their actor check until it is.
// Attributes other than administrators and contributors may be unknown (a connection created in
// the same plan has no id or user_id yet); they are then left at their zero values.
func connectionRefFromObject(_ context.Context, obj types.Object) (ref connectionRef, known bool, diags diag.Diagnostics) {
	if obj.IsNull() || obj.IsUnknown() {
		return ref, false, nil
	}
	attrs := obj.Attributes()
	known = true
	str := func(name string) string {
		if v, ok := attrs[name].(basetypes.StringValue); ok && !v.IsNull() && !v.IsUnknown() {
			return v.ValueString()
		}
		return ""
	}
	i64 := func(name string) int64 {
		if v, ok := attrs[name].(basetypes.Int64Value); ok && !v.IsNull() && !v.IsUnknown() {
			return v.ValueInt64()
		}
		return 0
	}
	users := func(name string) []string {
		v, ok := attrs[name].(basetypes.SetValue)
		if !ok || v.IsNull() {
			return nil
		}
		if v.IsUnknown() {
			known = false
			return nil
		}
		var out []string
		for _, e := range v.Elements() {
			s, ok := e.(basetypes.StringValue)
			if !ok || s.IsUnknown() {
				known = false
				continue
			}
			if !s.IsNull() {
				out = append(out, s.ValueString())
			}
		}
		return out
	}
	ref.ID = str("id")
	ref.Administrators = users("administrators")
	ref.Contributors = users("contributors")
	ref.ProfileCap = i64("profile_cap")
	ref.UserID = i64("user_id")
	ref.KeyFingerprint = str("key_fingerprint")
	if v, ok := attrs["data_privacy_consent"].(basetypes.BoolValue); ok && !v.IsNull() && !v.IsUnknown() {
		ref.Consent = v.ValueBool()
	}
	if _, ok := attrs["administrators"]; !ok {
		diags.AddError("Connection object lacks administrators",
			"The connection value has no administrators attribute. Pass the whole resource, e.g. sendgrid_connection = sendgridaudience_connection.main.")
		return ref, false, diags
	}
	return ref, known, diags
}

// sameActor compares actors as people do: surrounding spaces and letter case do not matter, so
// "Ops@Example.com" and "ops@example.com" are the same person.
func sameActor(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

// actorRole returns the actor's role on a connection. An administrator listed as a contributor
// too is an administrator.
func actorRole(actor string, conn connectionRef) role {
	if strings.TrimSpace(actor) == "" {
		return roleNone
	}
	for _, a := range conn.Administrators {
		if sameActor(actor, a) {
			return roleAdministrator
		}
	}
	for _, c := range conn.Contributors {
		if sameActor(actor, c) {
			return roleContributor
		}
	}
	return roleNone
}

// ActorError explains why the provider's actor may not do something with a connection. Its
// message says what to change.
type ActorError struct {
	Actor      string // "" when the actor is not set
	Connection string // the connection's display name or id, "" if unknown
	Need       role
	Allowed    []string // who may do it, sorted
}

func (e *ActorError) Error() string {
	what := "use this connection"
	if e.Need == roleAdministrator {
		what = "create, change or remove this connection"
	}
	conn := "the connection"
	if e.Connection != "" {
		conn = fmt.Sprintf("connection %q", e.Connection)
	}
	if e.Actor == "" {
		return fmt.Sprintf("the provider's actor is not set, so Terraform cannot tell who wants to %s. "+
			"Set `actor` in the provider block, or the %s environment variable, to the person or "+
			"service account running Terraform; it must be one of: %s.", what, envActor, strings.Join(e.Allowed, ", "))
	}
	return fmt.Sprintf("actor %q may not %s: only %s of %s may (%s). Run Terraform as one of them "+
		"(provider `actor` or %s), or have an administrator add %q to the connection.",
		e.Actor, what, plural(e.Need), conn, strings.Join(e.Allowed, ", "), envActor, e.Actor)
}

func plural(r role) string {
	if r == roleAdministrator {
		return "administrators"
	}
	return "administrators and contributors"
}

// checkActor reports whether actor may run exports through conn: an administrator or a
// contributor. It returns an *ActorError that says what to do otherwise, including when the
// actor is not set.
func checkActor(actor string, conn connectionRef) error {
	return checkRole(actor, conn, roleContributor)
}

// checkAdministrator reports whether actor may create, change or remove conn.
func checkAdministrator(actor string, conn connectionRef) error {
	return checkRole(actor, conn, roleAdministrator)
}

func checkRole(actor string, conn connectionRef, need role) error {
	if actorRole(actor, conn) >= need {
		return nil
	}
	candidates := conn.Administrators
	if need == roleContributor {
		candidates = append(append([]string(nil), conn.Administrators...), conn.Contributors...)
	}
	allowed := dedupeFold(candidates)
	name := conn.DisplayName
	if name == "" {
		name = conn.ID
	}
	return &ActorError{Actor: strings.TrimSpace(actor), Connection: name, Need: need, Allowed: allowed}
}

// dedupeFold returns the distinct actors of in (the first spelling wins), sorted ignoring case.
func dedupeFold(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		k := strings.ToLower(strings.TrimSpace(s))
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, strings.TrimSpace(s))
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i]) < strings.ToLower(out[j]) })
	return out
}
