package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestKey is the API key NewTestServer and New grant DefaultScopes when Config.Keys is empty.
const TestKey = "SG.emulator-test-key"

// Scopes the emulator checks. Source: SendGrid's "API Key Permissions" page (the admin key's
// scope list) and "Teammate Permissions" page (Marketing Campaigns): the current Marketing
// Campaigns API has only marketing.read and marketing.automation.read, no write scope. Which
// scope guards each /v3/marketing/ endpoint is not documented; the emulator assumes marketing.read
// for every one, reads and writes alike (an assumption). The user endpoints need their
// user.*.read scope (spec: tsg_user_v3.json); GET /v3/scopes needs none (spec: tsg_scopes_v3.json).
const (
	ScopeMarketingRead           = "marketing.read"
	ScopeMarketingAutomationRead = "marketing.automation.read"
	ScopeUsernameRead            = "user.username.read"
	ScopeAccountRead             = "user.account.read"
	ScopeProfileRead             = "user.profile.read"
)

// DefaultScopes returns the scopes the default test key has: what SendGrid grants a restricted
// key for Marketing (full access) and User Account (read access). It includes the profile scope
// and marketing.automation.read, which an export does not need.
func DefaultScopes() []string {
	return []string{ScopeMarketingRead, ScopeMarketingAutomationRead, ScopeUsernameRead, ScopeAccountRead, ScopeProfileRead}
}

// Config configures an Emulator.
type Config struct {
	Keys       map[string]Key // API key -> account + scopes; empty: TestKey with DefaultScopes
	Seed       int64          // determinism for faults and IDs
	RateLimit  int            // requests per window per key and endpoint (0 = unlimited)
	RateWindow time.Duration  // default 1 s
	Faults     Faults
	JobDelay   time.Duration // how long an async job stays pending (default 50ms)
	// StatePath, when set, is a JSON file loaded at start and saved (debounced) after changes and
	// on Close, so separate runs see the same accounts.
	StatePath string
	// StateReadOnly loads StatePath but never writes it (inspection of a running emulator's file).
	StateReadOnly bool
	Clock         func() time.Time // optional; default time.Now
	// SaveEvery is the most often the state file is rewritten (default 1 s).
	SaveEvery time.Duration
	// ConsistencyLag is how long after a job ran its changes to list membership take to show in
	// list contact counts (GET /v3/marketing/lists/{id}, GET /v3/marketing/lists, GET
	// /v3/marketing/lists/{id}/contacts/count), and how long a contact the job created takes to
	// be found by POST /v3/marketing/contacts/search/emails and to appear in contacts exports.
	// Source: the spec's PUT /v3/marketing/contacts description ("the creation and update of
	// contacts is an asynchronous process") and SendGrid support articles describing contacts
	// "still updating in the background" minutes after a run (SENDGRID-EVIDENCE.md,
	// "asynchronous effects"); the length, and which reads lag, are assumptions (the stricter
	// reading). 0: every read is current.
	ConsistencyLag time.Duration
	// ErrorsFile is the format of a job's errors file, which SendGrid does not document (spec:
	// ContactImport.results.errors_url says only that it holds information about errors):
	// ErrorsCSVEmail (default), ErrorsCSVRows or ErrorsJSON.
	ErrorsFile string
	// UpsertErrorsWithoutField answers a rejected PUT /v3/marketing/contacts with errors that
	// carry no field reference: the spec's ContactsError has an optional "field" whose format
	// is not documented, so a client must cope without it.
	UpsertErrorsWithoutField bool
}

// Errors file formats (Config.ErrorsFile); SendGrid documents none of them.
const (
	ErrorsCSVEmail = "csv-email" // CSV "email,message"
	ErrorsCSVRows  = "csv-rows"  // CSV "row,message": 1-based row numbers of the request, no email
	ErrorsJSON     = "json"      // JSON {"errors":[{"email":…,"message":…}]}
)

// Key is one API key: the account it belongs to and its scopes.
type Key struct {
	UserID   int64
	Username string
	Scopes   []string
}

// RateStorm answers runs of requests with 429 regardless of the rate limit.
type RateStorm struct {
	// Every starts a storm at every Every-th API request (1 = at the first, then every request
	// that follows one; 0 = never).
	Every int
	// Requests is how many consecutive requests a storm answers with 429 (default 1), unless For
	// is set.
	Requests int
	// For, when set, makes a storm last this long instead of a number of requests.
	For time.Duration
	// Reset is how far ahead X-RateLimit-Reset points during a storm (default 1 s; rounded up to
	// whole seconds as the header carries Unix seconds).
	Reset time.Duration
	// Max is the most storms (0 = no limit): Every 1, Max 1 answers only the first request 429.
	Max int
}

// Faults injects failures. Random choices come from the seeded generator, so a run with the
// same seed and the same request order sees the same faults.
type Faults struct {
	Latency  time.Duration // added to every request (ends early if the client goes away)
	Storm429 RateStorm
	Ratio5xx float64 // fraction of API requests answered 500/503 before processing
	Max5xx   int     // the most 5xx answers to inject (0 = no limit)
	// DropRatio is the fraction of API requests whose connection is closed without an answer
	// after the request was processed (the worst, ambiguous case). With DropBeforeProcessing the
	// connection is closed before processing instead.
	DropRatio            float64
	DropBeforeProcessing bool
	MaxDrops             int           // the most connections to drop (0 = no limit)
	JobStuck             bool          // async jobs stay pending forever
	JobSlow              time.Duration // added to JobDelay
	JobFailRatio         float64       // fraction of jobs that fail as a whole (nothing applied)
	JobErrorRatio        float64       // fraction of rows errored inside jobs
	// Only, when non-empty, limits request faults (5xx, drops, storms) to these endpoints,
	// written "METHOD /path/template" as in Counters.Requests.
	Only []string
}

// Counters are what the emulator saw, for assertions.
type Counters struct {
	Requests         map[string]int64 // "METHOD /path/{template}" -> requests (refused ones too)
	Statuses         map[int]int64    // responses by status code
	RateLimited      int64            // 429s served (rate limit and storms)
	Faults5xx        int64            // injected 5xx answers
	Dropped          int64            // injected dropped connections
	UpsertRequests   int64            // accepted PUT /v3/marketing/contacts
	UpsertSizes      []int            // contacts per accepted upsert, in order
	ContactsUpserted int64            // contacts received by accepted upserts
	ImportUploads    int64            // CSV files received
	ImportSizes      []int            // data rows per CSV file
	ContactsImported int64            // data rows received by CSV uploads
	JobsCompleted    int64
	JobsErrored      int64
	JobsFailed       int64
}

// Emulator is an in-memory SendGrid v3 API for the Marketing Campaigns endpoints an audience
// export uses. It implements http.Handler and is safe for concurrent use.
type Emulator struct {
	cfg   Config
	clock func() time.Time
	mux   *http.ServeMux

	keysMu sync.RWMutex
	keys   map[string]Key

	acctMu   sync.Mutex
	accounts map[int64]*account

	faultMu sync.Mutex
	faults  Faults
	frng    *rand.Rand
	nreq    int64     // API requests seen (for storms)
	storm   int       // requests left in the current storm
	stormTo time.Time // end of a timed storm
	storms  int       // storms started
	n5xx    int       // 5xx injected
	ndrops  int       // connections dropped

	idMu sync.Mutex
	irng *rand.Rand

	rlMu    sync.Mutex
	buckets map[string]*bucket

	cMu sync.Mutex
	c   Counters

	dirty   atomic.Bool
	saveMu  sync.Mutex
	closeCh chan struct{}
	closed  atomic.Bool
	wg      sync.WaitGroup
	loadErr error
}

type bucket struct {
	start time.Time
	n     int
}

// New builds an Emulator. When cfg.StatePath names an existing file it is loaded; a file that
// cannot be read is reported by LoadError and the emulator starts empty.
func New(cfg Config) *Emulator {
	if cfg.RateWindow <= 0 {
		cfg.RateWindow = time.Second
	}
	if cfg.JobDelay <= 0 {
		cfg.JobDelay = 50 * time.Millisecond
	}
	if cfg.SaveEvery <= 0 {
		cfg.SaveEvery = time.Second
	}
	clock := cfg.Clock
	if clock == nil {
		clock = time.Now
	}
	e := &Emulator{
		cfg:      cfg,
		clock:    clock,
		keys:     map[string]Key{},
		accounts: map[int64]*account{},
		faults:   cfg.Faults,
		frng:     rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5eed_fa17)),
		irng:     rand.New(rand.NewPCG(uint64(cfg.Seed), 0x1d5_1d5)),
		buckets:  map[string]*bucket{},
		closeCh:  make(chan struct{}),
	}
	e.c.Requests = map[string]int64{}
	e.c.Statuses = map[int]int64{}
	if len(cfg.Keys) == 0 {
		cfg.Keys = map[string]Key{TestKey: {UserID: 1, Username: "emulator-user", Scopes: DefaultScopes()}}
	}
	for k, v := range cfg.Keys {
		e.AddKey(k, v)
	}
	e.routes()
	if cfg.StatePath != "" {
		e.loadErr = e.load(cfg.StatePath)
		if !cfg.StateReadOnly {
			e.wg.Add(1)
			go e.saver()
		}
	}
	return e
}

// LoadError reports a state file that existed but could not be loaded.
func (e *Emulator) LoadError() error { return e.loadErr }

// AddKey adds or replaces an API key. Keys with the same UserID share one account.
func (e *Emulator) AddKey(apiKey string, k Key) {
	if k.UserID == 0 {
		k.UserID = 1
	}
	if k.Username == "" {
		k.Username = "user" + strconv.FormatInt(k.UserID, 10)
	}
	k.Scopes = append([]string(nil), k.Scopes...)
	e.keysMu.Lock()
	e.keys[apiKey] = k
	e.keysMu.Unlock()
	e.accountFor(k.UserID)
}

// SetFaults replaces the fault configuration (storm state starts over).
func (e *Emulator) SetFaults(f Faults) {
	e.faultMu.Lock()
	e.faults = f
	e.storm = 0
	e.stormTo = time.Time{}
	e.storms, e.n5xx, e.ndrops, e.nreq = 0, 0, 0, 0
	e.faultMu.Unlock()
}

func (e *Emulator) currentFaults() Faults {
	e.faultMu.Lock()
	defer e.faultMu.Unlock()
	return e.faults
}

// Counters returns a copy of the counters.
func (e *Emulator) Counters() Counters {
	e.cMu.Lock()
	defer e.cMu.Unlock()
	c := e.c
	c.Requests = make(map[string]int64, len(e.c.Requests))
	for k, v := range e.c.Requests {
		c.Requests[k] = v
	}
	c.Statuses = make(map[int]int64, len(e.c.Statuses))
	for k, v := range e.c.Statuses {
		c.Statuses[k] = v
	}
	c.UpsertSizes = append([]int(nil), e.c.UpsertSizes...)
	c.ImportSizes = append([]int(nil), e.c.ImportSizes...)
	return c
}

// ResetCounters sets every counter back to zero.
func (e *Emulator) ResetCounters() {
	e.cMu.Lock()
	e.c = Counters{Requests: map[string]int64{}, Statuses: map[int]int64{}}
	e.cMu.Unlock()
}

func (e *Emulator) count(f func(c *Counters)) {
	e.cMu.Lock()
	f(&e.c)
	e.cMu.Unlock()
}

// NewTestServer starts the emulator on a loopback httptest server closed at the end of the test.
func NewTestServer(t testing.TB, cfg Config) (*Emulator, *httptest.Server) {
	t.Helper()
	e := New(cfg)
	srv := httptest.NewServer(e)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		if err := e.Close(); err != nil {
			t.Errorf("emulator: %v", err)
		}
	})
	return e, srv
}

// Start serves the emulator on a loopback port and returns its URL and a stop function.
func (e *Emulator) Start() (url string, stop func()) {
	srv := httptest.NewServer(e)
	return srv.URL, func() {
		srv.CloseClientConnections()
		srv.Close()
		_ = e.Close()
	}
}

// Close finishes pending jobs that are due, stops the background saver and writes the state
// file one last time.
func (e *Emulator) Close() error {
	if !e.closed.CompareAndSwap(false, true) {
		return nil
	}
	close(e.closeCh)
	e.wg.Wait()
	if e.cfg.StatePath != "" && !e.cfg.StateReadOnly {
		return e.Save()
	}
	return nil
}

// ---- request plumbing ----

type ctxKey struct{}

type reqInfo struct {
	apiKey string
	key    Key
	acct   *account
	base   string // scheme://host of this server as the client sees it
}

func info(r *http.Request) *reqInfo {
	ri, _ := r.Context().Value(ctxKey{}).(*reqInfo)
	return ri
}

// errItem is one entry in an error body. Field is a *string so that null can be sent as
// SendGrid does for authentication and rate-limit errors.
type errItem struct {
	Field   *string `json:"field"`
	Message string  `json:"message"`
}

func fieldPtr(s string) *string { return &s }

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"errors":[{"field":null,"message":"internal error"}]}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeErrors writes {"errors":[{"field":…,"message":…}]}.
func writeErrors(w http.ResponseWriter, status int, items ...errItem) {
	writeJSON(w, status, map[string]any{"errors": items})
}

// fieldErr is an error naming a field (sent as a string).
func fieldErr(field, msg string) errItem { return errItem{Field: fieldPtr(field), Message: msg} }

// nullErr is an error with "field": null.
func nullErr(msg string) errItem { return errItem{Message: msg} }

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// route is one registered endpoint.
type route struct {
	scope string // "" = any valid key; "-" = no API key (token URLs)
	h     func(w http.ResponseWriter, r *http.Request)
}

func (e *Emulator) routes() {
	e.mux = http.NewServeMux()
	reg := func(pattern, scope string, h func(w http.ResponseWriter, r *http.Request)) {
		rt := route{scope: scope, h: h}
		e.mux.Handle(pattern, routeHandler{rt})
	}
	reg("GET /v3/scopes", "", e.hScopes)
	reg("GET /v3/user/username", ScopeUsernameRead, e.hUsername)
	reg("GET /v3/user/account", ScopeAccountRead, e.hAccount)
	reg("GET /v3/user/profile", ScopeProfileRead, e.hProfile)

	reg("POST /v3/marketing/lists", ScopeMarketingRead, e.hCreateList)
	reg("GET /v3/marketing/lists", ScopeMarketingRead, e.hLists)
	reg("GET /v3/marketing/lists/{id}", ScopeMarketingRead, e.hGetList)
	reg("PATCH /v3/marketing/lists/{id}", ScopeMarketingRead, e.hRenameList)
	reg("DELETE /v3/marketing/lists/{id}", ScopeMarketingRead, e.hDeleteList)
	reg("DELETE /v3/marketing/lists/{id}/contacts", ScopeMarketingRead, e.hRemoveListContacts)
	reg("GET /v3/marketing/lists/{id}/contacts/count", ScopeMarketingRead, e.hListCount)

	reg("GET /v3/marketing/field_definitions", ScopeMarketingRead, e.hFields)
	reg("POST /v3/marketing/field_definitions", ScopeMarketingRead, e.hCreateField)
	reg("PATCH /v3/marketing/field_definitions/{custom_field_id}", ScopeMarketingRead, e.hRenameField)
	reg("DELETE /v3/marketing/field_definitions/{custom_field_id}", ScopeMarketingRead, e.hDeleteField)

	reg("PUT /v3/marketing/contacts", ScopeMarketingRead, e.hUpsert)
	reg("GET /v3/marketing/contacts/count", ScopeMarketingRead, e.hContactCount)
	reg("POST /v3/marketing/contacts/search/emails", ScopeMarketingRead, e.hSearchEmails)
	reg("PUT /v3/marketing/contacts/imports", ScopeMarketingRead, e.hStartImport)
	reg("GET /v3/marketing/contacts/imports/{id}", ScopeMarketingRead, e.hImportStatus)
	reg("POST /v3/marketing/contacts/exports", ScopeMarketingRead, e.hStartExport)
	reg("GET /v3/marketing/contacts/exports", ScopeMarketingRead, e.hListExports)
	reg("GET /v3/marketing/contacts/exports/{id}", ScopeMarketingRead, e.hExportStatus)

	// Stand-ins for SendGrid's presigned storage URLs: authorised by the token in the URL.
	reg("PUT /_emulator/uploads/{id}", "-", e.hUpload)
	reg("GET /_emulator/errors/{id}", "-", e.hErrorsFile)
	reg("GET /_emulator/exports/{id}/{n}", "-", e.hExportFile)
	// Debug view of a list (bearer key of the account; emails masked unless ?unmask=1).
	reg("GET /_emulator/lists/{id}/members", ScopeMarketingRead, e.hDebugMembers)
}

type routeHandler struct{ rt route }

func (h routeHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.rt.h(w, r) }

// statusWriter records the status code.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// discardWriter swallows a response (the request is processed, the answer is lost).
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// ServeHTTP serves the SendGrid v3 endpoints.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, pattern := e.mux.Handler(r)
	label := pattern
	if label == "" {
		label = r.Method + " (unknown)"
	}
	e.count(func(c *Counters) { c.Requests[label]++ })
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		st := sw.status
		if st == 0 {
			st = -1 // dropped
		}
		e.count(func(c *Counters) { c.Statuses[st]++ })
	}()
	w = sw

	f := e.currentFaults()
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if pattern == "" {
		e.rateHeaders(w, "", "", false)
		writeErrors(w, http.StatusNotFound, nullErr("resource not found: no endpoint "+r.Method+" "+r.URL.Path))
		return
	}
	h, _ := e.mux.Handler(r)
	rh, ok := h.(routeHandler)
	if !ok {
		e.rateHeaders(w, "", "", false)
		writeErrors(w, http.StatusNotFound, nullErr("resource not found"))
		return
	}
	rt := rh.rt

	ri := &reqInfo{base: baseURL(r)}
	faultable := len(f.Only) == 0 || contains(f.Only, pattern)
	if rt.scope != "-" {
		apiKey, ok := bearer(r)
		e.keysMu.RLock()
		k, known := e.keys[apiKey]
		e.keysMu.RUnlock()
		if !ok || !known {
			e.rateHeaders(w, "", pattern, false)
			writeErrors(w, http.StatusUnauthorized, nullErr(unauthorizedMessage(ok)))
			return
		}
		ri.apiKey, ri.key = apiKey, k
		ri.acct = e.accountFor(k.UserID)
		// A storm or the rate limit answers 429 before anything else is looked at.
		if faultable && e.stormHit(f) {
			e.rateHeaders(w, apiKey, pattern, false)
			e.serve429(w, f.Storm429.resetAt(e.stormEnd(), e.clock()))
			return
		}
		if !e.rateHeaders(w, apiKey, pattern, true) {
			e.serve429(w, time.Time{})
			return
		}
		if rt.scope != "" && !contains(k.Scopes, rt.scope) {
			// source: https://github.com/sendgrid/sendgrid-nodejs/issues/1075 (a real 403 names no scope)
			writeErrors(w, http.StatusForbidden, nullErr("access forbidden"))
			return
		}
	} else {
		e.rateHeaders(w, "", pattern, false)
	}
	if faultable && f.Ratio5xx > 0 && e.rollCapped(f.Ratio5xx, f.Max5xx, &e.n5xx) {
		e.count(func(c *Counters) { c.Faults5xx++ })
		code := http.StatusInternalServerError
		if e.roll(0.5) {
			code = http.StatusServiceUnavailable
		}
		writeJSON(w, code, map[string]any{"errors": []map[string]string{{"message": "internal error (injected)"}}})
		return
	}
	drop := faultable && f.DropRatio > 0 && e.rollCapped(f.DropRatio, f.MaxDrops, &e.ndrops)
	if drop && f.DropBeforeProcessing {
		e.dropConn(w)
		return
	}
	ctx := context.WithValue(r.Context(), ctxKey{}, ri)
	r = r.WithContext(ctx)
	if drop {
		dw := &discardWriter{h: http.Header{}}
		e.mux.ServeHTTP(dw, r)
		e.dropConn(w)
		return
	}
	e.mux.ServeHTTP(w, r)
}

func (e *Emulator) dropConn(w http.ResponseWriter) {
	e.count(func(c *Counters) { c.Dropped++ })
	sw, _ := w.(*statusWriter)
	inner := w
	if sw != nil {
		inner = sw.ResponseWriter
	}
	if hj, ok := inner.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // reset rather than a clean close
			}
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// unauthorizedMessage is the 401 message: a request without a key is told authorization is
// required, a key SendGrid does not know that the grant is invalid, expired or revoked.
// source: https://github.com/sendgrid/sendgrid-nodejs/issues/1152 (no key; assumption: sent when the header is missing) and https://github.com/sendgrid/sendgrid-csharp/issues/185 (unknown key)
func unauthorizedMessage(keySent bool) string {
	if keySent {
		return "The provided authorization grant is invalid, expired, or revoked"
	}
	return "authorization required"
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	const p = "Bearer "
	if len(h) <= len(p) || !strings.EqualFold(h[:len(p)], p) {
		return "", false
	}
	return strings.TrimSpace(h[len(p):]), true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// rollCapped is roll with a cap on how many times it may come up true.
func (e *Emulator) rollCapped(p float64, maxN int, n *int) bool {
	if p <= 0 {
		return false
	}
	e.faultMu.Lock()
	defer e.faultMu.Unlock()
	if maxN > 0 && *n >= maxN {
		return false
	}
	if e.frng.Float64() < p {
		*n++
		return true
	}
	return false
}

func (e *Emulator) roll(p float64) bool {
	if p <= 0 {
		return false
	}
	e.faultMu.Lock()
	defer e.faultMu.Unlock()
	return e.frng.Float64() < p
}

// stormHit reports whether this request falls into a 429 storm.
func (e *Emulator) stormHit(f Faults) bool {
	s := f.Storm429
	e.faultMu.Lock()
	defer e.faultMu.Unlock()
	e.nreq++
	now := e.clock()
	if s.For > 0 && now.Before(e.stormTo) {
		return true
	}
	if e.storm > 0 {
		e.storm--
		return true
	}
	if s.Every <= 0 || e.nreq%int64(s.Every) != 0 || (s.Max > 0 && e.storms >= s.Max) {
		return false
	}
	e.storms++
	if s.For > 0 {
		e.stormTo = now.Add(s.For)
		return true
	}
	n := s.Requests
	if n <= 0 {
		n = 1
	}
	e.storm = n - 1
	return true
}

func (e *Emulator) stormEnd() time.Time {
	e.faultMu.Lock()
	defer e.faultMu.Unlock()
	return e.stormTo
}

func (s RateStorm) resetAt(stormEnd, now time.Time) time.Time {
	if s.For > 0 && stormEnd.After(now) {
		return stormEnd
	}
	d := s.Reset
	if d <= 0 {
		d = time.Second
	}
	return now.Add(d)
}

func ceilUnix(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

func (e *Emulator) serve429(w http.ResponseWriter, reset time.Time) {
	e.count(func(c *Counters) { c.RateLimited++ })
	if !reset.IsZero() {
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(ceilUnix(reset), 10))
	}
	writeErrors(w, http.StatusTooManyRequests, nullErr("too many requests"))
}

// rateHeaders sets X-RateLimit-* and, when take is set, counts the request against the key's
// window for the endpoint; it returns false when the window is exhausted.
func (e *Emulator) rateHeaders(w http.ResponseWriter, apiKey, pattern string, take bool) bool {
	now := e.clock()
	win := e.cfg.RateWindow
	start := now.Truncate(win)
	reset := ceilUnix(start.Add(win))
	h := w.Header()
	limit := e.cfg.RateLimit
	if limit <= 0 {
		h.Set("X-RateLimit-Limit", "10000")
		h.Set("X-RateLimit-Remaining", "10000")
		h.Set("X-RateLimit-Reset", strconv.FormatInt(reset, 10))
		return true
	}
	remaining := limit
	ok := true
	if take {
		e.rlMu.Lock()
		b := e.buckets[apiKey+" "+pattern]
		if b == nil {
			b = &bucket{}
			e.buckets[apiKey+" "+pattern] = b
		}
		if !b.start.Equal(start) {
			b.start, b.n = start, 0
		}
		if b.n >= limit {
			ok = false
		} else {
			b.n++
		}
		remaining = limit - b.n
		e.rlMu.Unlock()
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset, 10))
	return ok
}

// newID returns a random (seeded) UUID v4 string.
func (e *Emulator) newID() string { return formatUUID(e.newRaw()) }

// newRaw returns the 16 bytes of a random (seeded) UUID v4.
func (e *Emulator) newRaw() [16]byte {
	var b [16]byte
	e.idMu.Lock()
	hi, lo := e.irng.Uint64(), e.irng.Uint64()
	e.idMu.Unlock()
	for i := 0; i < 8; i++ {
		b[i] = byte(hi >> (56 - 8*i))
		b[8+i] = byte(lo >> (56 - 8*i))
	}
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return b
}

const hexdigits = "0123456789abcdef"

func formatUUID(b [16]byte) string {
	var out [36]byte
	j := 0
	for i := 0; i < 16; i++ {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j] = hexdigits[b[i]>>4]
		out[j+1] = hexdigits[b[i]&0x0f]
		j += 2
	}
	return string(out[:])
}

func parseUUID(s string) ([16]byte, bool) {
	var b [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return b, false
	}
	j := 0
	for i := 0; i < 36; {
		if s[i] == '-' {
			i++
			continue
		}
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return b, false
		}
		b[j] = hi<<4 | lo
		j++
		i += 2
	}
	return b, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func (e *Emulator) newToken() string {
	e.idMu.Lock()
	a, b := e.irng.Uint64(), e.irng.Uint64()
	e.idMu.Unlock()
	return fmt.Sprintf("%016x%016x", a, b)
}
