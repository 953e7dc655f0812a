package export

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/segment"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
)

// prof is a synthetic profile row.
type prof struct {
	Email, First, Last, Country, City, Tier, Score, Signup string
}

func genProfiles(from, n int) []prof {
	tiers := []string{"gold", "silver", "bronze"}
	out := make([]prof, n)
	for i := range out {
		k := from + i
		out[i] = prof{
			Email:   fmt.Sprintf("user%06d@example.com", k),
			First:   fmt.Sprintf("First%d", k),
			Last:    fmt.Sprintf("Last%d", k%97),
			Country: []string{"US", "DE", "FR", "GB"}[k%4],
			City:    fmt.Sprintf("City %d", k%13),
			Tier:    tiers[k%3],
			Score:   fmt.Sprintf("%d.5", k%1000),
			Signup:  fmt.Sprintf("2024-%02d-%02d", 1+k%12, 1+k%28),
		}
	}
	return out
}

func writeProfiles(t testing.TB, path string, ps []prof) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"email", "first_name", "surname", "country", "city", "tier", "score", "signup"})
	for _, p := range ps {
		_ = w.Write([]string{p.Email, p.First, p.Last, p.Country, p.City, p.Tier, p.Score, p.Signup})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

type testEnv struct {
	t      testing.TB
	emu    *emulator.Emulator
	url    string
	client *sendgrid.Client
	eng    *Engine
	listID string
	key    string
	dir    string
	fields map[string]string // custom field name -> ID
}

func newTestEnv(t testing.TB, cfg emulator.Config) *testEnv {
	t.Helper()
	if cfg.JobDelay == 0 {
		cfg.JobDelay = 2 * time.Millisecond
	}
	emu, srv := emulator.NewTestServer(t, cfg)
	v := &testEnv{t: t, emu: emu, url: srv.URL, key: emulator.TestKey, dir: t.TempDir()}
	for k := range cfg.Keys {
		v.key = k
		break
	}
	v.client = v.newClient(v.key)
	v.listID = emu.SeedList(v.key, "Audience")
	v.fields = map[string]string{
		"tier":   emu.SeedField(v.key, "tier", "Text"),
		"score":  emu.SeedField(v.key, "score", "Number"),
		"signup": emu.SeedField(v.key, "signup", "Date"),
	}
	v.eng = &Engine{Client: v.client, PollInterval: 5 * time.Millisecond}
	return v
}

func (v *testEnv) newClient(key string) *sendgrid.Client {
	c, err := sendgrid.New(sendgrid.Config{APIKey: key, BaseURL: v.url, MaxAttempts: 12,
		BaseBackoff: 5 * time.Millisecond, MaxWait: 2 * time.Second})
	if err != nil {
		v.t.Fatal(err)
	}
	return c
}

func (v *testEnv) file(name string, ps []prof) string {
	p := filepath.Join(v.dir, name)
	writeProfiles(v.t, p, ps)
	return p
}

func fullMapping() Mapping {
	return Mapping{Email: "email", FirstName: "first_name", LastName: "surname", Country: "country", City: "city",
		Custom: map[string]string{"tier": "tier", "score": "score", "signup": "signup"}}
}

func (v *testEnv) request(specs ...segment.Spec) Request {
	return Request{Segments: specs, Mapping: fullMapping(), ListID: v.listID, APIKey: v.key, MaxProfiles: 100000}
}

// expected returns the emails the segments should put on the list (first valid occurrence).
func emailsOf(ps ...[]prof) []string {
	seen := map[string]bool{}
	var out []string
	for _, list := range ps {
		for _, p := range list {
			e := strings.ToLower(strings.TrimSpace(p.Email))
			if _, r := NormalizeEmail(e); r != "" || seen[e] {
				continue
			}
			seen[e] = true
			out = append(out, e)
		}
	}
	sort.Strings(out)
	return out
}

func (v *testEnv) assertMembers(want []string) {
	v.t.Helper()
	// Removal jobs cannot be followed (SendGrid documents no status for them): the engine
	// returns once SendGrid accepted them; let the emulator run them.
	v.emu.FlushJobs()
	got := v.emu.ListMembers(v.key, v.listID)
	if !slices.Equal(got, want) {
		extra, missing := diffSets(got, want)
		v.t.Fatalf("list has %d members, want %d; %d unexpected (e.g. %v), %d missing (e.g. %v)",
			len(got), len(want), len(extra), head(extra), len(missing), head(missing))
	}
}

func diffSets(got, want []string) (extra, missing []string) {
	w := map[string]bool{}
	for _, s := range want {
		w[s] = true
	}
	g := map[string]bool{}
	for _, s := range got {
		g[s] = true
		if !w[s] {
			extra = append(extra, s)
		}
	}
	for _, s := range want {
		if !g[s] {
			missing = append(missing, s)
		}
	}
	return
}

func head(s []string) []string {
	if len(s) > 3 {
		return s[:3]
	}
	return s
}

// contactsSent counts contacts SendGrid received (upserts and CSV imports).
func (v *testEnv) contactsSent() int64 {
	c := v.emu.Counters()
	return c.ContactsUpserted + c.ContactsImported
}

func (v *testEnv) apply(req Request) (*Result, error) {
	v.t.Helper()
	p, err := v.eng.Plan(context.Background(), req)
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	return v.eng.Apply(context.Background(), req, Expected{Fingerprint: p.Fingerprint})
}

func (v *testEnv) mustApply(req Request) *Result {
	v.t.Helper()
	res, err := v.apply(req)
	if err != nil {
		v.t.Fatalf("apply: %v", err)
	}
	return res
}

func emulatorConfig() emulator.Config { return emulator.Config{Seed: 1} }

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
