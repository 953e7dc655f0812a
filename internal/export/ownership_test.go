package export

import (
	"context"
	"errors"
	"testing"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/segment"
)

// seedMembers puts contacts on the list as people or another export would, before any run.
func (v *testEnv) seedMembers(ps []prof) {
	for _, p := range ps {
		v.emu.SeedContact(v.key, p.Email, nil, v.listID)
	}
}

// A mirror export into a list that already has members removes none of them: not those outside
// its segments, and not those it exports (it only updated them) when they later leave. It
// removes the contacts it added.
func TestMirrorKeepsMembersItDidNotAdd(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	others := genProfiles(9000, 14) // on the list before the export, not in its segments
	ps := genProfiles(0, 30)
	v.seedMembers(others)
	v.seedMembers(ps[:2]) // on the list before the export, and in its segments
	path := v.file("p.csv", ps)
	req := v.request(segment.Spec{Name: "p", Source: path})
	req.SyncMode = SyncMirror
	p, err := v.eng.Plan(context.Background(), req)
	if err != nil || p.ToRemove != 0 || p.ToAdd != 30 || p.ToUpdate != 0 {
		t.Fatalf("first plan: %v %+v", err, p)
	}
	res := v.mustApply(req)
	v.assertMembers(emailsOf(others, ps))

	// Five contacts the export added and one it found on the list leave the segments.
	writeProfiles(t, path, append(append([]prof{}, ps[1:2]...), ps[7:]...))
	req.Previous = res.Snapshot
	p, err = v.eng.Plan(context.Background(), req)
	if err != nil || p.ToRemove != 5 || p.ToRemoveNotAdded != 0 {
		t.Fatalf("second plan: %v %+v", err, p)
	}
	res = v.mustApply(req)
	if res.Report.Removed != 5 {
		t.Fatalf("second run: %+v", res.Report)
	}
	v.emu.FlushJobs()
	v.assertMembers(emailsOf(others, ps[:2], ps[7:]))

	// Destroying with remove_from_list removes only what the export added; the destroy plan
	// counts it from the record alone.
	destroy := Request{ListID: v.listID, APIKey: v.key, Previous: res.Snapshot}
	if n, st := DestroyRemovals(destroy); n != 23 || st != SnapshotOK {
		t.Fatalf("DestroyRemovals = %d, %s; want 23", n, st)
	}
	claimed := destroy
	claimed.ListScope = ScopeList
	if n, _ := DestroyRemovals(claimed); n != 25 {
		t.Fatalf("DestroyRemovals with claim_list = %d, want 25 (every contact of the record)", n)
	}
	rep, err := v.eng.RemoveAll(context.Background(), destroy)
	if err != nil || rep.Removed != 23 {
		t.Fatalf("RemoveAll: %v %+v", err, rep)
	}
	v.emu.FlushJobs()
	v.assertMembers(emailsOf(others, ps[:2]))
}

// A contact someone else put on the list between two runs, which then enters the segments, is
// found on the list before the upload: the export adopts it and does not remove it later.
func TestContactAddedByOthersBetweenRunsIsNotRemoved(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	ps := genProfiles(0, 20)
	path := v.file("p.csv", ps[:10])
	req := v.request(segment.Spec{Name: "p", Source: path})
	req.SyncMode = SyncMirror
	res := v.mustApply(req)
	v.seedMembers(ps[10:12]) // added by someone else
	writeProfiles(t, path, ps)
	req.Previous = res.Snapshot
	res = v.mustApply(req)
	writeProfiles(t, path, ps[:10])
	req.Previous = res.Snapshot
	p, err := v.eng.Plan(context.Background(), req)
	if err != nil || p.ToRemove != 8 {
		t.Fatalf("plan: %v %+v", err, p)
	}
	v.mustApply(req)
	v.emu.FlushJobs()
	v.assertMembers(emailsOf(ps[:12]))
}

// Claiming the whole list (ScopeList) is today's mirror: the list is made equal to the segments,
// and the plan says how many of the removals are contacts the export did not add.
func TestClaimListRemovesEveryOtherMember(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	others := genProfiles(9000, 14)
	ps := genProfiles(0, 30)
	v.seedMembers(others)
	req := v.request(segment.Spec{Name: "p", Source: v.file("p.csv", ps)})
	req.SyncMode, req.ListScope = SyncMirror, ScopeList
	// Claiming a list removes every member it did not add: all 14, more than the guard allows.
	var re *RemovalError
	if _, err := v.eng.Plan(context.Background(), req); !errors.As(err, &re) || re.Removing != 14 || re.Removable != 14 {
		t.Fatalf("plan without the allowance: %v", err)
	}
	req.RemovalGuard.AllowMassRemoval = true
	p, err := v.eng.Plan(context.Background(), req)
	if err != nil || p.ToRemove != 14 || p.ToRemoveNotAdded != 14 {
		t.Fatalf("plan: %v %+v", err, p)
	}
	v.mustApply(req)
	v.emu.FlushJobs()
	v.assertMembers(emailsOf(ps))
}

// An upsert export records ownership too, so that switching it to mirror later removes, in the
// very plan that switches, the contacts it added that left the segments, and no other member.
func TestSwitchToMirrorRemovesOnlyWhatTheExportAdded(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	others := genProfiles(9000, 5)
	ps := genProfiles(0, 20)
	v.seedMembers(others)
	v.seedMembers(ps[:3])
	path := v.file("p.csv", ps)
	req := v.request(segment.Spec{Name: "p", Source: path})
	res := v.mustApply(req) // upsert
	writeProfiles(t, path, ps[6:])
	req.Previous = res.Snapshot
	res = v.mustApply(req) // upsert: ps[:6] left the segments and stay
	req.Previous, req.SyncMode = res.Snapshot, SyncMirror
	p, err := v.eng.Plan(context.Background(), req)
	if err != nil || p.ToRemove != 3 {
		t.Fatalf("plan switching to mirror: %v %+v", err, p)
	}
	v.mustApply(req)
	v.emu.FlushJobs()
	v.assertMembers(emailsOf(others, ps[:3], ps[6:]))
}

// An export that claims the list reads it when it has more members than the export left (people
// or other exports added some), and removes them; an export that does not claim it leaves them.
func TestClaimListRemovesMembersAddedLater(t *testing.T) {
	for _, scope := range []ListScope{ScopeAdded, ScopeList} {
		t.Run(string(scope), func(t *testing.T) {
			v := newTestEnv(t, emulatorConfig())
			ps := genProfiles(0, 20)
			req := v.request(segment.Spec{Name: "p", Source: v.file("p.csv", ps)})
			req.SyncMode, req.ListScope = SyncMirror, scope
			res := v.mustApply(req)
			later := genProfiles(9000, 4)
			v.seedMembers(later)
			req.Previous = res.Snapshot
			p, err := v.eng.Plan(context.Background(), req)
			want := int64(0)
			if scope == ScopeList {
				want = 4
			}
			if err != nil || p.ToRemove != want || p.ToRemoveNotAdded != want {
				t.Fatalf("plan: %v %+v", err, p)
			}
			v.mustApply(req)
			v.emu.FlushJobs()
			if scope == ScopeList {
				v.assertMembers(emailsOf(ps))
			} else {
				v.assertMembers(emailsOf(ps, later))
			}
		})
	}
}

// Someone removes some of a mirror export's contacts from the list and adds as many others: the
// count does not change, but the drift sample finds contacts missing, and the run reads the list
// and puts them back (without removing the others, which the export did not add).
func TestDriftHiddenByTheCountIsFound(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	ps := genProfiles(0, 300)
	req := v.request(segment.Spec{Name: "p", Source: v.file("p.csv", ps)})
	req.SyncMode = SyncMirror
	res := v.mustApply(req)
	ctx := context.Background()
	var gone []string
	for _, p := range ps[:150] {
		gone = append(gone, p.Email)
	}
	var ids []string
	for i := 0; i < len(gone); i += 100 {
		found, err := v.client.SearchEmails(ctx, gone[i:min(i+100, len(gone))])
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range found {
			ids = append(ids, c.ID)
		}
	}
	if _, err := v.client.RemoveListContacts(ctx, v.listID, ids); err != nil {
		t.Fatal(err)
	}
	v.emu.FlushJobs()
	others := genProfiles(9000, len(ids))
	v.seedMembers(others)
	req.Previous = res.Snapshot
	p, err := v.eng.Plan(ctx, req)
	if err != nil || !p.Drift || p.ToAdd != 150 || p.ToRemove != 0 {
		t.Fatalf("plan: %v %+v", err, p)
	}
	v.mustApply(req)
	v.emu.FlushJobs()
	v.assertMembers(emailsOf(ps, others))
}
