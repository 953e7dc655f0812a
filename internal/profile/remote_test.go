package profile

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/s3fake"
)

var fakeModTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const remoteCSV = "email,first_name,age:int\nada@example.com,Ada,36\nbob@example.com,Bob,41\n"

// s3Options puts the store's credentials in the environment and returns the options that
// point s3:// sources at it.
func s3Options(t testing.TB, f *s3fake.Server) Options {
	t.Helper()
	f.Env(t)
	return Options{Remote: RemoteOptions{S3Endpoint: f.URL, S3PathStyle: true, S3Region: s3fake.Region}}
}

func zstdObject(t testing.TB, b []byte) []byte {
	t.Helper()
	zw, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	return zw.EncodeAll(b, nil)
}

func TestRemoteSpecs(t *testing.T) {
	tests := []struct {
		spec string
		kind Kind
		want string // substring of the error; "" for no error
	}{
		{"s3://profiles/exports/customers.csv", KindCSV, ""},
		{"s3://profiles/exports/customers.csv.gz", KindCSV, ""},
		{"s3://profiles/exports/customers.ndjson.zst", KindJSONL, ""},
		{"S3://profiles/customers.jsonl?versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY", KindJSONL, ""},
		{"csv:s3://profiles/exports/part-0000", KindCSV, ""},
		{"jsonl:https://data.example.com/dump.gz", KindJSONL, ""},
		{"https://data.example.com/exports/customers.csv?generation=7", KindCSV, ""},
		{"http://127.0.0.1:8080/customers.csv", KindCSV, ""},
		{"s3://profiles/exports/", "", "names no object"},
		{"s3://Profiles_Bucket/customers.csv", "", "not a valid S3 bucket name"},
		{"s3://AKIAEXAMPLE:s3cr3tv4lue@profiles/customers.csv", "", "user name, password"},
		{"s3://profiles/customers.csv?X-Amz-Signature=s3cr3tv4lue", "", "no query string other than ?versionId"},
		{"s3://AKIAEXAMPLE:s3cr3tv4lue@profiles/customers.csv?versionId=1&x=2", "", "user name, password"},
		{"s3://AKIAEXAMPLE:s3cr3tv4lue@profiles/customers.csv?versionId=1", "", "user name, password"},
		{"https://user:s3cr3tv4lue@data.example.com/customers.csv", "", "user name or password"},
		{"https://profiles.s3.amazonaws.com/customers.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F&X-Amz-Signature=s3cr3tv4lue", "", "holds a credential"},
		{"https://acct.blob.core.windows.net/c/customers.csv?sv=2022&sig=s3cr3tv4lue", "", `parameter "sig"`},
		{"https://data.example.com/customers.csv?access_token=s3cr3tv4lue", "", "holds a credential"},
		{"https://data.example.com/customers.csv#access_token=s3cr3tv4lue", "", "#fragment"},
		{"https://data.example.com/customers.csv?x=1;access_token=s3cr3tv4lue", "", "holds a credential"},
		{"https://data.example.com/customers.csv?access_token%zz=s3cr3tv4lue", "", "holds a credential"},
		{"https://data.example.com/customers.csv?%61pi_key=s3cr3tv4lue", "", "holds a credential"},
		{"http://data.example.com/customers.csv", "", "only for loopback"},
		{"https://data.example.com/customers.xlsx", "", "cannot tell the format"},
		{"s3://profiles/customers.parquet", KindParquet, ""},
	}
	for _, tt := range tests {
		kind, err := CheckSpec(tt.spec)
		if tt.want == "" {
			if err != nil || kind != tt.kind {
				t.Errorf("CheckSpec(%q) = %q, %v; want %q", tt.spec, kind, err, tt.kind)
			}
			continue
		}
		pe := wantError(t, err, []string{tt.want}, "s3cr3tv4lue", "AKIAEXAMPLE")
		if pe != nil && strings.Contains(pe.Pos.File, "?") {
			t.Errorf("CheckSpec(%q): position %q shows the query string", tt.spec, pe.Pos.File)
		}
	}
}

func TestS3SourcesStreamEachFormat(t *testing.T) {
	f := s3fake.New(t)
	opts := s3Options(t, f)
	jsonl := `{"email":"ada@example.com","first_name":"Ada","age":36}` + "\n" + `{"email":"bob@example.com","first_name":"Bob","age":41}` + "\n"
	f.Put(t, "exports/customers.csv", []byte(remoteCSV))
	f.Put(t, "exports/customers.csv.gz", s3fake.Gzip(t, []byte(remoteCSV)))
	f.Put(t, "exports/customers.jsonl.zst", zstdObject(t, []byte(jsonl)))
	f.Put(t, "exports/part-0000.gz", s3fake.Gzip(t, []byte(jsonl)))
	for _, spec := range []string{"s3://profiles/exports/customers.csv", "s3://profiles/exports/customers.csv.gz",
		"s3://profiles/exports/customers.jsonl.zst", "jsonl:s3://profiles/exports/part-0000.gz"} {
		cols, rows, err := readAll(t, spec, opts)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		got := fmt.Sprint(cols)
		if got != "[{email string} {first_name string} {age int}]" {
			t.Errorf("%s: columns %s", spec, got)
		}
		if len(rows) != 2 || rows[1].Values[0] != "bob@example.com" || rows[1].Values[2] != int64(41) {
			t.Fatalf("%s: rows %v", spec, rows)
		}
		line := int64(3) // after the header
		if strings.Contains(spec, "jsonl") {
			line = 2
		}
		if want := spec[strings.Index(spec, "s3://"):]; rows[1].Pos.File != want || rows[1].Pos.Line != line {
			t.Errorf("%s: second row at %v; want %s line %d", spec, rows[1].Pos, want, line)
		}
	}
}

func TestS3SourceVersionFromHead(t *testing.T) {
	f := s3fake.New(t)
	opts := s3Options(t, f)
	f.Put(t, "customers.csv", []byte(remoteCSV))
	src, err := OpenWith(context.Background(), "s3://profiles/customers.csv", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = src.Close() }()
	v := src.(interface{ SourceVersion() string }).SourceVersion()
	if !strings.Contains(v, "etag=\"") || !strings.HasSuffix(v, fmt.Sprintf("size=%d", len(remoteCSV))) {
		t.Errorf("SourceVersion() = %q; want the ETag and the size", v)
	}
}

func TestS3WrongCredentials(t *testing.T) {
	f := s3fake.New(t)
	f.Put(t, "customers.csv", []byte(remoteCSV))
	opts := s3Options(t, f)
	for _, tc := range []struct{ id, secret, want string }{
		{"AKIAWRONGKEY00000000", s3fake.Secret, "InvalidAccessKeyId"},
		{s3fake.KeyID, "wrong/secret/value/000000000000000000000", "SignatureDoesNotMatch"},
	} {
		s3fake.SetEnv(t, tc.id, tc.secret)
		_, err := OpenWith(context.Background(), "s3://profiles/customers.csv", opts)
		wantError(t, err, []string{tc.want, `bucket "profiles", key "customers.csv"`}, tc.secret, s3fake.Secret, tc.id)
	}
}

func TestS3MissingObjectAndBucket(t *testing.T) {
	f := s3fake.New(t)
	opts := s3Options(t, f)
	_, err := OpenWith(context.Background(), "s3://profiles/exports/missing.csv", opts)
	wantError(t, err, []string{"s3://profiles/exports/missing.csv", "the object does not exist", `bucket "profiles", key "exports/missing.csv"`})
	// A HEAD request's 404 does not say whether the bucket or the key is missing.
	_, err = OpenWith(context.Background(), "s3://profils/exports/customers.csv", opts)
	wantError(t, err, []string{"s3://profils/exports/customers.csv", `the bucket "profils" does not exist`})
}

func TestS3NoCredentials(t *testing.T) {
	f := s3fake.New(t)
	opts := s3Options(t, f)
	s3fake.SetEnv(t, "", "")
	_, err := OpenWith(context.Background(), "s3://profiles/customers.csv", opts)
	wantError(t, err, []string{"no AWS credentials", "AWS_ACCESS_KEY_ID"})
}

// A connection cut mid-read fails the scan with an error naming the object; the rows read
// before the cut are never taken for the whole segment.
func TestS3ConnectionDroppedMidRead(t *testing.T) {
	f := s3fake.New(t)
	opts := s3Options(t, f)
	var b strings.Builder
	b.WriteString("email,n:int\n")
	for i := range 20000 {
		fmt.Fprintf(&b, "user%06d@example.com,%d\n", i, i)
	}
	for _, key := range []string{"big.csv", "big.csv.gz"} {
		data := []byte(b.String())
		if strings.HasSuffix(key, ".gz") {
			data = s3fake.Gzip(t, data)
		}
		f.Put(t, key, data)
		src, err := OpenWith(context.Background(), "s3://profiles/"+key, opts)
		if err != nil {
			t.Fatal(err)
		}
		f.CutAt.Store(int64(len(data) / 2))
		rows := 0
		err = src.Scan(context.Background(), func(*Row) error { rows++; return nil })
		f.CutAt.Store(0)
		pe := wantError(t, err, []string{"s3://profiles/" + key, "nothing read from it is used"})
		if pe.Pos.Line == 0 {
			t.Errorf("%s: the error names no line: %v", key, err)
		}
		if rows == 0 || rows >= 20000 {
			t.Errorf("%s: %d rows before the error; want some but not all", key, rows)
		}
		_ = src.Close()
	}
}

// Each read of an object is pinned to the identity seen when it was opened.
func TestS3ObjectReplacedBetweenReads(t *testing.T) {
	f := s3fake.New(t)
	opts := s3Options(t, f)
	f.Put(t, "customers.csv", []byte(remoteCSV))
	src, err := OpenWith(context.Background(), "s3://profiles/customers.csv", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = src.Close() }()
	f.Put(t, "customers.csv", []byte(remoteCSV+"eve@example.com,Eve,29\n"))
	err = src.Scan(context.Background(), func(*Row) error { return nil })
	wantError(t, err, []string{"s3://profiles/customers.csv", "the object changed while it was read"})
}

func TestS3CorruptGzip(t *testing.T) {
	f := s3fake.New(t)
	opts := s3Options(t, f)
	f.Put(t, "customers.csv.gz", []byte(remoteCSV))
	_, err := OpenWith(context.Background(), "s3://profiles/customers.csv.gz", opts)
	wantError(t, err, []string{"s3://profiles/customers.csv.gz", "is not gzip data"}, "ada@example.com")
	gz := s3fake.Gzip(t, []byte(remoteCSV))
	f.Put(t, "truncated.csv.gz", gz[:len(gz)-12])
	_, _, err = readAll(t, "s3://profiles/truncated.csv.gz", opts)
	wantError(t, err, []string{"s3://profiles/truncated.csv.gz", "gzip data is truncated"})
}

// httpsFile serves data at /exports/<name> with an ETag, as a static file server or CDN does.
func httpsFile(t testing.TB, name string, data *[]byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/exports/"+name {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", fmt.Sprintf(`"%x"`, len(*data)))
		http.ServeContent(w, r, name, fakeModTime, bytes.NewReader(*data))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestHTTPSSources(t *testing.T) {
	data := s3fake.Gzip(t, []byte(remoteCSV))
	srv := httpsFile(t, "customers.csv.gz", &data)
	opts := Options{Remote: RemoteOptions{HTTPClient: srv.Client()}}
	cols, rows, err := readAll(t, srv.URL+"/exports/customers.csv.gz?generation=3", opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(cols) != 3 || len(rows) != 2 || rows[0].Values[1] != "Ada" || rows[0].Pos.File != srv.URL+"/exports/customers.csv.gz" {
		t.Fatalf("columns %v, rows %v", cols, rows)
	}
	_, err = OpenWith(context.Background(), srv.URL+"/exports/other.csv", opts)
	wantError(t, err, []string{"/exports/other.csv", "no file at this URL (HTTP 404"})

	src, err := OpenWith(context.Background(), srv.URL+"/exports/customers.csv.gz", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = src.Close() }()
	if v := src.(interface{ SourceVersion() string }).SourceVersion(); v != fmt.Sprintf(`etag="%x" size=%d`, len(data), len(data)) {
		t.Errorf("SourceVersion() = %q", v)
	}
	data = s3fake.Gzip(t, []byte(remoteCSV+"eve@example.com,Eve,29\n"))
	err = src.Scan(context.Background(), func(*Row) error { return nil })
	wantError(t, err, []string{"the object changed while it was read"})
}

func TestHTTPSRefusedAccess(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusForbidden)
	}))
	defer srv.Close()
	_, err := OpenWith(context.Background(), srv.URL+"/customers.csv", Options{Remote: RemoteOptions{HTTPClient: srv.Client()}})
	wantError(t, err, []string{"refused access (HTTP 403", "read without credentials"})
}

// Random access to remote objects (for Parquet) reads only the ranges asked for, from S3 and
// from HTTPS servers, and fails on a range cut short.
func TestObjectReaderAt(t *testing.T) {
	data := []byte(strings.Repeat("0123456789", 1000))
	f := s3fake.New(t)
	opts := s3Options(t, f)
	f.Put(t, "blob.parquet", data)
	s3rs, err := parseS3URL("s3://profiles/blob.parquet")
	if err != nil {
		t.Fatal(err)
	}
	web := httpsFile(t, "blob.parquet", &data)
	httprs, err := parseHTTPURL(web.URL + "/exports/blob.parquet")
	if err != nil {
		t.Fatal(err)
	}
	for _, rs := range []remoteSpec{s3rs, httprs} {
		o := opts.Remote
		if rs.scheme != "s3" {
			o.HTTPClient = web.Client()
		}
		store, err := newRemoteStore(context.Background(), rs, o)
		if err != nil {
			t.Fatal(err)
		}
		info, err := store.stat(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		ra := newObjectReaderAt(context.Background(), rs.display, store, info)
		buf := make([]byte, 25)
		if n, err := ra.ReadAt(buf, 1003); n != 25 || err != nil || string(buf) != "3456789012345678901234567" {
			t.Errorf("%s: ReadAt(25 at 1003) = %d, %v, %q", rs.display, n, err, buf[:n])
		}
		if n, err := ra.ReadAt(buf, int64(len(data))-10); n != 10 || err != io.EOF || string(buf[:n]) != "0123456789" {
			t.Errorf("%s: ReadAt at the end = %d, %v, %q", rs.display, n, err, buf[:n])
		}
		if n, err := ra.ReadAt(buf, int64(len(data))); n != 0 || err != io.EOF {
			t.Errorf("%s: ReadAt past the end = %d, %v", rs.display, n, err)
		}
	}
	ra := openReaderAt(t, s3rs, opts.Remote)
	gets := f.Gets.Load()
	f.CutAt.Store(10)
	_, err = ra.ReadAt(make([]byte, 4096), 100)
	f.CutAt.Store(0)
	wantError(t, err, []string{"s3://profiles/blob.parquet", "nothing read from it is used"})
	if f.Gets.Load() != gets+1 {
		t.Errorf("one ReadAt made %d requests", f.Gets.Load()-gets)
	}
	// Small reads are served from the blocks already fetched.
	big := bytes.Repeat([]byte("abcdefghij"), 300_000) // 3 MB
	f.Put(t, "big.parquet", big)
	bigrs, err := parseS3URL("s3://profiles/big.parquet")
	if err != nil {
		t.Fatal(err)
	}
	ra = openReaderAt(t, bigrs, opts.Remote)
	gets = f.Gets.Load()
	buf := make([]byte, 100)
	for _, off := range []int64{0, 5000, 2_500_000, 700_000, 2_600_000, 90} {
		if n, err := ra.ReadAt(buf, off); n != 100 || err != nil || !bytes.Equal(buf, big[off:off+100]) {
			t.Fatalf("ReadAt(100 at %d) = %d, %v", off, n, err)
		}
	}
	if n := f.Gets.Load() - gets; n != 2 {
		t.Errorf("six small reads in two regions made %d requests; want 2", n)
	}
}

// A server that stops sending mid-body without closing the connection does not hang the read.
func TestHTTPSStalledBody(t *testing.T) {
	defer func(d time.Duration) { RemoteIdleTimeout = d }(RemoteIdleTimeout)
	RemoteIdleTimeout = 300 * time.Millisecond
	body := remoteCSV + strings.Repeat("carol@example.com,Carol,52\n", 2000)
	release := make(chan struct{})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		if r.Method == http.MethodHead {
			return
		}
		_, _ = io.WriteString(w, body[:len(body)/2])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	start := time.Now()
	_, _, err := readAll(t, srv.URL+"/customers.csv", Options{Remote: RemoteOptions{HTTPClient: srv.Client()}})
	wantError(t, err, []string{"/customers.csv line", "no data arrived for 300ms", "nothing read from it is used"})
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the stalled read took %s", d)
	}
}

// Opening an object version already opened reuses its columns: a HEAD request, no read. A new
// version is read again.
func TestRemoteColumnsReusedByVersion(t *testing.T) {
	f := s3fake.New(t)
	opts := s3Options(t, f)
	jsonl := `{"email":"ada@example.com","age":36}` + "\n"
	f.Put(t, "again.jsonl", []byte(jsonl))
	f.Put(t, "again.csv", []byte(remoteCSV))
	for _, spec := range []string{"s3://profiles/again.jsonl", "s3://profiles/again.csv"} {
		gets := f.Gets.Load()
		for range 2 {
			src, err := OpenWith(context.Background(), spec, opts)
			if err != nil {
				t.Fatal(err)
			}
			_ = src.Close()
		}
		if n := f.Gets.Load() - gets; n != 1 {
			t.Errorf("%s: opening the same version twice read the object %d times; want 1", spec, n)
		}
	}
	f.Put(t, "again.jsonl", []byte(jsonl+`{"email":"bob@example.com","age":41,"plan":"pro"}`+"\n"))
	gets := f.Gets.Load()
	cols, rows, err := readAll(t, "s3://profiles/again.jsonl", opts)
	if err != nil {
		t.Fatal(err)
	}
	if n := f.Gets.Load() - gets; n != 2 || len(cols) != 3 || len(rows) != 2 {
		t.Errorf("a new version: %d reads, columns %v, %d rows; want 2 reads (types, rows), 3 columns, 2 rows", n, cols, len(rows))
	}
}

// Without an endpoint in the options, the AWS SDK's AWS_ENDPOINT_URL_S3 names the store.
func TestS3EndpointFromEnvironment(t *testing.T) {
	f := s3fake.New(t)
	f.Env(t)
	t.Setenv("AWS_ENDPOINT_URL_S3", f.URL)
	f.Put(t, "customers.csv", []byte(remoteCSV))
	_, rows, err := readAll(t, "s3://profiles/customers.csv", Options{Remote: RemoteOptions{S3PathStyle: true}})
	if err != nil || len(rows) != 2 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
}

// A server that answers with an HTML page (a sign-in or error page served with 200) instead of
// the file is refused, rather than read as a CSV file whose header is the page.
func TestHTTPSHTMLPageInsteadOfFile(t *testing.T) {
	page := "\n  <!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>ada@example.com</body></html>\n"
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		http.ServeContent(w, r, "page", fakeModTime, strings.NewReader(page))
	}))
	defer srv.Close()
	opts := Options{Remote: RemoteOptions{HTTPClient: srv.Client()}}
	for _, name := range []string{"/customers.csv", "/customers.jsonl", "/customers.csv.gz"} {
		_, err := OpenWith(context.Background(), srv.URL+name, opts)
		if name == "/customers.csv.gz" {
			wantError(t, err, []string{"gzip"}, "ada@example.com")
			continue
		}
		wantError(t, err, []string{srv.URL + name, "an HTML page"}, "ada@example.com", "Sign in")
	}
}

// A body longer than the size the object's HEAD said (a server that keeps sending) fails as
// soon as it passes that size, instead of being read to the end.
func TestHTTPSBodyLongerThanHead(t *testing.T) {
	var sent atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			w.Header().Set("Content-Length", "40")
			return
		}
		_, _ = io.WriteString(w, "email,first_name\n")
		for i := 0; i < 200000 && r.Context().Err() == nil; i++ {
			n, _ := fmt.Fprintf(w, "u%d@example.com,N%d\n", i, i)
			sent.Add(int64(n))
		}
	}))
	defer srv.Close()
	_, _, err := readAll(t, srv.URL+"/customers.csv", Options{Remote: RemoteOptions{HTTPClient: srv.Client()}})
	wantError(t, err, []string{"more than its 40 bytes"}, "example.com")
	if n := sent.Load(); n > 8<<20 {
		t.Errorf("%d bytes were sent before the read stopped", n)
	}
}

// hugeFooterStore is an object that claims 5 GiB, whose last 8 bytes say its Parquet footer
// takes 4 GiB; every other range is zeros. It records the largest range asked for.
type hugeFooterStore struct{ largest atomic.Int64 }

func (s *hugeFooterStore) stat(context.Context) (objectInfo, error) {
	return objectInfo{Size: 5 << 30, ETag: `"huge"`}, nil
}

func (s *hugeFooterStore) get(_ context.Context, info objectInfo, off, n int64) (io.ReadCloser, error) {
	if n > s.largest.Load() {
		s.largest.Store(n)
	}
	if off+n == info.Size && n <= 8 {
		tail := []byte{0xF0, 0xFF, 0xFF, 0xFF, 'P', 'A', 'R', '1'}
		return io.NopCloser(bytes.NewReader(tail[8-n:])), nil
	}
	return io.NopCloser(io.LimitReader(zeros{}, n)), nil
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// A Parquet object whose footer claims gigabytes (damaged, or a hostile server) is refused
// before its footer is read into memory.
func TestRemoteParquetFooterTooLarge(t *testing.T) {
	rs, err := parseRemote("https://data.example.com/customers.parquet", "")
	if err != nil {
		t.Fatal(err)
	}
	store := &hugeFooterStore{}
	info, _ := store.stat(context.Background())
	_, err = openRemoteParquet(context.Background(), rs, store, info)
	wantError(t, err, []string{"footer"})
	if n := store.largest.Load(); n > maxParquetFooter {
		t.Errorf("a range of %d bytes was read", n)
	}
}

// http:// is for loopback only: a loopback server's redirect to plain http:// elsewhere is
// refused, as the URL itself would be.
func TestHTTPRedirectToPlainHTTPElsewhere(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://profiles.invalid/customers.csv?token=s3cr3tv4lue", http.StatusFound)
	}))
	defer srv.Close()
	_, err := OpenWith(context.Background(), srv.URL+"/customers.csv", Options{})
	wantError(t, err, []string{"redirect", "plain http://"}, "s3cr3tv4lue")
}

// A server that ignores Range requests cannot serve a Parquet object: the error says so, names
// the URL unmasked, and does not call the file "not Parquet".
func TestHTTPSParquetWithoutRanges(t *testing.T) {
	data := parquetBytes(t, []pqEmail{{Email: "user1@example.com", N: 1}})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		if r.Method != http.MethodHead {
			_, _ = w.Write(data) // 200 with the whole file, whatever the Range header asks
		}
	}))
	t.Cleanup(srv.Close)
	_, err := OpenWith(context.Background(), srv.URL+"/exports/customers.parquet", Options{Remote: RemoteOptions{HTTPClient: srv.Client()}})
	pe := wantError(t, err, []string{srv.URL + "/exports/customers.parquet", "does not serve byte ranges", "supports Range requests"})
	if msg := pe.Error(); strings.Contains(msg, "not a readable Parquet file") || strings.Contains(msg, "***") {
		t.Errorf("error %q blames the file or masks the URL", msg)
	}
}

// The provider has no setting for AWS credentials, so no S3 message sends the user to its
// configuration for them.
func TestS3CredentialHintsNameOnlyTheSDKChain(t *testing.T) {
	for _, spec := range []string{"s3://profiles/customers.csv?X-Amz-Signature=s3cr3tv4lue", "s3://AKIAEXAMPLE:s3cr3tv4lue@profiles/customers.csv"} {
		_, err := CheckSpec(spec)
		pe := wantError(t, err, []string{"credentials come from the environment"}, "s3cr3tv4lue")
		if pe != nil && strings.Contains(pe.Error(), "provider configuration") {
			t.Errorf("CheckSpec(%q): %q points to the provider configuration for credentials", spec, pe.Error())
		}
	}
}

// openReaderAt opens the object rs names for ranged reads.
func openReaderAt(t *testing.T, rs remoteSpec, o RemoteOptions) *objectReaderAt {
	t.Helper()
	store, err := newRemoteStore(context.Background(), rs, o)
	if err != nil {
		t.Fatal(err)
	}
	info, err := store.stat(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return newObjectReaderAt(context.Background(), rs.display, store, info)
}

// A ranged read (Parquet objects are read in place) whose connection stalls fails after
// RemoteIdleTimeout, as a streamed read does, instead of waiting for the scan's deadline.
func TestHTTPSStalledRange(t *testing.T) {
	defer func(d time.Duration) { RemoteIdleTimeout = d }(RemoteIdleTimeout)
	RemoteIdleTimeout = 300 * time.Millisecond
	const size = 1000
	release := make(chan struct{})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Accept-Ranges", "bytes")
		if r.Method == http.MethodHead {
			w.Header().Set("Content-Length", fmt.Sprint(size))
			return
		}
		w.Header().Set("Content-Range", fmt.Sprintf("bytes 0-%d/%d", size-1, size))
		w.Header().Set("Content-Length", fmt.Sprint(size))
		w.WriteHeader(http.StatusPartialContent)
		_, _ = w.Write(make([]byte, size/2))
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	rs, err := parseHTTPURL(srv.URL + "/blob.parquet")
	if err != nil {
		t.Fatal(err)
	}
	ra := openReaderAt(t, rs, RemoteOptions{HTTPClient: srv.Client()})
	start := time.Now()
	_, err = ra.ReadAt(make([]byte, 100), 0)
	wantError(t, err, []string{"/blob.parquet", "no data arrived for 300ms", "nothing read from it is used"})
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the stalled read took %s", d)
	}
}
