package provider

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/endpoint"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/export"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
)

// keyRefused reports whether SendGrid refused the provider's API key: invalid or revoked (401),
// or lacking a permission (403). Such errors get the key diagnostic (addKeyError) wherever they
// occur.
func keyRefused(err error) bool {
	return sendgrid.IsUnauthorized(err) || sendgrid.IsForbidden(err)
}

// addKeyError explains a failed key verification and what to do about it.
func addKeyError(diags *diag.Diagnostics, err error) {
	_, unreachable := unreachableHost(err)
	switch {
	case unreachable:
		addUnreachableError(diags, err)
	case !keyRefused(err):
		diags.AddError("Cannot verify the SendGrid API key", "Reading the key's scopes and account from SendGrid failed: "+err.Error())
	case sendgrid.IsUnauthorized(err):
		diags.AddError("SendGrid API key is invalid or revoked",
			"SendGrid answered 401 Unauthorized: the provider's API key is invalid or has been revoked ("+err.Error()+"). "+
				"Create a new key in SendGrid (Settings > API Keys > Create API Key > Restricted Access) with the scopes "+scopesWithPermissions(connectionRequiredScopes)+
				", and set it in the provider's api_key or the "+envAPIKey+" environment variable. Until then no connection can be "+
				"verified and nothing that needs SendGrid can be planned; to remove resources without a valid key, run "+
				"terraform destroy -refresh=false.")
	default:
		diags.AddError("SendGrid API key lacks a permission", forbiddenDetail(err))
	}
}

// unreachableHost reports whether err is a request that got no answer from SendGrid (connection
// refused or reset, a name that does not resolve, a timeout), and the host it was sent to: only
// the host, since upload URLs carry tokens in their path and query.
func unreachableHost(err error) (string, bool) {
	var te *sendgrid.TransportError
	if !errors.As(err, &te) {
		return "", false
	}
	var ue *url.Error
	if errors.As(te.Err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
			return u.Host, true
		}
	}
	return "the SendGrid API host", true
}

// addUnreachableError reports a request that got no answer: the network, a proxy or the
// provider's API URL, not the key.
func addUnreachableError(diags *diag.Diagnostics, err error) {
	host, _ := unreachableHost(err)
	diags.AddError("Cannot reach SendGrid",
		fmt.Sprintf("No answer from %s (%s). This is not about the API key, which could not be checked: check the network and "+
			"any proxy (HTTPS_PROXY) between this machine and %s, and the provider's api_url or the %s environment variable, "+
			"which choose the host.", host, err.Error(), host, envAPIURL))
}

func addMissingScopesError(diags *diag.Diagnostics, missing []string) {
	diags.AddError("SendGrid API key lacks required scopes",
		fmt.Sprintf("The provider's API key is missing the scope(s) %s. Edit the key in SendGrid (Settings > API Keys > Edit API Key) "+
			"and add: %s. Exports need all of: %s.", quotedList(missing), scopesWithPermissions(missing), scopesWithPermissions(connectionRequiredScopes)))
}

// addAPIError reports a failed SendGrid request: a wrong or under-scoped key gets the key
// diagnostic (addKeyError), no answer at all addUnreachableError, anything else an error with
// summary.
func addAPIError(diags *diag.Diagnostics, summary string, err error) {
	if _, unreachable := unreachableHost(err); unreachable || keyRefused(err) {
		addKeyError(diags, err)
		return
	}
	diags.AddError(summary, err.Error())
}

// Causes that every resource talking to SendGrid meets alike (sharedCauses).
const (
	causeNoKey       = "no key"
	causeKeyRefused  = "key refused"
	causeUnreachable = "unreachable"
)

// sharedCauses remembers which problems shared by every resource that talks to SendGrid (the
// API key missing or refused as invalid, SendGrid unreachable) a plan has reported, so that each
// is reported once, on the first resource that meets it, rather than once per resource. It lives
// in providerData, which Configure makes afresh for every walk of Terraform (plan, apply).
type sharedCauses struct {
	mu   sync.Mutex
	seen map[string]bool
}

func newSharedCauses() *sharedCauses { return &sharedCauses{seen: map[string]bool{}} }

// first records cause and reports whether it is the first time.
func (c *sharedCauses) first(cause string) bool {
	if c == nil {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen[cause] {
		return false
	}
	c.seen[cause] = true
	return true
}

// sharedCause names the shared cause of err, or "" when err is about the request itself (a 403
// is: each request may need another permission).
func sharedCause(err error) string {
	if _, unreachable := unreachableHost(err); unreachable {
		return causeUnreachable
	}
	if sendgrid.IsUnauthorized(err) {
		return causeKeyRefused
	}
	return ""
}

// reportShared is for plans and refreshes: when err has a shared cause it reports it, unless an
// earlier resource of this walk did, and returns true; otherwise it returns false and the caller
// reports err. A resource left silent still fails the plan, through the first report. Applies
// report every failure themselves (a resource an apply cannot change must fail).
func (d *providerData) reportShared(diags *diag.Diagnostics, err error) bool {
	cause := sharedCause(err)
	if cause == "" {
		return false
	}
	if d == nil || d.causes.first(cause) {
		addKeyError(diags, err)
	}
	return true
}

// addPlanKeyError is addKeyError for plans and refreshes (reportShared).
func (d *providerData) addPlanKeyError(diags *diag.Diagnostics, err error) {
	if !d.reportShared(diags, err) {
		addKeyError(diags, err)
	}
}

// addEndpointError turns an endpoint.Error into an error on the provider setting it names.
func addEndpointError(diags *diag.Diagnostics, err error) {
	var e *endpoint.Error
	if errors.As(err, &e) {
		diags.AddAttributeError(path.Root(e.Setting), "Invalid provider "+e.Setting+": "+e.Summary, e.Detail)
		return
	}
	diags.AddError("Invalid provider configuration", err.Error())
}

// tflogf routes the SendGrid client's request log into Terraform's log. The client never passes
// the API key or a profile value.
func tflogf(ctx context.Context, msg string, fields map[string]any) {
	tflog.Debug(ctx, msg, fields)
}

// requireClient reports, on the resource or data source at hand, that SendGrid is not configured.
// Creates, updates, deletes and data sources use it: each must fail on its own.
func requireClient(data *providerData, diags *diag.Diagnostics) bool {
	if data != nil && data.client != nil {
		return true
	}
	if data != nil {
		data.causes.first(causeNoKey)
	}
	addNoKeyError(diags)
	return false
}

// planClient is requireClient for plans and refreshes: the missing key is reported once per walk
// (sharedCauses), on the first resource that needs SendGrid.
func planClient(data *providerData, diags *diag.Diagnostics) bool {
	if data != nil && data.client != nil {
		return true
	}
	if data == nil || data.causes.first(causeNoKey) {
		addNoKeyError(diags)
	}
	return false
}

func addNoKeyError(diags *diag.Diagnostics) {
	diags.AddError("SendGrid API key not configured",
		"Set api_key in the provider block or the SENDGRID_API_KEY environment variable. The key is never written to state.")
}

// providerDataFrom converts what Configure passed to resources and data sources.
func providerDataFrom(v any, diags *diag.Diagnostics) *providerData {
	if v == nil {
		return nil
	}
	d, ok := v.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data", "This is a bug in the provider; please report it.")
		return nil
	}
	return d
}

// forbiddenDetail explains a 403. SendGrid's 403 says only "access forbidden", so the scopes the
// key lacks come from GET /v3/scopes, which the client read right after the 403
// (sendgrid.APIError.Granted), never from the message.
func forbiddenDetail(err error) string {
	var b strings.Builder
	b.WriteString("SendGrid answered 403 Forbidden (" + err.Error() + "): the provider's API key lacks a permission this request needs. " +
		"SendGrid's answer does not say which. ")
	var ae *sendgrid.APIError
	if !errors.As(err, &ae) {
		ae = &sendgrid.APIError{}
	}
	switch missing := ae.MissingScopes(connectionRequiredScopes); {
	case len(missing) > 0:
		b.WriteString("The key's scopes (GET /v3/scopes) lack " + quotedList(missing) + ": edit the key in SendGrid " +
			"(Settings > API Keys > Edit API Key) and add " + strings.Join(missing, ", ") + " (" + scopesWithPermissions(missing) + "). ")
	case ae.Granted != nil:
		b.WriteString("The key's scopes (GET /v3/scopes) include every scope the provider checks (" +
			scopesWithPermissions(connectionRequiredScopes) + "), so the request needs a permission they do not show: " +
			"a key whose scopes include marketing.read but that is refused a change needs Marketing set to Full Access " +
			"(Settings > API Keys > Edit API Key). ")
	case ae.ScopesErr != nil:
		b.WriteString("Reading the key's scopes failed too (" + ae.ScopesErr.Error() + "). ")
	}
	b.WriteString("The connection's granted_scopes attribute shows the scopes the key had when the connection was last read; " +
		"the Troubleshooting guide (403 Forbidden) lists the scopes an export needs and what each grants.")
	return b.String()
}

// snapshotWarning says when the export's record of its contacts (the snapshot in private state)
// cannot be used, why, and what the run does instead. readErr is readSnapshot's error.
func snapshotWarning(req export.Request, st export.SnapshotState, readErr error, diags *diag.Diagnostics) {
	why := snapshotProblem(st)
	if readErr != nil {
		why = readErr.Error()
	}
	if why == "" {
		return
	}
	instead := "This run reads the list's members from SendGrid (one contacts export, when the list is not empty) and sends every exported profile again. " +
		"Contacts already on the list are taken as found there, not added by this export"
	if req.ListScope == export.ScopeList {
		instead += "; with claim_list = true every member outside the segments is still removed in mirror mode"
	} else {
		instead += ": mirror mode and on_destroy = \"remove_from_list\" will not remove them later"
	}
	diags.AddAttributeWarning(path.Root("changes"), "The export's record of its contacts cannot be used",
		why+". "+instead+". The apply writes a new record.")
}

// snapshotProblem says why a snapshot in state st cannot be used ("" when it can, or there is
// none).
func snapshotProblem(st export.SnapshotState) string {
	switch st {
	case export.SnapshotCorrupt:
		return "the export's record in private state is damaged (it does not decode)"
	case export.SnapshotKeyChanged:
		return "the export's record was written under another key (the API key was rotated, or the provider's api_key or " +
			"record_key changed): its hashes are keyed with the API key, or with record_key when set, so this key cannot read " +
			"them. Set record_key in the provider configuration, and keep it, so that rotating the API key no longer costs a full run"
	case export.SnapshotOtherList:
		return "the export's record was written for another list"
	}
	return ""
}

// invalidWarningPath is where the warning about skipped invalid rows goes: invalid_profiles when
// the configuration sets it, else segments, where the rows come from (an attribute left to its
// default has no line to show, and the CLIs would show the resource's first line).
func invalidWarningPath(ctx context.Context, cfg tfsdk.Config) path.Path {
	var v types.String
	if d := cfg.GetAttribute(ctx, path.Root("invalid_profiles"), &v); d.HasError() || v.IsNull() {
		return path.Root("segments")
	}
	return path.Root("invalid_profiles")
}

// planWarnings shows the reviewer of the plan what deserves a second look: invalid rows that
// will be skipped (masked, on invalidAt: invalidWarningPath), and segments that select nobody.
func (r *exportResource) planWarnings(req export.Request, p *export.Plan, diags *diag.Diagnostics) {
	failing := req.InvalidPolicy == export.InvalidFail && p.Invalid != nil && p.Invalid.Total > 0
	if p.Profiles == 0 && !failing {
		what := "Nothing will be sent."
		if req.SyncMode == export.SyncMirror {
			what = "In mirror mode this removes from the list every contact this export added."
		}
		diags.AddAttributeWarning(path.Root("segments"), "The segments select no profiles",
			fmt.Sprintf("The sources gave %s and the filters selected %d, but no valid profile remains. %s Check the sources and filters.",
				export.Counted(p.Rows, "row"), p.Selected, what))
	}
	if p.Drift {
		diags.AddAttributeWarning(path.Root("list_id"), "Contacts of this export were removed from the list outside it",
			fmt.Sprintf("Some contacts this export put on list %s are no longer on it: someone removed them in SendGrid, or another "+
				"export that mirrors into the same list did. This run puts them back (they are counted in changes.to_add). If "+
				"another export mirrors into this list, the two undo each other's work on every run: give each export its own "+
				"list, or set one of them to sync_mode = \"upsert\".", req.ListID))
	}
	if p.Settling && req.SyncMode == export.SyncMirror && req.ListScope == export.ScopeList {
		// An export that claims the list expects its other members to go; say why they do not
		// yet. (Without claim_list the same wait only defers the drift check: not worth a warning.)
		diags.AddAttributeWarning(path.Root("claim_list"), "The list is not read until SendGrid settles",
			fmt.Sprintf("List %s does not hold as many contacts as this export's last run left, and that run finished only minutes "+
				"ago: SendGrid shows a run's contacts in counts and searches minutes later. This plan does not read the list, so "+
				"members this export did not add are not in changes.to_remove yet; plan again once %s have passed since that run "+
				"(%s sets the window).", req.ListID, durationText(settleWindow()), envSettleWindow))
	}
	if p.RecentRun && p.ToRemove > 0 {
		diags.AddAttributeWarning(path.Root("sync_mode"), "Some removals may wait for SendGrid",
			fmt.Sprintf("This run removes %s, and the export's last run finished less than %s ago. SendGrid shows the "+
				"contacts a run sends in searches only minutes later, and a contact is removed by the ID a search finds: "+
				"those the last run sent that SendGrid does not show yet stay on the list, recorded as this export's, and the "+
				"apply says how many. An apply after SendGrid shows them, usually minutes later, removes them.", export.Counted(p.ToRemove, "contact"), durationText(settleWindow())))
	}
	if p.ToRemoveNotAdded > 0 {
		diags.AddAttributeWarning(path.Root("claim_list"), "Removes contacts this export did not add",
			fmt.Sprintf("claim_list = true makes the list equal to the segments: this run removes %s from the list, "+
				"%d of them not added by this export (on the list before it, or added by people or other exports). "+
				"Remove claim_list to keep them.", export.Counted(p.ToRemove, "contact"), p.ToRemoveNotAdded))
	}
}

// invalidWarning says which invalid profiles the run leaves out. A plan that runs nothing does
// not repeat it: nothing is sent, so nothing is left out.
func invalidWarning(req export.Request, p *export.Plan, invalidAt path.Path, diags *diag.Diagnostics) {
	if req.InvalidPolicy == export.InvalidFail || p.Invalid == nil || p.Invalid.Total == 0 {
		return
	}
	diags.AddAttributeWarning(invalidAt,
		export.Counted(p.Invalid.Total, "invalid profile")+" will be skipped",
		"These rows break SendGrid's rules and are left out (invalid_profiles = \"skip\"). Values are masked.\n"+p.Invalid.Summary(10))
}

// addConfigError reports a configuration error of the engine on its attribute (configPath),
// naming the attribute in the text too.
func addConfigError(diags *diag.Diagnostics, c *export.ConfigError) {
	at := attrPath(c.Attr)
	summary, detail := configText(c)
	diags.AddAttributeError(configPath(at), summary, at.String()+": "+detail)
}

// configPath is the path a diagnostic about the attribute at p carries so that the CLIs show the
// attribute's line. Terraform (1.8) and OpenTofu (1.12) find a diagnostic's line only through
// blocks and top-level attributes, followed by at most one index into the attribute's value: for
// an attribute nested in an object attribute (data_matching.first_name, segments[0].filter) they
// show the resource's first line instead. Written as an index into the top-level attribute
// (data_matching["first_name"], segments[0]) the diagnostic lands on the line of that key, or that
// element, of the value written in the configuration, or on the whole attribute when its value
// is a reference (sendgrid_connection = sendgridaudience_connection.main). Deeper steps are
// dropped: the diagnostic's text names the full attribute.
func configPath(p path.Path) path.Path {
	steps := p.Steps()
	if len(steps) < 2 {
		return p
	}
	root, ok := steps[0].(path.PathStepAttributeName)
	if !ok {
		return p
	}
	at := path.Root(string(root))
	switch s := steps[1].(type) {
	case path.PathStepAttributeName:
		return at.AtMapKey(string(s))
	case path.PathStepElementKeyString:
		return at.AtMapKey(string(s))
	case path.PathStepElementKeyInt:
		return at.AtListIndex(int(s))
	}
	return at
}

// configText words a configuration error of the engine for the export resource: what is wrong
// and what to change in the configuration.
func configText(c *export.ConfigError) (summary, detail string) {
	name := c.Attr.Name
	switch c.Problem {
	case export.ProblemNoSegments:
		return "No segments", "an export needs at least one segment."
	case export.ProblemNoList:
		return "No list", "an export needs the ID of the SendGrid list it fills."
	case export.ProblemNegativeCap:
		return "Negative max_profiles", "the profile cap must be positive (or 0 for no cap)."
	case export.ProblemEmailUnmapped:
		return "Email must be mapped", "SendGrid identifies contacts by email: set data_matching.email to the column that holds the email address."
	case export.ProblemDuplicateField:
		return "Duplicate custom field", fmt.Sprintf("custom fields %q and %q name the same SendGrid field (names are compared ignoring case); keep one.", c.Other, name)
	case export.ProblemReservedAsCustom:
		return "Reserved field in custom_fields", fmt.Sprintf("%q is a SendGrid reserved field, not a custom field; map it with its own data_matching attribute.", name)
	case export.ProblemEmptyColumn:
		return "Missing column", fmt.Sprintf("custom field %q maps to an empty column name; name the profile column that feeds it.", name)
	case export.ProblemUnknownField:
		return "Unknown custom field", fmt.Sprintf("SendGrid has no custom field named %q. Create it (for example with a custom field resource in this configuration) or fix the name.", name) +
			didYouMean(c.Suggestion) +
			" Create the field in SendGrid, or manage it with a sendgridaudience_custom_field resource and list that " +
			"resource in managed_custom_fields so the plan knows its type before it exists."
	case export.ProblemUnsupportedType:
		return "Unsupported custom field type", fmt.Sprintf("custom field %q has type %q; the export supports Text, Number and Date.", name, c.FieldType)
	case export.ProblemUnknownColumn:
		return "Unknown column", fmt.Sprintf("segment %q has no column %q.", c.Segment, c.Column) + didYouMean(c.Suggestion) +
			" Columns: " + listNames(c.Columns, 20) + "."
	case export.ProblemColumnType:
		return "Incompatible column type", fmt.Sprintf("column %q of segment %q has type %s, which cannot feed SendGrid field %q (%s).",
			c.Column, c.Segment, c.ColumnType, c.Field, c.FieldType)
	}
	return "Invalid configuration", c.Error()
}

// counted writes n and the noun, in the singular for exactly one: "1 contact", "2 contacts", "0 rows".
// Every noun the provider counts takes a regular plural.
// durationText writes d as people do: "15 minutes", "3 seconds", or Go's form (1m30s).
func durationText(d time.Duration) string {
	switch {
	case d >= time.Minute && d%time.Minute == 0:
		return export.Counted(int64(d/time.Minute), "minute")
	case d >= 0 && d%time.Second == 0:
		return export.Counted(int64(d/time.Second), "second")
	}
	return d.String()
}

func didYouMean(s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %q?", s)
}

// listNames lists the first n names, and how many more there are.
func listNames(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:n], ", ") + fmt.Sprintf(", … (%d more)", len(names)-n)
}

// attrPath is the export resource's attribute an engine error names.
func attrPath(a export.Attribute) path.Path {
	switch a.Kind {
	case export.AttrSegments:
		return path.Root("segments")
	case export.AttrSegment:
		return path.Root("segments").AtListIndex(a.Index)
	case export.AttrMapping:
		return path.Root("data_matching").AtName(a.Name)
	case export.AttrCustomField:
		return path.Root("data_matching").AtName("custom_fields").AtMapKey(a.Name)
	case export.AttrListID:
		return path.Root("list_id")
	case export.AttrMaxProfiles:
		return path.Root("max_profiles")
	}
	return path.Empty()
}
