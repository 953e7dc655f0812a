package segment

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/profile"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/synth"
)

// benchFilter is the filter of the read-and-filter benchmarks: string, double and bool columns.
const benchFilter = `country == "United States" && lifetime_value > 100.0 && marketing_opt_in`

// benchFilterMySQL is benchFilter where marketing_opt_in is a BOOLEAN column, which MySQL
// reads as an int 0 or 1.
const benchFilterMySQL = `country == "United States" && lifetime_value > 100.0 && marketing_opt_in == 1`

// BenchmarkSegmentReadFilter reads 100,000 and 1,000,000 synthetic profiles from each kind of
// source (and gzipped CSV) through a segment with a CEL filter. Besides time per pass it reports:
//
//	profiles/s       throughput
//	allocs/profile   heap allocations per profile read (source + filter)
//	B/profile        bytes allocated per profile
//	peak-heap-MB     the highest heap (live and not yet swept objects) seen by a sampler every
//	                 millisecond during the passes: streaming keeps it flat from 100k to 1M rows
//
// The inputs are generated with internal/synth into a temporary directory (and, for
// PostgreSQL, copied into a table on the server named by SENDGRIDAUDIENCE_TEST_PG_DSN; for
// MySQL, into one on the MariaDB server named by SENDGRIDAUDIENCE_TEST_MYSQL_DSN) before the
// timer starts. Run with:
//
//	go test -run '^$' -bench BenchmarkSegmentReadFilter -benchtime 1x ./internal/segment/
func BenchmarkSegmentReadFilter(b *testing.B) {
	sizes := []struct {
		name string
		n    int
	}{{"100k", 100_000}, {"1M", 1_000_000}}
	for _, format := range []string{"csv", "jsonl", "sqlite", "postgres", "mysql", "parquet", "csv.gz"} {
		for _, size := range sizes {
			b.Run(format+"/"+size.name, func(b *testing.B) {
				source, query := benchSource(b, format, size.n)
				filter := benchFilter
				if format == "mysql" {
					filter = benchFilterMySQL
				}
				benchScan(b, Spec{Name: "bench", Source: source, Query: query, Filter: filter}, size.n)
			})
		}
	}
}

// benchSource generates the input for one benchmark and returns its source string and query.
func benchSource(b *testing.B, format string, n int) (string, string) {
	b.Helper()
	g, err := synth.New(synth.Options{Count: n, Seed: 42})
	if err != nil {
		b.Fatal(err)
	}
	if format == "postgres" {
		dsn := testPG(b)
		return dsn, "SELECT * FROM " + loadPG(b, dsn, g)
	}
	if format == "mysql" {
		dsn := testMySQL(b)
		return dsn, "SELECT * FROM " + loadMySQL(b, dsn, g)
	}
	f := map[string]synth.Format{"csv": synth.CSV, "jsonl": synth.JSONL, "sqlite": synth.SQLite, "parquet": synth.Parquet, "csv.gz": synth.CSV}[format]
	p := filepath.Join(b.TempDir(), "profiles."+string(f))
	if err := g.WriteFile(context.Background(), p, f); err != nil {
		b.Fatal(err)
	}
	if format == "csv.gz" {
		gz := compressCopy(b, p, ".gz")
		if err := os.Remove(p); err != nil {
			b.Fatal(err)
		}
		return gz, ""
	}
	if format == "sqlite" {
		return "sqlite:" + p, ""
	}
	return p, ""
}

func benchScan(b *testing.B, spec Spec, n int) {
	s, err := Open(context.Background(), spec)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = s.Close() }()

	runtime.GC()
	peak := startHeapSampler()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var rows, selected int64
	b.ResetTimer()
	for b.Loop() {
		err := s.ScanAll(context.Background(), func(_ *profile.Row, sel bool) error {
			rows++
			if sel {
				selected++
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	peakBytes := peak()
	if rows != int64(n)*int64(b.N) || selected == 0 {
		b.Fatalf("read %d rows (%d selected) in %d passes of %d", rows, selected, b.N, n)
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "profiles/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(rows), "allocs/profile")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(rows), "B/profile")
	b.ReportMetric(float64(peakBytes)/(1<<20), "peak-heap-MB")
}

// startHeapSampler samples the heap every millisecond until the returned function is called,
// which returns the highest value seen.
func startHeapSampler() func() uint64 {
	var (
		peak atomic.Uint64
		stop = make(chan struct{})
		wg   sync.WaitGroup
	)
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() {
		metrics.Read(sample)
		if v := sample[0].Value.Uint64(); v > peak.Load() {
			peak.Store(v)
		}
	}
	read()
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				read()
				return
			case <-t.C:
				read()
			}
		}
	}()
	return func() uint64 {
		close(stop)
		wg.Wait()
		return peak.Load()
	}
}

// TestBenchHelpers keeps the benchmark helpers honest in plain go test: the sampler sees an
// allocation made while it runs.
func TestBenchHelpers(t *testing.T) {
	runtime.GC()
	peak := startHeapSampler()
	buf := make([]byte, 64<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	time.Sleep(20 * time.Millisecond)
	runtime.KeepAlive(buf)
	if got := peak(); got < 64<<20 {
		t.Errorf("sampler peak %d bytes, want at least 64 MiB", got)
	}
}
