package segment

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/s3fake"
)

// A Parquet object previews as the file on disk does, read in place with ranged requests; a
// compressed one through a private temporary copy that Close removes.
func TestPreviewOfS3ParquetMatchesLocalFile(t *testing.T) {
	const n = 3000
	_, srcs := dataset(t, n)
	local := srcs["parquet"]
	raw, err := os.ReadFile(local)
	if err != nil {
		t.Fatal(err)
	}
	f := s3fake.New(t)
	remote := s3Remote(t, f)
	f.Put(t, "profiles.parquet", raw)
	f.Put(t, "profiles.parquet.gz", s3fake.GzipFile(t, local))
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	key := []byte("fingerprint key")
	filter := `country == "United States" && lifetime_value > 100.0`
	want, err := Preview(context.Background(), Spec{Name: "s", Source: local, Filter: filter}, key)
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range []string{"s3://profiles/profiles.parquet", "s3://profiles/profiles.parquet.gz"} {
		gets, ranged := f.Gets.Load(), f.RangedGets.Load()
		got, err := Preview(context.Background(), Spec{Name: "s", Source: obj, Filter: filter, Remote: remote}, key)
		if err != nil {
			t.Fatalf("%s: %v", obj, err)
		}
		if got.Count != want.Count || got.Scanned != n || got.Fingerprint != want.Fingerprint || got.SourceVersion == "" {
			t.Errorf("%s: preview %+v; the local file's %+v", obj, got, want)
		}
		// The plain object is read in place (footer, then column chunks); the compressed one is
		// streamed once, whole, into its temporary copy.
		n, nRanged := f.Gets.Load()-gets, f.RangedGets.Load()-ranged
		if compressed := strings.HasSuffix(obj, ".gz"); compressed && (n != 1 || nRanged != 0) || !compressed && (n < 2 || nRanged != n) {
			t.Errorf("%s: %d GET requests, %d of them ranged", obj, n, nRanged)
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
	f.CutAt.Store(int64(len(raw)) / 3)
	_, err = Preview(context.Background(), Spec{Name: "pq", Source: "s3://profiles/profiles.parquet.gz", Remote: remote}, key)
	wantSegmentError(t, err, "source", []string{"s3://profiles/profiles.parquet.gz", "nothing read from it is used"})
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temporary files left behind after a failed copy: %v", left)
	}
}
