package drill

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/synth"
)

// The drill's data set: 3,000 synthetic profiles (1 % invalid, 1 % repeated emails), exported
// with the filter marketing_opt_in == true in mirror mode. The change every fault case applies
// edits 5 % of the rows: some edited profiles change values (updates), some opt in (adds) and
// some opt out (removals).
var (
	baseData   = synth.Options{Count: 3000, Seed: 2024, InvalidFraction: 0.01, DuplicateFraction: 0.01}
	editedData = synth.Options{Count: 3000, Seed: 2024, InvalidFraction: 0.01, DuplicateFraction: 0.01, EditPercent: 5, EditSeed: 1}
)

func writeSynth(t *testing.T, path string, opts synth.Options, f synth.Format) {
	t.Helper()
	g, err := synth.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.WriteFile(context.Background(), path, f); err != nil {
		t.Fatal(err)
	}
}

func normEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// expectedMembers computes, independently of the engine, the emails an export of opts with the
// opt-in filter must leave on the list: every valid row that passes the filter, emails compared
// ignoring case.
func expectedMembers(t *testing.T, opts synth.Options) []string {
	t.Helper()
	g, err := synth.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	_ = g.Each(func(_ int, p *synth.Profile) error {
		if p.Invalid == "" && p.MarketingOptIn {
			set[normEmail(p.Email)] = true
		}
		return nil
	})
	return sortedKeys(set)
}

// untouchedMembers returns the emails on the list both before and after the change whose rows
// the change did not edit: the contacts a correct run must never send again.
func untouchedMembers(t *testing.T, before, after synth.Options) []string {
	t.Helper()
	g, err := synth.New(after)
	if err != nil {
		t.Fatal(err)
	}
	touched := map[string]bool{}
	_ = g.Each(func(_ int, p *synth.Profile) error {
		if p.Edited {
			touched[normEmail(p.Email)] = true
		}
		return nil
	})
	inAfter := map[string]bool{}
	for _, e := range expectedMembers(t, after) {
		inAfter[e] = true
	}
	var out []string
	for _, e := range expectedMembers(t, before) {
		if inAfter[e] && !touched[e] {
			out = append(out, e)
		}
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// diffCount returns how many of want are missing from got and how many of got are not wanted.
func diffCount(got, want []string) (missing, extra int) {
	g := map[string]bool{}
	for _, e := range got {
		g[e] = true
	}
	w := map[string]bool{}
	for _, e := range want {
		w[e] = true
		if !g[e] {
			missing++
		}
	}
	for _, e := range got {
		if !w[e] {
			extra++
		}
	}
	return missing, extra
}
