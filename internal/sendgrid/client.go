// Package sendgrid is a small, typed client for the parts of the Twilio SendGrid v3 API that a
// Marketing Campaigns audience export needs: key scopes and account, lists, custom field
// definitions, contact upserts (JSON and CSV import), async job status, search by email,
// list-membership removal, counts and contact exports.
//
// Every endpoint is one route ("GET /v3/marketing/lists/{id}": method and path written once), a
// repeat policy (idempotent or once) and a response type: call sends it and decodes the answer.
// Requests are built with sendgrid-go's GetRequest and sent through github.com/sendgrid/rest
// with an *http.Client this package controls. Every non-2xx answer becomes an *APIError carrying
// SendGrid's own messages. Retries are done here, not by sendgrid-go: a 429 waits until
// X-RateLimit-Reset; 5xx answers and broken connections back off exponentially with jitter; the
// number of attempts is bounded; every wait ends when the context does; and only idempotent
// requests are repeated after an ambiguous failure (a "once" request, which creates a list, a
// field or a job, is repeated only when it provably never left). When X-RateLimit-Remaining
// reaches zero the client waits for the reset before sending the next request to that endpoint.
//
// The retry loop is written here rather than taken from go-retryablehttp:
// the decisions it makes need what that library's CheckRetry hook does not see - whether any of
// the request was written (httptrace), the per-route pacing state from X-RateLimit-Remaining, a
// 2xx body cut short while being read, redirects refused without retrying, and the 403 scope
// lookup - so a custom policy there would rebuild most of this loop around a second client, and
// retryablehttp's own request rewinding and logging would need replacing too. The loop
// (exchange, attempt, broken) is about 85 lines; Config.Logf is the provider's bridge into tflog.
//
// The API key is sent only to the configured base URL (never to upload or download URLs) and
// never appears in errors or log fields. A redirect from the API host is refused (SendGrid's API
// does not redirect); upload and download URLs follow a few redirects, only to https://, without
// credentials. Every response body is read up to a limit per endpoint (see responseLimit).
package sendgrid

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sendgrid/rest"
	sgo "github.com/sendgrid/sendgrid-go"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/wait"
)

// DefaultBaseURL is SendGrid's v3 API (the EU region's host is chosen by internal/endpoint).
const DefaultBaseURL = "https://api.sendgrid.com"

// SendGrid's documented limits that callers batch by.
const (
	// MaxUpsertContacts is the most contacts one PUT /v3/marketing/contacts accepts.
	MaxUpsertContacts = 30000
	// MaxUpsertBytes is the largest PUT /v3/marketing/contacts body ("6 MB", read as the
	// lower, decimal value).
	MaxUpsertBytes = 6_000_000
	// MaxSearchEmails is the most addresses one POST /v3/marketing/contacts/search/emails takes.
	MaxSearchEmails = 100
	// MaxSearchEmailLength is the longest address POST /v3/marketing/contacts/search/emails
	// takes (spec: emails.items maxLength 100); one longer address fails the whole call.
	MaxSearchEmailLength = 100
	// MaxURLLength keeps request URLs (list-membership removal) well inside what proxies accept.
	MaxURLLength = 8000
	// MaxListsPerContact is how many lists one contact may belong to.
	MaxListsPerContact = 250
	// MaxCustomFields is how many custom field definitions an account may have.
	MaxCustomFields = 500
	// MaxImportContacts is the most rows one CSV import may carry.
	MaxImportContacts = 1_000_000
)

// Scopes an API key needs for the operations of this package. SendGrid's permission lists (the
// "API Key Permissions" and "Teammate Permissions" pages, and GET /v3/scopes of a full-access
// key) name only two scopes for the current Marketing Campaigns API: marketing.read and
// marketing.automation.read. There is no separate write scope: marketing.read is what SendGrid
// grants for its Marketing permission, and it is the scope every /v3/marketing/ endpoint this
// package calls (lists, field definitions, contacts, imports, exports) needs, reads and writes
// alike. SendGrid does not document a scope per endpoint.
const (
	ScopeMarketingRead           = "marketing.read"
	ScopeMarketingAutomationRead = "marketing.automation.read" // Automations; not needed here
	ScopeUsernameRead            = "user.username.read"
	ScopeAccountRead             = "user.account.read"
	ScopeProfileRead             = "user.profile.read"
)

// RequiredScopes returns the scopes an audience export needs (reading and writing Marketing
// Campaigns contacts, lists and fields, and reading the account's identity). The profile scope is
// optional and not listed.
func RequiredScopes() []string {
	return []string{ScopeMarketingRead, ScopeUsernameRead, ScopeAccountRead}
}

// ScopePermission names the permission in SendGrid's API key editor (Settings > API Keys >
// Restricted Access) that grants scope, with its access level, or "" for a scope it does not
// know. SendGrid's UI groups scopes by product: Marketing covers marketing.*, User Account
// covers user.* reads.
func ScopePermission(scope string) string {
	switch scope {
	case ScopeMarketingRead, ScopeMarketingAutomationRead:
		return "Marketing: Full Access"
	case ScopeUsernameRead, ScopeAccountRead, ScopeProfileRead:
		return "User Account: Read Access"
	}
	return ""
}

// Config configures a Client.
type Config struct {
	APIKey  string
	BaseURL string // default DefaultBaseURL
	// HTTPClient sends the requests (default: DefaultHTTPClient; tests pass the emulator's). The
	// client uses copies of it with its own redirect policy (CheckRedirect is replaced).
	HTTPClient *http.Client
	UserAgent  string
	// MaxAttempts is the total number of attempts for a retryable request (default 6).
	MaxAttempts int
	// MaxWait caps one backoff or rate-limit wait (default 60s).
	MaxWait time.Duration
	// BaseBackoff is the first backoff after a 5xx or a broken connection (default 500ms); it
	// doubles with every attempt, with jitter.
	BaseBackoff time.Duration
	// Logf, when set, is called for every attempt and wait with method, path, status and attempt
	// only: never the key, a body or a query string.
	Logf func(ctx context.Context, msg string, fields map[string]any)
}

// Stats are counters of what a Client did, for tests and benchmarks.
type Stats struct {
	Requests       int64 // HTTP requests sent (every attempt)
	Retries        int64 // attempts after the first
	RateLimitWaits int64 // waits for a rate-limit reset (after a 429 or when Remaining hit 0)
	BytesSent      int64 // request body bytes sent
}

// Client talks to SendGrid's v3 API. It is safe for concurrent use.
type Client struct {
	key       string
	base      string // scheme://host[:port] without trailing slash
	userAgent string
	rc        *rest.Client // API requests: redirects are refused
	xrc       *rest.Client // upload and download URLs: https redirects only, without credentials
	maxAtt    int
	maxWait   time.Duration
	backoff   time.Duration
	logf      func(ctx context.Context, msg string, fields map[string]any)

	requests, retries, rlWaits, bytesSent atomic.Int64

	paceMu sync.Mutex
	pace   map[string]*paceState // by route
}

type paceState struct {
	remaining int // -1 unknown
	reset     time.Time
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.APIKey) == "" {
		return nil, errors.New("sendgrid: an API key is required")
	}
	if strings.ContainsAny(cfg.APIKey, "\r\n") {
		return nil, errors.New("sendgrid: the API key contains a line break")
	}
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("sendgrid: base URL %q is not an http(s) URL", base)
	}
	if u.User != nil {
		return nil, errors.New("sendgrid: the base URL must not contain credentials")
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = DefaultHTTPClient()
	}
	c := &Client{
		key:       cfg.APIKey,
		base:      strings.TrimRight(u.Scheme+"://"+u.Host+u.Path, "/"),
		userAgent: cfg.UserAgent,
		rc:        &rest.Client{HTTPClient: apiHTTPClient(hc)},
		xrc:       &rest.Client{HTTPClient: transferHTTPClient(hc)},
		maxAtt:    cfg.MaxAttempts,
		maxWait:   cfg.MaxWait,
		backoff:   cfg.BaseBackoff,
		logf:      cfg.Logf,
		pace:      map[string]*paceState{},
	}
	if c.maxAtt <= 0 {
		c.maxAtt = 6
	}
	if c.maxWait <= 0 {
		c.maxWait = 60 * time.Second
	}
	if c.backoff <= 0 {
		c.backoff = 500 * time.Millisecond
	}
	return c, nil
}

// DefaultHTTPClient returns the client used when Config.HTTPClient is nil: its own transport
// (connections are kept alive and reused across requests), connect and TLS handshake timeouts,
// a response-header timeout, and an overall limit per attempt.
func DefaultHTTPClient() *http.Client {
	t := &http.Transport{Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true}
	if dt, ok := http.DefaultTransport.(*http.Transport); ok {
		t = dt.Clone()
	}
	t.MaxIdleConns = 64
	t.MaxIdleConnsPerHost = 16
	t.IdleConnTimeout = 90 * time.Second
	t.TLSHandshakeTimeout = 15 * time.Second
	t.ResponseHeaderTimeout = 2 * time.Minute
	t.ExpectContinueTimeout = time.Second
	t.DialContext = (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return &http.Client{Transport: t, Timeout: 10 * time.Minute}
}

// Stats returns a snapshot of the client's counters.
func (c *Client) Stats() Stats {
	return Stats{
		Requests:       c.requests.Load(),
		Retries:        c.retries.Load(),
		RateLimitWaits: c.rlWaits.Load(),
		BytesSent:      c.bytesSent.Load(),
	}
}

// response is a completed HTTP exchange with a 2xx status.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (c *Client) log(ctx context.Context, msg string, fields map[string]any) {
	if c.logf != nil {
		c.logf(ctx, msg, fields)
	}
}

func (r *request) logPath() string {
	if r.absURL != "" {
		// The route without its method ("export_url"): never the URL, which carries tokens.
		return strings.TrimPrefix(r.route, string(r.method)+" ")
	}
	return r.path
}

// buildRest builds the sendgrid-go / rest request for one attempt.
func (c *Client) buildRest(r *request) rest.Request {
	var rr rest.Request
	if r.absURL != "" {
		rr = rest.Request{BaseURL: r.absURL, Headers: map[string]string{}}
		if c.userAgent != "" {
			rr.Headers["User-Agent"] = c.userAgent
		}
	} else {
		rr = sgo.GetRequest(c.key, r.path, c.base)
		if c.userAgent != "" {
			rr.Headers["User-Agent"] = c.userAgent
		}
	}
	rr.Method = r.method
	rr.QueryParams = r.query
	rr.Body = r.body
	for k, v := range r.header {
		rr.Headers[k] = v
	}
	return rr
}

// buildRequest builds the *http.Request of one attempt. A request to an upload or download URL
// carries only the headers asked for: rest adds "Content-Type: application/json" to any request
// with a body, which a presigned URL's signature may not cover.
func (c *Client) buildRequest(r *request) (*http.Request, error) {
	req, err := rest.BuildRequestObject(c.buildRest(r))
	if err != nil {
		return nil, err
	}
	if r.absURL != "" && !hasHeader(r.header, "Content-Type") {
		req.Header.Del("Content-Type")
	}
	return req, nil
}

// do sends r with retries and returns a 2xx response, an *APIError, or a transport/context error.
func (c *Client) do(ctx context.Context, r *request) (*response, error) {
	var res *response
	err := c.exchange(ctx, r, func(resp *http.Response) (bool, error) {
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return false, err
		}
		res = &response{status: resp.StatusCode, header: resp.Header, body: b}
		return false, nil
	})
	return res, err
}

// exchange runs the retry loop: attempts until one ends the exchange, sleeping between them.
// onOK is called with a 2xx response; it returns keep=true when it took ownership of the body.
// An error it returns counts as a broken connection after the request was sent.
func (c *Client) exchange(ctx context.Context, r *request, onOK func(resp *http.Response) (keep bool, err error)) error {
	for n := 1; ; n++ {
		pause, err := c.attempt(ctx, r, n, onOK)
		if pause < 0 || err != nil {
			return err
		}
		if err := wait.Sleep(ctx, pause); err != nil {
			return err
		}
	}
}

// done is the wait attempt returns when the exchange is over (with its error, or nil).
const done time.Duration = -1

// attempt sends attempt n of r. It returns done and the exchange's result, or the wait before
// the next attempt.
func (c *Client) attempt(ctx context.Context, r *request, n int, onOK func(*http.Response) (bool, error)) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return done, err
	}
	if err := c.waitPace(ctx, r); err != nil {
		return done, err
	}
	if n > 1 {
		c.retries.Add(1)
	}
	c.requests.Add(1)
	c.bytesSent.Add(int64(len(r.body)))
	resp, wrote, err := c.send(ctx, r)
	if err != nil {
		// A request that provably never left (nothing written, connection refused) may be repeated.
		rep := r.repeat
		if !wrote || errors.Is(err, syscall.ECONNREFUSED) {
			rep = idempotent
		}
		c.log(ctx, "sendgrid request failed", map[string]any{"method": string(r.method), "path": r.logPath(),
			"attempt": n, "error": errClass(err), "will_retry": rep == idempotent && n < c.maxAtt})
		return c.broken(ctx, r, n, err, wrote, rep)
	}
	c.notePace(r, resp.Header)
	c.log(ctx, "sendgrid response", map[string]any{"method": string(r.method), "path": r.logPath(), "status": resp.StatusCode, "attempt": n})
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400 && r.absURL == "":
		_ = resp.Body.Close()
		return done, apiRedirect(string(r.method), r.logPath(), resp)
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		resp.Body = limitBody(resp.Body, string(r.method), r.logPath(), responseLimit(r))
		keep, err := onOK(resp)
		if !keep {
			_ = resp.Body.Close()
		}
		if err == nil {
			return done, nil
		}
		return c.broken(ctx, r, n, err, true, r.repeat)
	}
	wait, err := c.failedStatus(ctx, r, resp, n)
	if err != nil {
		return done, err
	}
	c.log(ctx, "sendgrid retry wait", map[string]any{"method": string(r.method), "path": r.logPath(),
		"status": resp.StatusCode, "attempt": n, "wait_ms": wait.Milliseconds()})
	return wait, nil
}

// broken ends attempt n, which got no complete answer: the exchange is over (a context error, a
// refused redirect or oversized body, a *TransportError) unless rep allows a repeat and attempts
// remain, in which case it waits a backoff. sent reports whether SendGrid may have the request.
func (c *Client) broken(ctx context.Context, r *request, n int, err error, sent bool, rep repeat) (time.Duration, error) {
	if ctx.Err() != nil {
		return done, ctx.Err()
	}
	if fe := finalError(err, string(r.method), r.logPath()); fe != nil {
		return done, fe
	}
	if rep != idempotent || n >= c.maxAtt {
		return done, &TransportError{Method: string(r.method), Path: r.logPath(), Attempts: n, Err: err, Sent: sent}
	}
	return c.backoffFor(n), nil
}

// send sends one attempt of r; wrote reports whether any of the request was written.
func (c *Client) send(ctx context.Context, r *request) (resp *http.Response, wrote bool, err error) {
	var w atomic.Bool
	tctx := httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteHeaders: func() { w.Store(true) },
		WroteRequest: func(httptrace.WroteRequestInfo) { w.Store(true) },
	})
	req, err := c.buildRequest(r)
	if err != nil {
		return nil, false, fmt.Errorf("sendgrid: %s %s: %w", r.method, r.logPath(), err)
	}
	rc := c.rc
	if r.absURL != "" {
		rc = c.xrc
	}
	resp, err = rc.MakeRequest(req.WithContext(tctx))
	return resp, w.Load(), err
}

// failedStatus reads a non-2xx answer into an *APIError and returns it, or, when the request
// is to be repeated, how long to wait first.
func (c *Client) failedStatus(ctx context.Context, r *request, resp *http.Response, attempt int) (time.Duration, error) {
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	apiErr := &APIError{StatusCode: resp.StatusCode, Method: string(r.method), Path: r.logPath(), Attempts: attempt}
	if rerr == nil {
		apiErr.Errors = parseErrorBody(body)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		// A 429 was not processed: every request may be repeated.
		apiErr.RetryAfter = rateLimitWait(resp.Header, time.Now())
		wait := apiErr.RetryAfter
		if wait <= 0 {
			wait = c.backoffFor(attempt)
		}
		if wait > c.maxWait {
			wait = c.maxWait
		}
		if attempt >= c.maxAtt {
			return 0, apiErr
		}
		c.rlWaits.Add(1)
		return wait, nil
	case resp.StatusCode >= 500 && r.repeat == idempotent:
		if attempt >= c.maxAtt {
			return 0, apiErr
		}
		return c.backoffFor(attempt), nil
	}
	c.explainForbidden(ctx, r, apiErr)
	return 0, apiErr
}

// TransportError is a failure to get an HTTP response (connection refused, reset, timeout).
// Sent reports whether the request may have reached SendGrid.
type TransportError struct {
	Method, Path string
	Attempts     int
	Sent         bool
	Err          error
}

func (e *TransportError) Error() string {
	msg := e.Err.Error()
	var ue *url.Error
	if errors.As(e.Err, &ue) {
		msg = ue.Err.Error() // without the URL (upload and download URLs carry tokens)
	}
	s := fmt.Sprintf("sendgrid: %s %s: %v", e.Method, e.Path, scrub(msg))
	if e.Attempts > 1 {
		s += fmt.Sprintf(" (after %d attempts)", e.Attempts)
	}
	if e.Sent && e.Method == "POST" {
		s += " (the request may have been processed; check before repeating it)"
	}
	return s
}

func (e *TransportError) Unwrap() error { return e.Err }

func errClass(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	return "transport error"
}

// rateLimitWait reads how long to wait from X-RateLimit-Reset (Unix seconds) or Retry-After.
func rateLimitWait(h http.Header, now time.Time) time.Duration {
	if v := h.Get("X-RateLimit-Reset"); v != "" {
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			if d := time.Unix(n, 0).Sub(now); d > 0 {
				return d
			}
			return 0
		}
	}
	if v := h.Get("Retry-After"); v != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n > 0 {
			return time.Duration(n) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil {
			if d := t.Sub(now); d > 0 {
				return d
			}
		}
	}
	return 0
}

// backoffFor returns the wait after the given failed attempt: BaseBackoff·2^(attempt-1), capped at
// MaxWait, with "equal jitter" (half fixed, half random).
func (c *Client) backoffFor(attempt int) time.Duration {
	d := c.backoff
	for i := 1; i < attempt && d < c.maxWait; i++ {
		d *= 2
	}
	if d > c.maxWait {
		d = c.maxWait
	}
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1)
}

func paceKey(r *request) string {
	if r.absURL != "" {
		return ""
	}
	return r.route
}

// notePace records X-RateLimit-Remaining / Reset for the request's endpoint.
func (c *Client) notePace(r *request, h http.Header) {
	k := paceKey(r)
	if k == "" {
		return
	}
	rem, err1 := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Remaining")))
	reset, err2 := strconv.ParseInt(strings.TrimSpace(h.Get("X-RateLimit-Reset")), 10, 64)
	if err1 != nil || err2 != nil {
		return
	}
	c.paceMu.Lock()
	defer c.paceMu.Unlock()
	st := c.pace[k]
	if st == nil {
		st = &paceState{}
		c.pace[k] = st
	}
	st.remaining = rem
	st.reset = time.Unix(reset, 0)
}

// waitPace waits for the endpoint's rate-limit reset when the last response said no requests
// remain in the current window.
func (c *Client) waitPace(ctx context.Context, r *request) error {
	k := paceKey(r)
	if k == "" {
		return nil
	}
	c.paceMu.Lock()
	st := c.pace[k]
	var pause time.Duration
	if st != nil && st.remaining == 0 {
		pause = time.Until(st.reset)
		if pause <= 0 {
			st.remaining = -1
		}
	}
	c.paceMu.Unlock()
	if pause <= 0 {
		return nil
	}
	if pause > c.maxWait {
		pause = c.maxWait
	}
	c.rlWaits.Add(1)
	c.log(ctx, "sendgrid rate limit pause", map[string]any{"method": string(r.method), "path": r.logPath(), "wait_ms": pause.Milliseconds()})
	if err := wait.Sleep(ctx, pause); err != nil {
		return err
	}
	c.paceMu.Lock()
	if st.remaining == 0 && !time.Now().Before(st.reset) {
		st.remaining = -1
	}
	c.paceMu.Unlock()
	return nil
}
