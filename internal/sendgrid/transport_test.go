package sendgrid_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
)

// catcher is a server that records every request it receives and whether it carried an
// Authorization header.
type catcher struct {
	srv      *httptest.Server
	requests atomic.Int64
	authed   atomic.Int64
}

func newCatcher(t *testing.T, tls bool, body string) *catcher {
	t.Helper()
	c := &catcher{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.requests.Add(1)
		if r.Header.Get("Authorization") != "" {
			c.authed.Add(1)
		}
		_, _ = io.WriteString(w, body)
	})
	if tls {
		c.srv = httptest.NewTLSServer(h)
	} else {
		c.srv = httptest.NewServer(h)
	}
	t.Cleanup(c.srv.Close)
	return c
}

// redirector answers every request with status and a Location of target plus the request's
// path and a token in the query.
func redirector(t *testing.T, tls bool, status int, target func() string, hits *atomic.Int64) *httptest.Server {
	t.Helper()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Location", target()+r.URL.Path+"?token=presigned-secret")
		w.WriteHeader(status)
	})
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	return srv
}

func clientFor(t *testing.T, base string, hc *http.Client) *sendgrid.Client {
	t.Helper()
	c, err := sendgrid.New(sendgrid.Config{APIKey: key, BaseURL: base, HTTPClient: hc, MaxAttempts: 4,
		BaseBackoff: time.Millisecond, MaxWait: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAPIRedirectRefused: a 301/302/303/307/308 from the API host to the same host on another
// port, and an https API URL redirecting to http, are refused; the target never receives a
// request (so never the key); the error names the status and the target's host, not its path,
// query or the key; nothing is retried.
func TestAPIRedirectRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		tls    bool
	}{
		{"302 to another port", http.StatusFound, false},
		{"307 to another port", http.StatusTemporaryRedirect, false},
		{"301 to another port", http.StatusMovedPermanently, false},
		{"308 to another port", http.StatusPermanentRedirect, false},
		{"303 to another port", http.StatusSeeOther, false},
		{"https to http", http.StatusFound, true},
		{"https to http (307)", http.StatusTemporaryRedirect, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := newCatcher(t, false, `{"scopes":["marketing.read"]}`)
			var hits atomic.Int64
			srv := redirector(t, tc.tls, tc.status, func() string { return target.srv.URL }, &hits)
			c := clientFor(t, srv.URL, srv.Client())
			_, err := c.Scopes(context.Background())
			var re *sendgrid.RedirectError
			if !errors.As(err, &re) {
				t.Fatalf("Scopes: %v, want a *sendgrid.RedirectError", err)
			}
			if n := target.requests.Load(); n != 0 {
				t.Errorf("the redirect target received %d requests (%d with Authorization)", n, target.authed.Load())
			}
			if n := hits.Load(); n != 1 {
				t.Errorf("the API host received %d requests, want 1 (a redirect is not retried)", n)
			}
			msg := err.Error()
			host := strings.TrimPrefix(target.srv.URL, "http://")
			for _, want := range []string{strconv.Itoa(tc.status), host, "GET /v3/scopes", "does not redirect", "api_url"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not say %q", msg, want)
				}
			}
			for _, bad := range []string{key, "presigned-secret", "token="} {
				if strings.Contains(msg, bad) {
					t.Errorf("error %q holds %q", msg, bad)
				}
			}
		})
	}
}

// TestTransferRedirects: a download URL may redirect to another https host (followed, no
// Authorization); a redirect to http is refused without a request to it; a redirect loop stops
// after a few redirects.
func TestTransferRedirects(t *testing.T) {
	ctx := context.Background()
	t.Run("https to https on another port is followed without credentials", func(t *testing.T) {
		target := newCatcher(t, true, "email,contact_id\r\n")
		var hits atomic.Int64
		srv := redirector(t, true, http.StatusTemporaryRedirect, func() string { return target.srv.URL }, &hits)
		c := clientFor(t, "https://api.sendgrid.com", srv.Client())
		rc, err := c.DownloadContactsExport(ctx, srv.URL+"/export.csv?sig=1")
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		_ = rc.Close()
		if err != nil || string(b) != "email,contact_id\r\n" {
			t.Fatalf("download: %q, %v", b, err)
		}
		if target.requests.Load() != 1 || target.authed.Load() != 0 {
			t.Errorf("target: %d requests, %d with Authorization; want 1 and 0", target.requests.Load(), target.authed.Load())
		}
	})
	t.Run("https to http is refused", func(t *testing.T) {
		target := newCatcher(t, false, "email\r\n")
		var hits atomic.Int64
		srv := redirector(t, true, http.StatusFound, func() string { return target.srv.URL }, &hits)
		c := clientFor(t, "https://api.sendgrid.com", srv.Client())
		_, err := c.DownloadContactsExport(ctx, srv.URL+"/export.csv?sig=1")
		var re *sendgrid.RedirectError
		if !errors.As(err, &re) {
			t.Fatalf("download: %v, want a *sendgrid.RedirectError", err)
		}
		if target.requests.Load() != 0 {
			t.Errorf("the http target received %d requests", target.requests.Load())
		}
		msg := err.Error()
		for _, want := range []string{"GET export_url", "http://" + strings.TrimPrefix(target.srv.URL, "http://"), "only to https://"} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q does not say %q", msg, want)
			}
		}
		if strings.Contains(msg, "presigned-secret") || strings.Contains(msg, "sig=") {
			t.Errorf("error %q holds the URL's query", msg)
		}
		if hits.Load() != 1 {
			t.Errorf("the download URL received %d requests, want 1 (a refused redirect is not retried)", hits.Load())
		}
	})
	t.Run("a redirect loop stops", func(t *testing.T) {
		var hits atomic.Int64
		var self string
		srv := redirector(t, true, http.StatusFound, func() string { return self }, &hits)
		self = srv.URL
		c := clientFor(t, "https://api.sendgrid.com", srv.Client())
		_, err := c.DownloadContactsExport(ctx, srv.URL+"/export.csv")
		var re *sendgrid.RedirectError
		if !errors.As(err, &re) || !re.TooMany {
			t.Fatalf("download: %v, want a *sendgrid.RedirectError for too many redirects", err)
		}
		if n := hits.Load(); n > 4 {
			t.Errorf("the server received %d requests, want at most 4 (the first and 3 redirects)", n)
		}
	})
}

// countingTransport counts the bytes read from response bodies.
type countingTransport struct {
	rt   http.RoundTripper
	read atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.rt.RoundTrip(r)
	if err == nil {
		resp.Body = &countingBody{ReadCloser: resp.Body, n: &c.read}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// endless answers 200 with a body of JSON-looking bytes that does not end (up to a safety cap of
// 256 MiB, far past every limit), counting the requests.
func endless(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits, wrote atomic.Int64
	chunk := []byte(strings.Repeat(`{"scopes":["marketing.read","x"]},`, 1024))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		for wrote.Load() < 256<<20 {
			n, err := w.Write(chunk)
			wrote.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// TestResponseBodyLimit: a 2xx answer that does not end is cut off after the endpoint's limit
// (bytes read, and memory allocated, bounded), with an error naming the endpoint and the limit,
// and not retried.
func TestResponseBodyLimit(t *testing.T) {
	srv, hits := endless(t)
	ct := &countingTransport{rt: srv.Client().Transport}
	c := clientFor(t, srv.URL, &http.Client{Transport: ct})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := c.Scopes(context.Background())
	runtime.ReadMemStats(&after)
	var tl *sendgrid.ResponseTooLargeError
	if !errors.As(err, &tl) {
		t.Fatalf("Scopes: %v, want a *sendgrid.ResponseTooLargeError", err)
	}
	for _, want := range []string{"GET /v3/scopes", "4 MiB", "api_url"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if n := ct.read.Load(); n > sendgrid.MaxJSONResponse+64<<10 {
		t.Errorf("read %d bytes of the body, want at most the limit (%d) and a little", n, sendgrid.MaxJSONResponse)
	}
	// Reading the whole (256 MiB) body would allocate over 256 MiB; the cut-off reads 4 MiB and
	// allocates about 10 MiB (the growing buffer). The bound leaves room for other goroutines.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16*sendgrid.MaxJSONResponse {
		t.Errorf("allocated %d bytes reading a body cut off at %d", alloc, sendgrid.MaxJSONResponse)
	}
	if hits.Load() != 1 {
		t.Errorf("the server received %d requests, want 1 (a body over its limit is not retried)", hits.Load())
	}
	t.Logf("cut off after reading %d bytes (limit %d), %d bytes allocated", ct.read.Load(), sendgrid.MaxJSONResponse, after.TotalAlloc-before.TotalAlloc)
}

// TestResponseBodyLimitConcurrent: several endless answers at once stay within their limits.
func TestResponseBodyLimitConcurrent(t *testing.T) {
	srv, _ := endless(t)
	ct := &countingTransport{rt: srv.Client().Transport}
	c := clientFor(t, srv.URL, &http.Client{Transport: ct})
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); _, _, errs[i] = c.ContactCount(context.Background()) }()
	}
	wg.Wait()
	for _, err := range errs {
		var tl *sendgrid.ResponseTooLargeError
		if !errors.As(err, &tl) {
			t.Errorf("ContactCount: %v, want a *sendgrid.ResponseTooLargeError", err)
		}
	}
	if n := ct.read.Load(); n > 4*(sendgrid.MaxJSONResponse+64<<10) {
		t.Errorf("read %d bytes from 4 endless answers", n)
	}
}

// BenchmarkEndlessResponse measures cutting off an endless 2xx answer: bytes read and allocated
// per request stay near the 4 MiB limit.
func BenchmarkEndlessResponse(b *testing.B) {
	var hits, wrote atomic.Int64
	chunk := []byte(strings.Repeat("x", 32<<10))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		for {
			n, err := w.Write(chunk)
			wrote.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	ct := &countingTransport{rt: srv.Client().Transport}
	c, err := sendgrid.New(sendgrid.Config{APIKey: key, BaseURL: srv.URL, HTTPClient: &http.Client{Transport: ct}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Scopes(context.Background()); err == nil {
			b.Fatal("an endless body was accepted")
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(ct.read.Load())/float64(b.N), "bytes-read/op")
}

// TestUploadRedirects: an upload URL answering 307 to https on another port is followed, the
// body sent again and no Authorization; a 307 to http is refused without a request to it.
func TestUploadRedirects(t *testing.T) {
	var got atomic.Value
	target := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if zr, err := gzip.NewReader(bytes.NewReader(b)); err == nil { // UploadCSV compresses the file
			b, _ = io.ReadAll(zr)
		}
		got.Store(r.Method + " " + r.Header.Get("Authorization") + "|" + string(b))
	}))
	t.Cleanup(target.Close)
	plain := newCatcher(t, false, "")
	for _, tc := range []struct {
		name, to string
		refused  bool
	}{{"https", target.URL, false}, {"http", plain.srv.URL, true}} {
		t.Run(tc.name, func(t *testing.T) {
			var hits atomic.Int64
			srv := redirector(t, true, http.StatusTemporaryRedirect, func() string { return tc.to }, &hits)
			c := clientFor(t, "https://api.sendgrid.com", srv.Client())
			err := c.UploadCSV(context.Background(), sendgrid.CSVImport{UploadURI: srv.URL + "/upload?sig=1"}, []byte("email\r\na@example.com\r\n"))
			var re *sendgrid.RedirectError
			switch {
			case tc.refused && !errors.As(err, &re):
				t.Fatalf("upload: %v, want a *sendgrid.RedirectError", err)
			case tc.refused && plain.requests.Load() != 0:
				t.Errorf("the http target received %d requests", plain.requests.Load())
			case !tc.refused && err != nil:
				t.Fatalf("upload: %v", err)
			case !tc.refused && got.Load() != "PUT |email\r\na@example.com\r\n":
				t.Errorf("the target received %q, want the PUT with its body and no Authorization", got.Load())
			}
		})
	}
}
