package drill

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/synth"
)

var applyArgs = []string{"apply", "-auto-approve", "-input=false", "-no-color"}

// TestEmptySourceDoesNotEmptyTheList: the mirror export's CSV is replaced by a header-only file
// (a failed upstream job) and an unattended apply runs: it fails at plan time, the list keeps
// every contact, and nothing is sent.
func TestEmptySourceDoesNotEmptyTheList(t *testing.T) {
	cli := requireCLI(t)
	t.Parallel()
	release := caseSlot()
	defer release()

	emu, listID := newExportEmulator(t, emulator.Config{})
	data := synth.Options{Count: 300, Seed: 43}
	ws := cli.newWorkspace(t, exportConfig, map[string]any{"list_id": listID, "profiles_file": "customers.csv"}, emu.providerEnv()...)
	writeSynth(t, ws.path("customers.csv"), data, synth.CSV)
	want := expectedMembers(t, data)
	ws.mustRun(nil, applyArgs...)

	raw, err := os.ReadFile(ws.path("customers.csv"))
	if err != nil {
		t.Fatal(err)
	}
	header, _, _ := strings.Cut(string(raw), "\n")
	ws.write("customers.csv", []byte(header+"\n"))
	before := emu.Counters()
	r := ws.run(applyArgs...)
	if r.Code != 1 || !strings.Contains(normalizeSpace(r.Out()), "The segments select no profile: the export would empty the list") {
		t.Fatalf("%s: exit %d, want the empty-selection error\n%s", r, r.Code, tail(r.Out(), 40))
	}
	emu.FlushJobs()
	if miss, extra := diffCount(emu.ListMembers(emu.Key, listID), want); miss+extra > 0 {
		t.Errorf("after the refused apply the list misses %d and has %d extra contacts (of %d)", miss, extra, len(want))
	}
	if d := countersDelta(before, emu.Counters()); contactsReceived(d) != 0 || d.Requests["DELETE /v3/marketing/lists/{id}/contacts"] != 0 {
		t.Errorf("the refused apply sent %d contacts and %d removals", contactsReceived(d), d.Requests["DELETE /v3/marketing/lists/{id}/contacts"])
	}
}

// TestCorruptedPrivateStateIsSaidAloud: the export's record in private state is damaged (edited
// state). The plan warns, saying why and what the run does instead; the apply re-sends every
// contact and leaves the list equal to the segments; the next plan is empty.
func TestCorruptedPrivateStateIsSaidAloud(t *testing.T) {
	cli := requireCLI(t)
	t.Parallel()
	release := caseSlot()
	defer release()

	emu, listID := newExportEmulator(t, emulator.Config{})
	data := synth.Options{Count: 300, Seed: 47}
	ws := cli.newWorkspace(t, exportConfig, map[string]any{"list_id": listID, "profiles_file": "customers.csv"}, emu.providerEnv()...)
	writeSynth(t, ws.path("customers.csv"), data, synth.CSV)
	want := expectedMembers(t, data)
	ws.mustRun(nil, applyArgs...)

	damagePrivateSnapshot(t, ws)
	// Without a usable record the run reads the list; SendGrid shows the last run's contacts in
	// counts and exports only after its lag (2 s here), and a plan and apply on either side of it
	// would see different lists.
	time.Sleep(3 * time.Second)
	p := ws.plan()
	flat := normalizeSpace(p.Out())
	if p.Code != 2 || !strings.Contains(flat, "The export's record of its contacts cannot be used") || !strings.Contains(flat, "not readable") {
		t.Fatalf("%s: exit %d, want changes and the unusable-record warning\n%s", p, p.Code, tail(p.Out(), 40))
	}
	ws.mustRun(nil, applyArgs...)
	emu.FlushJobs()
	if miss, extra := diffCount(emu.ListMembers(emu.Key, listID), want); miss+extra > 0 {
		t.Errorf("after the apply the list misses %d and has %d extra contacts (of %d)", miss, extra, len(want))
	}
	if p := ws.plan(); p.Code != 0 {
		t.Errorf("%s after the apply: exit %d, want no changes\n%s", p, p.Code, tail(p.Out(), 40))
	}
}

// damagePrivateSnapshot replaces the export's snapshot in private state with text that is not
// base64, through state pull and push.
func damagePrivateSnapshot(t *testing.T, ws *workspace) {
	t.Helper()
	pulled := ws.mustRun(nil, "state", "pull")
	var st map[string]any
	if err := json.Unmarshal([]byte(pulled.Stdout), &st); err != nil {
		t.Fatalf("state pull: %v", err)
	}
	done := false
	resources, _ := st["resources"].([]any)
	for _, r := range resources {
		res, _ := r.(map[string]any)
		if res["type"] != "sendgridaudience_export" {
			continue
		}
		for _, in := range res["instances"].([]any) {
			inst := in.(map[string]any)
			raw, err := base64.StdEncoding.DecodeString(inst["private"].(string))
			if err != nil {
				t.Fatal(err)
			}
			var priv map[string][]byte
			if err := json.Unmarshal(raw, &priv); err != nil || len(priv["snapshot"]) == 0 {
				t.Fatalf("the export's private state holds no snapshot (%v)", err)
			}
			priv["snapshot"] = []byte(`"%%% not base64"`)
			b, _ := json.Marshal(priv)
			inst["private"] = base64.StdEncoding.EncodeToString(b)
			done = true
		}
	}
	if !done {
		t.Fatal("no export in state")
	}
	st["serial"] = st["serial"].(float64) + 1
	b, _ := json.Marshal(st)
	ws.write("damaged.tfstate", b)
	ws.mustRun(nil, "state", "push", "damaged.tfstate")
}

// TestKeyRotationWithRecordKey: the API key is rotated between two scheduled applies. With
// record_key set the apply after the rotation sends no contact and does not read the list back.
func TestKeyRotationWithRecordKey(t *testing.T) {
	cli := requireCLI(t)
	t.Parallel()
	release := caseSlot()
	defer release()

	emu, listID := newExportEmulator(t, emulator.Config{})
	data := synth.Options{Count: 300, Seed: 53}
	recordKey := "SENDGRIDAUDIENCE_RECORD_KEY=" + newKey("record")
	ws := cli.newWorkspace(t, exportConfig, map[string]any{"list_id": listID, "profiles_file": "customers.csv"}, emu.providerEnv(recordKey)...)
	writeSynth(t, ws.path("customers.csv"), data, synth.CSV)
	want := expectedMembers(t, data)
	ws.mustRun(nil, applyArgs...)

	rotated := newKey("rotated")
	emu.AddKey(rotated, emulator.Key{UserID: 42, Username: "drill-marketing", Scopes: emulator.DefaultScopes()})
	for i, kv := range ws.env {
		if strings.HasPrefix(kv, "SENDGRID_API_KEY=") {
			ws.env[i] = "SENDGRID_API_KEY=" + rotated
		}
	}
	ws.secrets = append(ws.secrets, rotated, strings.TrimPrefix(recordKey, "SENDGRIDAUDIENCE_RECORD_KEY="))
	before := emu.Counters()
	ws.mustRun(nil, applyArgs...)
	d := countersDelta(before, emu.Counters())
	if sent, reads := contactsReceived(d), d.Requests["POST /v3/marketing/contacts/exports"]; sent != 0 || reads != 0 {
		t.Errorf("the apply after the rotation sent %d contacts and read the list %d times, want none", sent, reads)
	}
	if miss, extra := diffCount(emu.ListMembers(emu.Key, listID), want); miss+extra > 0 {
		t.Errorf("after the rotation the list misses %d and has %d extra contacts (of %d)", miss, extra, len(want))
	}
	if p := ws.plan(); p.Code != 0 {
		t.Errorf("%s after the rotation: exit %d, want no changes\n%s", p, p.Code, tail(p.Out(), 40))
	}
}
