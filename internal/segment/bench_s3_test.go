package segment

import (
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/profile"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/s3fake"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/synth"
)

// BenchmarkSegmentReadFilterS3 is BenchmarkSegmentReadFilter for a gzipped CSV object in an
// S3-compatible store on loopback (internal/s3fake, serving the object from a file, with
// signature checks): each pass streams the object over HTTP through the AWS SDK and the gzip
// decoder. The store runs in the benchmark's process, but serves from disk, so the peak heap
// is the reader's.
//
//	go test -run '^$' -bench BenchmarkSegmentReadFilterS3 -benchtime 1x ./internal/segment/
func BenchmarkSegmentReadFilterS3(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"100k", 100_000}, {"1M", 1_000_000}} {
		b.Run("s3-csv.gz/"+size.name, func(b *testing.B) {
			dir := b.TempDir()
			writeGzipCSV(b, filepath.Join(dir, "profiles.csv.gz"), size.n)
			store := s3fake.NewOnDisk(b, dir)
			store.Env(b)
			remote := profile.RemoteOptions{S3Endpoint: store.URL, S3PathStyle: true, S3Region: s3fake.Region}
			benchScan(b, Spec{Name: "bench", Source: "s3://" + s3fake.Bucket + "/profiles.csv.gz", Filter: benchFilter, Remote: remote}, size.n)
		})
	}
}

// writeGzipCSV writes n synthetic profiles as a gzipped CSV file at path.
func writeGzipCSV(b *testing.B, path string, n int) {
	b.Helper()
	g, err := synth.New(synth.Options{Count: n, Seed: 42})
	if err != nil {
		b.Fatal(err)
	}
	plain := filepath.Join(b.TempDir(), "profiles.csv")
	if err := g.WriteFile(context.Background(), plain, synth.CSV); err != nil {
		b.Fatal(err)
	}
	in, err := os.Open(plain)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = in.Close() }()
	out, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	zw := gzip.NewWriter(out)
	if _, err := io.Copy(zw, in); err != nil {
		b.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
}
