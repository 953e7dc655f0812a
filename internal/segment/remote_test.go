package segment

import (
	"context"
	"os"
	"testing"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/profile"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/s3fake"
)

// s3Remote puts the loopback store's credentials in the environment and returns the options
// that reach it.
func s3Remote(t testing.TB, f *s3fake.Server) profile.RemoteOptions {
	t.Helper()
	f.Env(t)
	return profile.RemoteOptions{S3Endpoint: f.URL, S3PathStyle: true, S3Region: s3fake.Region}
}

// An object in S3 previews as the same file on disk does: count, columns and types, the
// filter checked against them, the same content fingerprint; and its version from the store.
func TestPreviewOfS3ObjectsMatchesLocalFiles(t *testing.T) {
	const n = 3000
	_, srcs := dataset(t, n)
	f := s3fake.New(t)
	remote := s3Remote(t, f)
	f.Put(t, "exports/profiles.csv.gz", s3fake.GzipFile(t, srcs["csv"]))
	jsonl, err := os.ReadFile(srcs["jsonl"])
	if err != nil {
		t.Fatal(err)
	}
	f.Put(t, "exports/profiles.jsonl", jsonl)
	key := []byte("fingerprint key")
	filter := `country == "United States" && lifetime_value > 100.0`
	for kind, obj := range map[string]string{"csv": "s3://profiles/exports/profiles.csv.gz", "jsonl": "s3://profiles/exports/profiles.jsonl"} {
		local, err := Preview(context.Background(), Spec{Name: "s", Source: srcs[kind], Filter: filter}, key)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Preview(context.Background(), Spec{Name: "s", Source: obj, Filter: filter, Remote: remote}, key)
		if err != nil {
			t.Fatal(err)
		}
		if got.Count != local.Count || got.Scanned != n || got.Fingerprint != local.Fingerprint || len(got.Columns) != len(local.Columns) {
			t.Errorf("%s: preview %+v; the local file's %+v", obj, got, local)
		}
		if got.SourceVersion == "" || local.SourceVersion != "" {
			t.Errorf("%s: source version %q (local %q); want the object's ETag and size", obj, got.SourceVersion, local.SourceVersion)
		}
	}
	_, err = Open(context.Background(), Spec{Name: "s", Source: "s3://profiles/exports/profiles.csv.gz", Filter: `lifetime_value > "100"`, Remote: remote})
	wantSegmentError(t, err, "filter", []string{"lifetime_value"})
}

// A connection cut mid-read fails the preview: no count or fingerprint of part of the object.
func TestPreviewOfS3ObjectCutMidRead(t *testing.T) {
	_, srcs := dataset(t, 3000)
	f := s3fake.New(t)
	remote := s3Remote(t, f)
	data := s3fake.GzipFile(t, srcs["csv"])
	f.Put(t, "profiles.csv.gz", data)
	f.CutAt.Store(int64(len(data)) * 2 / 3)
	_, err := Preview(context.Background(), Spec{Name: "active", Source: "s3://profiles/profiles.csv.gz", Remote: remote}, []byte("k"))
	wantSegmentError(t, err, "source", []string{`segment "active"`, "s3://profiles/profiles.csv.gz line", "nothing read from it is used"})
}
