package sendgrid

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// FuzzParseErrorBody checks that any error body parses without panicking and that no email
// address survives into the messages.
func FuzzParseErrorBody(f *testing.F) {
	for _, s := range []string{
		`{"errors":[{"field":null,"message":"too many requests"}]}`,
		`{"errors":[{"field":"contacts[0].email","message":"user000001@example.com is invalid","error_id":"x"}]}`,
		`[{"message":"not found"}]`,
		`{"errors":{"field":"id","message":"m"}}`,
		`{"error":"bad request for Jane.Doe+x@Mail.Example.org"}`,
		`<html>502 Bad Gateway</html>`,
		``,
		`{"errors":[]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, it := range parseErrorBody(body) {
			for _, s := range []string{it.Field, it.Message} {
				if m := emailLike.FindString(s); m != "" {
					t.Fatalf("an address survived in %q (from %q)", s, body)
				}
			}
		}
	})
}

func TestRateLimitWait(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	for _, tc := range []struct {
		h    http.Header
		want time.Duration
	}{
		{http.Header{"X-Ratelimit-Reset": {"1700000003"}}, 3 * time.Second}, // canonical Go spelling of the header
		{http.Header{"X-Ratelimit-Reset": {"1699999990"}}, 0},
		{http.Header{"Retry-After": {"7"}}, 7 * time.Second},
		{http.Header{"X-Ratelimit-Reset": {"soon"}}, 0},
		{http.Header{}, 0},
	} {
		if got := rateLimitWait(tc.h, now); got != tc.want {
			t.Errorf("rateLimitWait(%v) = %v, want %v", tc.h, got, tc.want)
		}
	}
	// Headers set by a server with any capitalisation are read.
	h := http.Header{}
	h.Set("X-RateLimit-Reset", "1700000002")
	if got := rateLimitWait(h, now); got != 2*time.Second {
		t.Errorf("X-RateLimit-Reset via Set: %v", got)
	}
}

func TestBackoffGrowsWithJitterAndCap(t *testing.T) {
	c := &Client{backoff: 100 * time.Millisecond, maxWait: time.Second}
	for attempt, base := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 6: time.Second} {
		seen := map[time.Duration]bool{}
		for i := 0; i < 50; i++ {
			d := c.backoffFor(attempt)
			if d < base/2 || d > base {
				t.Fatalf("attempt %d: wait %v outside [%v, %v]", attempt, d, base/2, base)
			}
			seen[d] = true
		}
		if len(seen) < 5 {
			t.Errorf("attempt %d: no jitter (%d distinct waits)", attempt, len(seen))
		}
	}
}

func TestErrorString(t *testing.T) {
	e := &APIError{StatusCode: 400, Method: "PUT", Path: "/v3/marketing/contacts", Attempts: 1,
		Errors: []ErrorItem{{Field: "contacts[0].email", Message: "invalid"}, {Message: "second"}}}
	want := "sendgrid: PUT /v3/marketing/contacts: 400 Bad Request: contacts[0].email: invalid; second"
	if e.Error() != want {
		t.Errorf("Error() = %q", e.Error())
	}
	if !strings.Contains(scrub("for A.B@example.com only"), "A***@e***.com") {
		t.Errorf("scrub = %q", scrub("for A.B@example.com only"))
	}
}

// TestLimitedBody: a body of exactly the limit reads whole; one byte more fails with a
// *ResponseTooLargeError naming the endpoint and the limit.
func TestLimitedBody(t *testing.T) {
	for _, tc := range []struct {
		size    int
		tooLong bool
	}{{0, false}, {1023, false}, {1024, false}, {1025, true}, {1 << 20, true}} {
		b := limitBody(io.NopCloser(strings.NewReader(strings.Repeat("a", tc.size))), "GET", "export_url", 1024)
		data, err := io.ReadAll(b)
		var tl *ResponseTooLargeError
		switch {
		case tc.tooLong && !errors.As(err, &tl):
			t.Errorf("%d bytes: %v, want a *ResponseTooLargeError", tc.size, err)
		case tc.tooLong && (!strings.Contains(err.Error(), "GET export_url") || !strings.Contains(err.Error(), "1024 bytes") ||
			!strings.Contains(err.Error(), "the file is longer")):
			t.Errorf("%d bytes: error %q does not name the endpoint and the limit", tc.size, err)
		case tc.tooLong && len(data) > 1024:
			t.Errorf("%d bytes: read %d bytes past the limit", tc.size, len(data))
		case !tc.tooLong && (err != nil || len(data) != tc.size):
			t.Errorf("%d bytes: read %d, %v", tc.size, len(data), err)
		}
	}
}

// TestResponseLimits: every endpoint has a finite limit, the search and file downloads the
// larger ones.
func TestResponseLimits(t *testing.T) {
	for route, want := range map[string]int64{
		"GET /v3/scopes": MaxJSONResponse, "GET /v3/marketing/lists": MaxJSONResponse,
		"POST /v3/marketing/contacts/search/emails": MaxSearchResponse, "PUT upload_uri": MaxUploadResponse,
		"GET errors_url": MaxErrorsFile, "GET export_url": MaxContactsExportFile,
	} {
		if got := responseLimit(&request{route: route}); got != want {
			t.Errorf("%s: limit %d, want %d", route, got, want)
		}
	}
}

// TestAPIRoute: a route gives the request its method and path, the ID put in place of {id};
// the route itself stays the template (pacing and response limits are per template).
func TestAPIRoute(t *testing.T) {
	r := api("GET /v3/marketing/lists/{id}/contacts/count", idempotent, "abc")
	if r.method != "GET" || r.path != "/v3/marketing/lists/abc/contacts/count" || r.route != "GET /v3/marketing/lists/{id}/contacts/count" || r.repeat != idempotent {
		t.Errorf("api: %+v", r)
	}
	r = api("POST /v3/marketing/lists", once)
	if r.method != "POST" || r.path != "/v3/marketing/lists" || r.repeat != once {
		t.Errorf("api without ID: %+v", r)
	}
	r = transfer("PUT upload_uri", "https://upload.example.com/x?sig=1", idempotent)
	if r.method != "PUT" || r.absURL == "" || r.path != "" || r.logPath() != "upload_uri" {
		t.Errorf("transfer: %+v (log path %q)", r, r.logPath())
	}
}
