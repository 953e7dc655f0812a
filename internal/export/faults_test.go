package export

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/segment"
)

// converge runs the export until it reports no changes (at most max runs) and returns the
// last snapshot.
func (v *testEnv) converge(req Request, maxRuns int) []byte {
	v.t.Helper()
	for i := 0; i < maxRuns; i++ {
		res, err := v.apply(req)
		if res == nil {
			// A run can fail before uploading (e.g. a contacts export that keeps failing under
			// injected faults); the next run starts from the same snapshot.
			v.t.Logf("run %d: %v", i, err)
			continue
		}
		req.Previous = res.Snapshot
		if err == nil && res.Report.Status == StatusNoChanges {
			return res.Snapshot
		}
	}
	v.t.Fatalf("no convergence after %d runs", maxRuns)
	return nil
}

// TestFaultsConverge runs exports through 429 storms, 5xx answers, dropped connections (after
// processing: the ambiguous case), failing jobs and rows errored inside jobs. Whatever each run
// confirms, later runs converge: the list equals the segments, and a run without changes sends
// nothing.
func TestFaultsConverge(t *testing.T) {
	type fcase struct {
		faults emulator.Faults
		// injected reports whether the fault really happened.
		injected func(emulator.Counters) bool
	}
	cases := map[string]fcase{
		"429 storms": {emulator.Faults{Storm429: emulator.RateStorm{Every: 15, Requests: 2, Reset: time.Second}},
			func(c emulator.Counters) bool { return c.RateLimited > 0 }},
		"5xx":        {emulator.Faults{Ratio5xx: 0.25}, func(c emulator.Counters) bool { return c.Faults5xx > 0 }},
		"drops":      {emulator.Faults{DropRatio: 0.2}, func(c emulator.Counters) bool { return c.Dropped > 0 }},
		"job fails":  {emulator.Faults{JobFailRatio: 0.4}, func(c emulator.Counters) bool { return c.JobsFailed > 0 }},
		"row errors": {emulator.Faults{JobErrorRatio: 0.05}, func(c emulator.Counters) bool { return c.JobsErrored > 0 }},
		"everything": {emulator.Faults{Ratio5xx: 0.1, DropRatio: 0.1, JobFailRatio: 0.2, JobErrorRatio: 0.02,
			Storm429: emulator.RateStorm{Every: 40, Requests: 1, Reset: time.Second}},
			func(c emulator.Counters) bool {
				return c.Faults5xx > 0 && c.Dropped > 0 && c.JobsFailed+c.JobsErrored > 0
			}},
	}
	for _, transfer := range []Transfer{TransferPUT, TransferCSV} {
		for name, fc := range cases {
			t.Run(string(transfer)+"/"+name, func(t *testing.T) {
				t.Parallel()
				cfg := emulatorConfig()
				cfg.Faults = fc.faults
				v := newTestEnv(t, cfg)
				v.eng.MaxBatchContacts = 150 // several jobs per run
				v.eng.MaxImportContacts = 400
				v.eng.Transfer = transfer
				ps := genProfiles(0, 900)
				path := v.file("p.csv", ps)
				req := v.request(segment.Spec{Name: "p", Source: path})
				req.SyncMode = SyncMirror
				req.RemovalGuard.AllowMassRemoval = true // removes more than the guard's share on purpose

				res, err := v.apply(req)
				if res != nil {
					if err != nil {
						var re *RunError
						if !errors.As(err, &re) && !errors.Is(err, context.Canceled) {
							t.Logf("first run: %v (status %s)", err, res.Report.Status)
						}
					}
					req.Previous = res.Snapshot
				}
				// Change the segment under faults too: drop 100 profiles, edit 50.
				for i := 0; i < 50; i++ {
					ps[i*3].City = "Elsewhere"
				}
				writeProfiles(t, path, ps[:800])
				snap := v.converge(req, 30)

				if !fc.injected(v.emu.Counters()) {
					t.Fatalf("the fault was never injected: %+v", v.emu.Counters())
				}
				v.emu.SetFaults(emulator.Faults{})
				v.assertMembers(emailsOf(ps[:800]))
				for _, i := range []int{0, 3, 147} {
					if c, _ := v.emu.Contact(v.key, ps[i].Email); c["city"] != "Elsewhere" {
						t.Fatalf("%d: city = %v", i, c["city"])
					}
				}
				req.Previous = snap
				sent := v.contactsSent()
				res, err = v.apply(req)
				if err != nil || res.Report.Status != StatusNoChanges || v.contactsSent() != sent {
					t.Fatalf("quiet rerun: %v, %d contacts sent", err, v.contactsSent()-sent)
				}
			})
		}
	}
}

// TestCancelMidUpload cancels the run after the first batch is sent: the result is partial,
// its snapshot holds only what SendGrid confirmed, and the next run completes the list.
func TestCancelMidUpload(t *testing.T) {
	cfg := emulatorConfig()
	cfg.JobDelay = 30 * time.Millisecond
	v := newTestEnv(t, cfg)
	v.eng.MaxBatchContacts = 100
	v.eng.Concurrency = 1
	v.eng.Transfer = TransferPUT
	ps := genProfiles(0, 1000)
	req := v.request(segment.Spec{Name: "p", Source: v.file("p.csv", ps)})
	req.SyncMode = SyncMirror
	req.RemovalGuard.AllowMassRemoval = true // removes more than the guard's share on purpose
	plan, err := v.eng.Plan(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	v.eng.Progress = func(p Progress) {
		if p.BatchesSent >= 3 {
			cancel()
		}
	}
	res, err := v.eng.Apply(ctx, req, Expected{Fingerprint: plan.Fingerprint})
	v.eng.Progress = nil
	if !errors.Is(err, context.Canceled) || res == nil {
		t.Fatalf("err = %v, result present: %v", err, res != nil)
	}
	if res.Report.Status == StatusSucceeded || res.Report.Requested >= 1000 {
		t.Fatalf("cancelled run report = %+v", res.Report)
	}
	v.emu.FlushJobs()
	onList := len(v.emu.ListMembers(v.key, v.listID))
	req.Previous = res.Snapshot
	next, err := v.eng.Plan(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	// Only confirmed contacts count as done; the rest (even if SendGrid applied them after the
	// interruption) are planned again: those sent without confirmation as updates, those never
	// sent as adds.
	if next.Unchanged > int64(onList) || next.ToAdd+next.ToUpdate+next.Unchanged != 1000 || next.ToAdd == 0 ||
		next.ToUpdate+next.Unchanged < int64(onList) {
		t.Fatalf("after cancel: on list %d, plan %+v", onList, next)
	}
	v.converge(req, 3)
	v.assertMembers(emailsOf(ps))
}

// TestStuckJobTimesOut: a job that never finishes is not confirmed; the run ends with the
// caller's deadline and a partial result, and nothing is lost.
func TestStuckJobTimesOut(t *testing.T) {
	cfg := emulatorConfig()
	cfg.Faults = emulator.Faults{JobStuck: true}
	v := newTestEnv(t, cfg)
	ps := genProfiles(0, 20)
	req := v.request(segment.Spec{Name: "p", Source: v.file("p.csv", ps)})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	res, err := v.eng.Apply(ctx, req, Expected{})
	if !errors.Is(err, context.DeadlineExceeded) || res == nil || res.Report.Status != StatusFailed || len(res.Report.JobIDs) != 1 {
		t.Fatalf("err = %v, result present: %v", err, res != nil)
	}
	v.emu.SetFaults(emulator.Faults{})
	req.Previous = res.Snapshot
	v.converge(req, 3)
	v.assertMembers(emailsOf(ps))
}
