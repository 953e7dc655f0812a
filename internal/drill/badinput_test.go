package drill

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/synth"
)

// badCase is one bad input, answered at plan time.
type badCase struct {
	name string
	// file is a corpus file copied into the workspace; prepare writes generated inputs instead.
	file    string
	prepare func(t *testing.T, dir string)
	// source, query and filter are HCL expressions (source defaults to the file's name).
	source, query, filter string
	matching              string // data_matching expression (default: email, names, postal code, lifetime_value)
	extra                 string // more export arguments
	provider              string // provider block (default: settings from the environment)
	// env returns the CLI's environment for the emulator (default: its key and URL, an admin actor).
	env    func(e *drillEmulator) []string
	listID string // list_id (default: a list seeded in the emulator)
	// want are phrases the plan's output must contain (white space normalised); an empty want
	// means the plan must succeed, and planCheck then checks its counts.
	want      []string
	planCheck func(t *testing.T, export map[string]any)
	// before runs before the plan (to create state, or to change the environment).
	before func(t *testing.T, ws *workspace, emu *drillEmulator)
	// warnEmpty: the plan succeeds and must warn that the segment selects no profiles.
	warnEmpty bool
}

// emptyWarningRe matches a warning that a segment selects no profiles.
var emptyWarningRe = regexp.MustCompile(`(?i)warning: [^\n]*(no profiles|empty|0 profiles|selects none)`)

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}

// pgPassword is the database password of the unreachable-database case; it must never appear.
var pgPassword = "pg-drill-" + strings.TrimPrefix(newKey("pw"), "SG.drill-pw.")

const failInvalid = `  invalid_profiles = "fail"`

func badCases(t *testing.T) []badCase {
	pgPort := closedPort(t)
	sqlite := func(t *testing.T, dir string) {
		writeSynth(t, filepath.Join(dir, "profiles.db"), synth.Options{Count: 50, Seed: 3}, synth.SQLite)
	}
	withEnv := func(kv ...string) func(e *drillEmulator) []string {
		return func(e *drillEmulator) []string {
			return e.providerEnv(kv...)
		}
	}
	withKey := func(key func(e *drillEmulator) string) func(e *drillEmulator) []string {
		return func(e *drillEmulator) []string {
			return []string{"SENDGRID_API_KEY=" + key(e), "SENDGRID_API_URL=" + e.URL, "SENDGRIDAUDIENCE_ACTOR=ops@example.com"}
		}
	}
	// counts checks an accepted plan: no invalid profile, and the given counts.
	counts := func(profiles, toAdd, duplicates int64) func(t *testing.T, x map[string]any) {
		return func(t *testing.T, x map[string]any) {
			t.Helper()
			ch, _ := x["changes"].(map[string]any)
			val, _ := x["validation"].(map[string]any)
			got := []int64{num(x, "profile_count"), num(ch, "to_add"), num(val, "invalid"), num(val, "duplicates")}
			want := []int64{profiles, toAdd, 0, duplicates}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("plan: profile_count, changes.to_add, validation.invalid, validation.duplicates = %v, want %v", got, want)
			}
		}
	}
	seg := "with data.sendgridaudience_segment.customers"
	exp := "with sendgridaudience_export.newsletter"
	return []badCase{
		// Broken files.
		{name: "CSV in Latin-1", file: "csv_latin1_value.csv",
			want: []string{seg, `source = "csv_latin1_value.csv"`, "csv_latin1_value.csv line 3", `column "first_name"`, "not valid UTF-8", "save the file as UTF-8"}},
		{name: "CSV in UTF-16", file: "csv_utf16le.csv",
			want: []string{seg, "source =", "csv_utf16le.csv line 1", "encoded as UTF-16", "iconv"}},
		{name: "CSV with UTF-8 BOM is read", file: "csv_utf8_bom.csv", planCheck: counts(3, 3, 0)},
		{name: "CSV row with an extra field", file: "csv_ragged_extra_field.csv",
			want: []string{seg, "source =", "csv_ragged_extra_field.csv line 3", "6 fields but the header has 5", "double quotes"}},
		{name: "CSV row with a missing field", file: "csv_ragged_missing_field.csv",
			want: []string{seg, "source =", "csv_ragged_missing_field.csv line 3", "4 fields but the header has 5", "one field per header column"}},
		{name: "CSV unterminated quote", file: "csv_unterminated_quote.csv",
			want: []string{seg, "source =", "csv_unterminated_quote.csv line 3", "unterminated quoted field", "add the closing double quote"}},
		{name: "CSV text after a closing quote", file: "csv_text_after_quote.csv",
			want: []string{seg, "source =", "csv_text_after_quote.csv line 2", "after the closing quote", "written twice"}},
		{name: "binary file named .csv", file: "csv_binary.csv",
			want: []string{seg, "source =", "csv_binary.csv line 1", "not valid UTF-8", "save the file as UTF-8"}},
		{name: "empty CSV file", file: "csv_empty.csv",
			want: []string{seg, "source =", "csv_empty.csv", "the file is empty", "add a first line"}},
		{name: "CSV header named twice", file: "csv_duplicate_header.csv",
			want: []string{seg, "source =", "csv_duplicate_header.csv line 1", "names this column twice", "distinct name"}},
		{name: "CSV field over 16 MiB", file: "huge_field.csv", prepare: func(t *testing.T, dir string) {
			f, err := os.Create(filepath.Join(dir, "huge_field.csv"))
			if err != nil {
				t.Fatal(err)
			}
			_, _ = f.WriteString(header + "user000001@example.com,")
			_, _ = f.Write([]byte(strings.Repeat("Lovelace", 17<<20/8)))
			_, _ = f.WriteString(",Lovelace,94107,1\r\n")
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
		}, want: []string{seg, "source =", "huge_field.csv line 2", "longer than 16 MiB", "one per line"}},
		{name: "first name of 100,000 characters", file: "long_value.csv", extra: failInvalid, prepare: func(t *testing.T, dir string) {
			data := header + "user000001@example.com," + strings.Repeat("Ada", 33334) + ",Lovelace,94107,1\r\n"
			if err := os.WriteFile(filepath.Join(dir, "long_value.csv"), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}, want: []string{exp, "invalid_profiles", "long_value.csv line 2", "first_name", "at most 50", "invalid_profiles = \"skip\""}},
		{name: "NUL byte in a value", file: "csv_nul_in_value.csv", extra: failInvalid,
			want: []string{exp, "csv_nul_in_value.csv line 2", "first_name"}},
		{name: "JSON Lines invalid JSON", file: "jsonl_invalid_json.jsonl",
			want: []string{seg, "source =", "jsonl_invalid_json.jsonl line 2", "invalid JSON", "one complete JSON object"}},
		{name: "JSON Lines array instead of object", file: "jsonl_array_line.jsonl",
			want: []string{seg, "source =", "jsonl_array_line.jsonl line 2", "expected a JSON object", "one complete JSON object"}},
		{name: "JSON Lines in Latin-1", file: "jsonl_latin1_value.jsonl",
			want: []string{seg, "source =", "jsonl_latin1_value.jsonl line 2", "invalid UTF-8", "save the file as UTF-8"}},
		{name: "JSON Lines truncated", file: "jsonl_truncated.jsonl",
			want: []string{seg, "source =", "jsonl_truncated.jsonl line 2", "invalid JSON", "one complete JSON object"}},
		{name: "JSON Lines nested value", file: "jsonl_nested_value.jsonl",
			want: []string{seg, "source =", "jsonl_nested_value.jsonl line 1", `column "postal_code"`, "flatten nested values"}},
		{name: "JSON Lines value of another type late in the file", file: "jsonl_type_change_late.jsonl", extra: failInvalid,
			want: []string{exp, `1 invalid profile (invalid_profiles = "fail")`, "jsonl_type_change_late.jsonl line 1002", `column "lifetime_value" wrong_type_for_column`, "the column is double"}},
		{name: "JSON Lines with UTF-8 BOM is read", file: "jsonl_utf8_bom.jsonl", planCheck: counts(1, 1, 0)},

		// Values SendGrid would refuse.
		{name: "invalid emails", file: "emails_invalid.csv", extra: failInvalid,
			want: []string{exp, "11 invalid profiles", "emails_invalid.csv line 2: email", "Fix these rows in the source", "invalid_profiles = \"skip\""}},
		{name: "tricky but valid emails", file: "emails_tricky_valid.csv", extra: failInvalid, planCheck: counts(4, 4, 0)},
		{name: "over-long names", file: "names_too_long.csv", extra: failInvalid,
			want: []string{exp, "2 invalid profiles", "names_too_long.csv line 2: first_name", "names_too_long.csv line 3: last_name", "at most 50"}},
		{name: "wrong custom-field type (CSV)", file: "custom_wrong_type.csv", extra: failInvalid,
			want: []string{exp, "2 invalid profiles", "custom_wrong_type.csv line 2", `custom_fields["lifetime_value"]`, "is a Number: use a decimal number such as 1234.5", "no thousands separators"}},
		{name: "wrong custom-field type (JSON Lines)", file: "jsonl_type_change.jsonl", extra: failInvalid,
			want: []string{exp, `1 invalid profile (invalid_profiles = "fail")`, "jsonl_type_change.jsonl line 2", `custom_fields["lifetime_value"]`}},
		{name: "duplicate emails are merged", file: "duplicates.csv", planCheck: counts(3, 3, 3)},
		{name: "empty segment (header only)", file: "csv_header_only.csv", planCheck: counts(0, 0, 0), warnEmpty: true},
		// The removal guard: a mirror export whose segment selects nobody does not empty the list.
		{name: "segment emptied in mirror mode", file: "customers.csv", extra: `  sync_mode = "mirror"`,
			prepare: func(t *testing.T, dir string) {
				data, err := os.ReadFile(filepath.Join(corpusDir, "csv_utf8_bom.csv"))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "customers.csv"), data, 0o644); err != nil {
					t.Fatal(err)
				}
			},
			before: func(t *testing.T, ws *workspace, _ *drillEmulator) {
				ws.mustRun(nil, "apply", "-auto-approve", "-input=false", "-no-color")
				ws.write("customers.csv", []byte(header))
			},
			want: []string{exp, "The segments select no profile: the export would empty the list", "every contact this export may remove from the list (3 contacts)",
				"allow_mass_removal = true"}},

		// Configuration mistakes.
		{name: "email column missing", file: "csv_no_email_column.csv",
			want: []string{exp, "data_matching", `"email"`, `Did you mean "mail"?`}},
		{name: "mapped column misspelt", file: "csv_utf8_bom.csv",
			matching: `{
    email      = "email"
    first_name = "firstname"
  }`, want: []string{exp, "data_matching", "firstname", `Did you mean "first_name"?`}},
		{name: "custom field unknown to SendGrid", file: "csv_utf8_bom.csv",
			matching: `{
    email = "email"
    custom_fields = {
      tier = "last_name"
    }
  }`, want: []string{exp, `custom_fields["tier"]`, "managed_custom_fields"}},
		{name: "bad SQL (SQLite)", source: `"sqlite:profiles.db"`, query: `"SELEC email, first_name FROM profiles"`, prepare: sqlite,
			want: []string{seg, "query =", "query", "syntax error", "check the query"}},
		{name: "SQL on a missing table (SQLite)", source: `"sqlite:profiles.db"`, query: `"SELECT * FROM customers"`, prepare: sqlite,
			want: []string{seg, "query =", "query", "no such table", "check the query"}},
		{name: "database unreachable (PostgreSQL)", source: fmt.Sprintf(`"postgres://drill@127.0.0.1:%d/profiles?sslmode=disable"`, pgPort),
			env:  withEnv("PGPASSWORD="+pgPassword, "PGCONNECT_TIMEOUT=3"),
			want: []string{seg, "source =", "source", fmt.Sprint(pgPort), "cannot connect", "check that the server is running"}},
		{name: "password in the PostgreSQL URL", source: `"postgres://drill:hunter2-drill@127.0.0.1:5432/profiles"`,
			want: []string{seg, "source =", "contains a password", "PGPASSWORD"}},
		{name: "CEL syntax error", file: "csv_utf8_bom.csv", filter: `"first_name == "`,
			want: []string{seg, "filter =", "filter:1:", "Syntax error"}},
		{name: "CEL type error", file: "csv_utf8_bom.csv", filter: `"lifetime_value > 100"`,
			want: []string{seg, "filter =", "filter:1:16", `column "lifetime_value" is string`, "lifetime_value:double"}},
		{name: "CEL unknown column", file: "csv_utf8_bom.csv", filter: `"marketing_opt_in == true"`,
			want: []string{seg, "filter =", "marketing_opt_in", "neither a column nor a CEL function", "the columns are"}},
		{name: "list_id not a UUID", file: "csv_utf8_bom.csv", listID: "not-a-list-id",
			want: []string{exp, "list_id", "UUID"}},
		{name: "list_id one digit short", file: "csv_utf8_bom.csv", listID: "3f0c6f5e-8b1e-4a9e-9b8e-2f1f6b7d9a1",
			want: []string{exp, "list_id", "UUID"}},
		{name: "max_profiles exceeded", file: "csv_utf8_bom.csv", extra: "  max_profiles = 2",
			want: []string{exp, "max_profiles = 2", "The segments select 3 distinct profiles, more than max_profiles = 2 allows. Narrow the segments"}},

		// Keys.
		{name: "wrong API key", file: "csv_utf8_bom.csv", env: withKey(func(*drillEmulator) string { return newKey("wrong") }),
			want: []string{"invalid or revoked", "SENDGRID_API_KEY"}},
		{name: "key missing scopes (new connection)", file: "csv_utf8_bom.csv", env: withKey(readOnlyKey),
			want: []string{"lacks required scopes", "marketing.read (Marketing: Full Access)"}},
		{name: "key missing scopes (existing connection)", file: "csv_utf8_bom.csv",
			before: func(t *testing.T, ws *workspace, emu *drillEmulator) {
				ws.mustRun(nil, "apply", "-auto-approve", "-input=false", "-no-color", "-target=sendgridaudience_connection.marketing")
				k := readOnlyKey(emu)
				ws.secrets = append(ws.secrets, k)
				ws.env = []string{"SENDGRID_API_KEY=" + k, "SENDGRID_API_URL=" + emu.URL, "SENDGRIDAUDIENCE_ACTOR=ops@example.com"}
			},
			want: []string{"lacks required scopes", "marketing.read (Marketing: Full Access)"}},
		{name: "plain http to a remote host", file: "csv_utf8_bom.csv",
			provider: `provider "sendgridaudience" {
  api_url = "http://sendgrid-proxy.example.net"
}`, want: []string{"api_url", "plain http", "sendgrid-proxy.example.net"}},
	}
}

// TestBadInputAtPlanTime runs terraform plan on each bad input: the plan fails (or, for inputs
// that are tricky but valid, succeeds with the right counts) before anything is sent to
// SendGrid, with a message that names the attribute, the file and row and the field, and says
// what to do. No output mentions a panic or a crash, or holds the API key or the database
// password.
func TestBadInputAtPlanTime(t *testing.T) {
	cli := requireCLI(t)
	t.Parallel()
	cases := badCases(t)
	answers := make([]string, len(cases))
	passed := make([]bool, len(cases))
	var wg sync.WaitGroup
	for i, bc := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			release := caseSlot()
			defer release()
			passed[i] = t.Run(bc.name, func(t *testing.T) { runBadCase(t, cli, bc, &answers[i]) })
		}()
	}
	wg.Wait()

	var b strings.Builder
	fmt.Fprintf(&b, "Bad input under %s: what `%s plan` answers (nothing accepted by SendGrid in any case)\n\n", cli.Version, cli.Name)
	b.WriteString("| input | plan's answer | as expected |\n| --- | --- | :---: |\n")
	for i, bc := range cases {
		if answers[i] == "" {
			continue // not run (-run filter)
		}
		ok := "yes"
		if !passed[i] {
			ok = "**no**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", bc.name, strings.ReplaceAll(answers[i], "|", "\\|"), ok)
	}
	t.Log("\n" + b.String())
	if path := os.Getenv(envReport); path != "" {
		if err := appendReport(path, b.String()); err != nil {
			t.Errorf("writing the report: %v", err)
		}
	}
}

// summaryRe finds the diagnostics' summaries in a CLI's output.
var summaryRe = regexp.MustCompile(`(?m)^(Error|Warning): (.+)$`)

// answer sums up what the CLI said: each diagnostic's summary and the start of its detail, or
// the plan's counts.
func answer(r result, export map[string]any) string {
	var parts []string
	lines := strings.Split(r.Out(), "\n")
	for i, line := range lines {
		m := summaryRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		part := strings.ToLower(m[1]) + ": " + strings.TrimSpace(m[2])
		if d := diagDetail(lines[i+1:]); d != "" {
			part += " — " + d
		}
		parts = append(parts, part)
	}
	if export != nil {
		ch, _ := export["changes"].(map[string]any)
		val, _ := export["validation"].(map[string]any)
		parts = append(parts, fmt.Sprintf("plan: %d profiles, %d to add, %d to remove, %d duplicates merged",
			num(export, "profile_count"), num(ch, "to_add"), num(ch, "to_remove"), num(val, "duplicates")))
	}
	if len(parts) == 0 {
		return fmt.Sprintf("exit %d, no diagnostic", r.Code)
	}
	return strings.Join(parts, "; ")
}

// diagDetail returns the first clause of a diagnostic's detail: the first paragraph after the
// summary that is not the indented source location, up to its first "; " or sentence end,
// at most 140 characters.
func diagDetail(lines []string) string {
	var para []string
	for _, l := range lines {
		switch {
		case strings.TrimSpace(l) == "":
			if len(para) > 0 {
				return clause(strings.Join(para, " "))
			}
		case strings.HasPrefix(l, " "):
			if len(para) > 0 {
				return clause(strings.Join(para, " "))
			}
		case summaryRe.MatchString(l):
			return clause(strings.Join(para, " "))
		default:
			para = append(para, strings.TrimSpace(l))
		}
	}
	return clause(strings.Join(para, " "))
}

func clause(s string) string {
	s = normalizeSpace(s)
	if i := strings.Index(s, "; "); i > 0 {
		s = s[:i]
	}
	if i := strings.Index(s, ". "); i > 0 {
		s = s[:i+1]
	}
	if r := []rune(s); len(r) > 140 {
		s = string(r[:139]) + "…"
	}
	return s
}

func runBadCase(t *testing.T, cli *cliEnv, bc badCase, summary *string) {
	emu, listID := newExportEmulator(t, emulator.Config{})
	if bc.listID != "" {
		listID = bc.listID
	}
	source := bc.source
	if source == "" {
		source = fmt.Sprintf("%q", bc.file)
	}
	env := emu.providerEnv()
	if bc.env != nil {
		env = bc.env(emu)
	}
	hcl := segmentExportConfig(bc.provider, source, bc.query, bc.filter, bc.matching, bc.extra)
	ws := cli.newWorkspace(t, hcl, map[string]any{"list_id": listID}, env...)
	ws.secrets = append(ws.secrets, emu.Key, pgPassword)
	if bc.file != "" && bc.prepare == nil {
		data, err := os.ReadFile(filepath.Join(corpusDir, bc.file))
		if err != nil {
			t.Fatal(err)
		}
		ws.write(bc.file, data)
	}
	if bc.prepare != nil {
		bc.prepare(t, ws.dir)
	}

	if bc.before != nil {
		bc.before(t, ws, emu)
		emu.ResetCounters()
	}
	r := ws.run("plan", "-input=false", "-no-color", "-out=drill.tfplan")
	*summary = answer(r, nil)
	flat := normalizeSpace(r.Out())
	switch {
	case len(bc.want) == 0:
		if r.Code != 0 {
			t.Fatalf("%s: want a successful plan\n%s", r, tail(r.Out(), 40))
		}
		p := ws.mustRun(nil, "show", "-json", "drill.tfplan")
		x := plannedExport(t, p.Stdout)
		*summary = answer(r, x)
		bc.planCheck(t, x)
		if bc.warnEmpty && !emptyWarningRe.MatchString(r.Out()) {
			t.Errorf("the plan does not warn that the segment selects no profiles")
		}
	default:
		if r.Code != 1 {
			t.Fatalf("%s: want exit 1\n%s", r, tail(r.Out(), 40))
		}
		for _, w := range bc.want {
			if !strings.Contains(flat, normalizeSpace(w)) {
				t.Errorf("the plan's message does not say %q:\n%s", w, tail(r.Out(), 40))
			}
		}
	}
	if bc.extra == failInvalid && strings.Contains(flat, "will be skipped") {
		t.Errorf("with invalid_profiles = \"fail\" the plan also warns that the invalid profiles \"will be skipped\"")
	}
	if os.Getenv("SENDGRIDAUDIENCE_DRILL_DEBUG") != "" {
		t.Logf("%s\n%s", r, r.Out())
	}
	assertNothingSent(t, emu.Counters())
}

// readOnlyKey adds a key without the Marketing permission (mail send and user reads only).
func readOnlyKey(e *drillEmulator) string {
	k := newKey("ro")
	e.AddKey(k, emulator.Key{UserID: 42, Scopes: []string{"mail.send", emulator.ScopeUsernameRead, emulator.ScopeAccountRead}})
	return k
}

// assertNothingSent checks that the emulator received no contact and no change.
func assertNothingSent(t *testing.T, c emulator.Counters) {
	t.Helper()
	if c.UpsertRequests+c.ImportUploads != 0 || contactsReceived(c) != 0 {
		t.Errorf("the emulator received %d upserts and %d imports (%d contacts) during plan", c.UpsertRequests, c.ImportUploads, contactsReceived(c))
	}
	for k, n := range c.Requests {
		method, path, _ := strings.Cut(k, " ")
		if method != "GET" && path != "/v3/marketing/contacts/search/emails" {
			t.Errorf("plan sent %d %s requests", n, k)
		}
	}
}

// plannedExport returns the export's planned values from `show -json PLAN`.
func plannedExport(t *testing.T, planJSON string) map[string]any {
	t.Helper()
	var p struct {
		PlannedValues struct {
			RootModule struct {
				Resources []struct {
					Address string         `json:"address"`
					Values  map[string]any `json:"values"`
				} `json:"resources"`
			} `json:"root_module"`
		} `json:"planned_values"`
	}
	if err := json.Unmarshal([]byte(planJSON), &p); err != nil {
		t.Fatalf("show -json plan: %v", err)
	}
	for _, r := range p.PlannedValues.RootModule.Resources {
		if r.Address == exportAddr {
			return r.Values
		}
	}
	t.Fatalf("the plan has no %s", exportAddr)
	return nil
}
