package drill

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/synth"
)

// hostileCase is one attempt of a hostile configuration, file, database or API server, answered
// by `plan`. Every case: the plan fails (exit 1) within limit with a message holding want, no
// file of the workspace is changed or added (the source included), no profile value of the data
// set, API key or redirect token appears in the output (nor, with trace, in TF_LOG=TRACE), and
// nothing is sent to SendGrid.
type hostileCase struct {
	name     string // the attempt
	expected string // the expected outcome, for the report
	prepare  func(t *testing.T, dir string)
	// source, query and filter are HCL expressions (source defaults to "customers.csv").
	source, query, filter string
	// server starts a hostile API server; it returns the api_url, more environment and a check
	// run after the plan (it returns an observation for the report, or fails the test).
	server func(t *testing.T) (url string, env []string, check func(t *testing.T) string)
	want   []string
	trace  bool          // run with TF_LOG=TRACE and scan the log too
	limit  time.Duration // the plan must end within this (default 60s)
	// check runs after the plan and returns an observation for the report.
	check func(t *testing.T, r result) string
}

// hostileData is the data set of the CSV and SQLite cases (its values are the needles).
var hostileData = synth.Options{Count: 40, Seed: 17}

// celList is a CEL list literal of 100 integers.
var celList = func() string {
	var b strings.Builder
	b.WriteByte('[')
	for i := 0; i < 100; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, i)
	}
	b.WriteByte(']')
	return b.String()
}()

func hostileCases() []hostileCase {
	seg := "with data.sendgridaudience_segment.customers"
	sqlite := `"sqlite:profiles.db"`
	readOnly := "source unchanged, no file written"
	return []hostileCase{
		// Databases are read, never written.
		{name: "SQLite `VACUUM INTO 'copy.db'`", expected: "refused before it runs; " + readOnly,
			source: sqlite, query: `"VACUUM INTO 'copy.db'"`, want: []string{seg, "query"}},
		{name: "SQLite `ATTACH` the source, `DELETE` from it, then `SELECT`", expected: "refused; " + readOnly,
			source: sqlite, query: `"ATTACH 'profiles.db' AS w; DELETE FROM w.profiles; SELECT * FROM profiles"`, want: []string{seg, "query"}},
		{name: "SQLite `ATTACH` a new file and create a table in it", expected: "refused; no file created",
			source: sqlite, query: `"ATTACH 'new.db' AS n; CREATE TABLE n.t(x); SELECT * FROM profiles"`, want: []string{seg, "query"}},
		{name: "SQLite `SELECT` followed by `DELETE`", expected: "refused (one statement only); " + readOnly,
			source: sqlite, query: `"SELECT * FROM profiles; DELETE FROM profiles"`, want: []string{seg, "query"}},
		{name: "SQLite `WITH … DELETE`", expected: "refused; " + readOnly,
			source: sqlite, query: `"WITH x AS (SELECT 1) DELETE FROM profiles"`, want: []string{seg, "query"}},
		{name: "SQLite `PRAGMA user_version = 7`", expected: "refused; " + readOnly,
			source: sqlite, query: `"PRAGMA user_version = 7"`, want: []string{seg, "query"}},
		{name: "SQLite `PRAGMA journal_mode = WAL`", expected: "refused; " + readOnly + " (no -wal file)",
			source: sqlite, query: `"PRAGMA journal_mode = WAL"`, want: []string{seg, "query"}},
		{name: "SQLite query returning one 18 MB value", expected: "refused: a field over 16 MiB, like a file's",
			source: sqlite, query: `"SELECT p.*, hex(zeroblob(9000000)) AS notes FROM profiles p LIMIT 1"`, want: []string{seg, "16 MiB"}},

		// Filters with bounded cost, and errors without values.
		{name: "CEL four nested `exists` over 100 elements", expected: "refused at plan by the cost limit, in seconds",
			filter: fmt.Sprintf(`"%[1]s.exists(a, %[1]s.exists(b, %[1]s.exists(c, %[1]s.exists(d, a + b + c + d < 0))))"`, celList),
			want:   []string{seg, "filter", "cost"}, limit: 60 * time.Second},
		{name: "CEL four nested `map` over 100 elements", expected: "refused at plan by the cost limit, in seconds",
			filter: fmt.Sprintf(`"size(%[1]s.map(a, %[1]s.map(b, %[1]s.map(c, %[1]s.map(d, a))))) > 0"`, celList),
			want:   []string{seg, "filter", "cost"}, limit: 60 * time.Second},
		{name: "filter `{\"a\": 1}[email] == 1` (TF_LOG=TRACE)", expected: "fails naming the filter; no email in the output or the TRACE log",
			filter: `"{\"a\": 1}[email] == 1"`, want: []string{seg, "filter"}, trace: true},
		{name: "filter `first_name.matches(first_name + \"(\")` (TF_LOG=TRACE)", expected: "fails naming the filter; no name in the output or the TRACE log",
			filter: `"first_name.matches(first_name + \"(\")"`, want: []string{seg, "filter"}, trace: true},
		{name: "filter `{\"x\": 1}[last_name + \"-\" + postal_code] == 1`", expected: "fails naming the filter; no name or postal code",
			filter: `"{\"x\": 1}[last_name + \"-\" + postal_code] == 1"`, want: []string{seg, "filter"}},
		{name: "filter `[1, 2][int(lifetime_value)] == 1`", expected: "fails naming the filter; no value quoted",
			filter: `"[1, 2][int(lifetime_value)] == 1"`, want: []string{seg, "filter"},
			check: func(t *testing.T, r result) string {
				// The first profile is a canary whose lifetime_value is 123.45.
				if regexp.MustCompile(`\b123\b`).MatchString(r.Out()) {
					t.Errorf("the output quotes the profile's value 123")
				}
				return "the index (123) not quoted"
			}},

		// Broken files.
		{name: "CSV without a header row (first row is a profile)", expected: "fails naming the file and the header; no value of the row",
			prepare: func(t *testing.T, dir string) {
				writeSynth(t, filepath.Join(dir, "customers.csv"), hostileData, synth.CSV)
				stripFirstLine(t, filepath.Join(dir, "customers.csv"))
			}, want: []string{`segment "customers"`}},
		{name: "a file of 64 KiB of NUL bytes", expected: "fails naming the file; no NUL byte and a short message",
			prepare: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, "customers.csv"), make([]byte, 64<<10))
			}, want: []string{`segment "customers"`},
			check: func(t *testing.T, r result) string {
				if n := strings.Count(r.Out(), "\x00"); n > 0 {
					t.Errorf("the output holds %d NUL bytes", n)
				}
				return shortOutput(t, r, 8<<10)
			}},
		{name: "a 100,000-column header and a filter on a missing column", expected: "refused with a short message (the column cap or the missing column), not a list of 100,000 columns",
			prepare: func(t *testing.T, dir string) {
				var b strings.Builder
				b.WriteString("email,first_name,last_name,postal_code,lifetime_value:double")
				for i := 0; i < 100_000; i++ {
					fmt.Fprintf(&b, ",c%06d", i)
				}
				b.WriteString("\r\n")
				writeFile(t, filepath.Join(dir, "customers.csv"), []byte(b.String()))
			}, filter: `"marketing_opt_in == true"`, want: []string{seg},
			check: func(t *testing.T, r result) string { return shortOutput(t, r, 16<<10) }},

		// Hostile API servers.
		{name: "API answers 302 to the same host on another port", expected: "refused, naming 302 and the target host; the target receives nothing (no key)",
			server: redirectingAPI(http.StatusFound, false), want: []string{"302", "does not redirect", "api_url"}},
		{name: "API answers 307 to the same host on another port", expected: "refused, naming 307 and the target host; the target receives nothing (no key)",
			server: redirectingAPI(http.StatusTemporaryRedirect, false), want: []string{"307", "does not redirect", "api_url"}},
		{name: "https API answers 302 to http://", expected: "refused; the key never travels in clear text",
			server: redirectingAPI(http.StatusFound, true), want: []string{"302", "does not redirect", "api_url"}},
		{name: "API answers 200 with an endless body", expected: "cut off after 4 MiB with a message naming the endpoint",
			server: endlessAPI, want: []string{"longer than 4 MiB", "api_url"}},
	}
}

// writeCanariesFirst writes the hostile data set as CSV with the canary profiles first, so that
// a filter failing on the first row fails on values found nowhere else.
func writeCanariesFirst(t *testing.T, path string) {
	t.Helper()
	writeSynth(t, path, hostileData, synth.CSV)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	head, rest, _ := strings.Cut(string(b), "\n")
	writeFile(t, path, []byte(head+"\n"+strings.Join(canaryRows, "\r\n")+"\r\n"+rest))
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func stripFirstLine(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if i := strings.IndexByte(string(b), '\n'); i >= 0 {
		b = b[i+1:]
	}
	writeFile(t, path, b)
}

// shortOutput fails the test when the CLI's output is longer than max bytes.
func shortOutput(t *testing.T, r result, limit int) string {
	t.Helper()
	if n := len(r.Out()); n > limit {
		t.Errorf("the output is %d bytes, want at most %d", n, limit)
	}
	return fmt.Sprintf("output %d bytes", len(r.Out()))
}

// redirectingAPI starts a loopback API server (https with tls) answering every request with
// status and a Location on another loopback port (always http), with a token in the query. The
// target records whether any request reached it and whether it carried Authorization.
func redirectingAPI(status int, tls bool) func(t *testing.T) (string, []string, func(t *testing.T) string) {
	return func(t *testing.T) (string, []string, func(t *testing.T) string) {
		var reached, authed atomic.Int64
		target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			reached.Add(1)
			if r.Header.Get("Authorization") != "" {
				authed.Add(1)
			}
			http.Error(w, "redirect target", http.StatusNotFound)
		}))
		t.Cleanup(target.Close)
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", target.URL+r.URL.Path+"?token=drill-redirect-token")
			w.WriteHeader(status)
		})
		var srv *httptest.Server
		var env []string
		if tls {
			srv = httptest.NewTLSServer(h)
			env = append(env, "SSL_CERT_FILE="+writeCert(t, srv))
		} else {
			srv = httptest.NewServer(h)
		}
		t.Cleanup(srv.Close)
		return srv.URL, env, func(t *testing.T) string {
			if reached.Load() != 0 {
				t.Errorf("the redirect target received %d requests, %d with Authorization", reached.Load(), authed.Load())
			}
			return fmt.Sprintf("redirect target received %d requests, %d with the key", reached.Load(), authed.Load())
		}
	}
}

// writeCert writes a TLS test server's certificate as PEM, for SSL_CERT_FILE.
func writeCert(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cert.pem")
	writeFile(t, path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	return path
}

// endlessAPI answers every request with 200 and a JSON-looking body that does not end (up to a
// safety cap of 256 MiB per request), counting the bytes the provider took.
func endlessAPI(t *testing.T) (string, []string, func(t *testing.T) string) {
	var wrote, requests atomic.Int64
	chunk := []byte(strings.Repeat(`{"scopes":["marketing.read"]},`, 2048))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		for n := 0; n < 256<<20; {
			k, err := w.Write(chunk)
			n += k
			wrote.Add(int64(k))
			if err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, nil, func(t *testing.T) string {
		// What the server wrote includes what sat in the sockets' buffers when the provider
		// hung up: allow 16 MiB of them per request.
		if bound := requests.Load() * (4<<20 + 16<<20); wrote.Load() > bound {
			t.Errorf("the server wrote %d bytes in %d requests before the provider hung up", wrote.Load(), requests.Load())
		}
		return fmt.Sprintf("server wrote %.1f MB in %d requests", float64(wrote.Load())/1e6, requests.Load())
	}
}

// TestHostileInput runs each hostile case with plan and writes the table of attempts, expected
// and observed outcomes to the drill report.
func TestHostileInput(t *testing.T) {
	cli := requireCLI(t)
	t.Parallel()
	cases := hostileCases()
	observed := make([]string, len(cases))
	passed := make([]bool, len(cases))
	var wg sync.WaitGroup
	for i, hc := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			release := caseSlot()
			defer release()
			passed[i] = t.Run(hc.name, func(t *testing.T) { runHostileCase(t, cli, hc, &observed[i]) })
		}()
	}
	wg.Wait()

	var b strings.Builder
	fmt.Fprintf(&b, "Hostile input under %s: what `%s plan` does (no source written, no value or key leaked, nothing sent to SendGrid)\n\n", cli.Version, cli.Name)
	b.WriteString("| attempt | expected | observed | as expected |\n| --- | --- | --- | :---: |\n")
	for i, hc := range cases {
		if observed[i] == "" {
			continue // not run (-run filter)
		}
		ok := "yes"
		if !passed[i] {
			ok = "**no**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", hc.name, hc.expected, strings.ReplaceAll(observed[i], "|", "\\|"), ok)
	}
	t.Log("\n" + b.String())
	if path := os.Getenv(envReport); path != "" {
		if err := appendReport(path, b.String()); err != nil {
			t.Errorf("writing the report: %v", err)
		}
	}
}

func runHostileCase(t *testing.T, cli *cliEnv, hc hostileCase, observed *string) {
	emu, listID := newExportEmulator(t, emulator.Config{})
	source := hc.source
	if source == "" {
		source = `"customers.csv"`
	}
	env := emu.providerEnv()
	var serverCheck func(t *testing.T) string
	if hc.server != nil {
		url, extra, check := hc.server(t)
		env = append(emu.providerEnv(extra...), "SENDGRID_API_URL="+url)
		serverCheck = check
	}
	traceLog := filepath.Join(t.TempDir(), "trace.log")
	if hc.trace {
		env = append(env, "TF_LOG=TRACE", "TF_LOG_PATH="+traceLog)
	}
	ws := cli.newWorkspace(t, segmentExportConfig("", source, hc.query, hc.filter, "", ""), map[string]any{"list_id": listID}, env...)
	ws.secrets = append(ws.secrets, emu.Key, "drill-redirect-token")
	switch {
	case hc.prepare != nil:
		hc.prepare(t, ws.dir)
	case hc.source == `"sqlite:profiles.db"`:
		writeSynth(t, ws.path("profiles.db"), hostileData, synth.SQLite)
	default:
		writeCanariesFirst(t, ws.path("customers.csv"))
	}
	before := dirDigest(t, ws.dir)

	limit := hc.limit
	if limit == 0 {
		limit = 60 * time.Second
	}
	r, timedOut := ws.runWithin(limit, "plan", "-input=false", "-no-color")
	notes := []string{answer(r, nil)}
	if timedOut {
		t.Errorf("the plan was still running after %s; stopped it", limit)
		notes = []string{fmt.Sprintf("still running after %s (stopped)", limit)}
	} else {
		notes = append(notes, fmt.Sprintf("%.1fs", r.Dur.Seconds()))
		checkHostilePlan(t, r, hc.want)
	}
	if after := dirDigest(t, ws.dir); after != before {
		t.Errorf("the plan changed or added files in the workspace:\nbefore %s\nafter  %s", before, after)
		notes = append(notes, "**files changed**")
	} else if hc.source != "" {
		notes = append(notes, "source unchanged, no file written")
	}
	if serverCheck != nil {
		notes = append(notes, serverCheck(t))
	}
	if hc.check != nil {
		notes = append(notes, hc.check(t, r))
	}
	notes = append(notes, scanHostile(t, ws, hc.trace, traceLog))
	assertNothingSent(t, emu.Counters())
	*observed = strings.Join(notes, "; ")
}

func checkHostilePlan(t *testing.T, r result, want []string) {
	t.Helper()
	if r.Code != 1 {
		t.Errorf("%s: want exit 1\n%s", r, tail(r.Out(), 40))
		return
	}
	flat := normalizeSpace(r.Out())
	for _, w := range want {
		if !strings.Contains(flat, normalizeSpace(w)) {
			t.Errorf("the plan's message does not say %q:\n%s", w, tail(r.Out(), 40))
		}
	}
	if os.Getenv("SENDGRIDAUDIENCE_DRILL_DEBUG") != "" {
		t.Logf("%s\n%s", r, r.Out())
	}
}

// scanHostile searches the outputs (and the TRACE log) for the data set's values and the
// canaries; it returns what it scanned.
func scanHostile(t *testing.T, ws *workspace, trace bool, traceLog string) string {
	t.Helper()
	n := newNeedles(t, hostileData)
	a := artifacts{}
	ws.mu.Lock()
	for i, o := range ws.outputs {
		a[fmt.Sprintf("output %d", i)] = o
	}
	ws.mu.Unlock()
	what := "output"
	if trace {
		a.file(t, "TRACE log", traceLog)
		if len(a["TRACE log"]) < 10_000 {
			t.Errorf("the TRACE log holds %d bytes; TF_LOG=TRACE did not take effect", len(a["TRACE log"]))
		}
		what = fmt.Sprintf("output and %.1f MB TRACE log", float64(len(a["TRACE log"]))/1e6)
	}
	failed := t.Failed()
	a.check(t, n)
	if !failed && t.Failed() {
		return "**a value appears in the " + what + "**"
	}
	return "no value in the " + what
}

// dirDigest sums up the regular files under dir (names, sizes and SHA-256), skipping the
// CLI's own lock info and the empty state file it leaves when stopped.
func dirDigest(t *testing.T, dir string) string {
	t.Helper()
	var parts []string
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || info.Name() == ".terraform.tfstate.lock.info" {
			return err
		}
		if info.Name() == "terraform.tfstate" && info.Size() == 0 {
			return nil // left by the CLI when the drill stops a plan
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer func() { _ = f.Close() }()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		parts = append(parts, fmt.Sprintf("%s:%d:%s", rel, info.Size(), hex.EncodeToString(h.Sum(nil))[:12]))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// runWithin runs the CLI in its own process group and stops the group when it runs longer than
// limit; timedOut reports that it did.
func (w *workspace) runWithin(limit time.Duration, args ...string) (r result, timedOut bool) {
	w.t.Helper()
	s := w.start(args...)
	select {
	case <-s.done:
	case <-time.After(limit):
		timedOut = true
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
	r = result{Args: append([]string{w.cli.Name}, args...), Stdout: s.stdout.String(), Stderr: s.stderr.String(), Dur: time.Since(s.start), Code: -1}
	if s.cmd.ProcessState != nil {
		r.Code = s.cmd.ProcessState.ExitCode()
	}
	w.check(r)
	return r, timedOut
}
