package drill

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/synth"
)

// faultCase is one fault injected while `apply` uploads the drill's change.
type faultCase struct {
	name string
	what string // what the fault does, for the report
	// faults are set on the emulator for the faulted apply only.
	faults emulator.Faults
	// signal, when set, is sent while the upload is in flight: SIGINT to the CLI's process
	// group (as Ctrl-C in a terminal does), SIGKILL to the CLI alone.
	signal syscall.Signal
	// updateTimeout is the export's timeouts.update (default 3m).
	updateTimeout string
	// wantExit is the exit code of the faulted apply; wantStatus its last_run.status in state.
	wantExit   int
	wantStatus []string
	// wantWords must appear in the faulted apply's output.
	wantWords []string
	// injected proves from the emulator's counters that the fault really happened.
	injected func(d emulator.Counters) bool
}

// faultOutcome is what one case measured.
type faultOutcome struct {
	Name, What       string
	Runs             int  // applies until the plan is empty, the faulted one included
	Converged        bool // the plan is empty, the list's members equal the segments, state says succeeded
	Requests         int64
	Contacts         int64
	Resent           int // contacts whose profile did not change that were sent again
	StatusAfterFault string
	StatusAfter      string
	Exit             int
	Duration         time.Duration
	Note             string
}

// putContacts is the upload endpoint, as the emulator's counters and fault filter name it.
const putContacts = "PUT /v3/marketing/contacts"

func faultCases() []faultCase {
	succeeded := []string{"succeeded"}
	return []faultCase{
		{name: "none (baseline)", what: "no fault: the reference for extra requests and contacts",
			wantStatus: succeeded, injected: func(emulator.Counters) bool { return true }},
		{name: "429 storm", what: "every 6th request starts a storm of 2 answers 429 with X-RateLimit-Reset 1 s ahead",
			faults:     emulator.Faults{Storm429: emulator.RateStorm{Every: 6, Requests: 2, Reset: time.Second}},
			wantStatus: succeeded, injected: func(d emulator.Counters) bool { return d.RateLimited > 0 }},
		{name: "429 window on upload", what: "the first upload starts a 3 s window in which every upload is answered 429, reset at its end",
			faults: emulator.Faults{Storm429: emulator.RateStorm{Every: 1, For: 3 * time.Second, Reset: 3 * time.Second, Max: 1},
				Only: []string{putContacts}},
			wantStatus: succeeded, injected: func(d emulator.Counters) bool { return d.RateLimited > 0 }},
		{name: "5xx burst on upload", what: "the first 3 uploads are answered 500/503 before processing",
			faults:     emulator.Faults{Ratio5xx: 1, Max5xx: 3, Only: []string{putContacts}},
			wantStatus: succeeded, injected: func(d emulator.Counters) bool { return d.Faults5xx == 3 }},
		{name: "5xx scattered", what: "a quarter of all requests answered 500/503 (at most 8)",
			faults:     emulator.Faults{Ratio5xx: 0.25, Max5xx: 8},
			wantStatus: succeeded, injected: func(d emulator.Counters) bool { return d.Faults5xx > 0 }},
		{name: "dropped after processing", what: "the upload is processed, then its connection is closed without an answer (the ambiguous case)",
			faults:     emulator.Faults{DropRatio: 1, MaxDrops: 1, Only: []string{putContacts}},
			wantStatus: succeeded, injected: func(d emulator.Counters) bool { return d.Dropped == 1 }},
		{name: "dropped before processing", what: "30 % of requests (at most 4) have their connection closed before processing",
			faults:     emulator.Faults{DropRatio: 0.3, DropBeforeProcessing: true, MaxDrops: 4},
			wantStatus: succeeded, injected: func(d emulator.Counters) bool { return d.Dropped > 0 }},
		{name: "job pending past timeout", what: "upload jobs stay pending forever; the export's timeouts.update is 10 s",
			faults: emulator.Faults{JobStuck: true}, updateTimeout: "10s",
			wantExit: 1, wantStatus: []string{"failed", "partial"}, wantWords: []string{"Export timed out", "run terraform apply again"},
			injected: func(d emulator.Counters) bool { return d.UpsertRequests > 0 }},
		{name: "jobs fail", what: "every SendGrid job fails as a whole",
			faults: emulator.Faults{JobFailRatio: 1},
			// Removals SendGrid accepts are not followed (their jobs have no documented status):
			// they count as done, so a run with removals ends partial rather than failed.
			wantExit: 1, wantStatus: []string{"failed", "partial"}, wantWords: []string{"Export run", "run terraform apply again"},
			injected: func(d emulator.Counters) bool { return d.JobsFailed > 0 }},
		{name: "rows errored in jobs", what: "10 % of the rows in each job are rejected (job status errored)",
			faults:   emulator.Faults{JobErrorRatio: 0.1},
			wantExit: 1, wantStatus: []string{"partial"}, wantWords: []string{"Export run partial", "run terraform apply again"},
			injected: func(d emulator.Counters) bool { return d.JobsErrored > 0 }},
		{name: "SIGINT mid-upload", what: "Ctrl-C (SIGINT to the process group) once an upload was accepted; jobs take 4 s",
			faults: emulator.Faults{JobSlow: 4 * time.Second}, signal: syscall.SIGINT,
			wantExit: 1, wantStatus: []string{"failed", "partial"}, wantWords: []string{"Export interrupted"},
			injected: func(d emulator.Counters) bool { return d.UpsertRequests > 0 }},
		{name: "SIGKILL mid-upload", what: "kill -9 of the CLI once an upload was accepted; jobs take 4 s",
			faults: emulator.Faults{JobSlow: 4 * time.Second}, signal: syscall.SIGKILL,
			wantExit: 128 + int(syscall.SIGKILL), wantStatus: []string{"unchanged"},
			injected: func(d emulator.Counters) bool { return d.UpsertRequests > 0 }},
	}
}

// TestFaultsConverge applies the drill's change under each fault, then re-applies with the
// faults off until the plan is empty. Every case must converge: the list's members equal the
// segments exactly, no contact whose profile did not change is sent again, and state says what
// happened (last_run.status after the fault, "succeeded" after the re-apply). The figures are
// printed as a table (and written to SENDGRIDAUDIENCE_DRILL_REPORT).
func TestFaultsConverge(t *testing.T) {
	cli := requireCLI(t)
	t.Parallel()
	cases := faultCases()
	outcomes := make([]*faultOutcome, len(cases))
	var wg sync.WaitGroup
	for i, fc := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			release := caseSlot()
			defer release()
			t.Run(fc.name, func(t *testing.T) {
				outcomes[i] = runFaultCase(t, cli, fc)
			})
		}()
	}
	wg.Wait()

	table := faultTable(cli, outcomes)
	t.Log("\n" + table)
	if path := os.Getenv(envReport); path != "" {
		if err := appendReport(path, table); err != nil {
			t.Errorf("writing the report: %v", err)
		}
	}
}

func runFaultCase(t *testing.T, cli *cliEnv, fc faultCase) *faultOutcome {
	started := time.Now()
	out := &faultOutcome{Name: fc.name, What: fc.what}
	emu, listID := newExportEmulator(t, emulator.Config{})
	timeout := fc.updateTimeout
	if timeout == "" {
		timeout = "3m"
	}
	ws := cli.newWorkspace(t, exportConfig,
		map[string]any{"list_id": listID, "profiles_file": "customers.csv", "update_timeout": timeout}, emu.providerEnv()...)

	// The first run, without faults.
	writeSynth(t, ws.path("customers.csv"), baseData, synth.CSV)
	ws.mustRun(nil, "apply", "-auto-approve", "-input=false", "-no-color")
	before := expectedMembers(t, baseData)
	if miss, extra := diffCount(emu.ListMembers(emu.Key, listID), before); miss+extra > 0 {
		t.Fatalf("first run: the list misses %d and has %d extra contacts", miss, extra)
	}
	untouched := untouchedMembers(t, baseData, editedData)
	stamps := make(map[string]string, len(untouched))
	var latest string
	for _, e := range untouched {
		c, ok := emu.Contact(emu.Key, e)
		if !ok {
			t.Fatalf("first run: a contact is missing")
		}
		stamps[e], _ = c["updated_at"].(string)
		latest = max(latest, stamps[e])
	}
	initial, _ := ws.showState()
	initialStarted := str(lastRun(initial), "started_at")

	// The change, applied under the fault. Contacts re-sent later get a later updated_at:
	// start in the next second so that any re-send of an untouched contact shows.
	writeSynth(t, ws.path("customers.csv"), editedData, synth.CSV)
	ts, err := time.Parse(time.RFC3339, latest)
	if err != nil {
		t.Fatalf("the emulator's updated_at %q is not RFC 3339: %v", latest, err)
	}
	time.Sleep(time.Until(ts.Add(time.Second + 10*time.Millisecond)))
	c0 := emu.Counters()
	emu.SetFaults(fc.faults)
	args := []string{"apply", "-auto-approve", "-input=false", "-no-color"}
	var r result
	if fc.signal == 0 {
		r = ws.run(args...)
	} else {
		r, out.Note = interruptUpload(t, ws, emu, c0, fc.signal, args)
	}
	emu.SetFaults(emulator.Faults{})
	emu.FlushJobs() // jobs accepted before an interruption finish while nobody watches
	out.Exit = r.Code
	if d := countersDelta(c0, emu.Counters()); !fc.injected(d) {
		t.Errorf("the fault was not injected (counters: %d requests, %d 429, %d 5xx, %d dropped, %d jobs failed, %d errored)",
			totalRequests(d), d.RateLimited, d.Faults5xx, d.Dropped, d.JobsFailed, d.JobsErrored)
	}
	if r.Code != fc.wantExit {
		t.Errorf("%s: exit %d, want %d\n%s", r, r.Code, fc.wantExit, tail(r.Out(), 40))
	}
	flat := normalizeSpace(r.Out())
	for _, w := range fc.wantWords {
		if !strings.Contains(flat, w) {
			t.Errorf("%s: the output does not say %q\n%s", r, w, tail(r.Out(), 40))
		}
	}
	st, _ := ws.showState()
	out.StatusAfterFault = str(lastRun(st), "status")
	if fc.signal == syscall.SIGKILL {
		// Nothing can be recorded by a killed CLI: state must still show the previous run.
		if str(lastRun(st), "started_at") == initialStarted {
			out.StatusAfterFault = "unchanged"
		}
	}
	if !slices.Contains(fc.wantStatus, out.StatusAfterFault) {
		t.Errorf("after the fault state says last_run.status = %q, want one of %v", out.StatusAfterFault, fc.wantStatus)
	}

	// Plain re-applies without faults until the plan is empty.
	out.Runs = 1
	planEmpty := false
	for i := 0; i < 4; i++ {
		p := ws.plan()
		if p.Code == 0 {
			planEmpty = true
			break
		}
		if p.Code != 2 {
			t.Fatalf("%s after the fault:\n%s", p, tail(p.Out(), 40))
		}
		if strings.Contains(normalizeSpace(p.Out()), "The list changed outside Terraform") {
			out.Note = joinNote(out.Note, fmt.Sprintf("re-apply %d: the refresh reported the list as changed outside Terraform, so the run re-sent every contact", i+1))
		}
		ws.mustRun(nil, args...)
		out.Runs++
	}
	c1 := emu.Counters()
	d := countersDelta(c0, c1)
	out.Requests, out.Contacts = totalRequests(d), contactsReceived(d)
	if !planEmpty {
		t.Errorf("the plan still shows changes after %d re-applies", out.Runs-1)
	}

	after := expectedMembers(t, editedData)
	miss, extra := diffCount(emu.ListMembers(emu.Key, listID), after)
	if miss+extra > 0 {
		t.Errorf("after re-applying: the list misses %d and has %d extra contacts (of %d)", miss, extra, len(after))
	}
	for _, e := range untouched {
		c, _ := emu.Contact(emu.Key, e)
		if u, _ := c["updated_at"].(string); u != stamps[e] {
			out.Resent++
		}
	}
	if out.Resent > 0 {
		t.Errorf("%d of %d contacts whose profile did not change were sent again", out.Resent, len(untouched))
	}
	st, _ = ws.showState()
	out.StatusAfter = str(lastRun(st), "status")
	if out.StatusAfter != "succeeded" {
		t.Errorf("after re-applying state says last_run.status = %q, want succeeded", out.StatusAfter)
	}
	out.Converged = planEmpty && miss+extra == 0 && out.StatusAfter == "succeeded"
	if st != nil && st["in_sync"] != true {
		t.Errorf("after re-applying state says in_sync = %v", st["in_sync"])
	}
	out.Duration = time.Since(started)
	t.Logf("%s: exit %d, status %s -> %s, %d runs, %d requests, %d contacts", fc.name, out.Exit,
		out.StatusAfterFault, out.StatusAfter, out.Runs, out.Requests, out.Contacts)
	return out
}

// interruptUpload starts apply, waits until the emulator accepted an upload, then signals the
// CLI. It returns the CLI's result and a note on what the provider process did.
func interruptUpload(t *testing.T, ws *workspace, emu *drillEmulator, c0 emulator.Counters, sig syscall.Signal, args []string) (result, string) {
	t.Helper()
	s := ws.start(args...)
	cliPID := s.cmd.Process.Pid
	deadline := time.Now().Add(2 * time.Minute)
	var providers []int
	for {
		c := emu.Counters()
		if c.UpsertRequests+c.ImportUploads > c0.UpsertRequests+c0.ImportUploads {
			break
		}
		select {
		case <-s.done:
			t.Fatalf("%s exited before any upload:\n%s", ws.cli.Name, tail(s.stdout.String()+s.stderr.String(), 40))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no upload within 2 minutes")
		}
		time.Sleep(20 * time.Millisecond)
	}
	providers = children(cliPID)
	if sig == syscall.SIGINT {
		_ = syscall.Kill(-cliPID, syscall.SIGINT)
	} else {
		_ = syscall.Kill(cliPID, sig)
	}
	signalled := time.Now()
	r := ws.wait(s, args)
	note := fmt.Sprintf("%s exited %.1f s after the signal", ws.cli.Name, time.Since(signalled).Seconds())
	if sig == syscall.SIGKILL {
		// The provider is the CLI's child; see whether it stops on its own once the CLI is gone.
		reqAtKill := totalRequests(emu.Counters())
		gone := time.Time{}
		for time.Since(signalled) < 10*time.Second {
			running := 0
			for _, p := range providers {
				if alive(p) {
					running++
				}
			}
			if running == 0 {
				gone = time.Now()
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		after := totalRequests(emu.Counters()) - reqAtKill
		switch {
		case len(providers) == 0:
			note += "; no provider process was seen"
		case gone.IsZero():
			note += fmt.Sprintf("; the provider process was still running 10 s later (%d requests after the kill) and was stopped by the drill", after)
		default:
			note += fmt.Sprintf("; the provider process exited %.1f s after the kill (%d requests after it)", gone.Sub(signalled).Seconds(), after)
		}
	}
	return r, note
}

func countersDelta(a, b emulator.Counters) emulator.Counters {
	d := emulator.Counters{Requests: map[string]int64{}, Statuses: map[int]int64{}}
	for k, v := range b.Requests {
		if n := v - a.Requests[k]; n != 0 {
			d.Requests[k] = n
		}
	}
	for k, v := range b.Statuses {
		if n := v - a.Statuses[k]; n != 0 {
			d.Statuses[k] = n
		}
	}
	d.RateLimited = b.RateLimited - a.RateLimited
	d.Faults5xx = b.Faults5xx - a.Faults5xx
	d.Dropped = b.Dropped - a.Dropped
	d.UpsertRequests = b.UpsertRequests - a.UpsertRequests
	d.ContactsUpserted = b.ContactsUpserted - a.ContactsUpserted
	d.ImportUploads = b.ImportUploads - a.ImportUploads
	d.ContactsImported = b.ContactsImported - a.ContactsImported
	d.JobsCompleted = b.JobsCompleted - a.JobsCompleted
	d.JobsErrored = b.JobsErrored - a.JobsErrored
	d.JobsFailed = b.JobsFailed - a.JobsFailed
	return d
}

// faultTable renders the outcomes: extra requests and contacts are relative to the baseline.
func faultTable(cli *cliEnv, outs []*faultOutcome) string {
	var base *faultOutcome
	for _, o := range outs {
		if o != nil && o.Name == "none (baseline)" {
			base = o
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Reliability drill under %s: %d profiles, change = 5 %% of rows edited, mirror mode "+
		"(provider built in %.0f s, init %.1f s)\n\n", cli.Version, baseData.Count, cli.buildTime.Seconds(), cli.initTime.Seconds())
	b.WriteString("| fault | runs | converged | extra requests | extra contacts sent | unchanged contacts re-sent | last_run.status after fault → after re-apply | time |\n")
	b.WriteString("| --- | ---: | :---: | ---: | ---: | ---: | --- | ---: |\n")
	for _, o := range outs {
		if o == nil {
			continue
		}
		conv := "yes"
		if !o.Converged {
			conv = "**no**"
		}
		reqs, contacts := "—", "—"
		if base != nil {
			reqs = fmt.Sprintf("%+d", o.Requests-base.Requests)
			contacts = fmt.Sprintf("%+d", o.Contacts-base.Contacts)
			if o == base {
				reqs = fmt.Sprintf("0 (%d requests)", o.Requests)
				contacts = fmt.Sprintf("0 (%d contacts)", o.Contacts)
			}
		}
		resent := "0"
		if o.Resent > 0 {
			resent = fmt.Sprintf("**%d**", o.Resent)
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s → %s | %.0f s |\n", o.Name, o.Runs, conv, reqs, contacts, resent,
			o.StatusAfterFault, o.StatusAfter, o.Duration.Seconds())
	}
	b.WriteString("\n")
	for _, o := range outs {
		if o != nil && o.Note != "" {
			fmt.Fprintf(&b, "- %s: %s\n", o.Name, o.Note)
		}
	}
	return b.String()
}

// appendReport appends a section to the report file (both CLIs write to one file in turn).
func appendReport(path, text string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text + "\n"); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
