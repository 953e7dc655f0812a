// Package s3fake is an S3-compatible store on loopback for tests and benchmarks of s3://
// sources: gofakes3 (an in-memory S3 implementation) behind a handler that verifies AWS
// Signature Version 4 as S3 does, and that can cut a GET's body mid-transfer. It is never
// part of the provider binary.
package s3fake

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3afero"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/spf13/afero"
)

// Credentials of the store; Env puts them in the environment, as a user would.
const (
	KeyID  = "AKIAFAKES3EXAMPLE000"
	Secret = "fake/secret/for/the/loopback/store/000000"
	Bucket = "profiles"
)

// Server is an S3-compatible store on loopback: gofakes3 behind a handler that checks AWS
// Signature Version 4 as S3 does (403 InvalidAccessKeyId for an unknown key ID, 403
// SignatureDoesNotMatch for a wrong secret) and can cut a GET's body after some bytes.
type Server struct {
	URL     string
	srv     *httptest.Server
	backend gofakes3.Backend
	// CutAt > 0 aborts GET responses after this many body bytes.
	CutAt atomic.Int64
	// Gets counts the GET requests served; RangedGets those of them that ask for a byte range.
	Gets, RangedGets atomic.Int64
}

// New starts a store with one bucket (Bucket) held in memory, stopped when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	mem := s3mem.New()
	if err := mem.CreateBucket(Bucket); err != nil {
		t.Fatal(err)
	}
	return serve(t, mem)
}

// NewOnDisk starts a store whose bucket (Bucket) is the directory dir: each file is an object
// named by its path in dir, served from the file without being loaded into memory (so that a
// benchmark's heap is the reader's alone).
func NewOnDisk(t testing.TB, dir string) *Server {
	t.Helper()
	fs, err := s3afero.NewBasePathFs(afero.NewOsFs(), dir, 0)
	if err == nil {
		var b *s3afero.SingleBucketBackend
		if b, err = s3afero.SingleBucket(Bucket, fs, nil); err == nil {
			return serve(t, b)
		}
	}
	t.Fatal(err)
	return nil
}

func serve(t testing.TB, backend gofakes3.Backend) *Server {
	f := &Server{backend: backend}
	s3h := gofakes3.New(f.backend, gofakes3.WithTimeSkewLimit(0)).Server()
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if code := checkSigV4(r, KeyID, Secret); code != "" {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			if r.Method != http.MethodHead {
				_, _ = fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>refused by the loopback store</Message></Error>`, code)
			}
			return
		}
		if r.Method == http.MethodGet {
			f.Gets.Add(1)
			if r.Header.Get("Range") != "" {
				f.RangedGets.Add(1)
			}
			if n := f.CutAt.Load(); n > 0 {
				w = &cuttingWriter{ResponseWriter: w, left: n}
			}
		}
		s3h.ServeHTTP(w, r)
	}))
	f.srv.Config.ErrorLog = log.New(quietWriter{os.Stderr}, "s3fake: ", log.LstdFlags)
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	f.URL = f.srv.URL
	return f
}

// Region is the region the store signs for.
const Region = "us-east-1"

// Env puts the store's credentials in the environment for the rest of the test. Sources reach
// the store with its URL as the S3 endpoint, path-style addressing and Region.
func (f *Server) Env(t testing.TB) {
	t.Helper()
	SetEnv(t, KeyID, Secret)
}

// SetEnv sets the AWS credentials in the environment for the rest of the test, and isolates
// the SDK from the machine's own AWS configuration.
func SetEnv(t testing.TB, id, secret string) {
	t.Helper()
	for _, kv := range EnvList(id, secret, "") {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// EnvList is the environment SetEnv sets, as KEY=VALUE entries for a child process, with the
// session token given.
func EnvList(id, secret, token string) []string {
	return []string{"AWS_ACCESS_KEY_ID=" + id, "AWS_SECRET_ACCESS_KEY=" + secret, "AWS_SESSION_TOKEN=" + token,
		"AWS_PROFILE=", "AWS_CONFIG_FILE=/nonexistent/aws-config", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent/aws-credentials",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_ENDPOINT_URL=", "AWS_ENDPOINT_URL_S3=", "AWS_REGION=" + Region}
}

// Put stores data under key in the bucket (replacing an object there).
func (f *Server) Put(t testing.TB, key string, data []byte) {
	t.Helper()
	if _, err := f.backend.PutObject(Bucket, key, map[string]string{}, bytes.NewReader(data), int64(len(data)), nil); err != nil {
		t.Fatal(err)
	}
}

// cuttingWriter passes on a response until left body bytes are written, then flushes them
// and aborts the connection, as a proxy or network failure mid-transfer does.
type cuttingWriter struct {
	http.ResponseWriter
	left int64
}

func (c *cuttingWriter) Write(p []byte) (int, error) {
	if int64(len(p)) < c.left {
		c.left -= int64(len(p))
		return c.ResponseWriter.Write(p)
	}
	_, _ = c.ResponseWriter.Write(p[:c.left])
	if fl, ok := c.ResponseWriter.(http.Flusher); ok {
		fl.Flush()
	}
	panic(http.ErrAbortHandler)
}

// checkSigV4 verifies a request's AWS Signature Version 4 Authorization header by signing the
// same request (its signed headers only) with the known secret. It returns "" when valid, or
// the S3 error code.
func checkSigV4(r *http.Request, keyID, secret string) string {
	auth := r.Header.Get("Authorization")
	fields := map[string]string{}
	for _, part := range strings.Split(strings.TrimPrefix(auth, "AWS4-HMAC-SHA256 "), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		fields[k] = v
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 {
		return "AccessDenied"
	}
	if scope[0] != keyID {
		return "InvalidAccessKeyId"
	}
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return "AccessDenied"
	}
	u := &url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
	clone := &http.Request{Method: r.Method, URL: u, Host: r.Host, Header: http.Header{}}
	for _, h := range strings.Split(fields["SignedHeaders"], ";") {
		if h != "host" {
			clone.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}
	if err := signer.SignHTTP(context.Background(), creds, clone, r.Header.Get("X-Amz-Content-Sha256"), scope[3], scope[2], at); err != nil {
		return "AccessDenied"
	}
	if !strings.HasSuffix(clone.Header.Get("Authorization"), "Signature="+fields["Signature"]) {
		return "SignatureDoesNotMatch"
	}
	return ""
}

// quietWriter passes the server's log on, without the "superfluous response.WriteHeader" lines
// gofakes3 causes when a client stops reading a response early (a benchmark's or test's
// reader, by design).
type quietWriter struct{ w io.Writer }

func (q quietWriter) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("superfluous response.WriteHeader")) {
		return len(p), nil
	}
	return q.w.Write(p)
}

// Gzip returns data compressed with gzip, as a warehouse export writes a .gz object.
func Gzip(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// GzipFile returns the local file at path compressed with gzip.
func GzipFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return Gzip(t, data)
}
