package export

import (
	"context"
	"errors"
	"testing"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/segment"
)

// mirrorOf100 exports 100 profiles in mirror mode and returns the request (with the snapshot)
// and the source file's path.
func mirrorOf100(t *testing.T) (*testEnv, Request, []prof, string) {
	v := newTestEnv(t, emulatorConfig())
	ps := genProfiles(0, 100)
	path := v.file("p.csv", ps)
	req := v.request(segment.Spec{Name: "p", Source: path})
	req.SyncMode = SyncMirror
	req.Previous = v.mustApply(req).Snapshot
	return v, req, ps, path
}

// TestRemovalGuardRefusesMassRemoval: a mirror run that would remove more than the allowed
// share of the export's contacts fails in Plan and in Apply, before anything is sent or removed;
// the allowance lets it through.
func TestRemovalGuardRefusesMassRemoval(t *testing.T) {
	v, req, ps, path := mirrorOf100(t)
	writeProfiles(t, path, ps[:70]) // 30 of 100 leave: 30 % > 20 %

	_, err := v.eng.Plan(context.Background(), req)
	var re *RemovalError
	if !errors.As(err, &re) || re.Empty || re.Removing != 30 || re.Removable != 100 || re.MaxPercent != DefaultMaxRemovalPercent {
		t.Fatalf("plan: err = %v (%+v), want a RemovalError 30 of 100 over 20 %%", err, re)
	}
	before := v.emu.Counters()
	if _, err := v.eng.Apply(context.Background(), req, Expected{}); !errors.As(err, &re) {
		t.Fatalf("apply: err = %v, want a RemovalError", err)
	}
	after := v.emu.Counters()
	if after.Requests["DELETE /v3/marketing/lists/{id}/contacts"] != before.Requests["DELETE /v3/marketing/lists/{id}/contacts"] ||
		after.ContactsUpserted != before.ContactsUpserted {
		t.Fatal("the refused apply sent or removed contacts")
	}
	v.assertMembers(emailsOf(ps))

	raised := req
	raised.RemovalGuard.MaxPercent = 30
	if _, err := v.eng.Plan(context.Background(), raised); err != nil {
		t.Fatalf("plan with max 30 %%: %v", err)
	}
	allowed := req
	allowed.RemovalGuard.AllowMassRemoval = true
	res := v.mustApply(allowed)
	if res.Report.Removed != 30 {
		t.Fatalf("removed %d, want 30", res.Report.Removed)
	}
	v.assertMembers(emailsOf(ps[:70]))
}

// TestRemovalGuardLetsSmallRemovalsThrough: fewer than MinGuardedRemovals removals pass even
// when they are a large share of a small list.
func TestRemovalGuardLetsSmallRemovalsThrough(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	ps := genProfiles(0, 12)
	path := v.file("p.csv", ps)
	req := v.request(segment.Spec{Name: "p", Source: path})
	req.SyncMode = SyncMirror
	req.Previous = v.mustApply(req).Snapshot
	writeProfiles(t, path, ps[:3]) // 9 of 12 leave
	plan, err := v.eng.Plan(context.Background(), req)
	if err != nil || plan.ToRemove != 9 || plan.Removable != 12 {
		t.Fatalf("plan: %v, %+v", err, plan)
	}
}

// TestRemovalGuardRefusesEmptySource: a source that selects nobody (a header-only file) fails
// even for a removal below the minimum count, and with a share limit of 100 %.
func TestRemovalGuardRefusesEmptySource(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	ps := genProfiles(0, 5)
	path := v.file("p.csv", ps)
	req := v.request(segment.Spec{Name: "p", Source: path})
	req.SyncMode = SyncMirror
	req.RemovalGuard.MaxPercent = 100
	req.Previous = v.mustApply(req).Snapshot
	writeProfiles(t, path, nil)
	var re *RemovalError
	if _, err := v.eng.Plan(context.Background(), req); !errors.As(err, &re) || !re.Empty || re.Removing != 5 {
		t.Fatalf("plan: err = %v, want an empty-source RemovalError for 5", err)
	}
	req.RemovalGuard.AllowMassRemoval = true
	if res := v.mustApply(req); res.Report.Removed != 5 {
		t.Fatalf("removed %d, want 5", res.Report.Removed)
	}
}
