package export

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/privacy"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/segment"
)

// TestMirrorIncremental changes a few profiles, deletes some from the source and filters some
// out: only the changes go up, and the leavers come off the list.
func TestMirrorIncremental(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	ps := genProfiles(0, 1000)
	path := v.file("p.csv", ps)
	spec := segment.Spec{Name: "p", Source: path, Filter: `country != "XX"`}
	req := v.request(spec)
	req.SyncMode = SyncMirror
	res := v.mustApply(req)
	v.assertMembers(emailsOf(ps))

	// Change 10, delete 5 (gone from the source), filter 7 out (still in the source), add 3.
	for i := 0; i < 10; i++ {
		ps[i*7].City = "Changed"
	}
	deleted := ps[500:505]
	filtered := []int{600, 601, 602, 603, 604, 605, 606}
	for _, i := range filtered {
		ps[i].Country = "XX"
	}
	next := append(append([]prof{}, ps[:500]...), ps[505:]...)
	next = append(next, genProfiles(5000, 3)...)
	writeProfiles(t, path, next)

	req.Previous = res.Snapshot
	plan, err := v.eng.Plan(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if plan.ToAdd != 3 || plan.ToUpdate != 10 || plan.ToRemove != 12 || plan.Unchanged != 1000-10-12 {
		t.Fatalf("plan = add %d update %d remove %d unchanged %d", plan.ToAdd, plan.ToUpdate, plan.ToRemove, plan.Unchanged)
	}
	before := v.emu.Counters()
	res, err = v.eng.Apply(context.Background(), req, Expected{Fingerprint: plan.Fingerprint})
	if err != nil {
		t.Fatal(err)
	}
	after := v.emu.Counters()
	if sent := after.ContactsUpserted - before.ContactsUpserted; sent != 13 {
		t.Fatalf("sent %d contacts, want the 13 changed", sent)
	}
	if res.Report.Removed != 12 || res.Report.Status != StatusSucceeded {
		t.Fatalf("report = %+v", res.Report)
	}
	// Known leavers (filtered out) are found by search; deleted ones through a contacts export.
	// The 3 new contacts are looked up too (one more search): the export adopts, and never
	// removes, those already on the list; and a sample of its contacts is checked on the list.
	if n := after.Requests["POST /v3/marketing/contacts/search/emails"] - before.Requests["POST /v3/marketing/contacts/search/emails"]; n != 3 {
		t.Errorf("%d searches, want 3 (drift sample, 7 leavers, 3 new contacts)", n)
	}
	if n := after.Requests["POST /v3/marketing/contacts/exports"] - before.Requests["POST /v3/marketing/contacts/exports"]; n != 1 {
		t.Errorf("%d exports, want 1 (for the 5 deleted profiles)", n)
	}
	var kept []prof
	for _, p := range next {
		if p.Country != "XX" {
			kept = append(kept, p)
		}
	}
	v.assertMembers(emailsOf(kept))
	c, _ := v.emu.Contact(v.key, ps[7].Email)
	if c["city"] != "Changed" {
		t.Fatalf("update not applied: city = %v", c["city"])
	}
	// The removed contacts still exist (removed from the list, not deleted).
	if _, ok := v.emu.Contact(v.key, deleted[0].Email); !ok {
		t.Fatal("a leaver was deleted instead of removed from the list")
	}

	// And a third run has nothing to do.
	req.Previous = res.Snapshot
	sent := v.contactsSent()
	res, err = v.apply(req)
	if err != nil || res.Report.Status != StatusNoChanges || v.contactsSent() != sent {
		t.Fatalf("third run: %v, %+v", err, res.Report)
	}
}

// TestMirrorDrift: members removed from the list outside the export are noticed (the list
// holds fewer contacts than the snapshot confirmed) and put back; members others added stay.
func TestMirrorDrift(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	ps := genProfiles(0, 300)
	path := v.file("p.csv", ps)
	req := v.request(segment.Spec{Name: "p", Source: path})
	req.SyncMode = SyncMirror
	res := v.mustApply(req)
	req.Previous = res.Snapshot

	// By hand: two outsiders added, three members taken off the list.
	v.emu.SeedContact(v.key, "outsider1@example.org", nil, v.listID)
	v.emu.SeedContact(v.key, "outsider2@example.org", nil, v.listID)
	var ids []string
	for _, i := range []int{42, 43, 250} {
		c, _ := v.emu.Contact(v.key, ps[i].Email)
		ids = append(ids, c["id"].(string))
	}
	if _, err := v.client.RemoveListContacts(context.Background(), v.listID, ids); err != nil {
		t.Fatal(err)
	}
	v.emu.FlushJobs()
	// And one profile leaves the segment.
	writeProfiles(t, path, ps[:299])
	// 299 on the list, 300 confirmed: drift.
	plan, err := v.eng.Plan(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !plan.Drift || !plan.MembershipRead || plan.ToAdd != 3 || plan.ToRemove != 1 || plan.Unchanged != 296 || plan.ToUpdate != 0 {
		t.Fatalf("plan = %+v", plan)
	}
	sent := v.contactsSent()
	res, err = v.eng.Apply(context.Background(), req, Expected{Fingerprint: plan.Fingerprint})
	if err != nil || res.Report.Removed != 1 || v.contactsSent()-sent != 3 {
		t.Fatalf("apply: %v, %+v, sent %d", err, res.Report, v.contactsSent()-sent)
	}
	want := append(emailsOf(ps[:299]), "outsider1@example.org", "outsider2@example.org")
	sort.Strings(want)
	v.assertMembers(want)
	// In sync again: nothing to do. The removal SendGrid accepted cannot be followed (removal
	// jobs have no documented status), so the next run checks it: the leaver was deleted from
	// the sources, so through one contacts export. After that no export.
	req.Previous = res.Snapshot
	if p, err := v.eng.Plan(context.Background(), req); err != nil || p.HasChanges() {
		t.Fatalf("plan after the run: %v %+v", err, p)
	}
	for run, wantExports := range []int64{1, 0} {
		before := v.emu.Counters().Requests["POST /v3/marketing/contacts/exports"]
		res, err = v.apply(req)
		if err != nil || res.Report.Status != StatusNoChanges || v.emu.Counters().Requests["POST /v3/marketing/contacts/exports"]-before != wantExports {
			t.Fatalf("rerun %d: %v %+v", run, err, res.Report)
		}
		req.Previous = res.Snapshot
	}
}

func TestUpsertModeKeepsLeavers(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	ps := genProfiles(0, 100)
	path := v.file("p.csv", ps)
	req := v.request(segment.Spec{Name: "p", Source: path})
	res := v.mustApply(req)
	writeProfiles(t, path, ps[:60])
	req.Previous = res.Snapshot
	plan, err := v.eng.Plan(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if plan.ToRemove != 0 || plan.HasChanges() {
		t.Fatalf("upsert plan = %+v", plan)
	}
	res, err = v.eng.Apply(context.Background(), req, Expected{Fingerprint: plan.Fingerprint})
	if err != nil || res.Report.Status != StatusNoChanges {
		t.Fatalf("apply: %v %+v", err, res.Report)
	}
	v.assertMembers(emailsOf(ps))
}

func TestFingerprintMismatchUploadsNothing(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	ps := genProfiles(0, 50)
	path := v.file("p.csv", ps)
	req := v.request(segment.Spec{Name: "p", Source: path})
	plan, err := v.eng.Plan(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	ps[3].First = "Edited"
	writeProfiles(t, path, ps)
	res, err := v.eng.Apply(context.Background(), req, Expected{Fingerprint: plan.Fingerprint})
	if !errors.Is(err, ErrSegmentChanged) || res != nil {
		t.Fatalf("err = %v, res = %v", err, res)
	}
	if !strings.Contains(err.Error(), "run plan again") {
		t.Fatalf("message %q does not say what to do", err)
	}
	if n := v.emu.Counters().Requests["PUT /v3/marketing/contacts"]; n != 0 {
		t.Fatalf("%d upserts after a fingerprint mismatch", n)
	}
	// A mapping change changes the fingerprint too.
	plan2, _ := v.eng.Plan(context.Background(), req)
	req.Mapping.City = ""
	if _, err := v.eng.Apply(context.Background(), req, Expected{Fingerprint: plan2.Fingerprint}); !errors.Is(err, ErrSegmentChanged) {
		t.Fatalf("mapping change: err = %v", err)
	}
}

// Without the plan's fingerprint (an export's first apply), the plan's counts of what the
// segments select are checked: a segment that grew between plan and apply sends nothing.
func TestSelectionMismatchUploadsNothing(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	ps := genProfiles(0, 50)
	path := v.file("p.csv", ps)
	req := v.request(segment.Spec{Name: "p", Source: path})
	plan, err := v.eng.Plan(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	planned := SelectionOf(plan)
	writeProfiles(t, path, genProfiles(0, 51))
	res, err := v.eng.Apply(context.Background(), req, Expected{Selection: &planned})
	if !errors.Is(err, ErrSegmentChanged) || res != nil {
		t.Fatalf("err = %v, res = %v", err, res)
	}
	if !strings.Contains(err.Error(), "50 profiles") || !strings.Contains(err.Error(), "51 profiles") {
		t.Fatalf("message %q does not give both counts", err)
	}
	if n := v.contactsSent(); n != 0 {
		t.Fatalf("%d contacts sent after a selection mismatch", n)
	}
	// The same selection passes.
	writeProfiles(t, path, ps)
	if _, err := v.eng.Apply(context.Background(), req, Expected{Selection: &planned}); err != nil {
		t.Fatalf("unchanged selection: %v", err)
	}
}

func TestCapsRefuseBeforeUpload(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	ps := genProfiles(0, 120)
	req := v.request(segment.Spec{Name: "p", Source: v.file("p.csv", ps)})
	req.MaxProfiles = 100
	_, err := v.eng.Plan(context.Background(), req)
	var ce *CapError
	if !errors.As(err, &ce) || ce.Cap != CapMaxProfiles || ce.Wanted != 120 {
		t.Fatalf("err = %v", err)
	}
	if _, err := v.eng.Apply(context.Background(), req, Expected{}); !errors.As(err, &ce) {
		t.Fatalf("apply err = %v", err)
	}

	// The account already holds 50 contacts (30 of them on the list through an earlier run).
	req.MaxProfiles = 1000
	first := v.mustApply(Request{Segments: []segment.Spec{{Name: "p", Source: v.file("first.csv", ps[:30])}},
		Mapping: fullMapping(), ListID: v.listID, APIKey: v.key})
	for _, p := range genProfiles(9000, 20) {
		v.emu.SeedContact(v.key, p.Email, nil)
	}
	req.Previous = first.Snapshot
	req.ConnectionCap = 139 // 50 held + 90 new = 140
	_, err = v.eng.Plan(context.Background(), req)
	if !errors.As(err, &ce) || ce.Cap != CapConnection || ce.Wanted != 140 {
		t.Fatalf("err = %v", err)
	}
	sent := v.contactsSent()
	if _, err := v.eng.Apply(context.Background(), req, Expected{}); !errors.As(err, &ce) || v.contactsSent() != sent {
		t.Fatalf("apply over the cap: %v, sent %d", err, v.contactsSent()-sent)
	}
	req.ConnectionCap = 140
	plan, err := v.eng.Plan(context.Background(), req)
	if err != nil || plan.AccountContacts != 50 || plan.ProjectedContacts != 140 {
		t.Fatalf("at the cap: %v, %+v", err, plan)
	}
	if ce.Full() || ce.Adding != 90 || !strings.Contains(ce.Error(), "profile_cap of 139") || strings.Contains(ce.Error(), "connection_cap") {
		t.Errorf("cap error: full %v, adding %d, %q", ce.Full(), ce.Adding, ce.Error())
	}
}

// A run that adds no contact to the account (updates only) is not refused by the connection's
// cap, even when the account already holds more than the cap; one new contact is.
func TestConnectionCapLetsRunsThatAddNothing(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	ps := genProfiles(0, 30)
	first := v.mustApply(Request{Segments: []segment.Spec{{Name: "p", Source: v.file("first.csv", ps)}},
		Mapping: fullMapping(), ListID: v.listID, APIKey: v.key})
	for _, p := range genProfiles(9000, 20) {
		v.emu.SeedContact(v.key, p.Email, nil)
	}
	// The account holds 50 contacts, over a cap of 40. Sending the same 30 again updates them.
	req := Request{Segments: []segment.Spec{{Name: "p", Source: v.file("same.csv", ps)}}, Mapping: fullMapping(),
		ListID: v.listID, APIKey: v.key, Previous: first.Snapshot, Resend: true, ConnectionCap: 40}
	plan, err := v.eng.Plan(context.Background(), req)
	if err != nil || plan.ToAdd != 0 || plan.ToUpdate != 30 {
		t.Fatalf("updates only over a full account: err %v, plan %+v", err, plan)
	}
	if _, err := v.eng.Apply(context.Background(), req, Expected{}); err != nil {
		t.Fatalf("apply of updates only: %v", err)
	}
	// One new profile: the account is already over the cap, and the error says so.
	req.Segments = []segment.Spec{{Name: "p", Source: v.file("more.csv", genProfiles(0, 31))}}
	req.Resend = false
	_, err = v.eng.Plan(context.Background(), req)
	var ce *CapError
	if !errors.As(err, &ce) || ce.Adding != 1 || ce.AccountContacts != 50 || !ce.Full() {
		t.Fatalf("one new contact over a full account: %v (%+v)", err, ce)
	}
}

func TestInvalidPolicyFail(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	ps := genProfiles(0, 40)
	ps[5].Email = "jane.doe@@example.com"
	ps[9].Signup = "31/12/2024"
	req := v.request(segment.Spec{Name: "p", Source: v.file("p.csv", ps)})
	req.InvalidPolicy = InvalidFail
	plan, err := v.eng.Plan(context.Background(), req)
	var ie *InvalidProfilesError
	if !errors.As(err, &ie) || ie.Invalid.Total != 2 || plan == nil {
		t.Fatalf("err = %v", err)
	}
	msg := err.Error()
	if strings.Contains(msg, "jane.doe") || strings.Contains(msg, "31/12/2024") {
		t.Fatalf("message shows a value: %s", msg)
	}
	if !strings.Contains(msg, "line 7") || !strings.Contains(msg, "email: invalid") || !strings.Contains(msg, "not_a_date") {
		t.Fatalf("message does not locate the rows: %s", msg)
	}
	if _, err := v.eng.Apply(context.Background(), req, Expected{}); !errors.As(err, &ie) || v.contactsSent() != 0 {
		t.Fatalf("apply: %v", err)
	}
	req.InvalidPolicy = InvalidSkip
	res := v.mustApply(req)
	if res.Report.SkippedInvalid != 2 || res.Report.Requested != 38 {
		t.Fatalf("skip: %+v", res.Report)
	}
}

// TestKeyRotation: the snapshot was written under another API key, so its hashes are useless.
// The export falls back to a full upload and, in mirror mode, reads the list's members from
// SendGrid to remove those no longer in the segments. It can no longer tell which members it
// added, so only an export that claims the whole list removes them (ScopeList); by default it
// keeps them (see TestKeyRotationKeepsWhatItCannotTell).
func TestKeyRotation(t *testing.T) {
	v, k1, k2 := newTwoKeyEnv(t)
	ps := genProfiles(0, 200)
	path := v.file("p.csv", ps)
	req := v.request(segment.Spec{Name: "p", Source: path})
	req.APIKey = k1
	req.SyncMode = SyncMirror
	req.RemovalGuard.AllowMassRemoval = true // removes more than the guard's share on purpose
	req.ListScope = ScopeList
	res := v.mustApply(req)

	writeProfiles(t, path, ps[:150])
	v.key = k2
	v.eng.Client = v.newClient(k2)
	req.APIKey = k2
	req.Previous = res.Snapshot
	plan, err := v.eng.Plan(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if plan.SnapshotState != SnapshotKeyChanged || !plan.MembershipRead || plan.ToRemove != 50 || plan.ToUpdate != 150 || plan.ToAdd != 0 {
		t.Fatalf("plan after key change = %+v", plan)
	}
	res, err = v.eng.Apply(context.Background(), req, Expected{Fingerprint: plan.Fingerprint})
	if err != nil {
		t.Fatal(err)
	}
	if res.Report.Requested != 150 || res.Report.Removed != 50 {
		t.Fatalf("report = %+v", res.Report)
	}
	v.assertMembers(emailsOf(ps[:150]))
	// Converged under the new key.
	req.Previous = res.Snapshot
	res, err = v.apply(req)
	if err != nil || res.Report.Status != StatusNoChanges {
		t.Fatalf("rerun: %v %+v", err, res.Report)
	}
}

func TestListChangeStartsOver(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	ps := genProfiles(0, 30)
	req := v.request(segment.Spec{Name: "p", Source: v.file("p.csv", ps)})
	res := v.mustApply(req)
	other := v.emu.SeedList(v.key, "Other")
	req.ListID, req.Previous = other, res.Snapshot
	plan, err := v.eng.Plan(context.Background(), req)
	if err != nil || plan.SnapshotState != SnapshotOtherList || plan.ToAdd != 30 {
		t.Fatalf("plan for another list: %v %+v", err, plan)
	}
	req.Previous = []byte("garbage")
	plan, err = v.eng.Plan(context.Background(), req)
	if err != nil || plan.SnapshotState != SnapshotCorrupt || plan.ToAdd != 30 {
		t.Fatalf("plan with a corrupt snapshot: %v %+v", err, plan)
	}
}

func TestRemoveAll(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	v.emu.SeedContact(v.key, "outsider@example.org", nil, v.listID)
	ps := genProfiles(0, 400)
	req := v.request(segment.Spec{Name: "p", Source: v.file("p.csv", ps)})
	res := v.mustApply(req)
	if res.Contacts != 400 {
		t.Fatalf("snapshot records %d contacts", res.Contacts)
	}
	// Another API key cannot tell the export's contacts apart: nothing is removed.
	if _, err := v.eng.RemoveAll(context.Background(), Request{ListID: v.listID, APIKey: "SG.other", Previous: res.Snapshot}); err == nil ||
		!strings.Contains(err.Error(), "another API key") {
		t.Fatalf("other key: %v", err)
	}
	rep, err := v.eng.RemoveAll(context.Background(), Request{ListID: v.listID, APIKey: v.key, Previous: res.Snapshot})
	if err != nil || rep.Removed != 400 || rep.Status != StatusSucceeded {
		t.Fatalf("RemoveAll: %v %+v", err, rep)
	}
	v.assertMembers([]string{"outsider@example.org"})
	if _, ok := v.emu.Contact(v.key, ps[0].Email); !ok {
		t.Fatal("a contact was deleted, not just removed from the list")
	}
	rep, err = v.eng.RemoveAll(context.Background(), Request{ListID: v.listID, APIKey: v.key})
	if err != nil || rep.Status != StatusNoChanges {
		t.Fatalf("without a snapshot: %v %+v", err, rep)
	}
}

// TestFieldRecreated: a custom field deleted and created again (a new ID, its values gone in
// SendGrid) makes every contact upload again, though no profile changed.
func TestFieldRecreated(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	ps := genProfiles(0, 120)
	req := v.request(segment.Spec{Name: "p", Source: v.file("p.csv", ps)})
	res := v.mustApply(req)
	ctx := context.Background()
	if err := v.client.DeleteField(ctx, v.fields["tier"]); err != nil {
		t.Fatal(err)
	}
	f, err := v.client.CreateField(ctx, "tier", FieldText)
	if err != nil {
		t.Fatal(err)
	}
	req.Previous = res.Snapshot
	plan, err := v.eng.Plan(ctx, req)
	if err != nil || plan.ToUpdate != 120 || plan.Unchanged != 0 {
		t.Fatalf("plan after re-creating a field: %v %+v", err, plan)
	}
	res, err = v.eng.Apply(ctx, req, Expected{Fingerprint: plan.Fingerprint})
	if err != nil || res.Report.Requested != 120 {
		t.Fatalf("apply: %v %+v", err, res.Report)
	}
	c, _ := v.emu.Contact(v.key, ps[5].Email)
	if c["custom_fields"].(map[string]any)[f.ID] != "bronze" {
		t.Fatalf("tier under the new field ID = %v", c["custom_fields"])
	}
	req.Previous = res.Snapshot
	if res, err = v.apply(req); err != nil || res.Report.Status != StatusNoChanges {
		t.Fatalf("rerun: %v %+v", err, res.Report)
	}
}

func TestPreviewFingerprintMismatchFailsBeforeUpload(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	ps := genProfiles(0, 40)
	path := v.file("p.csv", ps)
	spec := segment.Spec{Name: "p", Source: path}
	sum, err := segment.Preview(context.Background(), spec, privacy.DeriveKey(v.key, privacy.PurposeFingerprint))
	if err != nil {
		t.Fatal(err)
	}
	req := v.request(spec)
	req.SegmentFingerprints = []string{sum.Fingerprint}
	if _, err := v.eng.Plan(context.Background(), req); err != nil {
		t.Fatalf("the previewed content must plan: %v", err)
	}
	ps[7].Last = "Changed"
	writeProfiles(t, path, ps)
	_, err = v.eng.Plan(context.Background(), req)
	var sce *SegmentChangedError
	if !errors.As(err, &sce) || sce.Index != 0 || !errors.Is(err, ErrSegmentChanged) {
		t.Fatalf("err = %v, want a SegmentChangedError for segment 0", err)
	}
	if n := v.emu.Counters().ContactsUpserted; n != 0 {
		t.Fatalf("%d contacts sent", n)
	}
}

// After a key rotation the snapshot's hashes cannot be compared: an export that removes only
// what it added cannot tell its contacts from others on the list, so it removes none, and
// records the members it exports as found on the list.
func TestKeyRotationKeepsWhatItCannotTell(t *testing.T) {
	v, k1, k2 := newTwoKeyEnv(t)
	ps := genProfiles(0, 60)
	path := v.file("p.csv", ps)
	req := v.request(segment.Spec{Name: "p", Source: path})
	req.APIKey, req.SyncMode = k1, SyncMirror
	res := v.mustApply(req)

	writeProfiles(t, path, ps[:40])
	v.key = k2
	v.eng.Client = v.newClient(k2)
	req.APIKey, req.Previous = k2, res.Snapshot
	plan, err := v.eng.Plan(context.Background(), req)
	if err != nil || plan.SnapshotState != SnapshotKeyChanged || plan.ToRemove != 0 {
		t.Fatalf("plan after key change: %v %+v", err, plan)
	}
	res, err = v.eng.Apply(context.Background(), req, Expected{Fingerprint: plan.Fingerprint})
	if err != nil || res.Report.Removed != 0 {
		t.Fatalf("apply after key change: %v %+v", err, res.Report)
	}
	v.assertMembers(emailsOf(ps))
}

// TestKeyRotationWithRecordKey: with a record key the snapshot survives a rotated API key: the
// run after the rotation uses it (no list read), sends only the changes, removes the leavers,
// and a destroy with the new key still tells the export's contacts apart.
func TestKeyRotationWithRecordKey(t *testing.T) {
	k1, k2 := "SG.key-one", "SG.key-two"
	cfg := emulatorConfig()
	cfg.Keys = map[string]emulator.Key{
		k1: {UserID: 7, Username: "u", Scopes: emulator.DefaultScopes()},
		k2: {UserID: 7, Username: "u", Scopes: emulator.DefaultScopes()},
	}
	v := newTestEnv(t, cfg)
	v.key = k1
	v.client = v.newClient(k1)
	v.eng.Client = v.client
	ps := genProfiles(0, 200)
	path := v.file("p.csv", ps)
	req := v.request(segment.Spec{Name: "p", Source: path})
	req.APIKey, req.RecordKey, req.SyncMode = k1, "record-secret-for-tests", SyncMirror
	res := v.mustApply(req)

	ps[3].City = "Changed"
	writeProfiles(t, path, ps[:190])
	v.key = k2
	v.eng.Client = v.newClient(k2)
	req.APIKey, req.Previous = k2, res.Snapshot
	before := v.emu.Counters()
	plan, err := v.eng.Plan(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if plan.SnapshotState != SnapshotOK || plan.MembershipRead || plan.ToAdd != 0 || plan.ToUpdate != 1 || plan.ToRemove != 10 {
		t.Fatalf("plan after the rotation = %+v", plan)
	}
	res, err = v.eng.Apply(context.Background(), req, Expected{Fingerprint: plan.Fingerprint})
	if err != nil {
		t.Fatal(err)
	}
	after := v.emu.Counters()
	if sent := after.ContactsUpserted - before.ContactsUpserted; sent != 1 {
		t.Fatalf("after the rotation %d contacts were sent, want the 1 changed", sent)
	}
	v.assertMembers(emailsOf(ps[:190]))

	req.Previous = res.Snapshot
	if st := CheckSnapshot(req); st != SnapshotOK {
		t.Fatalf("CheckSnapshot = %s", st)
	}
	if _, err := v.eng.RemoveAll(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	v.assertMembers(nil)

	// Without the record key the same snapshot is another key's.
	req.RecordKey = ""
	if st := CheckSnapshot(req); st != SnapshotKeyChanged {
		t.Fatalf("CheckSnapshot without the record key = %s", st)
	}
}

// newTwoKeyEnv is an emulator account with two API keys; the engine uses the first.
func newTwoKeyEnv(t *testing.T) (v *testEnv, k1, k2 string) {
	k1, k2 = "SG.key-one", "SG.key-two"
	cfg := emulatorConfig()
	cfg.Keys = map[string]emulator.Key{
		k1: {UserID: 7, Username: "u", Scopes: emulator.DefaultScopes()},
		k2: {UserID: 7, Username: "u", Scopes: emulator.DefaultScopes()},
	}
	v = newTestEnv(t, cfg)
	v.key = k1
	v.client = v.newClient(k1)
	v.eng.Client = v.client
	return v, k1, k2
}
