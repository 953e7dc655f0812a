package export

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/segment"
)

// These tests hold the engine to SendGrid's documented behaviour where it is stricter, slower or
// vaguer than a naive server: each fails on an engine that assumed the naive behaviour.

// longAddress returns a valid address of n characters (64 < n <= 254).
func longAddress(prefix string, n int) string {
	local := prefix
	tail := ".example.com"
	rest := n - len(local) - 1 - len(tail)
	var labels []string
	for rest > 0 {
		k := min(rest, 50)
		if len(labels) > 0 {
			k = min(rest-1, 50) // the dot before this label
		}
		if k <= 0 {
			labels[len(labels)-1] += strings.Repeat("d", rest)
			break
		}
		labels = append(labels, strings.Repeat("d", k))
		rest -= k
		if len(labels) > 1 {
			rest--
		}
	}
	return local + "@" + strings.Join(labels, ".") + tail
}

// A leaver whose address is over 100 characters cannot be searched (one such address fails the
// whole search with 400): it is found in the list's contacts export instead.
func TestLeaverWithAddressOver100Characters(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	ps := genProfiles(0, 30)
	long := longAddress("longuser", 150)
	if len(long) != 150 {
		t.Fatalf("test address has %d characters", len(long))
	}
	ps[3].Email = long
	path := v.file("p.csv", ps)
	req := v.request(segment.Spec{Name: "p", Source: path, Filter: `country != "XX"`})
	req.SyncMode = SyncMirror
	res := v.mustApply(req)
	v.assertMembers(emailsOf(ps))

	// The long address and a short one are filtered out (still in the source).
	ps[3].Country, ps[4].Country = "XX", "XX"
	writeProfiles(t, path, ps)
	req.Previous = res.Snapshot
	res = v.mustApply(req)
	if res.Report.Removed != 2 || res.Report.Status != StatusSucceeded {
		t.Fatalf("report %+v", res.Report)
	}
	var kept []prof
	for _, p := range ps {
		if p.Country != "XX" {
			kept = append(kept, p)
		}
	}
	v.assertMembers(emailsOf(kept))
}

// A contact SendGrid refuses fails the whole upsert with 400: the engine isolates it (by the
// error's field references, or by splitting the batch when there are none), reports it masked,
// and confirms the rest.
func TestUpsertRefusalIsolatesContacts(t *testing.T) {
	for _, noField := range []bool{false, true} {
		t.Run(map[bool]string{false: "field references", true: "no field references"}[noField], func(t *testing.T) {
			cfg := emulatorConfig()
			cfg.UpsertErrorsWithoutField = noField
			v := newTestEnv(t, cfg)
			v.eng.Transfer = TransferPUT
			ps := genProfiles(0, 200)
			bad := map[int]bool{17: true, 101: true, 180: true}
			for i := range ps {
				if !bad[i] {
					ps[i].Tier = ""
				}
			}
			req := v.request(segment.Spec{Name: "p", Source: v.file("p.csv", ps)})
			// The "tier" field is deleted in SendGrid while the run uploads: the three contacts
			// that carry a tier value are refused (custom field ID does not exist).
			v.eng.Progress = func(p Progress) {
				if p.Phase == "upload" && p.BatchesSent == 0 {
					if id := v.fields["tier"]; id != "" {
						delete(v.fields, "tier")
						if err := v.client.DeleteField(context.Background(), id); err != nil {
							t.Error(err)
						}
					}
				}
			}
			res, err := v.apply(req)
			var re *RunError
			if !errors.As(err, &re) || res == nil {
				t.Fatalf("apply: %v", err)
			}
			if res.Report.Errored != 3 || len(res.Report.Rejected) != 3 || res.Report.Status != StatusPartial ||
				!strings.Contains(err.Error(), "SendGrid refused a contact") {
				t.Fatalf("report %+v", res.Report)
			}
			for _, r := range res.Report.Rejected {
				if r.Masked == "" || strings.Contains(r.String(), "@example.com") {
					t.Errorf("rejected row not masked: %s", r)
				}
				// The error names each refused contact (masked) and says a retry cannot help.
				if !strings.Contains(err.Error(), r.Masked) {
					t.Errorf("the error does not name the refused contact %s: %v", r.Masked, err)
				}
			}
			if !strings.Contains(err.Error(), "until their data is fixed") || strings.Contains(err.Error(), "@example.com") {
				t.Errorf("the error must say the refusal is permanent and mask addresses: %v", err)
			}
			v.emu.FlushJobs()
			var want []prof
			for i, p := range ps {
				if !bad[i] {
					want = append(want, p)
				}
			}
			v.assertMembers(emailsOf(want))
			reqs := v.emu.Counters().Requests["PUT /v3/marketing/contacts"]
			if bound := int64(1 + 2*isolateBudget); reqs > bound {
				t.Errorf("%d upsert requests", reqs)
			}
			if !noField && reqs != 2 {
				t.Errorf("%d upsert requests, want 2 (the refused one, then the rest)", reqs)
			}
		})
	}
}

// A removal names a contact deleted in SendGrid meanwhile: SendGrid answers 404 for the whole
// request. That is not "list deleted": the other contacts are removed and the missing one is
// recorded as gone.
func TestRemovalOfContactDeletedInSendGrid(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	ps := genProfiles(0, 60)
	path := v.file("p.csv", ps)
	req := v.request(segment.Spec{Name: "p", Source: path})
	req.SyncMode = SyncMirror
	res := v.mustApply(req)
	writeProfiles(t, path, ps[:50]) // ten leave
	req.Previous = res.Snapshot
	v.eng.Progress = func(p Progress) {
		if p.Phase == "remove" && p.RemovalsDone == 0 {
			v.emu.DeleteContact(v.key, ps[55].Email) // deleted in SendGrid's UI during the run
		}
	}
	res, err := v.apply(req)
	v.eng.Progress = nil
	if err != nil || res.Report.Status != StatusSucceeded {
		t.Fatalf("apply: %v %+v", err, res.Report)
	}
	v.assertMembers(emailsOf(ps[:50]))
	if n := v.emu.Counters().Statuses[404]; n == 0 {
		t.Fatal("the removal never met a 404")
	}
	req.Previous = res.Snapshot
	if p, err := v.eng.Plan(context.Background(), req); err != nil || p.HasChanges() {
		t.Fatalf("plan after: %v %+v", err, p)
	}
}

// Removal jobs have no documented status (GET /v3/marketing/contacts/imports/{id} is documented
// for import, upsert and delete jobs): the engine does not poll them, records the removal as
// accepted, and a later run removes again what is still on the list.
func TestRemovalJobsAreNotFollowed(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	ps := genProfiles(0, 40)
	path := v.file("p.csv", ps)
	req := v.request(segment.Spec{Name: "p", Source: path, Filter: `country != "XX"`})
	req.SyncMode = SyncMirror
	res := v.mustApply(req)
	for i := 0; i < 5; i++ {
		ps[i].Country = "XX"
	}
	writeProfiles(t, path, ps)
	req.Previous = res.Snapshot
	v.emu.SetFaults(emulator.Faults{JobFailRatio: 1}) // the removal job fails in SendGrid
	before := v.emu.Counters().Requests["GET /v3/marketing/contacts/imports/{id}"]
	res = v.mustApply(req)
	if n := v.emu.Counters().Requests["GET /v3/marketing/contacts/imports/{id}"] - before; n != 0 {
		t.Errorf("%d removal job polls", n)
	}
	if res.Report.Removed != 5 {
		t.Fatalf("report %+v", res.Report)
	}
	v.emu.SetFaults(emulator.Faults{})
	v.emu.FlushJobs()
	req.Previous = res.Snapshot
	// The accepted removals are no change to plan; the next run checks them and removes again
	// the contacts still on the list.
	if p, err := v.eng.Plan(context.Background(), req); err != nil || p.HasChanges() {
		t.Fatalf("plan: %v %+v", err, p)
	}
	res = v.mustApply(req)
	if res.Report.Removed != 5 {
		t.Fatalf("second report %+v", res.Report)
	}
	v.assertMembers(emailsOf(ps[5:]))
}

// The errors file's format is not documented. A file that names rows by number only cannot tell
// which contacts failed: none of the job's contacts is confirmed, and later runs converge.
func TestErrorsFileWithoutEmails(t *testing.T) {
	for _, format := range []string{emulator.ErrorsCSVRows, emulator.ErrorsJSON, emulator.ErrorsCSVEmail} {
		t.Run(format, func(t *testing.T) {
			cfg := emulatorConfig()
			cfg.ErrorsFile = format
			cfg.Faults = emulator.Faults{JobErrorRatio: 0.1}
			v := newTestEnv(t, cfg)
			v.eng.Transfer = TransferPUT
			ps := genProfiles(0, 100)
			req := v.request(segment.Spec{Name: "p", Source: v.file("p.csv", ps)})
			res, _ := v.apply(req)
			if res == nil || v.emu.Counters().JobsErrored == 0 {
				t.Fatal("no job errored")
			}
			if format == emulator.ErrorsCSVRows && res.Report.Status != StatusFailed {
				t.Errorf("rows without emails: status %s, want failed (nothing confirmed)", res.Report.Status)
			}
			if format != emulator.ErrorsCSVRows && res.Report.Status != StatusPartial {
				t.Errorf("rows with emails: status %s, want partial", res.Report.Status)
			}
			v.emu.SetFaults(emulator.Faults{})
			req.Previous = res.Snapshot
			v.converge(req, 3)
			v.assertMembers(emailsOf(ps))
		})
	}
}

// POST /v3/marketing/contacts/exports is not repeated after an ambiguous failure: the export
// it may have started is found among the account's exports and used.
func TestExportStartNotRepeated(t *testing.T) {
	cfg := emulatorConfig()
	cfg.Faults = emulator.Faults{DropRatio: 1, MaxDrops: 1, Only: []string{"POST /v3/marketing/contacts/exports"}}
	v := newTestEnv(t, cfg)
	ps := genProfiles(0, 30)
	path := v.file("p.csv", ps)
	req := v.request(segment.Spec{Name: "p", Source: path})
	req.SyncMode = SyncMirror
	for _, p := range ps[:10] {
		v.emu.SeedContact(v.key, p.Email, nil, v.listID)
	}
	// No snapshot: the apply reads the list through a contacts export, whose start is dropped
	// after SendGrid started it; the export is found among the account's exports, not started
	// again.
	res := v.mustApply(req)
	c := v.emu.Counters()
	if c.Dropped != 1 || c.Requests["POST /v3/marketing/contacts/exports"] != 1 || c.Requests["GET /v3/marketing/contacts/exports"] != 1 {
		t.Fatalf("dropped %d, export starts %d, export lists %d", c.Dropped, c.Requests["POST /v3/marketing/contacts/exports"], c.Requests["GET /v3/marketing/contacts/exports"])
	}
	if res.Report.Status != StatusSucceeded {
		t.Fatalf("report %+v", res.Report)
	}
	v.assertMembers(emailsOf(ps))
}

// PUT /v3/marketing/contacts/imports is not repeated after an ambiguous failure (each request
// starts an import); the contacts are sent by the next run.
func TestImportStartNotRepeated(t *testing.T) {
	cfg := emulatorConfig()
	cfg.Faults = emulator.Faults{DropRatio: 1, MaxDrops: 1, Only: []string{"PUT /v3/marketing/contacts/imports"}}
	v := newTestEnv(t, cfg)
	v.eng.Transfer = TransferCSV
	ps := genProfiles(0, 50)
	req := v.request(segment.Spec{Name: "p", Source: v.file("p.csv", ps)})
	res, _ := v.apply(req)
	if res == nil {
		t.Fatal("no result")
	}
	if n := v.emu.Counters().Requests["PUT /v3/marketing/contacts/imports"]; n != 1 {
		t.Fatalf("%d import starts, want 1", n)
	}
	req.Previous = res.Snapshot
	v.converge(req, 3)
	v.assertMembers(emailsOf(ps))
}

// Right after a run SendGrid's list count may not show it yet: with the count lagging, a plan
// right after the run sees no drift and reads nothing; once the settle window has passed, a
// lower count is drift again.
func TestListCountLagIsNotDrift(t *testing.T) {
	cfg := emulatorConfig()
	cfg.ConsistencyLag = 10 * time.Minute
	v := newTestEnv(t, cfg)
	ps := genProfiles(0, 80)
	req := v.request(segment.Spec{Name: "p", Source: v.file("p.csv", ps)})
	req.SyncMode = SyncMirror
	res := v.mustApply(req)
	req.Previous = res.Snapshot
	req.PreviousRunFinished = res.Report.FinishedAt
	if n, _ := v.client.ListContactCount(context.Background(), v.listID); n != 0 {
		t.Fatalf("the list count does not lag: %d", n)
	}
	exports := func() int64 { return v.emu.Counters().Requests["POST /v3/marketing/contacts/exports"] }
	before := exports()
	p, err := v.eng.Plan(context.Background(), req)
	if err != nil || p.Drift || p.MembershipRead || p.HasChanges() || !p.Settling || exports() != before {
		t.Fatalf("plan right after the run: %v %+v, %d exports", err, p, exports()-before)
	}
	res2 := v.mustApply(req)
	if res2.Report.Status != StatusNoChanges || exports() != before {
		t.Fatalf("apply right after the run: %+v, %d exports", res2.Report, exports()-before)
	}
	// After the window, a count still lower than the snapshot's is taken for drift.
	v.eng.Now = func() time.Time { return time.Now().Add(DefaultSettleWindow + time.Minute) }
	if p, err := v.eng.Plan(context.Background(), req); err != nil || !p.Drift {
		t.Fatalf("plan after the window: %v %+v", err, p)
	}
}

// A 5xx answer to POST /v3/marketing/contacts/exports is as ambiguous as a dropped connection
// (SendGrid may have started the job): the engine looks the job up, then starts again, instead
// of failing the run.
func TestExportStartAfterServerError(t *testing.T) {
	cfg := emulatorConfig()
	cfg.Faults = emulator.Faults{Ratio5xx: 1, Max5xx: 2, Only: []string{"POST /v3/marketing/contacts/exports"}}
	v := newTestEnv(t, cfg)
	ps := genProfiles(0, 30)
	req := v.request(segment.Spec{Name: "p", Source: v.file("p.csv", ps)})
	req.SyncMode = SyncMirror
	for _, p := range ps[:10] {
		v.emu.SeedContact(v.key, p.Email, nil, v.listID)
	}
	res := v.mustApply(req)
	if res.Report.Status != StatusSucceeded {
		t.Fatalf("report %+v", res.Report)
	}
	c := v.emu.Counters()
	if c.Requests["GET /v3/marketing/contacts/exports"] < 1 {
		t.Errorf("the export jobs were not looked up after the server error: %v", c.Requests)
	}
	v.assertMembers(emailsOf(ps))
}

// shiftClock is a clock that runs with time and can be moved ahead, shared by the emulator and
// the engine to stand for minutes passing.
type shiftClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *shiftClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *shiftClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// newLaggingEnv is an emulator whose counts, searches and exports lag jobs by ten minutes, and
// an engine on the same clock whose waits move the clock instead of sleeping.
func newLaggingEnv(t *testing.T) (*testEnv, *shiftClock) {
	clock := &shiftClock{}
	cfg := emulatorConfig()
	cfg.ConsistencyLag = 10 * time.Minute
	cfg.Clock = clock.Now
	v := newTestEnv(t, cfg)
	v.eng.Now = clock.Now
	v.eng.Sleep = func(_ context.Context, d time.Duration) error { clock.Advance(d); return nil }
	return v, clock
}

// Right after a run SendGrid may still count the list as empty and leave the run's contacts out
// of contacts exports: RemoveAll (on_destroy = "remove_from_list") must neither take the count
// of 0 for an empty list nor take the contacts missing from the export for removed; it reads the
// list again once the settle window has passed, and removes them all.
func TestRemoveAllWhileSendGridLags(t *testing.T) {
	v, _ := newLaggingEnv(t)
	ps := genProfiles(0, 40)
	req := v.request(segment.Spec{Name: "p", Source: v.file("p.csv", ps)})
	res := v.mustApply(req)
	if n, _ := v.client.ListContactCount(context.Background(), v.listID); n != 0 {
		t.Fatalf("the list count does not lag: %d", n)
	}
	rep, err := v.eng.RemoveAll(context.Background(), Request{ListID: v.listID, APIKey: v.key, Previous: res.Snapshot,
		PreviousRunFinished: res.Report.FinishedAt})
	if err != nil || rep.Removed != 40 {
		t.Fatalf("RemoveAll right after the run: %v %+v", err, rep)
	}
	v.emu.FlushJobs()
	v.assertMembers(nil)
}

// A contact that leaves the segments right after the run that added it is not found yet (SendGrid
// shows new contacts in searches and exports minutes later). The run must not take it for gone:
// it stays recorded (Report.Deferred), the next plan still counts it, and a run after the settle
// window removes it.
func TestLeaverNotFoundWhileSettlingIsDeferred(t *testing.T) {
	v, clock := newLaggingEnv(t)
	ps := genProfiles(0, 40)
	req := v.request(segment.Spec{Name: "p", Source: v.file("p.csv", ps)})
	req.SyncMode = SyncMirror
	req.RemovalGuard.AllowMassRemoval = true // removes more than the guard's share on purpose
	res := v.mustApply(req)
	// Ten profiles are deleted from the source (found through a contacts export) and five are
	// filtered out (found by email search).
	req.Segments = []segment.Spec{{Name: "p", Source: v.file("p2.csv", ps[10:]), Filter: `email != "` + ps[10].Email + `" && email != "` + ps[11].Email + `" && email != "` + ps[12].Email + `" && email != "` + ps[13].Email + `" && email != "` + ps[14].Email + `"`}}
	req.Previous, req.PreviousRunFinished = res.Snapshot, res.Report.FinishedAt
	clock.Advance(time.Minute)
	res2 := v.mustApply(req)
	if res2.Report.Deferred != 15 || res2.Report.Removed != 0 {
		t.Fatalf("run right after: %+v", res2.Report)
	}
	req.Previous, req.PreviousRunFinished = res2.Snapshot, res2.Report.FinishedAt
	if p, err := v.eng.Plan(context.Background(), req); err != nil || p.ToRemove != 15 || !p.RecentRun {
		t.Fatalf("plan after the deferred removals: %v %+v (RecentRun %v, want true)", err, p, p != nil && p.RecentRun)
	}
	clock.Advance(DefaultSettleWindow)
	if p, err := v.eng.Plan(context.Background(), req); err != nil || p.RecentRun {
		t.Fatalf("plan after the window: %v, RecentRun %v, want false", err, p != nil && p.RecentRun)
	}
	res3 := v.mustApply(req)
	if res3.Report.Removed != 15 || res3.Report.Deferred != 0 {
		t.Fatalf("run after the window: %+v", res3.Report)
	}
	v.emu.FlushJobs()
	v.assertMembers(emailsOf(ps[15:]))
}
