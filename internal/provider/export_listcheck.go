package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/export"
)

// How apply keeps to what the plan showed when the list changes in between.
//
// Terraform plans each changed resource again when it applies, and refuses the apply with
// "Provider produced inconsistent final plan" when a value the plan showed (changes.to_remove)
// comes out differently. That second planning sees the configuration and the prior state saved
// with the plan, not the values the plan showed. So the refresh that precedes a plan records, in
// the export's private state, the list's contact count it read (privateObserved); the plan is
// computed from the list as it is then. Planning again in a walk of Terraform without that
// refresh (the apply of a plan, or a plan with -refresh=false) compares the list's count with the
// recorded one when the export is to change and, when they differ and the plan would make another
// use of the count (countUse: SendGrid's count lags its jobs by minutes, and a count catching up
// changes nothing when it leads to the same plan), fails with an error that says the list
// changed since the plan, before anything is sent. (An export with nothing to change is
// not planned again at apply.) A run clears the record, and the next refresh records it again.
//
// Only mirror mode plans from the list (its count, and its members when they are read); upsert
// plans from the segments and the snapshot alone, so it is not checked.
const privateObserved = "observed"

// listObservation is what the refresh saw of the export's list: its count, and what a mirror
// plan makes of that count then (countUse).
type listObservation struct {
	Contacts int64  `json:"contacts"`
	Use      string `json:"use,omitempty"`
}

// countUse is what a mirror plan makes of the list's count, the only thing of the list an
// incremental plan reads: "drift" (fewer contacts than the export left, outside the settle
// window: the list's members are read), "more" (more than it left, for an export that claims
// the list: the members are read), or "none". Plans that make the same use of the count
// compute the same changes.
// It returns the use with the number of contacts the last run left on the list (the mark).
func (r *exportResource) countUse(ctx context.Context, state *exportModel, priv privateGetter, count int64) (string, listMark) {
	raw, _ := priv.GetKey(ctx, privateList)
	var mark listMark
	if len(raw) == 0 || json.Unmarshal(raw, &mark) != nil {
		return "unknown", mark
	}
	switch {
	case count < mark.Members && !r.newEngine(ctx).Settling(lastRunFinished(state)):
		return "drift", mark
	case count > mark.Members && state.ClaimList.ValueBool():
		return "more", mark
	}
	return "none", mark
}

// refreshedExports is the set of exports refreshed in one walk of Terraform (one Configure).
type refreshedExports struct {
	mu  sync.Mutex
	ids map[string]bool
}

func newRefreshedExports() *refreshedExports { return &refreshedExports{ids: map[string]bool{}} }

func (s *refreshedExports) add(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids[id] = true
}

func (s *refreshedExports) has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ids[id]
}

// recordObservation stores what Read saw of the list, and that this walk refreshed the export.
func (r *exportResource) recordObservation(ctx context.Context, id string, seen listObservation, out privateSetter, diags *diag.Diagnostics) {
	raw, _ := json.Marshal(seen)
	diags.Append(out.SetKey(ctx, privateObserved, raw)...)
	if r.data.refreshed != nil {
		r.data.refreshed.add(id)
	}
}

// checkListUnchanged reports false, with an error on list_id, when a mirror export was not
// refreshed in this walk and its list's count differs from the one the last refresh recorded.
func (r *exportResource) checkListUnchanged(ctx context.Context, state, plan *exportModel, priv privateGetter, diags *diag.Diagnostics) bool {
	if plan.SyncMode.ValueString() != syncMirror || r.data.refreshed == nil || r.data.refreshed.has(state.ID.ValueString()) {
		return true
	}
	raw, d := priv.GetKey(ctx, privateObserved)
	diags.Append(d...)
	var seen listObservation
	if len(raw) == 0 || json.Unmarshal(raw, &seen) != nil {
		return true
	}
	listID := state.ListID.ValueString()
	now, err := r.data.client.ListContactCount(ctx, listID)
	if err != nil {
		if !r.data.reportShared(diags, err) {
			addAPIError(diags, "Cannot read the export's list from SendGrid", err)
		}
		return false
	}
	if use, _ := r.countUse(ctx, state, priv, now); now == seen.Contacts || (seen.Use != "" && seen.Use == use) {
		return true // the plan made of the count then is the plan made of it now
	}
	tflog.Info(ctx, "list changed since the plan's refresh", map[string]any{"list_contacts": now, "at_refresh": seen.Contacts})
	diags.AddAttributeError(path.Root("list_id"), "The list changed since the plan",
		fmt.Sprintf("List %s held %s when Terraform last read it (the refresh before the plan) and holds %d now: it "+
			"changed since the plan was made, so the changes the plan showed no longer describe what applying would do. "+
			"Nothing was sent. Run terraform plan again (with refresh, the default) and review the new changes.",
			listID, export.Counted(seen.Contacts, "contact"), now))
	return false
}
