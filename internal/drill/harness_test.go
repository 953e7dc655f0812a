package drill

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
)

// Environment variables of the drill.
const (
	envCLI      = "SENDGRIDAUDIENCE_DRILL_CLI"      // absolute path of terraform or tofu
	envReport   = "SENDGRIDAUDIENCE_DRILL_REPORT"   // file the fault table is written to
	envLoad     = "SENDGRIDAUDIENCE_DRILL_LOAD"     // "1" runs the 1,000,000-profile load drill
	envParallel = "SENDGRIDAUDIENCE_DRILL_PARALLEL" // cases run at once (default 4)
)

// providerVersion is the version the drill installs the provider under in its mirror.
const providerVersion = "0.0.1"

var (
	cliOnce   sync.Once
	cliShared *cliEnv
	cliErr    error
	drillRoot string // temporary directory of one test binary run; removed by TestMain

	slotsOnce sync.Once
	slots     chan struct{}
)

func TestMain(m *testing.M) {
	code := m.Run()
	if drillRoot != "" {
		_ = os.RemoveAll(drillRoot)
	}
	os.Exit(code)
}

// cliEnv is a CLI with the provider built once and installed in a filesystem mirror, and a
// data directory initialised once and shared by every workspace (TF_DATA_DIR).
type cliEnv struct {
	Path      string // the CLI binary
	Name      string // "terraform" or "tofu"
	Version   string // first line of `version`, e.g. "Terraform v1.8.5"
	root      string
	cliConfig string // CLI configuration file (filesystem_mirror + direct exclude)
	dataDir   string // TF_DATA_DIR after init
	lockFile  string // .terraform.lock.hcl written by init
	buildTime time.Duration
	initTime  time.Duration
}

// requireCLI returns the CLI named by SENDGRIDAUDIENCE_DRILL_CLI, set up on first use, or
// skips the test when the variable is unset.
func requireCLI(t *testing.T) *cliEnv {
	t.Helper()
	path := os.Getenv(envCLI)
	if path == "" {
		t.Skipf("%s is not set: the drill drives a real Terraform or OpenTofu CLI. Set it to the CLI's absolute path "+
			"(make test sets it to .tools/bin/terraform and .tools/bin/tofu)", envCLI)
	}
	cliOnce.Do(func() { cliShared, cliErr = setupCLI(path) })
	if cliErr != nil {
		t.Fatalf("setting up the drill: %v", cliErr)
	}
	return cliShared
}

// caseSlot limits how many drill cases drive a CLI at once (each case runs its CLI commands
// one after the other; most of a case's time is spent waiting on the emulator).
func caseSlot() func() {
	slotsOnce.Do(func() {
		n := 4
		if v, err := strconv.Atoi(os.Getenv(envParallel)); err == nil && v > 0 {
			n = v
		}
		slots = make(chan struct{}, n)
	})
	slots <- struct{}{}
	return func() { <-slots }
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the test's directory")
		}
		dir = parent
	}
}

func setupCLI(path string) (*cliEnv, error) {
	if !filepath.IsAbs(path) {
		return nil, fmt.Errorf("%s must be an absolute path, got %q", envCLI, path)
	}
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	drillRoot, err = os.MkdirTemp("", "sgaudience-drill-")
	if err != nil {
		return nil, err
	}
	c := &cliEnv{Path: path, Name: "terraform", root: drillRoot}

	// Build the provider once, install it for both registry hosts.
	start := time.Now()
	bin := filepath.Join(c.root, "bin", "terraform-provider-sendgridaudience_v"+providerVersion)
	build := exec.Command("go", "build", "-buildvcs=false", "-ldflags", "-X main.version="+providerVersion, "-o", bin, ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the provider: %v\n%s", err, out)
	}
	c.buildTime = time.Since(start)
	mirror := filepath.Join(c.root, "mirror")
	for _, host := range []string{"registry.terraform.io", "registry.opentofu.org"} {
		dir := filepath.Join(mirror, host, "sendgridaudience", "sendgridaudience", providerVersion, runtime.GOOS+"_"+runtime.GOARCH)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		if err := os.Link(bin, filepath.Join(dir, filepath.Base(bin))); err != nil {
			return nil, err
		}
	}
	c.cliConfig = filepath.Join(c.root, "cli.tfrc")
	cfg := fmt.Sprintf(`provider_installation {
  filesystem_mirror {
    path    = %q
    include = ["registry.terraform.io/sendgridaudience/sendgridaudience", "registry.opentofu.org/sendgridaudience/sendgridaudience"]
  }
  direct {
    exclude = ["registry.terraform.io/sendgridaudience/sendgridaudience", "registry.opentofu.org/sendgridaudience/sendgridaudience"]
  }
}
`, mirror)
	if err := os.WriteFile(c.cliConfig, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	version := exec.Command(path, "version")
	version.Env = c.env()
	out, err := version.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%s version: %v: %s", path, err, out)
	}
	c.Version = strings.TrimSuffix(strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0]), "-dev")
	if strings.HasPrefix(c.Version, "OpenTofu") {
		c.Name = "tofu"
	}

	// Initialise once; every workspace shares the data directory and copies the lock file.
	c.dataDir = filepath.Join(c.root, "tfdata")
	tmpl := filepath.Join(c.root, "init")
	if err := os.MkdirAll(tmpl, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(tmpl, "main.tf"), []byte(requiredProviders), 0o644); err != nil {
		return nil, err
	}
	start = time.Now()
	initCmd := exec.Command(c.Path, "init", "-input=false", "-no-color")
	initCmd.Dir = tmpl
	initCmd.Env = c.env()
	if out, err := initCmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s init: %v\n%s", c.Name, err, out)
	}
	c.initTime = time.Since(start)
	c.lockFile = filepath.Join(tmpl, ".terraform.lock.hcl")
	if _, err := os.Stat(c.lockFile); err != nil {
		return nil, fmt.Errorf("%s init wrote no lock file: %v", c.Name, err)
	}
	return c, nil
}

const requiredProviders = `terraform {
  required_providers {
    sendgridaudience = {
      source = "sendgridaudience/sendgridaudience"
    }
  }
}
`

// env is the environment of every CLI command: the caller's, without Terraform, SendGrid or
// libpq settings, plus the drill's CLI configuration and data directory.
func (c *cliEnv) env(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "TF_") || strings.HasPrefix(k, "SENDGRID") || strings.HasPrefix(k, "PG") ||
			k == "CHECKPOINT_DISABLE" || k == "TOFU_ENABLE_BACKEND_ENCRYPTION" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "TF_CLI_CONFIG_FILE="+c.cliConfig, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_INPUT=0")
	if c.dataDir != "" {
		env = append(env, "TF_DATA_DIR="+c.dataDir)
	}
	return append(env, extra...)
}

// newKey returns a fresh, random API key: a value that can be searched for in every output.
func newKey(label string) string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return "SG.drill-" + label + "." + hex.EncodeToString(b[:])
}

// drillEmulator is an emulator on a loopback httptest server with one key of the default scopes.
type drillEmulator struct {
	*emulator.Emulator
	URL string
	Key string
}

func newEmulator(t *testing.T, cfg emulator.Config) *drillEmulator {
	t.Helper()
	key := newKey("k")
	if cfg.Keys == nil {
		cfg.Keys = map[string]emulator.Key{}
	}
	cfg.Keys[key] = emulator.Key{UserID: 42, Username: "drill-marketing", Scopes: emulator.DefaultScopes()}
	if cfg.Seed == 0 {
		cfg.Seed = 7
	}
	if cfg.JobDelay == 0 {
		cfg.JobDelay = 50 * time.Millisecond
	}
	if cfg.ConsistencyLag == 0 {
		cfg.ConsistencyLag = 2 * time.Second // SendGrid's list counts lag its jobs
	}
	emu, srv := emulator.NewTestServer(t, cfg)
	return &drillEmulator{Emulator: emu, URL: srv.URL, Key: key}
}

// newExportEmulator starts an emulator holding what the drill's configurations expect: the list
// "Newsletter", whose ID it returns, and the Number custom field lifetime_value.
func newExportEmulator(t *testing.T, cfg emulator.Config) (*drillEmulator, string) {
	t.Helper()
	emu := newEmulator(t, cfg)
	listID := emu.SeedList(emu.Key, "Newsletter")
	emu.SeedField(emu.Key, "lifetime_value", "Number")
	return emu, listID
}

// providerEnv points the provider at the emulator (key, URL and actor), followed by extra.
func (e *drillEmulator) providerEnv(extra ...string) []string {
	return append([]string{"SENDGRID_API_KEY=" + e.Key, "SENDGRID_API_URL=" + e.URL, "SENDGRIDAUDIENCE_ACTOR=ops@example.com"}, extra...)
}

// workspace is one Terraform working directory.
type workspace struct {
	t       *testing.T
	cli     *cliEnv
	dir     string
	env     []string
	secrets []string // values that must never appear in any output (API keys, passwords)

	mu      sync.Mutex
	outputs []string // stdout and stderr of every command, for the privacy scan
}

// newWorkspace writes main.tf (and terraform.tfvars.json from vars) into a fresh directory.
func (c *cliEnv) newWorkspace(t *testing.T, hcl string, vars map[string]any, env ...string) *workspace {
	t.Helper()
	dir := t.TempDir()
	w := &workspace{t: t, cli: c, dir: dir, env: env}
	w.write("main.tf", []byte(hcl))
	if vars != nil {
		b, err := json.MarshalIndent(vars, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		w.write("terraform.tfvars.json", b)
	}
	lock, err := os.ReadFile(c.lockFile)
	if err != nil {
		t.Fatal(err)
	}
	w.write(".terraform.lock.hcl", lock)
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); k == "SENDGRID_API_KEY" || k == "PGPASSWORD" {
			w.secrets = append(w.secrets, v)
		}
	}
	return w
}

func (w *workspace) write(name string, data []byte) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.dir, name), data, 0o644); err != nil {
		w.t.Fatal(err)
	}
}

func (w *workspace) path(name string) string { return filepath.Join(w.dir, name) }

// result is the outcome of one CLI command.
type result struct {
	Args   []string
	Code   int
	Stdout string
	Stderr string
	Dur    time.Duration
}

// Out is stdout and stderr together.
func (r result) Out() string { return r.Stdout + "\n" + r.Stderr }

func (r result) String() string {
	return fmt.Sprintf("%s (exit %d, %.1fs)", strings.Join(r.Args, " "), r.Code, r.Dur.Seconds())
}

// crashRe matches what a CLI prints when the provider panics or the CLI crashes.
var crashRe = regexp.MustCompile(`(?i)panic|crash`)

// run runs the CLI with args to completion (at most 5 minutes).
func (w *workspace) run(args ...string) result {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.cli.Path, args...)
	cmd.Dir = w.dir
	cmd.Env = w.cli.env(w.env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := result{Args: append([]string{w.cli.Name}, args...), Stdout: stdout.String(), Stderr: stderr.String(), Dur: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.Code = ee.ExitCode()
	default:
		w.t.Fatalf("%s: %v", r, err)
	}
	w.check(r)
	return r
}

// check records the output for the privacy scan and fails the test on a crash or a secret in it.
func (w *workspace) check(r result) {
	w.t.Helper()
	w.mu.Lock()
	w.outputs = append(w.outputs, r.Stdout, r.Stderr)
	w.mu.Unlock()
	out := r.Out()
	if crashRe.MatchString(out) {
		w.t.Errorf("%s: the output mentions a panic or crash:\n%s", r, tail(out, 60))
	}
	for _, s := range w.secrets {
		if s != "" && strings.Contains(out, s) {
			w.t.Errorf("%s: a secret (%d characters) appears in the CLI's output", r, len(s))
		}
	}
	if _, err := os.Stat(w.path("crash.log")); err == nil {
		w.t.Errorf("%s: the CLI wrote crash.log", r)
	}
}

// mustRun runs the CLI and fails the test unless it exits with one of the codes (default 0).
func (w *workspace) mustRun(codes []int, args ...string) result {
	w.t.Helper()
	r := w.run(args...)
	if len(codes) == 0 {
		codes = []int{0}
	}
	for _, c := range codes {
		if r.Code == c {
			return r
		}
	}
	w.t.Fatalf("%s: unexpected exit code\n%s", r, tail(r.Out(), 80))
	return r
}

// plan runs plan -detailed-exitcode: 0 no changes, 1 error, 2 changes.
func (w *workspace) plan() result {
	return w.run("plan", "-input=false", "-no-color", "-detailed-exitcode")
}

// started is a CLI command running in the background, in its own process group.
type started struct {
	cmd    *exec.Cmd
	stdout *syncBuffer
	stderr *syncBuffer
	start  time.Time
	done   chan struct{}
	err    error
}

// start starts the CLI in its own process group (so that the provider it starts can be found
// and, after the test, stopped with it).
func (w *workspace) start(args ...string) *started {
	w.t.Helper()
	cmd := exec.Command(w.cli.Path, args...)
	cmd.Dir = w.dir
	cmd.Env = w.cli.env(w.env...)
	s := &started{cmd: cmd, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.stdout, s.stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	s.start = time.Now()
	if err := cmd.Start(); err != nil {
		w.t.Fatalf("starting %s: %v", w.cli.Name, err)
	}
	pgid := cmd.Process.Pid
	go func() { s.err = cmd.Wait(); close(s.done) }()
	w.t.Cleanup(func() {
		// Whatever the test did, leave no process of this group behind.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-s.done
	})
	return s
}

// wait waits for the command and returns its result.
func (w *workspace) wait(s *started, args []string) result {
	w.t.Helper()
	select {
	case <-s.done:
	case <-time.After(5 * time.Minute):
		w.t.Fatalf("%s did not exit", w.cli.Name)
	}
	r := result{Args: append([]string{w.cli.Name}, args...), Stdout: s.stdout.String(), Stderr: s.stderr.String(), Dur: time.Since(s.start)}
	var ee *exec.ExitError
	if errors.As(s.err, &ee) {
		r.Code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.Code = 128 + int(ws.Signal())
		}
	} else if s.err != nil {
		w.t.Fatalf("%s: %v", r, s.err)
	}
	w.check(r)
	return r
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// children returns the PIDs of pid's child processes (from /proc).
func children(pid int) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, _, ok := procStat(p); ok && ppid == pid {
			out = append(out, p)
		}
	}
	return out
}

// procStat returns a process's parent PID and state letter.
func procStat(pid int) (ppid int, state byte, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, false
	}
	// pid (comm) state ppid ...; comm may hold spaces and parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+4 > len(s) {
		return 0, 0, false
	}
	f := strings.Fields(s[i+2:])
	if len(f) < 2 {
		return 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	return ppid, f[0][0], true
}

// alive reports whether pid is a running (not exited) process.
func alive(pid int) bool {
	_, st, ok := procStat(pid)
	return ok && st != 'Z' && st != 'X'
}

// vmHWM returns a process's peak resident set size in bytes (VmHWM), or 0.
func vmHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// normalizeSpace collapses runs of white space, so that messages wrapped by the CLI compare
// as one line.
func normalizeSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// stateJSON is the part of `show -json` the drill reads.
type stateJSON struct {
	Values struct {
		RootModule struct {
			Resources []struct {
				Address string         `json:"address"`
				Tainted bool           `json:"tainted"`
				Values  map[string]any `json:"values"`
			} `json:"resources"`
		} `json:"root_module"`
	} `json:"values"`
}

// showState runs `show -json` and returns the attributes of the export (nil when it is not in
// state) and the raw JSON.
func (w *workspace) showState() (map[string]any, string) {
	w.t.Helper()
	r := w.mustRun(nil, "show", "-json", "-no-color")
	var st stateJSON
	if strings.TrimSpace(r.Stdout) != "" {
		if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
			w.t.Fatalf("show -json: %v", err)
		}
	}
	for _, res := range st.Values.RootModule.Resources {
		if res.Address == exportAddr {
			return res.Values, r.Stdout
		}
	}
	return nil, r.Stdout
}

// exportTainted reports whether the export is in state and marked tainted.
func (w *workspace) exportTainted() bool {
	w.t.Helper()
	_, raw := w.showState()
	var st stateJSON
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		w.t.Fatalf("show -json: %v", err)
	}
	for _, res := range st.Values.RootModule.Resources {
		if res.Address == exportAddr {
			return res.Tainted
		}
	}
	return false
}

// lastRun returns last_run of the export in state, as strings and numbers.
func lastRun(values map[string]any) map[string]any {
	if values == nil {
		return nil
	}
	lr, _ := values["last_run"].(map[string]any)
	return lr
}

func str(m map[string]any, k string) string {
	if m == nil {
		return ""
	}
	s, _ := m[k].(string)
	return s
}

func num(m map[string]any, k string) int64 {
	if m == nil {
		return 0
	}
	f, _ := m[k].(float64)
	return int64(f)
}

// totalRequests sums the emulator's requests over every endpoint.
func totalRequests(c emulator.Counters) int64 {
	var n int64
	for _, v := range c.Requests {
		n += v
	}
	return n
}

// contactsReceived is every contact the emulator received, by upsert and by CSV import.
func contactsReceived(c emulator.Counters) int64 { return c.ContactsUpserted + c.ContactsImported }
