package export

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/segment"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/synth"
)

// synthMapping maps the synth package's columns.
func synthMapping() Mapping {
	return Mapping{Email: "email", FirstName: "first_name", LastName: "last_name", Country: "country",
		StateProvinceRegion: "state_province_region", City: "city", PostalCode: "postal_code",
		Custom: map[string]string{"plan": "plan", "lifetime_value": "lifetime_value", "signup_date": "signup_date"}}
}

func (v *testEnv) seedSynthFields() {
	v.emu.SeedField(v.key, "plan", "Text")
	v.emu.SeedField(v.key, "lifetime_value", "Number")
	v.emu.SeedField(v.key, "signup_date", "Date")
}

func writeSynth(t testing.TB, path string, opts synth.Options) *synth.Generator {
	t.Helper()
	g, err := synth.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.WriteFile(context.Background(), path, synth.CSV); err != nil {
		t.Fatal(err)
	}
	return g
}

// oracle computes, independently of the engine, the winners of a synthetic data set: for each
// exported email, the index of the row that wins (first valid occurrence).
func oracle(g *synth.Generator) map[string]int {
	win := map[string]int{}
	_ = g.Each(func(i int, p *synth.Profile) error {
		if p.Invalid != "" {
			return nil
		}
		e := strings.ToLower(p.Email)
		if _, ok := win[e]; !ok {
			win[e] = i
		}
		return nil
	})
	return win
}

// TestSynthDataSet checks the engine's counts against the generator's exact statistics and an
// independent model of the dedupe rule, through a full upload and a 1 % incremental run.
func TestSynthDataSet(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	v.seedSynthFields()
	v.eng.Transfer = TransferPUT
	v.eng.MaxBatchContacts = 5000
	base := synth.Options{Count: 20000, Seed: 11, InvalidFraction: 0.02, DuplicateFraction: 0.03}
	path := filepath.Join(v.dir, "synth.csv")
	g := writeSynth(t, path, base)
	st := g.Stats()
	req := Request{Segments: []segment.Spec{{Name: "synth", Source: path}}, Mapping: synthMapping(),
		ListID: v.listID, APIKey: v.key, SyncMode: SyncMirror}
	plan, err := v.eng.Plan(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	win := oracle(g)
	if plan.Invalid.Total != int64(st.Invalid) || plan.Duplicates != int64(st.Duplicates) ||
		plan.Profiles != int64(st.ValidUnique) || int64(len(win)) != plan.Profiles {
		t.Fatalf("plan: invalid %d (want %d), duplicates %d (want %d), profiles %d (want %d, oracle %d)",
			plan.Invalid.Total, st.Invalid, plan.Duplicates, st.Duplicates, plan.Profiles, st.ValidUnique, len(win))
	}
	for kind, n := range st.InvalidByKind {
		key := map[synth.InvalidKind]string{
			synth.EmailMissingAt: "email: invalid", synth.EmailWithSpace: "email: invalid", synth.EmailEmpty: "email: missing",
			synth.EmailTooLong: "email: too_long", synth.FirstNameTooLong: "first_name: too_long",
			synth.LastNameTooLong: "last_name: too_long", synth.CityTooLong: "city: too_long",
		}[kind]
		if plan.Invalid.ByReason[key] < int64(n) {
			t.Errorf("%s: %d reported, at least %d expected", key, plan.Invalid.ByReason[key], n)
		}
	}
	res, err := v.eng.Apply(context.Background(), req, Expected{Fingerprint: plan.Fingerprint})
	if err != nil {
		t.Fatal(err)
	}
	want := make([]string, 0, len(win))
	for e := range win {
		want = append(want, e)
	}
	sort.Strings(want)
	v.assertMembers(want)
	// Values come from the winning row.
	for e, i := range win {
		p := g.Profile(i)
		c, _ := v.emu.Contact(v.key, e)
		if c["first_name"] != p.FirstName || c["postal_code"] != p.PostalCode {
			t.Fatalf("%s: stored %v/%v, winning row %d has %q/%q", e, c["first_name"], c["postal_code"], i, p.FirstName, p.PostalCode)
		}
		break
	}

	// 1 % of rows edited: exactly the winners whose row changed are uploaded.
	edited := base
	edited.EditPercent = 1
	g2 := writeSynth(t, path, edited)
	changed := 0
	for _, i := range win {
		if g2.Profile(i).Edited {
			changed++
		}
	}
	req.Previous = res.Snapshot
	plan, err = v.eng.Plan(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if plan.ToUpdate != int64(changed) || plan.ToAdd != 0 || plan.ToRemove != 0 {
		t.Fatalf("incremental plan: %d updates (want %d), %d adds, %d removals", plan.ToUpdate, changed, plan.ToAdd, plan.ToRemove)
	}
	before := v.contactsSent()
	res, err = v.eng.Apply(context.Background(), req, Expected{Fingerprint: plan.Fingerprint})
	if err != nil || v.contactsSent()-before != int64(changed) || res.Report.Updated != int64(changed) {
		t.Fatalf("incremental apply: %v, sent %d, want %d", err, v.contactsSent()-before, changed)
	}
}
