package drill

import (
	"strings"
	"testing"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/synth"
)

// TestFirstRunResumesAfterUntaint fails part of an export's first run (SendGrid rejects a
// fifth of the rows). Terraform marks the new export tainted; the provider's warning says to
// untaint it. After `untaint`, the next apply must send only what SendGrid did not confirm:
// no contact already on the list is sent again, and the list ends equal to the segments.
func TestFirstRunResumesAfterUntaint(t *testing.T) {
	cli := requireCLI(t)
	t.Parallel()
	release := caseSlot()
	defer release()

	emu, listID := newExportEmulator(t, emulator.Config{})
	ws := cli.newWorkspace(t, exportConfig, map[string]any{"list_id": listID, "profiles_file": "customers.csv"}, emu.providerEnv()...)
	writeSynth(t, ws.path("customers.csv"), baseData, synth.CSV)
	want := expectedMembers(t, baseData)

	emu.SetFaults(emulator.Faults{JobErrorRatio: 0.2})
	args := []string{"apply", "-auto-approve", "-input=false", "-no-color"}
	r := ws.run(args...)
	emu.SetFaults(emulator.Faults{})
	if r.Code != 1 {
		t.Fatalf("%s: exit %d, want 1\n%s", r, r.Code, tail(r.Out(), 40))
	}
	if flat := normalizeSpace(r.Out()); !strings.Contains(flat, "Resume this first run with terraform untaint") {
		t.Errorf("%s: the output does not say to untaint\n%s", r, tail(r.Out(), 40))
	}
	if !ws.exportTainted() {
		t.Fatal("after the failed first run the export is not tainted in state")
	}
	st, _ := ws.showState()
	if s := str(lastRun(st), "status"); s != "partial" {
		t.Errorf("after the failed first run last_run.status = %q, want partial", s)
	}

	// The contacts SendGrid confirmed, and when each was last written.
	confirmed := emu.ListMembers(emu.Key, listID)
	if len(confirmed) == 0 || len(confirmed) >= len(want) {
		t.Fatalf("the failed first run put %d of %d contacts on the list; the drill needs a partial run", len(confirmed), len(want))
	}
	stamps := make(map[string]string, len(confirmed))
	var latest string
	for _, e := range confirmed {
		c, _ := emu.Contact(emu.Key, e)
		stamps[e], _ = c["updated_at"].(string)
		latest = max(latest, stamps[e])
	}
	ts, err := time.Parse(time.RFC3339, latest)
	if err != nil {
		t.Fatalf("the emulator's updated_at %q is not RFC 3339: %v", latest, err)
	}
	time.Sleep(time.Until(ts.Add(time.Second + 10*time.Millisecond))) // a re-send shows as a later updated_at

	ws.mustRun(nil, "untaint", "-no-color", exportAddr)
	before := emu.Counters()
	ws.mustRun(nil, args...)
	sent := contactsReceived(countersDelta(before, emu.Counters()))
	if p := ws.plan(); p.Code != 0 {
		t.Errorf("%s after resuming: exit %d, want an empty plan\n%s", p, p.Code, tail(p.Out(), 40))
	}
	if miss, extra := diffCount(emu.ListMembers(emu.Key, listID), want); miss+extra > 0 {
		t.Errorf("after resuming the list misses %d and has %d extra contacts (of %d)", miss, extra, len(want))
	}
	resent := 0
	for _, e := range confirmed {
		c, _ := emu.Contact(emu.Key, e)
		if u, _ := c["updated_at"].(string); u != stamps[e] {
			resent++
		}
	}
	if resent > 0 {
		t.Errorf("resuming sent %d of the %d contacts the first run had confirmed", resent, len(confirmed))
	}
	if wantSent := int64(len(want) - len(confirmed)); sent != wantSent {
		t.Errorf("resuming sent %d contacts, want the %d not confirmed", sent, wantSent)
	}
	st, _ = ws.showState()
	if s := str(lastRun(st), "status"); s != "succeeded" {
		t.Errorf("after resuming last_run.status = %q, want succeeded", s)
	}
	t.Logf("first run confirmed %d of %d contacts; after untaint the next apply sent %d", len(confirmed), len(want), sent)
}
