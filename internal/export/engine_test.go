package export

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/export/snapshot"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/privacy"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/segment"
)

func TestPlanApplyAndNoChangeRerun(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	a := genProfiles(0, 300)
	b := genProfiles(250, 100) // 50 overlap with a
	// Later duplicates carry other values: the first occurrence must win.
	b[0].First = "Overwritten"
	a[10].Email = "not-an-email"
	a[11].First = strings.Repeat("x", 51)
	a[12].Score = "12abc"
	a[13].Email = "  User000013@Example.COM " // normalized to the lower-case address
	a[14].Email = a[15].Email                 // duplicate within a segment
	fa, fb := v.file("a.csv", a), v.file("b.csv", b)
	req := v.request(segment.Spec{Name: "a", Source: fa}, segment.Spec{Name: "b", Source: fb})

	plan, err := v.eng.Plan(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := emailsOf(validOnly(a), validOnly(b))
	if plan.Profiles != int64(len(want)) || plan.ToAdd != int64(len(want)) || plan.ToUpdate != 0 || plan.ToRemove != 0 {
		t.Fatalf("plan = %+v, want %d adds", plan, len(want))
	}
	if plan.Invalid.Total != 3 || plan.Duplicates != 51 {
		t.Fatalf("invalid = %d, duplicates = %d; want 3, 51", plan.Invalid.Total, plan.Duplicates)
	}
	if plan.Invalid.ByReason["email: invalid"] != 1 || plan.Invalid.ByReason["first_name: too_long"] != 1 ||
		plan.Invalid.ByReason[`custom_fields["score"]: not_a_number`] != 1 {
		t.Fatalf("by reason = %v", plan.Invalid.ByReason)
	}
	for _, r := range plan.Invalid.First {
		if !strings.HasPrefix(r.Pos, fa+" line ") {
			t.Errorf("invalid row position %q does not name the file and line", r.Pos)
		}
	}
	if sent := v.contactsSent(); sent != 0 {
		t.Fatalf("plan uploaded %d contacts", sent)
	}

	res, err := v.eng.Apply(context.Background(), req, Expected{Fingerprint: plan.Fingerprint})
	if err != nil {
		t.Fatal(err)
	}
	rep := res.Report
	if rep.Status != StatusSucceeded || rep.Requested != int64(len(want)) || rep.Created != int64(len(want)) || rep.SkippedInvalid != 3 {
		t.Fatalf("report = %+v", rep)
	}
	if len(rep.JobIDs) != 1 || rep.Method != "put" {
		t.Fatalf("jobs = %v, method %q", rep.JobIDs, rep.Method)
	}
	v.assertMembers(want)
	// The first occurrence wins; values arrive in their SendGrid form.
	c, ok := v.emu.Contact(v.key, "user000250@example.com")
	if !ok || c["first_name"] != "First250" {
		t.Fatalf("user000250: first_name = %v, want the first segment's value", c["first_name"])
	}
	c, _ = v.emu.Contact(v.key, "user000020@example.com")
	cf := c["custom_fields"].(map[string]any)
	if cf[v.fields["tier"]] != "bronze" || cf[v.fields["score"]] != 20.5 || cf[v.fields["signup"]] != "09/21/2024" {
		t.Fatalf("custom fields = %v", cf)
	}
	if c["last_name"] != "Last20" || c["country"] != "US" || c["city"] != "City 7" {
		t.Fatalf("reserved fields = %v", c)
	}

	// Second run: nothing changed, nothing is sent.
	before := v.contactsSent()
	plan2, err := v.eng.Plan(context.Background(), Request{Segments: req.Segments, Mapping: req.Mapping, ListID: req.ListID, APIKey: req.APIKey, Previous: res.Snapshot})
	if err != nil {
		t.Fatal(err)
	}
	if plan2.HasChanges() || plan2.Unchanged != int64(len(want)) || plan2.Fingerprint != plan.Fingerprint {
		t.Fatalf("second plan = %+v", plan2)
	}
	req.Previous = res.Snapshot
	res2, err := v.eng.Apply(context.Background(), req, Expected{Fingerprint: plan2.Fingerprint})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Report.Status != StatusNoChanges || v.contactsSent() != before || len(res2.Report.JobIDs) != 0 {
		t.Fatalf("unchanged rerun: status %s, sent %d contacts", res2.Report.Status, v.contactsSent()-before)
	}
	if !bytes.Equal(res2.Snapshot, res.Snapshot) {
		t.Fatal("unchanged rerun changed the snapshot")
	}
}

func validOnly(ps []prof) []prof {
	var out []prof
	for _, p := range ps {
		if len(p.First) > 50 || strings.ContainsAny(p.Score, "abc") {
			continue
		}
		out = append(out, p)
	}
	return out
}

func TestSnapshotHoldsNoPersonalData(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	ps := genProfiles(0, 2000)
	res := v.mustApply(v.request(segment.Spec{Name: "s", Source: v.file("s.csv", ps)}))
	snap := res.Snapshot
	if per := float64(len(snap)) / 2000; per > 16 {
		t.Fatalf("snapshot takes %.1f bytes per profile", per)
	}
	for _, p := range ps[:200] {
		for _, needle := range []string{p.Email, strings.Split(p.Email, "@")[0], p.First} {
			if bytes.Contains(snap, []byte(needle)) {
				t.Fatalf("snapshot contains a profile value")
			}
		}
	}
	if bytes.Contains(snap, []byte(v.key)) || bytes.Contains(snap, privacy.DeriveKey(v.key, privacy.PurposeSnapshot)) {
		t.Fatal("snapshot contains the key")
	}
	s, err := snapshot.Unmarshal(snap, privacy.DeriveKey(v.key, privacy.PurposeSnapshot))
	if err != nil || s.Len() != 2000 || s.ListID != v.listID {
		t.Fatalf("snapshot: %v, %d entries", err, s.Len())
	}
	if _, err := snapshot.Unmarshal(snap, privacy.DeriveKey("SG.other", privacy.PurposeSnapshot)); !errors.Is(err, snapshot.ErrKeyMismatch) {
		t.Fatalf("other key: %v", err)
	}
}
