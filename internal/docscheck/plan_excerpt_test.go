package docscheck

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
)

// The getting-started guide shows what Terraform prints for examples/quickstart and its sample
// customers.csv. Those excerpts sit between markers in the guide's template:
//
//	<!-- plan-excerpt:NAME -->
//	```
//	…
//	```
//	<!-- /plan-excerpt -->
//
// TestGettingStartedPlanExcerpts runs the quickstart against the emulator with the real
// Terraform CLI and fails when an excerpt differs from the output; with -update it rewrites the
// excerpts instead (then regenerate docs/ with `make generate`):
//
//	TF_ACC=1 go test -count=1 ./internal/docscheck -run TestGettingStartedPlanExcerpts -update
var update = flag.Bool("update", false, "rewrite the getting-started guide's plan excerpts from the real output")

const (
	guideTemplate = "templates/guides/getting-started.md.tmpl"
	excerptKey    = "SG.getting-started-guide-excerpts" // fixed, so the key fingerprint is too
	excerptActor  = "ops@example.com"
	excerptExport = "sendgridaudience_export.newsletter"
)

// excerptEdit is the edit the guide describes between the first and the second run: one
// opted-in customer's first name.
var excerptEdit = [2]string{",Blake,Brennan,", ",Blair,Brennan,"}

func TestGettingStartedPlanExcerpts(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("TF_ACC is not set: this test runs terraform init, plan and apply on examples/quickstart against the " +
			"emulator (make test runs it; by hand: TF_ACC=1 go test ./internal/docscheck -run TestGettingStartedPlanExcerpts)")
	}
	root := repoRoot(t)
	q := newQuickstart(t, root)

	q.run("init", "-input=false", "-no-color")
	first := q.run("plan", "-input=false", "-no-color", "-out=first.tfplan")
	q.run("apply", "-input=false", "-no-color", "first.tfplan")
	shown := q.run("state", "show", "-no-color", excerptExport)
	// The guide says that a plan right after the apply changes no resource.
	again := q.run("plan", "-input=false", "-no-color")
	if strings.Contains(again, "\nPlan: ") {
		t.Errorf("a plan right after the first apply changes resources, which the guide says it does not:\n%s", again)
	}
	if !strings.Contains(again, "No changes.") || strings.Contains(again, "changed outside of Terraform") {
		t.Errorf("a plan right after the first apply is not a plain \"No changes.\":\n%s", again)
	}
	// A plan that sends nothing leaves nothing out: it does not repeat the invalid-profile warning.
	if strings.Contains(again, "will be skipped") {
		t.Errorf("a plan that sends nothing warns about skipped profiles:\n%s", again)
	}
	q.editProfiles(excerptEdit[0], excerptEdit[1])
	second := q.run("plan", "-input=false", "-no-color")

	n := newNormaliser()
	got := map[string]string{
		"first-plan":       n.apply(planExcerpt(t, first)),
		"first-run":        n.apply(lastRunExcerpt(t, shown)),
		"incremental-plan": n.apply(planExcerpt(t, second)),
	}
	checkExcerpts(t, filepath.Join(root, guideTemplate), got)
}

// quickstart is a copy of examples/quickstart in a temporary directory, wired to the emulator
// and to the provider built from this checkout.
type quickstart struct {
	t   *testing.T
	cli string
	dir string
	env []string
}

func newQuickstart(t *testing.T, root string) *quickstart {
	t.Helper()
	cli := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if cli == "" {
		cli = filepath.Join(root, ".tools", "bin", "terraform")
	}
	tmp := t.TempDir()
	cfg := installProvider(t, root, tmp)
	version := exec.Command(cli, "version")
	version.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+cfg, "CHECKPOINT_DISABLE=1")
	out, err := version.CombinedOutput()
	switch {
	case err != nil:
		t.Fatalf("no Terraform CLI at %s (run make tools, or set TF_ACC_TERRAFORM_PATH): %v\n%s", cli, err, out)
	case bytes.HasPrefix(out, []byte("OpenTofu v")):
		t.Skipf("%s is OpenTofu: the guide shows Terraform's output", cli)
	case !bytes.HasPrefix(out, []byte("Terraform v")):
		t.Fatalf("%s version printed no Terraform version:\n%s", cli, out)
	}

	emu, srv := emulator.NewTestServer(t, emulator.Config{
		Keys: map[string]emulator.Key{excerptKey: {UserID: 42, Username: "marketing", Scopes: emulator.DefaultScopes()}},
		Seed: 7,
	})
	listID := emu.SeedList(excerptKey, "Newsletter")

	dir := filepath.Join(tmp, "quickstart")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"main.tf", "customers.csv"} {
		b, err := os.ReadFile(filepath.Join(root, "examples", "quickstart", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "TF_") || strings.HasPrefix(k, "SENDGRID") || k == "CHECKPOINT_DISABLE" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "TF_CLI_CONFIG_FILE="+cfg, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1",
		"SENDGRID_API_KEY="+excerptKey, "SENDGRID_API_URL="+srv.URL, "SENDGRIDAUDIENCE_ACTOR="+excerptActor,
		"TF_VAR_list_id="+listID)
	return &quickstart{t: t, cli: cli, dir: dir, env: env}
}

// installProvider builds the provider into a filesystem mirror under dir and returns the path of
// a CLI configuration that installs it from there.
func installProvider(t *testing.T, root, dir string) string {
	t.Helper()
	const version = "0.0.1"
	mirror := filepath.Join(dir, "mirror")
	pluginDir := filepath.Join(mirror, "registry.terraform.io", "sendgridaudience", "sendgridaudience", version, runtime.GOOS+"_"+runtime.GOARCH)
	build := exec.Command("go", "build", "-buildvcs=false", "-ldflags", "-X main.version="+version,
		"-o", filepath.Join(pluginDir, "terraform-provider-sendgridaudience_v"+version), ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the provider: %v\n%s", err, out)
	}
	cfg := filepath.Join(dir, "cli.tfrc")
	body := fmt.Sprintf(`provider_installation {
  filesystem_mirror {
    path    = %q
    include = ["registry.terraform.io/sendgridaudience/sendgridaudience"]
  }
  direct {
    exclude = ["registry.terraform.io/sendgridaudience/sendgridaudience"]
  }
}
`, mirror)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// run runs the CLI in the quickstart's directory and returns its standard output; a failure
// fails the test.
func (q *quickstart) run(args ...string) string {
	q.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, q.cli, args...)
	cmd.Dir, cmd.Env = q.dir, q.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		q.t.Fatalf("terraform %s: %v\n%s\n%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

func (q *quickstart) editProfiles(from, to string) {
	q.t.Helper()
	p := filepath.Join(q.dir, "customers.csv")
	b, err := os.ReadFile(p)
	if err != nil {
		q.t.Fatal(err)
	}
	if bytes.Count(b, []byte(from)) != 1 {
		q.t.Fatalf("examples/quickstart/customers.csv no longer holds %q once: update excerptEdit", from)
	}
	if err := os.WriteFile(p, bytes.Replace(b, []byte(from), []byte(to), 1), 0o644); err != nil {
		q.t.Fatal(err)
	}
}

// planExcerpt is the export's block of a plan, the plan's summary line and every warning.
func planExcerpt(t *testing.T, out string) string {
	t.Helper()
	lines := strings.Split(out, "\n")
	block := resourceBlock(lines, "  # "+excerptExport+" ", "    }")
	if block == nil {
		t.Fatalf("the plan shows no change of %s:\n%s", excerptExport, out)
	}
	parts := []string{strings.Join(block, "\n")}
	for _, l := range lines {
		if strings.HasPrefix(l, "Plan: ") {
			parts = append(parts, l)
		}
	}
	if w := warnings(lines); w != "" {
		parts = append(parts, w)
	}
	return strings.Join(parts, "\n\n")
}

// lastRunExcerpt is the last_run attribute of `terraform state show`.
func lastRunExcerpt(t *testing.T, out string) string {
	t.Helper()
	block := resourceBlock(strings.Split(out, "\n"), "    last_run ", "    }")
	if block == nil {
		t.Fatalf("terraform state show has no last_run:\n%s", out)
	}
	return strings.Join(block, "\n")
}

// resourceBlock returns the lines from the first that starts with start to the first after it
// that equals end, or nil when there is none.
func resourceBlock(lines []string, start, end string) []string {
	for i, l := range lines {
		if !strings.HasPrefix(l, start) {
			continue
		}
		for j := i + 1; j < len(lines); j++ {
			if lines[j] == end {
				return lines[i : j+1]
			}
		}
	}
	return nil
}

// warnings returns the warnings Terraform prints after a plan: each from its "Warning:" line to
// the end of its box, without the box's border.
func warnings(lines []string) string {
	var out []string
	in := false
	for _, l := range lines {
		trimmed := strings.TrimPrefix(strings.TrimPrefix(l, "│ "), "│")
		switch {
		case strings.HasPrefix(trimmed, "Warning: "):
			if len(out) > 0 {
				out = append(out, "")
			}
			in = true
			out = append(out, trimmed)
		case in && (strings.HasPrefix(l, "╵") || strings.HasPrefix(l, "╷") || strings.HasPrefix(trimmed, "Error: ")):
			in = false
		case in:
			out = append(out, strings.TrimRight(trimmed, " "))
		}
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n")
}

// normaliser replaces what differs from run to run (IDs, times, durations) by stand-ins that
// depend only on the order in which they appear, so that the excerpts are the same on every
// run and a reader still sees which values are equal.
type normaliser struct {
	uuids map[string]string
}

func newNormaliser() *normaliser { return &normaliser{uuids: map[string]string{}} }

var (
	uuidRe     = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	rfc3339Re  = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})`)
	durationRe = regexp.MustCompile(`\b\d+(\.\d+)?(ms|s)\b`)
)

func (n *normaliser) apply(s string) string {
	s = uuidRe.ReplaceAllStringFunc(s, func(id string) string {
		if r, ok := n.uuids[id]; ok {
			return r
		}
		sum := sha256.Sum256([]byte(fmt.Sprintf("excerpt-uuid-%d", len(n.uuids))))
		h := hex.EncodeToString(sum[:16])
		r := h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
		n.uuids[id] = r
		return r
	})
	s = rfc3339Re.ReplaceAllString(s, "2025-06-02T07:30:00Z")
	return durationRe.ReplaceAllString(s, "1.0s")
}

var excerptRe = regexp.MustCompile("(?s)<!-- plan-excerpt:([a-z-]+) -->\n```\n(.*?)```\n<!-- /plan-excerpt -->")

// checkExcerpts compares the excerpts in the guide's template with got, or rewrites them with
// -update. Every excerpt the test produces must have its place in the guide, and the reverse.
func checkExcerpts(t *testing.T, file string, got map[string]string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	updated := excerptRe.ReplaceAllStringFunc(string(b), func(m string) string {
		sub := excerptRe.FindStringSubmatch(m)
		name, have := sub[1], strings.TrimSuffix(sub[2], "\n")
		seen[name] = true
		want, ok := got[name]
		switch {
		case !ok:
			t.Errorf("%s: the excerpt %q is not produced by this test", guideTemplate, name)
		case *update:
			return "<!-- plan-excerpt:" + name + " -->\n```\n" + want + "\n```\n<!-- /plan-excerpt -->"
		case have != want:
			t.Errorf("%s: the excerpt %q differs from the real output.\n--- the guide\n%s\n--- the output\n%s\n"+
				"Rewrite the excerpts: TF_ACC=1 go test -count=1 ./internal/docscheck -run TestGettingStartedPlanExcerpts -update && make generate",
				guideTemplate, name, have, want)
		}
		return m
	})
	for name := range got {
		if !seen[name] {
			t.Errorf("%s has no <!-- plan-excerpt:%s --> region", guideTemplate, name)
		}
	}
	if *update && updated != string(b) {
		if err := os.WriteFile(file, []byte(updated), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote the excerpts in %s; regenerate docs/ with make generate", guideTemplate)
	}
}
