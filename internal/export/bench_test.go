package export

// Benchmarks of the export engine against the in-process emulator (no artificial latency).
//
//	go test -run '^$' -bench . -benchtime 1x -timeout 60m ./internal/export/
//
// Inputs are synthetic profiles (internal/synth: 0.5 % invalid rows, 0.5 % duplicate emails)
// in CSV files, mapped to every reserved field plus three custom fields (Text, Number, Date).
//
//	BenchmarkPlan/N             read, validate, dedupe and diff N profiles against the snapshot of
//	                            the same data set before a 1 % edit. Metrics: heap-B/profile (peak
//	                            live heap sampled during the plan, minus the heap before), peak-MB,
//	                            profiles/s.
//	BenchmarkUpload/N           a first apply of N profiles into an empty list (the engine picks the
//	                            method); plan-s (scan) and upload-s (after the scan: serialization,
//	                            requests, jobs awaited) separately, and in the same iteration the
//	                            raw transfer baseline: the same contacts pre-serialized in the
//	                            same form (gzip CSV for an import, JSON bodies for upserts) sent
//	                            with the same HTTP client and concurrency, jobs awaited, into a
//	                            fresh emulator. x-baseline = upload-s / baseline-s. upload-reqs is
//	                            the upload requests made, min-reqs the minimum SendGrid's limits
//	                            allow for those contacts.
//	BenchmarkUploadBaseline/N/M the baseline alone, for method M (put: JSON upserts of 30,000
//	                            contacts / 6 MB; csv: one gzip CSV import per 1,000,000).
//	BenchmarkIncremental1pct/N  an apply after 1 % of the rows changed: uploaded-pct is the
//	                            share of the N profiles uploaded (target ≤ 1.1).

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/export/snapshot"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/segment"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/synth"
)

var benchSizes = []struct {
	name string
	n    int
}{{"100k", 100_000}, {"1M", 1_000_000}}

var (
	benchDirOnce sync.Once
	benchDir     string
	benchFiles   sync.Map // name -> path
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		_ = os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// benchFile returns a synthetic CSV of n profiles (generated once per run).
func benchFile(b *testing.B, n int, editPercent float64, editSeed int64) string {
	b.Helper()
	benchDirOnce.Do(func() {
		d, err := os.MkdirTemp("", "export-bench-") //nolint:usetesting // shared by every benchmark of the run; removed in TestMain
		if err != nil {
			b.Fatal(err)
		}
		benchDir = d
	})
	name := fmt.Sprintf("p%d-e%g-s%d.csv", n, editPercent, editSeed)
	if p, ok := benchFiles.Load(name); ok {
		return p.(string)
	}
	path := filepath.Join(benchDir, name)
	g, err := synth.New(synth.Options{Count: n, Seed: 42, InvalidFraction: 0.005, DuplicateFraction: 0.005,
		EditPercent: editPercent, EditSeed: editSeed})
	if err != nil {
		b.Fatal(err)
	}
	if err := g.WriteFile(context.Background(), path, synth.CSV); err != nil {
		b.Fatal(err)
	}
	benchFiles.Store(name, path)
	return path
}

type benchEnv struct {
	emu    *emulator.Emulator
	url    string
	stop   func()
	client *sendgrid.Client
	listID string
}

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	emu := emulator.New(emulator.Config{Seed: 1, JobDelay: time.Millisecond})
	url, stop := emu.Start()
	c, err := sendgrid.New(sendgrid.Config{APIKey: emulator.TestKey, BaseURL: url})
	if err != nil {
		b.Fatal(err)
	}
	env := &benchEnv{emu: emu, url: url, stop: stop, client: c, listID: emu.SeedList(emulator.TestKey, "Bench")}
	emu.SeedField(emulator.TestKey, "plan", "Text")
	emu.SeedField(emulator.TestKey, "lifetime_value", "Number")
	emu.SeedField(emulator.TestKey, "signup_date", "Date")
	return env
}

func (env *benchEnv) request(path string) Request {
	return Request{Segments: []segment.Spec{{Name: "bench", Source: path}}, Mapping: synthMapping(),
		ListID: env.listID, APIKey: emulator.TestKey, SyncMode: SyncMirror}
}

func (env *benchEnv) engine() *Engine {
	return &Engine{Client: env.client, PollInterval: 20 * time.Millisecond}
}

// heapSampler samples the live heap (runtime/metrics, no stop-the-world) every millisecond.
type heapSampler struct {
	peak atomic.Uint64
	done chan struct{}
	wg   sync.WaitGroup
}

var heapMetric = "/memory/classes/heap/objects:bytes"

func heapNow() uint64 {
	s := []metrics.Sample{{Name: heapMetric}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func startSampler() *heapSampler {
	h := &heapSampler{done: make(chan struct{})}
	h.peak.Store(heapNow())
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-h.done:
				return
			case <-t.C:
				if v := heapNow(); v > h.peak.Load() {
					h.peak.Store(v)
				}
			}
		}
	}()
	return h
}

func (h *heapSampler) stop() uint64 {
	close(h.done)
	h.wg.Wait()
	if v := heapNow(); v > h.peak.Load() {
		h.peak.Store(v)
	}
	return h.peak.Load()
}

// cpuTime is the process's user+system CPU time (emulator included: it runs in-process). On a
// shared machine it varies less than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// scanned runs the engine's read stage for req, keeping the records to upload when forUpload.
func scanned(b *testing.B, e *Engine, req Request, forUpload bool) *run {
	b.Helper()
	r, err := e.start(context.Background(), &req, nil)
	if err != nil {
		b.Fatal(err)
	}
	r.apply = forUpload
	if err := r.read(context.Background()); err != nil {
		b.Fatal(err)
	}
	return r
}

// snapshotOf returns the snapshot a run that confirmed every contact of req would leave.
func snapshotOf(b *testing.B, e *Engine, req Request) []byte {
	b.Helper()
	r := scanned(b, e, req, false)
	data, err := (&snapshot.Snapshot{ListID: req.ListID, Fields: r.fields, Entries: r.ch.cur}).
		Marshal(r.keys.snapshot)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

func BenchmarkPlan(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(size.name, func(b *testing.B) {
			base := benchFile(b, size.n, 0, 0)
			edited := benchFile(b, size.n, 1, 1)
			env := newBenchEnv(b)
			defer env.stop()
			eng := env.engine()
			baseReq := env.request(base)
			baseReq.SyncMode = SyncUpsert
			prev := snapshotOf(b, eng, baseReq)
			req := env.request(edited)
			req.SyncMode = SyncUpsert // the list is not filled here; mirror would notice it is empty
			req.Previous = prev
			var peak, before uint64
			var plan *Plan
			var cpu time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				runtime.GC()
				before = heapNow()
				h := startSampler()
				c0 := cpuTime()
				b.StartTimer()
				var err error
				plan, err = eng.Plan(context.Background(), req)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				cpu += cpuTime() - c0
				if p := h.stop(); p-before > peak {
					peak = p - before
				}
				b.StartTimer()
			}
			b.StopTimer()
			if plan.ToUpdate == 0 || plan.ToUpdate > int64(size.n)/50 {
				b.Fatalf("plan: %d updates", plan.ToUpdate)
			}
			b.ReportMetric(float64(peak)/float64(size.n), "heap-B/profile")
			b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
			b.ReportMetric(float64(size.n)*float64(b.N)/b.Elapsed().Seconds(), "profiles/s")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s")
		})
	}
}

// preserialized is the upload of one apply, prepared ahead for the baseline.
type preserialized struct {
	method  string
	bodies  [][]byte // JSON upsert bodies, or gzip CSV files
	ids     []string // CSV field mappings
	listID  string
	entries int
}

// preserialize builds the bodies the engine would send for req, in the given method.
func preserialize(b *testing.B, e *Engine, req Request, method string) *preserialized {
	b.Helper()
	r := scanned(b, e, req, true)
	r.abort() // the baseline serializes on its own, below
	ps := &preserialized{method: method, listID: req.ListID, entries: r.out.size()}
	switch method {
	case "csv":
		names, ids, ok := r.codec.csvHeader()
		if !ok {
			b.Fatal("no field IDs for CSV")
		}
		ps.ids = ids
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		n := 0
		line := csvHeaderLine(names)
		flush := func() {
			_ = zw.Close()
			ps.bodies = append(ps.bodies, bytes.Clone(buf.Bytes()))
			buf.Reset()
			zw.Reset(&buf)
			n = 0
		}
		r.out.spool.each(func(_ snapshot.Entry, _ int, rec []byte) bool {
			if n == 0 {
				_, _ = zw.Write(csvHeaderLine(names))
			}
			line = r.codec.appendCSV(line[:0], rec)
			_, _ = zw.Write(line)
			n++
			if n == e.maxImportContacts() {
				flush()
			}
			return true
		})
		if n > 0 {
			flush()
		}
	default:
		maxC, maxB := e.maxBatchContacts(), e.maxBatchBytes()
		prefix := bodyPrefix(req.ListID)
		body, count := append([]byte{}, prefix...), 0
		r.out.spool.each(func(_ snapshot.Entry, jsonLen int, rec []byte) bool {
			if !fits(count, len(body), jsonLen, maxC, maxB) {
				ps.bodies = append(ps.bodies, append(body, bodySuffix...))
				body, count = append([]byte{}, prefix...), 0
			}
			if count > 0 {
				body = append(body, ',')
			}
			body = r.codec.appendJSON(body, rec)
			count++
			return true
		})
		if count > 0 {
			ps.bodies = append(ps.bodies, append(body, bodySuffix...))
		}
	}
	return ps
}

// send is the raw transfer: the prepared bodies with the same client and concurrency, every
// job awaited.
func (ps *preserialized) send(b *testing.B, e *Engine, c *sendgrid.Client, concurrency int) {
	ctx := context.Background()
	var jobs sync.WaitGroup
	wait := func(id string) {
		defer jobs.Done()
		j, err := e.waitJob(ctx, id) // the engine's own job polling, for a like-for-like wait
		if err != nil || j.Status != sendgrid.JobCompleted {
			b.Errorf("baseline job %s: %v %s", id, err, j.Status)
		}
	}
	if ps.method == "csv" {
		for _, body := range ps.bodies {
			imp, err := c.StartCSVImport(ctx, []string{ps.listID}, ps.ids)
			if err != nil {
				b.Fatal(err)
			}
			if err := c.UploadCSV(ctx, imp, body); err != nil {
				b.Fatal(err)
			}
			jobs.Add(1)
			go wait(imp.JobID)
		}
		jobs.Wait()
		return
	}
	next := make(chan []byte)
	var workers sync.WaitGroup
	for range concurrency {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for body := range next {
				id, err := c.UpsertContactsJSON(ctx, body)
				if err != nil {
					b.Error(err)
					continue
				}
				jobs.Add(1)
				go wait(id)
			}
		}()
	}
	for _, body := range ps.bodies {
		next <- body
	}
	close(next)
	workers.Wait()
	jobs.Wait()
}

// minRequests is the fewest upload requests SendGrid's limits allow for the contacts.
func minRequests(method string, contacts int, jsonBytes int64) int {
	if method == "csv" {
		return 2 * ((contacts + sendgrid.MaxImportContacts - 1) / sendgrid.MaxImportContacts)
	}
	byCount := (contacts + sendgrid.MaxUpsertContacts - 1) / sendgrid.MaxUpsertContacts
	byBytes := int((jsonBytes + sendgrid.MaxUpsertBytes - 1) / sendgrid.MaxUpsertBytes)
	return max(byCount, byBytes)
}

func uploadRequests(c emulator.Counters) int64 {
	return c.Requests["PUT /v3/marketing/contacts"] + c.Requests["PUT /v3/marketing/contacts/imports"] + c.ImportUploads
}

func BenchmarkUpload(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(size.name, func(b *testing.B) {
			path := benchFile(b, size.n, 0, 0)
			var planS, uploadS, baseS float64
			var reqs, minReqs, allReqs int64
			var cpu time.Duration
			method := ""
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				env := newBenchEnv(b)
				eng := env.engine()
				req := env.request(path)
				runtime.GC()
				c0 := cpuTime()
				b.StartTimer()
				res, err := eng.Apply(context.Background(), req, Expected{})
				b.StopTimer()
				cpu += cpuTime() - c0
				if err != nil || res.Report.Status != StatusSucceeded {
					b.Fatalf("apply: %v", err)
				}
				planS += res.Report.ScanDuration.Seconds()
				uploadS += res.Report.UploadDuration.Seconds()
				method = res.Report.Method
				c := env.emu.Counters()
				reqs += uploadRequests(c)
				allReqs += env.client.Stats().Requests
				minReqs += int64(minRequests(method, int(res.Report.Requested), res.Plan.jsonBytes))
				if got := len(env.emu.ListMembers(emulator.TestKey, env.listID)); int64(got) != res.Plan.Profiles {
					b.Fatalf("list has %d members, want %d", got, res.Plan.Profiles)
				}
				env.stop()

				// Baseline, same iteration: the same contacts pre-serialized, sent raw.
				benv := newBenchEnv(b)
				ps := preserialize(b, benv.engine(), benv.request(path), method)
				runtime.GC()
				start := time.Now()
				ps.send(b, benv.engine(), benv.client, eng.concurrency())
				baseS += time.Since(start).Seconds()
				benv.stop()
				b.StartTimer()
			}
			n := float64(b.N)
			b.ReportMetric(planS/n, "plan-s")
			b.ReportMetric(uploadS/n, "upload-s")
			b.ReportMetric(baseS/n, "baseline-s")
			b.ReportMetric(uploadS/baseS, "x-baseline")
			b.ReportMetric(float64(reqs)/n, "upload-reqs")
			b.ReportMetric(float64(minReqs)/n, "min-reqs")
			b.ReportMetric(float64(allReqs)/n, "http-reqs")
			b.ReportMetric(cpu.Seconds()/n, "cpu-s")
			b.Logf("method %s", method)
		})
	}
}

func BenchmarkUploadBaseline(b *testing.B) {
	for _, size := range benchSizes {
		for _, method := range []string{"put", "csv"} {
			b.Run(size.name+"/"+method, func(b *testing.B) {
				path := benchFile(b, size.n, 0, 0)
				var reqs int64
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					env := newBenchEnv(b)
					eng := env.engine()
					ps := preserialize(b, eng, env.request(path), method)
					runtime.GC()
					b.StartTimer()
					ps.send(b, eng, env.client, eng.concurrency())
					b.StopTimer()
					reqs += uploadRequests(env.emu.Counters())
					env.stop()
					b.StartTimer()
				}
				b.ReportMetric(float64(reqs)/float64(b.N), "upload-reqs")
			})
		}
	}
}

func BenchmarkIncremental1pct(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(size.name, func(b *testing.B) {
			base := benchFile(b, size.n, 0, 0)
			env := newBenchEnv(b)
			defer env.stop()
			eng := env.engine()
			res, err := eng.Apply(context.Background(), env.request(base), Expected{})
			if err != nil {
				b.Fatal(err)
			}
			first := res.Snapshot
			var uploaded, reqs int64
			var planS, uploadS float64
			var cpu time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				req := env.request(benchFile(b, size.n, 1, int64(i+1)))
				req.Previous = first
				before := env.emu.Counters()
				runtime.GC()
				c0 := cpuTime()
				b.StartTimer()
				res, err := eng.Apply(context.Background(), req, Expected{})
				b.StopTimer()
				cpu += cpuTime() - c0
				if err != nil {
					b.Fatal(err)
				}
				after := env.emu.Counters()
				uploaded += (after.ContactsUpserted + after.ContactsImported) - (before.ContactsUpserted + before.ContactsImported)
				reqs += uploadRequests(after) - uploadRequests(before)
				planS += res.Report.ScanDuration.Seconds()
				uploadS += res.Report.UploadDuration.Seconds()
				b.StartTimer()
			}
			n := float64(b.N)
			b.ReportMetric(100*float64(uploaded)/n/float64(size.n), "uploaded-pct")
			b.ReportMetric(float64(reqs)/n, "upload-reqs")
			b.ReportMetric(planS/n, "plan-s")
			b.ReportMetric(uploadS/n, "upload-s")
			b.ReportMetric(cpu.Seconds()/n, "cpu-s")
		})
	}
}
