package synth

import (
	"bytes"
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/profile"
)

func mustNew(t testing.TB, o Options) *Generator {
	t.Helper()
	g, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestDeterministic(t *testing.T) {
	var a, b, c bytes.Buffer
	if err := mustNew(t, Options{Count: 500, Seed: 3, InvalidFraction: 0.1, DuplicateFraction: 0.1}).WriteCSV(&a); err != nil {
		t.Fatal(err)
	}
	if err := mustNew(t, Options{Count: 500, Seed: 3, InvalidFraction: 0.1, DuplicateFraction: 0.1}).WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	if err := mustNew(t, Options{Count: 500, Seed: 4, InvalidFraction: 0.1, DuplicateFraction: 0.1}).WriteCSV(&c); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("the same options give different data")
	}
	if bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Error("different seeds give the same data")
	}
	// Random access agrees with sequential generation.
	g := mustNew(t, Options{Count: 500, Seed: 3, InvalidFraction: 0.1, DuplicateFraction: 0.1})
	_ = g.Each(func(i int, p *Profile) error {
		if q := g.Profile(i); !reflect.DeepEqual(*p, q) {
			t.Fatalf("row %d: Each %+v, Profile %+v", i, *p, q)
		}
		return nil
	})
}

func TestExactCounts(t *testing.T) {
	for _, o := range []Options{
		{Count: 10000, Seed: 1, InvalidFraction: 0.02, DuplicateFraction: 0.03},
		{Count: 999, Seed: 2, InvalidFraction: 0.5, DuplicateFraction: 0.25, EditPercent: 12.5},
		{Count: 7, Seed: 3, InvalidFraction: 1},
		{Count: 1, Seed: 4},
		{Count: 0},
	} {
		g := mustNew(t, o)
		st := g.Stats()
		invalid := map[InvalidKind]int{}
		var dups, edited int
		valid := map[string]bool{} // lower-cased emails of valid, unique rows
		lower := map[string]int{}
		_ = g.Each(func(i int, p *Profile) error {
			if p.Invalid != "" {
				invalid[p.Invalid]++
			}
			if p.DuplicateOf >= 0 {
				dups++
				src := g.Profile(p.DuplicateOf)
				if src.Invalid != "" || src.DuplicateOf >= 0 || !strings.EqualFold(src.Email, p.Email) {
					t.Errorf("row %d duplicates row %d, which is not a valid unique row with its email", i, p.DuplicateOf)
				}
			}
			if p.Edited {
				edited++
			}
			if p.Invalid == "" && p.DuplicateOf < 0 {
				valid[strings.ToLower(p.Email)] = true
			}
			lower[strings.ToLower(p.Email)]++
			return nil
		})
		total := 0
		for _, n := range invalid {
			total += n
		}
		if total != st.Invalid || dups != st.Duplicates || edited != st.Edited || !reflect.DeepEqual(invalid, st.InvalidByKind) && total > 0 {
			t.Errorf("%+v: generated %d invalid %v, %d duplicates, %d edited; Stats says %+v", o, total, invalid, dups, edited, st)
		}
		if len(valid) != st.ValidUnique {
			t.Errorf("%+v: %d distinct valid emails, Stats.ValidUnique %d", o, len(valid), st.ValidUnique)
		}
		if want := int(float64(o.Count)*o.InvalidFraction + 0.5); st.Invalid != want {
			t.Errorf("%+v: %d invalid rows, want %d", o, st.Invalid, want)
		}
		for e, n := range lower {
			if n > 1 && e != "" && !valid[e] {
				t.Errorf("%+v: an email appears %d times but is not a valid row's", o, n)
			}
		}
	}
}

func TestInvalidRowsBreakTheRules(t *testing.T) {
	g := mustNew(t, Options{Count: 700, Seed: 9, InvalidFraction: 0.2})
	seen := map[InvalidKind]bool{}
	_ = g.Each(func(i int, p *Profile) error {
		at := strings.Count(p.Email, "@")
		ok := true
		switch p.Invalid {
		case "":
			ok = at == 1 && !strings.Contains(p.Email, " ") && len(p.Email) <= 254 &&
				utf8.RuneCountInString(p.FirstName) <= 50 && utf8.RuneCountInString(p.LastName) <= 50 && utf8.RuneCountInString(p.City) <= 60
		case EmailMissingAt:
			ok = at == 0 && p.Email != ""
		case EmailEmpty:
			ok = p.Email == ""
		case EmailWithSpace:
			ok = strings.Contains(p.Email, " ") && at == 1
		case EmailTooLong:
			ok = len(p.Email) > 254 && at == 1
		case FirstNameTooLong:
			ok = utf8.RuneCountInString(p.FirstName) > 50
		case LastNameTooLong:
			ok = utf8.RuneCountInString(p.LastName) > 50
		case CityTooLong:
			ok = utf8.RuneCountInString(p.City) > 60
		}
		if !ok {
			t.Errorf("row %d (%q) does not match its kind: %+v", i, p.Invalid, p)
		}
		seen[p.Invalid] = true
		if p.Email != "" && p.Invalid != EmailMissingAt {
			d := p.Email[strings.LastIndexByte(p.Email, '@')+1:]
			if d != "example.com" && d != "example.org" && d != "example.net" {
				t.Errorf("row %d: domain %q is not an example domain", i, d)
			}
		}
		return nil
	})
	for _, k := range InvalidKinds {
		if !seen[k] {
			t.Errorf("no row of kind %s", k)
		}
	}
}

func TestEdit(t *testing.T) {
	base := mustNew(t, Options{Count: 2000, Seed: 5})
	ed := mustNew(t, Options{Count: 2000, Seed: 5, EditPercent: 5, EditSeed: 2})
	ed2 := mustNew(t, Options{Count: 2000, Seed: 5, EditPercent: 5, EditSeed: 3})
	changed, differentRows := 0, 0
	for i := 0; i < 2000; i++ {
		a, b, c := base.Profile(i), ed.Profile(i), ed2.Profile(i)
		if a.Email != b.Email {
			t.Fatalf("row %d: the edit changed the email", i)
		}
		b.Edited = false
		if a != b {
			changed++
		}
		if b.Edited != c.Edited {
			differentRows++
		}
	}
	if changed != 100 {
		t.Errorf("5%% of 2000 rows: %d changed, want exactly 100", changed)
	}
	if ed.Stats().Edited != 100 {
		t.Errorf("Stats.Edited = %d", ed.Stats().Edited)
	}
	if differentRows == 0 {
		t.Error("different edit seeds change the same rows")
	}
}

func TestOptionErrors(t *testing.T) {
	for _, o := range []Options{
		{Count: -1},
		{Count: 10, InvalidFraction: 1.5},
		{Count: 10, DuplicateFraction: -0.1},
		{Count: 10, EditPercent: 101},
		{Count: 10, InvalidFraction: 0.5, DuplicateFraction: 0.5},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
}

func TestPermutationIsABijection(t *testing.T) {
	for _, n := range []uint64{1, 2, 3, 5, 16, 17, 1000, 4097} {
		p := newPermutation(n, n*7+1)
		seen := make([]bool, n)
		for i := uint64(0); i < n; i++ {
			j := p.forward(i)
			if j >= n || seen[j] {
				t.Fatalf("n=%d: %d maps to %d twice or out of range", n, i, j)
			}
			seen[j] = true
			if p.inverse(j) != i {
				t.Fatalf("n=%d: inverse(forward(%d)) = %d", n, i, p.inverse(j))
			}
		}
	}
}

// Every format reads back, through the profile sources, as the same values.
func TestFormatsReadBack(t *testing.T) {
	g := mustNew(t, Options{Count: 300, Seed: 8, InvalidFraction: 0.1, DuplicateFraction: 0.05})
	dir := t.TempDir()
	for _, f := range []Format{CSV, JSONL, SQLite} {
		p := filepath.Join(dir, "p."+string(f))
		if f == SQLite {
			p = filepath.Join(dir, "p.db")
		}
		if err := g.WriteFile(context.Background(), p, f); err != nil {
			t.Fatal(err)
		}
		src, err := profile.Open(context.Background(), p, "")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(src.Columns(), Columns) {
			t.Errorf("%s: columns %v, want %v", f, src.Columns(), Columns)
		}
		n := 0
		err = src.Scan(context.Background(), func(r *profile.Row) error {
			p := g.Profile(n)
			want := p.Values(nil)
			if !reflect.DeepEqual(r.Values, want) {
				t.Fatalf("%s row %d: %#v, want %#v", f, n, r.Values, want)
			}
			n++
			return nil
		})
		_ = src.Close()
		if err != nil || n != 300 {
			t.Errorf("%s: read %d rows, %v", f, n, err)
		}
	}
}

func TestFormatOf(t *testing.T) {
	for name, want := range map[string]Format{"a.csv": CSV, "a.JSONL": JSONL, "a.ndjson": JSONL, "a.db": SQLite, "a.sqlite3": SQLite, "a.txt": ""} {
		if got, _ := FormatOf(name); got != want {
			t.Errorf("FormatOf(%q) = %q, want %q", name, got, want)
		}
	}
}

func BenchmarkGenerateCSV(b *testing.B) {
	g := mustNew(b, Options{Count: 100000, Seed: 1, InvalidFraction: 0.01})
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := g.WriteCSV(&buf); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf.Len()))
	}
	b.ReportMetric(float64(g.Len())*float64(b.N)/b.Elapsed().Seconds(), "profiles/s")
}
