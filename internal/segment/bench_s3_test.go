package segment

import (
	"path/filepath"
	"testing"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/profile"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/s3fake"
)

// BenchmarkSegmentReadFilterS3 is BenchmarkSegmentReadFilter for a gzipped CSV object in an
// S3-compatible store on loopback (internal/s3fake, serving the object from a file, with
// signature checks): each pass streams the object over HTTP through the AWS SDK and the gzip
// decoder. The object is the file of the csv.gz rows of BenchmarkSegmentReadFilter. The store
// runs in the benchmark's process, so the peak heap and the allocations include its own; it
// serves the object from disk, so they stay small.
//
//	go test -run '^$' -bench BenchmarkSegmentReadFilterS3 -benchtime 1x ./internal/segment/
func BenchmarkSegmentReadFilterS3(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"100k", 100_000}, {"1M", 1_000_000}} {
		b.Run("s3-csv.gz/"+size.name, func(b *testing.B) {
			gz, _ := benchSource(b, "csv.gz", size.n)
			store := s3fake.NewOnDisk(b, filepath.Dir(gz))
			store.Env(b)
			remote := profile.RemoteOptions{S3Endpoint: store.URL, S3PathStyle: true, S3Region: s3fake.Region}
			benchScan(b, Spec{Name: "bench", Source: "s3://" + s3fake.Bucket + "/" + filepath.Base(gz), Filter: benchFilter, Remote: remote}, size.n)
		})
	}
}
