package drill

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/synth"
)

// Canary profiles appended to the synthetic data: values found nowhere else, one of them valid,
// one with an over-long first name and one with an invalid email (both reported, masked, by
// the plan).
var canaryRows = []string{
	"quenby.zaltzmann.9000001@example.net,Quenby,Zaltzmann,Canada,Ontario,Toronto,ZX9 9QQ,pro,123.45,2020-01-01,true",
	"quenby.zaltzmann.9000002@example.net," + strings.Repeat("Quenbyquenby", 5) + ",Zaltzmann,Canada,Ontario,Toronto,ZX9 9QR,pro,1,2020-01-01,true",
	"quenby zaltzmann.9000003@example.net,Quenby,Zaltzmann,Canada,Ontario,Toronto,ZX9 9QS,pro,1,2020-01-01,true",
}

// writeDataWithCanaries writes the synthetic data set as CSV followed by the canary rows.
func writeDataWithCanaries(t *testing.T, path string, opts synth.Options) {
	t.Helper()
	writeSynth(t, path, opts, synth.CSV)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString(strings.Join(canaryRows, "\r\n") + "\r\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}

// needles are the values no artifact may contain.
type needles struct {
	secrets map[string]string // what it is -> value
	emails  map[string]bool   // lower-cased addresses
	locals  map[string]bool   // lower-cased local parts (user000123 style, without the domain)
	names   map[string]bool   // first and last name words of 4 letters or more
	postals map[string]bool   // postal codes
}

// Synthetic local parts end in a 7-digit row number: first.last.0001234.
var (
	emailRe = regexp.MustCompile(`[A-Za-z0-9._%+'\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	localRe = regexp.MustCompile(`[A-Za-z'\-]+[. ][A-Za-z'\-]+\.\d{7}`)
	// postalRe matches the shapes of the synthetic postal codes that are not plain numbers
	// (see internal/synth), and quoted plain numbers ("94107").
	postalRe = regexp.MustCompile(`[A-Z]\d[A-Z] \d[A-Z]\d|SW1[A-Z] \d[A-Z]{2}|D0\d [A-Z]\d[A-Z]\d|10\d\d [A-Z]{2}|1\d\d-\d{4}|0\d{4}-\d{3}|ZX9 9Q[A-Z]|"\d{4,6}"`)
)

func newNeedles(t *testing.T, opts synth.Options) *needles {
	t.Helper()
	n := &needles{secrets: map[string]string{}, emails: map[string]bool{}, locals: map[string]bool{}, names: map[string]bool{}, postals: map[string]bool{}}
	addName := func(s string) {
		for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) }) {
			if len([]rune(w)) >= 4 {
				n.names[w] = true
			}
		}
	}
	addEmail := func(e string) {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" {
			return
		}
		n.emails[e] = true
		if at := strings.LastIndexByte(e, '@'); at > 0 {
			n.locals[e[:at]] = true
		}
	}
	g, err := synth.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	_ = g.Each(func(_ int, p *synth.Profile) error {
		addEmail(p.Email)
		addName(p.FirstName)
		addName(p.LastName)
		n.postals[p.PostalCode] = true
		n.postals[`"`+p.PostalCode+`"`] = true
		return nil
	})
	for _, row := range canaryRows {
		f := strings.Split(row, ",")
		addEmail(f[0])
		addName(f[1])
		addName(f[2])
		n.postals[f[6]] = true
	}
	return n
}

// add adds the profile values of o.
func (n *needles) add(o *needles) {
	for _, m := range []struct{ to, from map[string]bool }{{n.emails, o.emails}, {n.locals, o.locals}, {n.names, o.names}, {n.postals, o.postals}} {
		for k := range m.from {
			m.to[k] = true
		}
	}
}

// scan counts the needles in hay by kind; it never returns a value.
func (n *needles) scan(hay string) map[string]int {
	found := map[string]int{}
	for what, v := range n.secrets {
		if v != "" && strings.Contains(hay, v) {
			found[what] += strings.Count(hay, v)
		}
	}
	for _, m := range emailRe.FindAllString(hay, -1) {
		if n.emails[strings.ToLower(m)] {
			found["email addresses"]++
		}
	}
	for _, m := range localRe.FindAllString(hay, -1) {
		if n.locals[strings.ToLower(m)] {
			found["email local parts"]++
		}
	}
	for _, m := range postalRe.FindAllString(hay, -1) {
		if n.postals[m] {
			found["postal codes"]++
		}
	}
	for _, w := range strings.FieldsFunc(hay, func(r rune) bool { return !unicode.IsLetter(r) }) {
		if n.names[w] {
			found["first or last names"]++
		}
	}
	return found
}

// artifacts collects what a run leaves behind, by name.
type artifacts map[string]string

func (a artifacts) file(t *testing.T, name, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	a[name] = string(b)
}

// planFile adds every entry of a saved plan (a zip archive holding state, configuration and
// the planned changes).
func (a artifacts) planFile(t *testing.T, name, path string) {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer func() { _ = zr.Close() }()
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		_, err = io.Copy(&b, rc)
		_ = rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		a[name+" ("+f.Name+")"] = b.String()
	}
}

// check fails the test for every artifact holding a needle, with counts only.
func (a artifacts) check(t *testing.T, n *needles) {
	t.Helper()
	names := make([]string, 0, len(a))
	total := 0
	for k, v := range a {
		names = append(names, k)
		total += len(v)
	}
	sort.Strings(names)
	for _, k := range names {
		found := n.scan(a[k])
		if len(found) == 0 {
			continue
		}
		kinds := make([]string, 0, len(found))
		for what, c := range found {
			kinds = append(kinds, fmt.Sprintf("%d %s", c, what))
		}
		sort.Strings(kinds)
		t.Errorf("%s holds %s (values not shown)", k, strings.Join(kinds, ", "))
	}
	t.Logf("scanned %d artifacts, %.1f MB, for %d secrets, %d emails, %d names and %d postal codes", len(a), float64(total)/1e6,
		len(n.secrets), len(n.emails), len(n.names), len(n.postals)/2)
}

// TestSecretsStayOut runs apply, an incremental plan and apply, and failing plans (an
// unreachable database with PGPASSWORD set, a wrong key, invalid profiles with
// invalid_profiles = "fail", filters whose errors would quote a profile's values, a CSV file
// without a header row, plain http to a remote host) with TF_LOG=TRACE, then searches
// state (show -json and the raw file), the plan (show -json and the saved plan file), the log
// files and every command's output for the API keys, the database password and every profile
// value of the data set: none may appear.
func TestSecretsStayOut(t *testing.T) {
	cli := requireCLI(t)
	t.Parallel()
	release := caseSlot()
	defer release()

	emu, listID := newExportEmulator(t, emulator.Config{})
	n := newNeedles(t, editedData)
	n.add(newNeedles(t, baseData))
	n.secrets["the API key"] = emu.Key
	n.secrets["the database password"] = pgPassword
	wrongKey := newKey("wrong")
	n.secrets["a wrong API key"] = wrongKey
	a := artifacts{}

	// Export runs with TRACE logging.
	dir := t.TempDir()
	traceLog := filepath.Join(dir, "export-trace.log")
	env := emu.providerEnv("TF_LOG=TRACE", "TF_LOG_PATH="+traceLog)
	ws := cli.newWorkspace(t, exportConfig, map[string]any{"list_id": listID, "profiles_file": "customers.csv"}, env...)
	writeDataWithCanaries(t, ws.path("customers.csv"), baseData)
	ws.mustRun(nil, "apply", "-auto-approve", "-input=false", "-no-color")
	if c, ok := emu.Contact(emu.Key, "quenby.zaltzmann.9000001@example.net"); !ok || c["first_name"] != "Quenby" {
		t.Fatalf("the canary profile was not exported; the scan would prove nothing")
	}
	writeDataWithCanaries(t, ws.path("customers.csv"), editedData)
	ws.mustRun([]int{0}, "plan", "-input=false", "-no-color", "-out=change.tfplan")
	p := ws.mustRun(nil, "show", "-json", "change.tfplan")
	a["plan JSON (show -json change.tfplan)"] = p.Stdout
	a.planFile(t, "saved plan file", ws.path("change.tfplan"))
	ws.mustRun(nil, "apply", "-input=false", "-no-color", "change.tfplan")
	_, stateJSON := ws.showState()
	a["state JSON (show -json)"] = stateJSON
	a.file(t, "terraform.tfstate", ws.path("terraform.tfstate"))
	if _, err := os.Stat(ws.path("terraform.tfstate.backup")); err == nil {
		a.file(t, "terraform.tfstate.backup", ws.path("terraform.tfstate.backup"))
	}
	if !strings.Contains(stateJSON, `"last_run"`) || !strings.Contains(a["plan JSON (show -json change.tfplan)"], `"validation"`) {
		t.Fatalf("state or plan JSON lacks the export's report; the scan would prove nothing")
	}

	// Failing plans with TRACE logging: each in its own workspace.
	failing := []failingPlan{
		{name: "unreachable database", hcl: segmentExportConfig("", fmt.Sprintf(`"postgres://drill@127.0.0.1:%d/profiles?sslmode=disable"`, closedPort(t)), "", "", "", ""),
			env: []string{"SENDGRID_API_KEY=" + emu.Key, "SENDGRID_API_URL=" + emu.URL, "PGPASSWORD=" + pgPassword, "PGCONNECT_TIMEOUT=3"}, wantWord: "source"},
		{name: "wrong API key", hcl: segmentExportConfig("", `"customers.csv"`, "", "", "", ""), file: "emails_tricky_valid.csv",
			env: []string{"SENDGRID_API_KEY=" + wrongKey, "SENDGRID_API_URL=" + emu.URL}, wantWord: "401"},
		{name: "invalid profiles", hcl: segmentExportConfig("", `"customers.csv"`, "", "", "", failInvalid), file: "canaries",
			env: []string{"SENDGRID_API_KEY=" + emu.Key, "SENDGRID_API_URL=" + emu.URL}, wantWord: "invalid profile"},
		{name: "a filter that looks up a map by email", hcl: segmentExportConfig("", `"customers.csv"`, "", `"{\"a\": 1}[email] == 1"`, "", ""), file: "canaries",
			env: []string{"SENDGRID_API_KEY=" + emu.Key, "SENDGRID_API_URL=" + emu.URL}, wantWord: "no such key"},
		{name: "a filter that indexes the profile map by a name", hcl: segmentExportConfig("", `"customers.csv"`, "", `"profile[first_name] == \"x\""`, "", ""), file: "canaries",
			env: []string{"SENDGRID_API_KEY=" + emu.Key, "SENDGRID_API_URL=" + emu.URL}, wantWord: "no such key"},
		{name: "a filter that converts a name", hcl: segmentExportConfig("", `"customers.csv"`, "", `"timestamp(first_name) > timestamp(\"2024-01-01T00:00:00Z\") || int(last_name) > 0"`, "", ""), file: "canaries",
			env: []string{"SENDGRID_API_KEY=" + emu.Key, "SENDGRID_API_URL=" + emu.URL}, wantWord: "evaluating the filter failed"},
		{name: "a CSV file without a header row", hcl: segmentExportConfig("", `"customers.csv"`, "", "", "", ""), file: "canaries-no-header",
			env: []string{"SENDGRID_API_KEY=" + emu.Key, "SENDGRID_API_URL=" + emu.URL}, wantWord: "looks like data"},
		{name: "plain http to a remote host", hcl: segmentExportConfig(`provider "sendgridaudience" {
  api_url = "http://sendgrid-proxy.example.net"
}`, `"customers.csv"`, "", "", "", ""), file: "emails_tricky_valid.csv",
			env: []string{"SENDGRID_API_KEY=" + emu.Key}, wantWord: "plain http"},
	}
	for i, f := range failing {
		f.run(t, cli, listID, filepath.Join(dir, fmt.Sprintf("failing-%d-trace.log", i)), a, emu.Key, wrongKey, pgPassword)
	}
	n.add(newNeedles(t, synth.Options{Count: 20, Seed: 9}))

	a.file(t, "TRACE log of the export runs", traceLog)
	for j, o := range ws.outputs {
		a[fmt.Sprintf("output %d of the export runs", j)] = o
	}
	if _, err := os.Stat(ws.path("crash.log")); err == nil {
		a.file(t, "crash.log", ws.path("crash.log"))
	}
	if len(a["TRACE log of the export runs"]) < 100_000 {
		t.Fatalf("the TRACE log holds %d bytes; TF_LOG=TRACE did not take effect", len(a["TRACE log of the export runs"]))
	}
	a.check(t, n)
}

// failingPlan is a plan that must fail, run with TF_LOG=TRACE in its own workspace.
type failingPlan struct {
	name     string
	hcl      string
	env      []string
	file     string // the workspace's customers.csv: "canaries", "canaries-no-header", a corpus file, or "" for none
	wantWord string // in the failure's output
}

// run runs the plan, checks that it fails with wantWord, and adds its TRACE log and outputs to
// a. secrets are masked in the test's own messages.
func (f failingPlan) run(t *testing.T, cli *cliEnv, listID, log string, a artifacts, secrets ...string) {
	t.Helper()
	env := append(f.env, "SENDGRIDAUDIENCE_ACTOR=ops@example.com", "TF_LOG=TRACE", "TF_LOG_PATH="+log)
	fw := cli.newWorkspace(t, f.hcl, map[string]any{"list_id": listID}, env...)
	fw.secrets = append(fw.secrets, secrets...)
	switch f.file {
	case "":
	case "canaries":
		writeDataWithCanaries(t, fw.path("customers.csv"), synth.Options{Count: 20, Seed: 9})
	case "canaries-no-header":
		writeDataWithCanaries(t, fw.path("customers.csv"), synth.Options{Count: 20, Seed: 9})
		data, err := os.ReadFile(fw.path("customers.csv"))
		if err != nil {
			t.Fatal(err)
		}
		fw.write("customers.csv", data[bytes.IndexByte(data, '\n')+1:])
	default:
		data, err := os.ReadFile(filepath.Join(corpusDir, f.file))
		if err != nil {
			t.Fatal(err)
		}
		fw.write("customers.csv", data)
	}
	r := fw.run("plan", "-input=false", "-no-color")
	if r.Code != 1 || !strings.Contains(normalizeSpace(r.Out()), f.wantWord) {
		t.Errorf("%s: %s, want a failure mentioning %q\n%s", f.name, r, f.wantWord, tail(r.Out(), 30))
	}
	a.file(t, "TRACE log of the "+f.name+" plan", log)
	for j, o := range fw.outputs {
		a[fmt.Sprintf("output %d of the %s plan", j, f.name)] = o
	}
	if _, err := os.Stat(fw.path("crash.log")); err == nil {
		a.file(t, "crash.log ("+f.name+")", fw.path("crash.log"))
	}
}

// TestNeedlesFindLeaks proves the scan: every kind of value is found in the shapes a leak would
// take (JSON, log fields, CSV), and masked values are not.
func TestNeedlesFindLeaks(t *testing.T) {
	n := newNeedles(t, synth.Options{Count: 50, Seed: 4})
	n.secrets["the API key"] = "SG.drill-test.0123456789abcdef"
	g, err := synth.New(synth.Options{Count: 50, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	p := g.Profile(17)
	leaks := map[string]string{
		"the API key":         `Authorization: Bearer SG.drill-test.0123456789abcdef`,
		"email addresses":     `{"email":"` + strings.ToUpper(p.Email[:1]) + p.Email[1:] + `"}`,
		"email local parts":   `contact=` + p.Email[:strings.IndexByte(p.Email, '@')] + ` status=ok`,
		"first or last names": `"last_name":"Zaltzmann"`,
		"postal codes":        `postal_code=ZX9 9QQ`,
	}
	for kind, hay := range leaks {
		if got := n.scan(hay); got[kind] == 0 {
			t.Errorf("the scan misses %s in %q: %v", kind, hay, got)
		}
	}
	masked := `email invalid [q***@e***.net]; first_name too_long (60 characters, at most 50) [Q*** (60 chars)]; sha256:cd17cbba6ab3bdd5`
	if got := n.scan(masked); len(got) != 0 {
		t.Errorf("the scan flags masked values: %v", got)
	}
}
