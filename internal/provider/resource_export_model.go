package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/export"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/segment"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
)

// Conversion between the export's Terraform model and the engine: the model into an
// export.Request, and the engine's plan and report into the model's computed values.

var objectAsOptions = basetypes.ObjectAsOptions{}

// exportInputs is the configuration of an export as the engine takes it, with what is known.
type exportInputs struct {
	req       export.Request
	conn      connectionRef
	connKnown bool
	allKnown  bool // every value the engine needs is known
}

// inputs converts the model into an engine request. allKnown is false when a value the plan
// checks need is not known yet (a connection or list created in the same apply).
func (r *exportResource) inputs(ctx context.Context, m *exportModel, diags *diag.Diagnostics) exportInputs {
	in := exportInputs{allKnown: true}
	ref, known, d := connectionRefFromObject(ctx, m.Connection)
	diags.Append(d...)
	in.conn, in.connKnown = ref, known
	if !known || m.ListID.IsUnknown() || m.Segments.IsUnknown() || m.DataMatching.IsUnknown() ||
		m.ManagedCustomFields.IsUnknown() || m.MaxProfiles.IsUnknown() {
		in.allKnown = false
	}
	if cp := m.Connection.Attributes()["profile_cap"]; cp == nil || cp.IsUnknown() {
		in.allKnown = false
	}

	req := &in.req
	req.ListID = m.ListID.ValueString()
	req.MaxProfiles = m.MaxProfiles.ValueInt64()
	req.ConnectionCap = ref.ProfileCap
	req.SyncMode = export.SyncMode(m.SyncMode.ValueString())
	req.ListScope = listScope(m)
	req.RemovalGuard = export.RemovalGuard{MaxPercent: m.MaxRemovalPercent.ValueInt64(), AllowMassRemoval: m.AllowMassRemoval.ValueBool()}
	req.InvalidPolicy = export.InvalidPolicy(m.InvalidProfiles.ValueString())
	var settings segment.Spec // the sources' settings from the provider configuration
	if r.data != nil {
		req.APIKey = r.data.apiKey
		req.RecordKey = r.data.recordKey
		settings.Password, settings.Remote = r.data.databasePassword, r.data.remote
	}
	segsKnown := addSegments(ctx, m.Segments, settings, req, diags)
	mappingKnown := addMapping(ctx, m.DataMatching, req, diags)
	fieldsKnown := addPendingFields(ctx, m.ManagedCustomFields, req, diags)
	in.allKnown = in.allKnown && segsKnown && mappingKnown && fieldsKnown
	return in
}

// segmentName is the name a segment goes by: its own, or its position when it has none.
func segmentName(s segmentRefModel, i int) string {
	if name := s.Name.ValueString(); name != "" {
		return name
	}
	return fmt.Sprintf("segment %d", i+1)
}

// addSegments adds the segments and their previewed fingerprints to req. It reports whether
// every value was known.
func addSegments(ctx context.Context, segments types.List, settings segment.Spec, req *export.Request, diags *diag.Diagnostics) bool {
	if segments.IsUnknown() || segments.IsNull() {
		return true
	}
	var segs []segmentRefModel
	diags.Append(segments.ElementsAs(ctx, &segs, false)...)
	known := true
	for i, s := range segs {
		if s.Name.IsUnknown() || s.Source.IsUnknown() || s.Query.IsUnknown() || s.Filter.IsUnknown() || s.Fingerprint.IsUnknown() {
			known = false
		}
		spec := segment.Spec{Name: segmentName(s, i), Source: s.Source.ValueString(), Query: s.Query.ValueString(),
			Filter: s.Filter.ValueString(), Password: settings.Password, Remote: settings.Remote}
		req.SegmentFingerprints = append(req.SegmentFingerprints, previewedFingerprint(req.APIKey, s.Fingerprint.ValueString()))
		req.Segments = append(req.Segments, spec)
	}
	return known
}

// addMapping sets req's column mapping from data_matching. It reports whether every value was
// known.
func addMapping(ctx context.Context, dataMatching types.Object, req *export.Request, diags *diag.Diagnostics) bool {
	if dataMatching.IsUnknown() || dataMatching.IsNull() {
		return true
	}
	var dm dataMatchingModel
	diags.Append(dataMatching.As(ctx, &dm, objectAsOptions)...)
	var known bool
	req.Mapping, known = dm.mapping()
	if !dm.CustomFields.IsNull() && !dm.CustomFields.IsUnknown() {
		req.Mapping.Custom = map[string]string{}
		for k, v := range dm.CustomFields.Elements() {
			s, _ := v.(types.String)
			if s.IsUnknown() {
				known = false
			}
			req.Mapping.Custom[k] = s.ValueString()
		}
	}
	return known
}

// addPendingFields adds the custom fields managed in the same configuration to req. It reports
// whether every value was known.
func addPendingFields(ctx context.Context, managed types.List, req *export.Request, diags *diag.Diagnostics) bool {
	if managed.IsNull() || managed.IsUnknown() {
		return true
	}
	var fields []customFieldRefModel
	diags.Append(managed.ElementsAs(ctx, &fields, false)...)
	known := true
	for _, f := range fields {
		if f.Name.IsUnknown() || f.Type.IsUnknown() {
			known = false
			continue
		}
		req.PendingFields = append(req.PendingFields, export.PendingField{Name: f.Name.ValueString(), Type: sendgrid.FieldType(f.Type.ValueString())})
	}
	return known
}

// fullRun reports whether the run sends every profile again: on create and import, when the
// list drifted, or when run_trigger changed (an on-demand run re-sends everything). The previous
// snapshot, when there is one, still tells which contacts the export added.
func fullRun(state *exportModel, plan *exportModel) bool {
	if state == nil {
		return true
	}
	if state.InSync.IsNull() || !state.InSync.ValueBool() {
		return true
	}
	// A new run_trigger value asks for a run; removing it (a one-off trigger going back to null)
	// does not.
	return !plan.RunTrigger.IsNull() && !plan.RunTrigger.Equal(state.RunTrigger)
}

// markRunUnknown marks what the run computes as known only after apply.
func markRunUnknown(plan *exportModel) {
	if plan.ID.IsNull() || plan.ID.IsUnknown() {
		plan.ID = types.StringUnknown()
		if !plan.ListID.IsUnknown() && !plan.Name.IsUnknown() {
			plan.ID = types.StringValue(exportID(plan.ListID.ValueString(), plan.Name.ValueString()))
		}
	}
	plan.ProfileCount = types.Int64Unknown()
	plan.Changes = types.ObjectUnknown(changesAttrTypes)
	plan.Validation = types.ObjectUnknown(validationAttrTypes)
	plan.InSync = types.BoolUnknown()
	plan.LastRun = types.ObjectUnknown(lastRunAttrTypes)
}

func snapshotMembers(res *export.Result) int64 {
	if res.Plan == nil {
		return 0
	}
	return res.Report.Created + res.Report.Updated + res.Plan.Unchanged
}

func invalidTotal(r *export.InvalidReport) int64 {
	if r == nil {
		return 0
	}
	return r.Total
}

func changesValue(p *export.Plan) types.Object {
	return types.ObjectValueMust(changesAttrTypes, map[string]attr.Value{
		"to_add":    types.Int64Value(p.ToAdd),
		"to_update": types.Int64Value(p.ToUpdate),
		"to_remove": types.Int64Value(p.ToRemove),
		"unchanged": types.Int64Value(p.Unchanged),

		"new_in_account":         types.Int64Value(p.ProjectedContacts - p.AccountContacts),
		"account_contacts_after": types.Int64Value(p.ProjectedContacts),
	})
}

func validationValue(p *export.Plan) types.Object {
	byReason := map[string]attr.Value{}
	samples := []attr.Value{}
	var invalid int64
	if p.Invalid != nil {
		invalid = p.Invalid.Total
		for k, v := range p.Invalid.ByReason {
			byReason[k] = types.Int64Value(v)
		}
		for _, row := range p.Invalid.First {
			samples = append(samples, types.StringValue(row.String()))
		}
	}
	return types.ObjectValueMust(validationAttrTypes, map[string]attr.Value{
		"valid":      types.Int64Value(p.Selected - invalid),
		"invalid":    types.Int64Value(invalid),
		"duplicates": types.Int64Value(p.Duplicates),
		"by_reason":  types.MapValueMust(types.Int64Type, byReason),
		"samples":    types.ListValueMust(types.StringType, samples),
	})
}

func lastRunValue(rep *export.Report, runErr error) types.Object {
	jobs := make([]attr.Value, 0, len(rep.JobIDs))
	for _, id := range rep.JobIDs {
		jobs = append(jobs, types.StringValue(id))
	}
	msg := fmt.Sprintf("%s: %d sent (%d created, %d updated), %d removed, %d errored, %d invalid skipped",
		rep.Status, rep.Requested, rep.Created, rep.Updated, rep.Removed, rep.Errored, rep.SkippedInvalid)
	switch {
	case rep.Deferred == 1:
		msg += "; 1 removal waits for SendGrid (an apply removes it once SendGrid shows it)"
	case rep.Deferred > 1:
		msg += fmt.Sprintf("; %d removals wait for SendGrid (an apply removes them once SendGrid shows them)", rep.Deferred)
	}
	if runErr != nil {
		msg = string(rep.Status) + ": " + runErr.Error()
	}
	return types.ObjectValueMust(lastRunAttrTypes, map[string]attr.Value{
		"status":          types.StringValue(string(rep.Status)),
		"started_at":      types.StringValue(rep.StartedAt.UTC().Format(time.RFC3339)),
		"finished_at":     types.StringValue(rep.FinishedAt.UTC().Format(time.RFC3339)),
		"requested":       types.Int64Value(rep.Requested),
		"created":         types.Int64Value(rep.Created),
		"updated":         types.Int64Value(rep.Updated),
		"removed":         types.Int64Value(rep.Removed),
		"errored":         types.Int64Value(rep.Errored),
		"skipped_invalid": types.Int64Value(rep.SkippedInvalid),
		"job_ids":         types.ListValueMust(types.StringType, jobs),
		"message":         types.StringValue(msg),
	})
}

// lastRunFinished is when the last run recorded in state finished (zero when unknown).
func lastRunFinished(state *exportModel) time.Time {
	if state == nil || state.LastRun.IsNull() || state.LastRun.IsUnknown() {
		return time.Time{}
	}
	v, ok := state.LastRun.Attributes()["finished_at"].(types.String)
	if !ok || v.IsNull() || v.IsUnknown() {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, v.ValueString())
	if err != nil {
		return time.Time{}
	}
	return t
}

// listScope is the members the export may remove: only those it added, unless claim_list.
func listScope(m *exportModel) export.ListScope {
	if m.ClaimList.ValueBool() {
		return export.ScopeList
	}
	return export.ScopeAdded
}
