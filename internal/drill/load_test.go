package drill

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/synth"
)

// loadConfig exports every profile of a file (no filter) with caps raised to 1,000,000.
const loadConfig = requiredProviders + `
variable "list_id" {
  type = string
}

variable "profiles_file" {
  type = string
}

provider "sendgridaudience" {}

resource "sendgridaudience_connection" "marketing" {
  display_name         = "Marketing SendGrid"
  administrators       = ["ops@example.com"]
  data_privacy_consent = true
  profile_cap          = 1000000
}

data "sendgridaudience_segment" "all" {
  name   = "all customers"
  source = var.profiles_file
}

resource "sendgridaudience_export" "newsletter" {
  name                = "newsletter"
  sendgrid_connection = sendgridaudience_connection.marketing
  list_id             = var.list_id
  segments            = [data.sendgridaudience_segment.all]
  max_profiles        = 1000000

  data_matching = {
    email                 = "email"
    first_name            = "first_name"
    last_name             = "last_name"
    country               = "country"
    state_province_region = "state_province_region"
    city                  = "city"
    postal_code           = "postal_code"
    custom_fields = {
      lifetime_value = "lifetime_value"
    }
  }

  timeouts = {
    create = "60m"
  }
}
`

// peakWatcher samples the peak resident set size (VmHWM) of a CLI and of the provider process
// it starts, until stopped.
type peakWatcher struct {
	mu                sync.Mutex
	cli, provider     int64
	stop, done        chan struct{}
	providerProcesses map[int]bool
}

func watchPeak(cliPID int) *peakWatcher {
	w := &peakWatcher{stop: make(chan struct{}), done: make(chan struct{}), providerProcesses: map[int]bool{}}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			w.mu.Lock()
			w.cli = max(w.cli, vmHWM(cliPID))
			for _, p := range children(cliPID) {
				w.providerProcesses[p] = true
				w.provider = max(w.provider, vmHWM(p))
			}
			w.mu.Unlock()
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

func (w *peakWatcher) finish() (cli, provider int64) {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.cli, w.provider
}

// loadProfiles is the size of the load drill: SENDGRIDAUDIENCE_DRILL_LOAD=1 means 1,000,000
// profiles, any other number that many (make bench runs 100,000); 0 when unset.
func loadProfiles(t *testing.T) int {
	v := os.Getenv(envLoad)
	if v == "" {
		return 0
	}
	if v == "1" {
		return 1_000_000
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1000 {
		t.Fatalf("%s=%q: want 1 (for 1,000,000) or a number of profiles of at least 1000", envLoad, v)
	}
	return n
}

// TestLoadEndToEnd plans and applies an export of 1,000,000 synthetic profiles (or the number
// SENDGRIDAUDIENCE_DRILL_LOAD gives) against an emulator that limits each endpoint to 10
// requests a second and adds 20 ms to every request, and reports the time of each step and
// the peak memory (VmHWM) of the provider process and of the CLI, as a table and as Go
// benchmark lines (BenchmarkEndToEnd/...) that make bench collects. It runs only with
// SENDGRIDAUDIENCE_DRILL_LOAD set (make bench).
func TestLoadEndToEnd(t *testing.T) {
	n := loadProfiles(t)
	if n == 0 {
		t.Skipf("the end-to-end load drill runs only with %s=1 (1,000,000 profiles) or %s=N (make bench)", envLoad, envLoad)
	}
	cli := requireCLI(t)
	emu, listID := newExportEmulator(t, emulator.Config{RateLimit: 10, RateWindow: time.Second, JobDelay: 500 * time.Millisecond,
		Faults: emulator.Faults{Latency: 20 * time.Millisecond}})
	ws := cli.newWorkspace(t, loadConfig, map[string]any{"list_id": listID, "profiles_file": "customers.csv"}, emu.providerEnv()...)

	start := time.Now()
	opts := synth.Options{Count: n, Seed: 99, InvalidFraction: 0.001, DuplicateFraction: 0.001}
	writeSynth(t, ws.path("customers.csv"), opts, synth.CSV)
	gen := time.Since(start)
	st, err := os.Stat(ws.path("customers.csv"))
	if err != nil {
		t.Fatal(err)
	}
	g, _ := synth.New(opts)
	want := g.Stats().ValidUnique

	type step struct {
		name          string
		dur           time.Duration
		cliPeak, peak int64
	}
	var steps []step
	measure := func(name string, args ...string) {
		s := ws.start(args...)
		w := watchPeak(s.cmd.Process.Pid)
		r := ws.wait(s, args)
		cliPeak, peak := w.finish()
		if r.Code != 0 {
			t.Fatalf("%s\n%s", r, tail(r.Out(), 40))
		}
		steps = append(steps, step{name, r.Dur, cliPeak, peak})
	}
	measure(fmt.Sprintf("plan (%d rows read, validated, deduplicated)", n), "plan", "-input=false", "-no-color", "-out=load.tfplan")
	c0 := emu.Counters()
	measure("apply (the plan: read again, upload, wait for the job)", "apply", "-input=false", "-no-color", "load.tfplan")
	d := countersDelta(c0, emu.Counters())
	if _, count, _ := emu.ListInfo(emu.Key, listID); count != int64(want) {
		t.Errorf("the list holds %d contacts, want %d", count, want)
	}
	measure("plan with nothing changed", "plan", "-input=false", "-no-color", "-detailed-exitcode")

	var b strings.Builder
	fmt.Fprintf(&b, "Load drill under %s: %d profiles (%.0f MB CSV, generated in %.1f s), %d exported; emulator: 10 requests/s per endpoint, 20 ms latency\n\n",
		cli.Version, n, float64(st.Size())/1e6, gen.Seconds(), want)
	b.WriteString("| step | time | provider peak RSS | CLI peak RSS |\n| --- | ---: | ---: | ---: |\n")
	for _, s := range steps {
		fmt.Fprintf(&b, "| %s | %.1f s | %.0f MiB | %.0f MiB |\n", s.name, s.dur.Seconds(), float64(s.peak)/(1<<20), float64(s.cliPeak)/(1<<20))
	}
	fmt.Fprintf(&b, "\nThe apply sent %d requests (%d answered 429) and %d contacts (%d by upsert, %d by CSV import).\n",
		totalRequests(d), d.RateLimited, contactsReceived(d), d.ContactsUpserted, d.ContactsImported)
	t.Log("\n" + b.String())
	size := fmt.Sprintf("%dk", n/1000)
	if n%1_000_000 == 0 {
		size = fmt.Sprintf("%dM", n/1_000_000)
	}
	for i, name := range []string{"plan", "apply", "noop-plan"} {
		s := steps[i]
		extra := ""
		if name == "apply" {
			extra = fmt.Sprintf("\t%d http-reqs\t%d contacts", totalRequests(d), contactsReceived(d))
		}
		// Go benchmark format, so that make bench's table shows the end-to-end figures too.
		fmt.Printf("BenchmarkEndToEnd/%s/%s-%d\t1\t%d ns/op\t%.0f provider-peak-MB\t%.0f cli-peak-MB%s\n",
			name, size, runtime.GOMAXPROCS(0), s.dur.Nanoseconds(), float64(s.peak)/(1<<20), float64(s.cliPeak)/(1<<20), extra)
	}
	if path := os.Getenv(envReport); path != "" {
		if err := appendReport(path, b.String()); err != nil {
			t.Errorf("writing the report: %v", err)
		}
	}
}
