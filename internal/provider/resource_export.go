package provider

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/export"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
)

var (
	_ resource.Resource                   = (*exportResource)(nil)
	_ resource.ResourceWithConfigure      = (*exportResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*exportResource)(nil)
	_ resource.ResourceWithValidateConfig = (*exportResource)(nil)
	_ resource.ResourceWithImportState    = (*exportResource)(nil)
)

// Keys of the export's private state. Values are JSON, as the framework requires.
const (
	privateSnapshot = "snapshot" // base64 of the engine's snapshot: keyed hashes, no personal data
	privateList     = "list"     // what the last run left on the list, for cheap drift detection
	privatePlanned  = "planned"  // the planned run's content fingerprint, which the apply must find again
)

// listMark is what the last run left on the list: how many of its contacts the export's
// snapshot accounts for (confirmed by SendGrid).
type listMark struct {
	Members int64 `json:"members"`
}

// NewExportResource returns the sendgridaudience_export resource.
func NewExportResource() resource.Resource { return &exportResource{} }

type exportResource struct {
	data *providerData
}

func (r *exportResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_export"
}

func (r *exportResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// ValidateConfig refuses two segments of the same name, at validate and plan time. A segment
// without a name goes by its position ("segment 2"). Unknown names are checked at apply time.
func (r *exportResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var segments types.List
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("segments"), &segments)...)
	if resp.Diagnostics.HasError() || segments.IsUnknown() || segments.IsNull() {
		return
	}
	var segs []segmentRefModel
	for _, v := range segments.Elements() {
		obj, ok := v.(types.Object)
		if !ok || obj.IsUnknown() {
			return // a segment known only at apply (a data source read then)
		}
		var seg segmentRefModel
		resp.Diagnostics.Append(obj.As(ctx, &seg, objectAsOptions)...)
		if resp.Diagnostics.HasError() || seg.Name.IsUnknown() {
			return
		}
		segs = append(segs, seg)
	}
	seen := map[string]bool{}
	for i, s := range segs {
		if s.Source.IsNull() {
			// Checked here rather than marked Required: Terraform validates a data source passed
			// as a segment before reading it, when its attributes read as null.
			resp.Diagnostics.AddAttributeError(path.Root("segments").AtListIndex(i).AtName("source"), "Segment without a source",
				fmt.Sprintf("Segment %d has no source. Set source to a CSV, JSON Lines, Parquet or SQLite file or a database URL, or pass a "+
					"sendgridaudience_segment data source.", i+1))
		}
		name := segmentName(s, i)
		if seen[name] {
			resp.Diagnostics.AddAttributeError(configPath(path.Root("segments").AtListIndex(i).AtName("name")), "Duplicate segment name",
				fmt.Sprintf("Two segments are named %q; give each segment of an export its own name.", name))
		}
		seen[name] = true
	}
}

// envSettleWindow overrides export.DefaultSettleWindow (a Go duration such as "5m").
const envSettleWindow = "SENDGRIDAUDIENCE_SETTLE_WINDOW"

// settleWindow is how long after a run SendGrid may not show it yet: envSettleWindow, or
// export.DefaultSettleWindow.
func settleWindow() time.Duration {
	if d, err := time.ParseDuration(os.Getenv(envSettleWindow)); err == nil {
		return d
	}
	return export.DefaultSettleWindow
}

func (r *exportResource) newEngine(ctx context.Context) *export.Engine {
	e := &export.Engine{Client: r.data.client, Now: r.data.now, SettleWindow: settleWindow()}
	if e.SettleWindow == 0 {
		e.SettleWindow = -1 // no window
	}
	last := time.Time{}
	e.Progress = func(p export.Progress) {
		if p.Phase != "done" && time.Since(last) < 2*time.Second {
			return
		}
		last = time.Now()
		tflog.Info(ctx, "export progress", map[string]any{
			"phase": p.Phase, "rows_read": p.Rows,
			"batches_sent": p.BatchesSent, "batches_total": p.BatchesTotal,
			"contacts_sent": p.ContactsSent, "contacts_total": p.ContactsTotal,
			"jobs_done": p.JobsDone, "jobs_total": p.JobsTotal,
			"removals_done": p.RemovalsDone, "removals_total": p.RemovalsTotal,
			"confirmed": p.ConfirmedSoFar,
		})
	}
	return e
}

// checkGovernance applies the connection's rules: consent given, and the actor allowed.
func (r *exportResource) checkGovernance(in exportInputs, diags *diag.Diagnostics) {
	if !in.connKnown {
		return
	}
	if !in.conn.Consent {
		diags.AddAttributeError(path.Root("sendgrid_connection"), "Data-privacy consent not given",
			"The connection's data_privacy_consent is not true, so no profile may be exported through it. "+
				"An administrator must set data_privacy_consent = true on the connection (see its documentation for what is agreed to).")
	}
	actor := ""
	if r.data != nil {
		actor = r.data.actor
	}
	if err := checkActor(actor, in.conn); err != nil {
		diags.AddAttributeError(path.Root("sendgrid_connection"), "Actor may not run this export", err.Error())
	}
}

// checkAccount verifies the provider's API key before anything is read or sent: it must be
// valid, hold the scopes an export needs, and belong to the SendGrid account the connection was
// verified for, so that profiles never go to another account under this connection's consent
// (for example an export missing `provider = sendgridaudience.ALIAS`). keyErr reports a failed
// check: addKeyError, or at plan time providerData.addPlanKeyError.
func (r *exportResource) checkAccount(ctx context.Context, in exportInputs, diags *diag.Diagnostics, keyErr func(*diag.Diagnostics, error)) {
	kc, err := r.data.checkKey(ctx)
	if err != nil {
		keyErr(diags, err)
		return
	}
	if len(kc.Missing) > 0 {
		addMissingScopesError(diags, kc.Missing)
		return
	}
	if in.connKnown && in.conn.UserID != 0 && kc.User.UserID != in.conn.UserID {
		diags.AddAttributeError(path.Root("sendgrid_connection"), "Export and connection use different SendGrid accounts",
			fmt.Sprintf("The connection was verified for SendGrid account %d, but this export's provider configuration uses a key of "+
				"account %d. Give the export the same provider as its connection (provider = sendgridaudience.ALIAS), "+
				"or use a connection of the account the key belongs to.", in.conn.UserID, kc.User.UserID))
	}
}

func (r *exportResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		r.planDestroy(ctx, req, resp)
		return
	}
	var plan exportModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	var state *exportModel
	if !req.State.Raw.IsNull() {
		state = &exportModel{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}

	in := r.inputs(ctx, &plan, &resp.Diagnostics)
	r.checkNameUnique(req, &plan, in, &resp.Diagnostics)
	r.checkGovernance(in, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if !in.allKnown || r.data == nil {
		// Values known only after apply (a connection or list created in the same run): the
		// checks run again at apply, and the outcome is shown then.
		markRunUnknown(&plan)
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		return
	}
	if !planClient(r.data, &resp.Diagnostics) {
		return
	}
	r.checkAccount(ctx, in, &resp.Diagnostics, r.data.addPlanKeyError)
	if resp.Diagnostics.HasError() {
		return
	}

	full := fullRun(state, &plan)
	var snapErr error
	if state != nil {
		in.req.Previous, snapErr = r.readSnapshot(ctx, req.Private, &resp.Diagnostics)
		in.req.PreviousRunFinished = lastRunFinished(state)
	}
	in.req.Resend = full
	engPlan, err := r.newEngine(ctx).Plan(ctx, in.req)
	runs := state == nil || full || err != nil || (engPlan != nil && engPlan.HasChanges())
	if engPlan != nil {
		snapshotWarning(in.req, engPlan.SnapshotState, snapErr, &resp.Diagnostics)
		r.planWarnings(in.req, engPlan, &resp.Diagnostics)
	}
	if engPlan != nil && runs {
		invalidWarning(in.req, engPlan, invalidWarningPath(ctx, req.Config), &resp.Diagnostics)
	}
	if err != nil {
		r.addPlanEngineError(&resp.Diagnostics, err)
		return
	}
	r.checkSharedCap(in, exportID(plan.ListID.ValueString(), plan.Name.ValueString()), engPlan, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}

	if !runs {
		keepComputed(&plan, state)
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, privatePlanned, nil)...)
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		return
	}
	if state != nil && !r.checkListUnchanged(ctx, state, &plan, req.Private, &resp.Diagnostics) {
		return // the plan would change the export, and the list changed since the refresh
	}

	setPlanned(&plan, engPlan)
	fp, _ := json.Marshal(engPlan.Fingerprint)
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privatePlanned, fp)...)
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
	logPlanned(ctx, engPlan, full)
}

func logPlanned(ctx context.Context, engPlan *export.Plan, full bool) {
	tflog.Info(ctx, "export planned", map[string]any{
		"to_add": engPlan.ToAdd, "to_update": engPlan.ToUpdate, "to_remove": engPlan.ToRemove,
		"unchanged": engPlan.Unchanged, "invalid": invalidTotal(engPlan.Invalid), "method": engPlan.Method,
		"requests": engPlan.Requests, "full_run": full,
	})
}

// keepComputed plans no run: every computed value stays as it is (changes is null once
// refreshed), so the plan shows only the settings that changed, and the apply saves them.
func keepComputed(plan, state *exportModel) {
	plan.ID, plan.ProfileCount, plan.Validation, plan.InSync, plan.LastRun = state.ID, state.ProfileCount, state.Validation, state.InSync, state.LastRun
	plan.Changes = state.Changes
}

// setPlanned shows the engine's plan in the export's planned values: the counts of this run in
// changes (null in the refreshed state, so the plan shows them in full), and what the segments
// select. The run's report is known after apply.
func setPlanned(plan *exportModel, engPlan *export.Plan) {
	plan.ID = types.StringValue(exportID(plan.ListID.ValueString(), plan.Name.ValueString()))
	plan.ProfileCount = types.Int64Value(engPlan.Profiles)
	plan.Changes = changesValue(engPlan)
	plan.Validation = validationValue(engPlan)
	// The snapshot records exactly what SendGrid confirmed, so even after a partial run the list
	// holds what state says.
	plan.InSync = types.BoolValue(true)
	plan.LastRun = types.ObjectUnknown(lastRunAttrTypes)
}

func (r *exportResource) planDestroy(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var state exportModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// Removing a destination is a use of its connection: the actor must be allowed on it.
	if ref, known, d := connectionRefFromObject(ctx, state.Connection); !d.HasError() && known {
		actor := ""
		if r.data != nil {
			actor = r.data.actor
		}
		if err := checkActor(actor, ref); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("sendgrid_connection"), "Actor may not remove this export", err.Error())
			return
		}
	}
	if state.OnDestroy.ValueString() != destroyRemove {
		return
	}
	removals := -1 // unknown without the API key
	if r.data != nil && r.data.apiKey != "" {
		snap, err := r.readSnapshot(ctx, req.Private, &resp.Diagnostics)
		var st export.SnapshotState
		removals, st = export.DestroyRemovals(export.Request{Previous: snap, APIKey: r.data.apiKey, RecordKey: r.data.recordKey,
			ListID: state.ListID.ValueString(), ListScope: listScope(&state)})
		if why := snapshotProblem(st); err == nil && why != "" {
			err = errors.New(why)
		}
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("on_destroy"), "Cannot tell which contacts this export added",
				err.Error()+fmt.Sprintf(", so destroying with on_destroy = %q cannot remove them and would leave them on the list. "+
					"Set on_destroy = \"keep\" (apply, then destroy), or run terraform state rm on the export, and remove its contacts in SendGrid.", destroyRemove))
			return
		}
	}
	what := "the contacts this export put on list " + state.ListID.ValueString()
	if removals >= 0 {
		what = fmt.Sprintf("up to %s this export put on list %s", export.Counted(removals, "contact"), state.ListID.ValueString())
	}
	resp.Diagnostics.AddAttributeWarning(path.Root("on_destroy"), "Destroying this export removes its contacts from the list",
		fmt.Sprintf("on_destroy = %q: %s will be removed from it (they stay in SendGrid).", destroyRemove, what))
}

func (r *exportResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan exportModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, d := plan.Timeouts.Create(ctx, 60*time.Minute)
	resp.Diagnostics.Append(d...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	r.run(ctx, nil, nil, &plan, &resp.State, resp.Private, &resp.Diagnostics)
}

func (r *exportResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state exportModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if sendsNothing(&state, &plan) {
		// The plan sends nothing (only settings changed): save them; the run's report stays.
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	timeout, d := plan.Timeouts.Update(ctx, 60*time.Minute)
	resp.Diagnostics.Append(d...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	r.run(ctx, &state, req.Private, &plan, &resp.State, resp.Private, &resp.Diagnostics)
}

// sendsNothing reports whether the plan keeps the last run's report: the plan found nothing to
// send (see ModifyPlan).
func sendsNothing(state, plan *exportModel) bool {
	return !plan.LastRun.IsUnknown() && plan.LastRun.Equal(state.LastRun)
}

// expectedRun is what the plan showed, which the apply must find again before it sends
// anything: the planned content fingerprint (private state of the plan; an update has it) and
// what the segments select (the planned profile_count and validation counts).
func expectedRun(ctx context.Context, plan *exportModel, priv privateGetter) export.Expected {
	var want export.Expected
	if priv != nil {
		if raw, _ := priv.GetKey(ctx, privatePlanned); len(raw) > 0 {
			_ = json.Unmarshal(raw, &want.Fingerprint) // unreadable: the counts below still hold
		}
	}
	if plan.ProfileCount.IsUnknown() || plan.Validation.IsUnknown() || plan.Validation.IsNull() {
		return want
	}
	v := plan.Validation.Attributes()
	i64 := func(name string) int64 { n, _ := v[name].(types.Int64); return n.ValueInt64() }
	want.Selection = &export.Selection{Selected: i64("valid") + i64("invalid"), Profiles: plan.ProfileCount.ValueInt64(),
		Duplicates: i64("duplicates"), Invalid: i64("invalid")}
	return want
}

// privateGetter and privateSetter are the parts of the framework's private state the export uses.
type privateGetter interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
}
type privateSetter interface {
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

type stateSetter interface {
	Set(ctx context.Context, val any) diag.Diagnostics
}

// run applies the export and records the outcome. State and private state are written even
// when the run fails part-way: the snapshot holds exactly what SendGrid confirmed, and the next
// apply resumes from it.
func (r *exportResource) run(ctx context.Context, state *exportModel, priv privateGetter, plan *exportModel,
	out stateSetter, outPriv privateSetter, diags *diag.Diagnostics) {
	in := r.inputs(ctx, plan, diags)
	r.checkGovernance(in, diags)
	if diags.HasError() || !requireClient(r.data, diags) {
		return
	}
	r.checkAccount(ctx, in, diags, addKeyError)
	if diags.HasError() {
		return
	}
	if state != nil && priv != nil {
		// An unreadable snapshot is run without, as the plan said (snapshotWarning).
		in.req.Previous, _ = r.readSnapshot(ctx, priv, diags)
		in.req.PreviousRunFinished = lastRunFinished(state)
	}
	in.req.Resend = fullRun(state, plan)
	res, err := r.newEngine(ctx).Apply(ctx, in.req, expectedRun(ctx, plan, priv))
	// What the run sent is in the account's count now (shared profile_cap check).
	r.data.plans.forget(in.conn.ID, exportID(plan.ListID.ValueString(), plan.Name.ValueString()))
	if res == nil {
		if err != nil {
			addEngineError(diags, err, refusedAtApply)
		}
		return
	}

	diags.Append(writeSnapshot(ctx, outPriv, res.Snapshot)...)
	mark, _ := json.Marshal(listMark{Members: snapshotMembers(res)})
	diags.Append(outPriv.SetKey(ctx, privateList, mark)...)
	diags.Append(outPriv.SetKey(ctx, privateObserved, nil)...) // the next refresh records the list again
	diags.Append(outPriv.SetKey(ctx, privatePlanned, nil)...)

	plan.ID = types.StringValue(exportID(plan.ListID.ValueString(), plan.Name.ValueString()))
	if plan.ProfileCount.IsUnknown() {
		plan.ProfileCount = types.Int64Value(res.Plan.Profiles)
		plan.Changes = changesValue(res.Plan)
		plan.Validation = validationValue(res.Plan)
	}
	// The snapshot records exactly what SendGrid confirmed, so even after a partial run the list
	// holds what state says; the next plan shows the changes still to send.
	plan.InSync = types.BoolValue(true)
	plan.LastRun = lastRunValue(&res.Report, err)
	diags.Append(out.Set(ctx, plan)...)

	rep := res.Report
	tflog.Info(ctx, "export finished", map[string]any{
		"status": string(rep.Status), "requested": rep.Requested, "created": rep.Created, "updated": rep.Updated,
		"removed": rep.Removed, "errored": rep.Errored, "skipped_invalid": rep.SkippedInvalid, "jobs": len(rep.JobIDs),
		"method": rep.Method,
	})
	if rep.Deferred > 0 {
		diags.AddAttributeWarning(path.Root("sync_mode"), "Some removals wait for SendGrid",
			fmt.Sprintf("Not found on the list: %s that left the segments. SendGrid shows the previous run's "+
				"contacts in searches and exports only minutes after it. The export keeps them recorded as its own, and the next "+
				"apply after SendGrid shows them, usually minutes later, removes them; the plan shows them in changes.to_remove until then.", export.Counted(rep.Deferred, "contact")))
	}
	if err != nil {
		addEngineError(diags, err, refusedAtApply)
		if state == nil {
			// Terraform taints a resource whose creation failed, and would replace it: a new
			// export without this run's record, which sends every contact again.
			diags.AddWarning("Resume this first run with terraform untaint",
				fmt.Sprintf("The export's first run did not finish, so Terraform marks it tainted and would replace it on the next apply, "+
					"sending every contact again. State records what SendGrid confirmed; to continue from there, run "+
					"`terraform untaint` on this export and apply again. (SendGrid confirmed %s.)", export.Counted(rep.Created+rep.Updated, "contact")))
		}
	}
}

func (r *exportResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state exportModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || r.data == nil || r.data.client == nil {
		return
	}
	// changes holds the counts of a planned run only: cleared here, so the next plan that sends
	// anything shows its counts in full, whatever the last run's were.
	state.Changes = types.ObjectNull(changesAttrTypes)
	listID := state.ListID.ValueString()
	count, err := r.data.client.ListContactCount(ctx, listID)
	switch {
	case sendgrid.IsNotFound(err):
		resp.Diagnostics.AddAttributeWarning(path.Root("list_id"), "The export's list no longer exists",
			fmt.Sprintf("SendGrid has no list %s any more; it was deleted outside Terraform. Bind or create a list and point list_id at it, "+
				"or remove the export.", listID))
		state.InSync = types.BoolValue(false)
	case err != nil:
		if !r.data.reportShared(&resp.Diagnostics, err) {
			resp.Diagnostics.AddError("Cannot read the export's list from SendGrid", err.Error())
		}
		return
	default:
		use, mark := r.countUse(ctx, &state, req.Private, count)
		r.recordObservation(ctx, state.ID.ValueString(), listObservation{Contacts: count, Use: use}, resp.Private, &resp.Diagnostics)
		// Contacts missing from the list mean someone removed them. More contacts than the last
		// run left are not drift: other exports or people may add to a list, and an interrupted
		// run's uploads may land late (the snapshot marks those for the next run). Right after a
		// run SendGrid's count may not show it yet (see export.DefaultSettleWindow).
		if use == "drift" && state.InSync.ValueBool() {
			tflog.Info(ctx, "list drifted since the last run", map[string]any{"list_contacts": count, "expected_at_least": mark.Members})
			resp.Diagnostics.AddAttributeWarning(path.Root("in_sync"), "The list changed outside Terraform",
				fmt.Sprintf("List %s holds %s, fewer than the %d this export left on it. The next apply re-runs the export to bring the list back in line with the segments.",
					listID, export.Counted(count, "contact"), mark.Members))
			state.InSync = types.BoolValue(false)
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *exportResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state exportModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || state.OnDestroy.ValueString() != destroyRemove {
		return
	}
	if !requireClient(r.data, &resp.Diagnostics) {
		return
	}
	timeout, d := state.Timeouts.Delete(ctx, 30*time.Minute)
	resp.Diagnostics.Append(d...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	r.removeFromList(ctx, &state, req.Private, &resp.Diagnostics)
}

// removeFromList removes the contacts the export added from its list (on_destroy =
// "remove_from_list"). A snapshot that cannot be read or used fails the destroy: without it the
// export's contacts cannot be told apart, and removing nothing silently would leave them.
func (r *exportResource) removeFromList(ctx context.Context, state *exportModel, priv privateGetter, diags *diag.Diagnostics) {
	snap, err := r.readSnapshot(ctx, priv, diags)
	if err == nil {
		var rep *export.Report
		rep, err = r.newEngine(ctx).RemoveAll(ctx, export.Request{ListID: state.ListID.ValueString(), APIKey: r.data.apiKey,
			RecordKey: r.data.recordKey, ListScope: listScope(state), Previous: snap, PreviousRunFinished: lastRunFinished(state)})
		if err == nil {
			tflog.Info(ctx, "export removed its contacts from the list", map[string]any{"removed": rep.Removed})
			return
		}
	}
	diags.AddError("Cannot remove the export's contacts from the list",
		err.Error()+"\nNothing was removed and the export stays in state. Fix the cause and destroy again; or set "+
			"on_destroy = \"keep\" (apply, then destroy), or run terraform state rm on the export, and remove its contacts in SendGrid.")
}

// ImportState takes "<list_id>/<name>" and checks that the list exists. The first apply after an
// import is a full run: without the snapshot of earlier runs every profile is sent once more.
func (r *exportResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	const form = "<list_id>/<export name>: the list_id and the name of the export's configuration"
	listID, name, ok := strings.Cut(req.ID, "/")
	if !ok || !isListID(listID) || name == "" {
		resp.Diagnostics.AddError("Invalid import ID",
			fmt.Sprintf("Expected %s, such as %s/newsletter; got %q. %s", form, listIDExample, req.ID, whereListIDs))
		return
	}
	if !checkImportedList(ctx, r.data, fmt.Sprintf("export %q", name), listID, form, &resp.Diagnostics) {
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("list_id"), listID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), name)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("in_sync"), false)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("sync_mode"), syncUpsert)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("invalid_profiles"), invalidSkip)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("on_destroy"), destroyKeep)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("max_profiles"), int64(defaultMaxProfiles))...)
}

func exportID(listID, name string) string { return listID + "/" + name }

// errSnapshotUnreadable is returned by readSnapshot when private state holds a snapshot that is
// not the base64 JSON string the provider writes (edited or damaged state).
var errSnapshotUnreadable = errors.New("the export's record in private state is not readable (it is not the base64 text the provider writes)")

// readSnapshot returns the snapshot in private state: nil when there is none, and
// errSnapshotUnreadable when there is one that cannot be decoded.
func (r *exportResource) readSnapshot(ctx context.Context, priv privateGetter, diags *diag.Diagnostics) ([]byte, error) {
	raw, d := priv.GetKey(ctx, privateSnapshot)
	diags.Append(d...)
	if len(raw) == 0 {
		return nil, nil
	}
	var enc string
	if err := json.Unmarshal(raw, &enc); err != nil {
		return nil, errSnapshotUnreadable
	}
	b, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, errSnapshotUnreadable
	}
	return b, nil
}

func writeSnapshot(ctx context.Context, priv privateSetter, snap []byte) diag.Diagnostics {
	raw, _ := json.Marshal(base64.StdEncoding.EncodeToString(snap))
	return priv.SetKey(ctx, privateSnapshot, raw)
}

// What a run refused before its first request did, said by the errors of such refusals (caps,
// invalid profiles, the removal guard): at plan time nothing is ever sent, so the plan says only
// what to do; at apply time that nothing was sent is worth knowing.
const (
	refusedAtPlan  = ""
	refusedAtApply = "Nothing was sent or removed. "
)

// addPlanEngineError reports an error of the engine's plan: a cause shared by every resource
// once per plan (reportShared), any other as addEngineError words it for a plan.
func (r *exportResource) addPlanEngineError(diags *diag.Diagnostics, err error) {
	if !r.data.reportShared(diags, err) {
		addEngineError(diags, err, refusedAtPlan)
	}
}

// addEngineError turns an engine error into diagnostics on the attribute to blame. refused is
// refusedAtPlan or refusedAtApply.
func addEngineError(diags *diag.Diagnostics, err error, refused string) {
	var (
		cfgs export.ConfigErrors
		cfg  *export.ConfigError
		capE *export.CapError
		remE *export.RemovalError
		inv  *export.InvalidProfilesError
		fpE  *export.FingerprintError
		sce  *export.SegmentChangedError
		segE *export.SegmentError
		runE *export.RunError
		apiE *sendgrid.APIError
	)
	switch {
	case errors.As(err, &cfgs):
		for _, c := range cfgs {
			addConfigError(diags, c)
		}
	case errors.As(err, &cfg):
		addConfigError(diags, cfg)
	case errors.As(err, &capE):
		addCapError(diags, capE, refused)
	case errors.As(err, &remE):
		addRemovalError(diags, remE, refused)
	case errors.As(err, &inv):
		diags.AddAttributeError(path.Root("invalid_profiles"),
			export.Counted(inv.Invalid.Total, "invalid profile")+" (invalid_profiles = \"fail\")",
			refused+"Fix these rows in the source, or set invalid_profiles = \"skip\" to leave them out. Values are masked.\n"+
				inv.Invalid.Summary(10))
	case errors.As(err, &sce):
		at := path.Root("segments")
		if sce.Index >= 0 {
			at = at.AtListIndex(sce.Index)
		}
		diags.AddAttributeError(at, "Segment changed since the plan",
			fmt.Sprintf("The content of segment %q changed after it was read for the plan (its content fingerprint differs). Nothing was uploaded. "+
				"The source now holds other profiles than the plan showed: run terraform plan again and review the new counts.", sce.Name))
	case errors.As(err, &fpE):
		diags.AddError("Segments changed since the plan",
			fmt.Sprintf("The segments' content changed after the plan read it (planned content fingerprint %s, current %s). Nothing was uploaded. "+
				"Run terraform plan again and review the new counts.", fpE.Planned, fpE.Current))
	case errors.As(err, &segE):
		addSegmentError(diags, path.Root("segments").AtListIndex(segE.Index), segE.Err)
	case errors.As(err, &runE):
		diags.AddError("Export run "+string(runE.Status), err.Error()+
			"\nState records what SendGrid confirmed; run terraform apply again to send the rest.")
	case errors.Is(err, context.DeadlineExceeded):
		diags.AddError("Export timed out",
			"The run did not finish within its timeout. What SendGrid confirmed is recorded; run terraform apply again to continue, "+
				"or raise timeouts. "+err.Error())
	case errors.Is(err, context.Canceled):
		diags.AddError("Export interrupted",
			"The run was cancelled. What SendGrid confirmed is recorded; run terraform apply again to continue.")
	case sendgrid.IsUnauthorized(err) || sendgrid.IsForbidden(err):
		addKeyError(diags, err)
	case errors.As(err, &apiE):
		diags.AddError("SendGrid refused a request", err.Error())
	default:
		diags.AddError("Export failed", err.Error())
	}
}

// addRemovalError reports a run stopped by the removal guard, with how to allow it. refused is
// refusedAtPlan or refusedAtApply.
func addRemovalError(diags *diag.Diagnostics, e *export.RemovalError, refused string) {
	if e.Empty {
		diags.AddAttributeError(path.Root("segments"), "The segments select no profile: the export would empty the list",
			fmt.Sprintf("In mirror mode this run would remove every contact this export may remove from the list (%s), because the segments "+
				"select no profile (an empty or header-only source, a filter that matches nobody). %s"+
				"Check the sources; if the list really must be emptied, set allow_mass_removal = true on this export for this run "+
				"and remove it after the apply.", export.Counted(e.Removing, "contact"), refused))
		return
	}
	diags.AddAttributeError(path.Root("max_removal_percent"), "The export would remove too many contacts from the list",
		fmt.Sprintf("In mirror mode this run would remove %d of the %s this export may remove from the list (%.1f %%), more "+
			"than max_removal_percent allows (%d %%). %sCheck the sources and filters; if these contacts "+
			"really left the segments, allow it for this run with allow_mass_removal = true (or a higher max_removal_percent) and "+
			"remove the allowance after the apply.", e.Removing, export.Counted(e.Removable, "contact"), e.Percent(), e.MaxPercent, refused))
}

// addCapError reports a profile cap on the attribute that sets it, with what to do: advice that
// depends on whether the account had room before the run. refused is refusedAtPlan or
// refusedAtApply.
func addCapError(diags *diag.Diagnostics, c *export.CapError, refused string) {
	if c.Cap == export.CapMaxProfiles {
		diags.AddAttributeError(path.Root("max_profiles"), "Export exceeds max_profiles",
			fmt.Sprintf("The segments select %s, more than max_profiles = %d allows. %sNarrow the segments or raise max_profiles.",
				export.Counted(c.Wanted, "distinct profile"), c.Limit, refused))
		return
	}
	detail := fmt.Sprintf("The SendGrid account holds %s and this run adds %d new to it, %d in all, over the connection's "+
		"profile_cap of %d. %s", export.Counted(c.AccountContacts, "contact"), c.Adding, c.Wanted, c.Limit, refused)
	if c.Full() {
		detail += "The account is already at or over the cap, so no new contact fits: delete contacts in SendGrid or raise " +
			"profile_cap on the connection. Narrowing the segments helps only if they then select no contact new to the account; " +
			"runs that only update or remove contacts are not refused."
	} else {
		detail += fmt.Sprintf("The account has room for %d more: narrow the segments of this export so that they add at most "+
			"that many, delete contacts in SendGrid, or raise profile_cap on the connection.", c.Limit-c.AccountContacts)
	}
	diags.AddAttributeError(configPath(path.Root("sendgrid_connection").AtName("profile_cap")),
		"Export exceeds the connection's profile_cap", detail)
}
