// Package oaspec checks HTTP requests and responses against SendGrid's official OpenAPI 3.1
// description (the files in ../shared/sendgrid-oai beside the repository). It is a test helper:
// the emulator's tests and the client's tests wrap the emulator in Middleware, so every request
// the client sends and every response the emulator returns is validated, and a test fails when
// either stops matching the contract.
//
// Validation uses github.com/pb33f/libopenapi-validator. Where the official files are themselves
// wrong or silent, the deviation is one named (method, path, status) Exception, or a document-wide
// Rewrite, each with its reason; nothing else is relaxed. Requests to the emulator's stand-ins for
// presigned storage URLs (/_emulator/) are checked against what SendGrid documents for those URLs
// (see checkStorage).
package oaspec

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
)

// Files are the OpenAPI files the contract consists of.
var Files = []string{
	"tsg_mc_contacts_v3.json",
	"tsg_mc_lists_v3.json",
	"tsg_mc_custom_fields_v3.json",
	"tsg_scopes_v3.json",
	"tsg_user_v3.json",
}

// Exception is one (method, path template, status) whose answer SendGrid's official files do not
// describe, or describe with a shape SendGrid does not send, and why. Such a response is checked
// against SendGrid's common error body {"errors":[{"field": string|null, "message": string}]}
// (an empty body for a 204). Any other error status an operation does not document is a contract
// problem: nothing else is relaxed.
type Exception struct {
	Method string
	Path   string
	Status int
	Reason string
}

// Rewrite is a correction applied to the files as a whole before validation, and why.
type Rewrite struct {
	Name   string
	Reason string
}

// Rewrites are the corrections applied to the documents.
var Rewrites = []Rewrite{{
	Name: "nullable-keyword-in-3.1",
	Reason: "the files declare OpenAPI 3.1.0 but mark nullable values with the OpenAPI 3.0 keyword " +
		"`nullable: true` (errors[].field in the error bodies, field_mappings items of a CSV import, " +
		"alternate_emails), which 3.1 does not know; SendGrid sends and accepts null there " +
		"({\"field\":null,\"message\":\"authorization required\"}). Such schemas are read as type [T, \"null\"].",
}}

// Reasons shared by several exceptions.
const (
	reasonAuth = "every endpoint answers 401 to a missing or unknown key and 403 to a key without the " +
		"permission, with the common error body (https://github.com/sendgrid/sendgrid-nodejs/issues/1075); " +
		"this operation documents neither"
	reasonRate = "every endpoint answers 429 with {\"errors\":[{\"field\":null,\"message\":\"too many requests\"}]} " +
		"over its rate limit (https://www.twilio.com/docs/sendgrid/api-reference/how-to-use-the-sendgrid-v3-api/rate-limits); " +
		"no operation documents it"
	reason5xx = "any endpoint may answer 500 or 503 when SendGrid fails (the contacts operations document 500 " +
		"with the common error body); this operation does not document this status"
	reasonShape = "the files describe this error body with a shape SendGrid does not send (a bare array, a " +
		"single error object, or \"errors\" as one object); SendGrid sends the common error body"
)

// Operations of the contract the provider uses, by the error statuses their descriptions omit.
var (
	opsWithoutAuth = []string{
		"GET /v3/user/username", "GET /v3/user/account", "GET /v3/user/profile",
		"POST /v3/marketing/lists", "GET /v3/marketing/lists", "GET /v3/marketing/lists/{id}",
		"PATCH /v3/marketing/lists/{id}", "DELETE /v3/marketing/lists/{id}", "DELETE /v3/marketing/lists/{id}/contacts",
		"GET /v3/marketing/lists/{id}/contacts/count", "GET /v3/marketing/field_definitions",
		"POST /v3/marketing/field_definitions", "PATCH /v3/marketing/field_definitions/{custom_field_id}",
		"DELETE /v3/marketing/field_definitions/{custom_field_id}",
	}
	opsWithAuth = []string{
		"GET /v3/scopes", "PUT /v3/marketing/contacts", "GET /v3/marketing/contacts/count",
		"POST /v3/marketing/contacts/search/emails", "PUT /v3/marketing/contacts/imports",
		"GET /v3/marketing/contacts/imports/{id}", "POST /v3/marketing/contacts/exports",
		"GET /v3/marketing/contacts/exports/{id}",
	}
)

// Exceptions lists every (method, path, status) checked against the common error body instead of
// the operation's own description.
var Exceptions = buildExceptions()

func buildExceptions() []Exception {
	var out []Exception
	add := func(reason string, statuses []int, routes ...string) {
		for _, r := range routes {
			m, p, _ := strings.Cut(r, " ")
			for _, st := range statuses {
				out = append(out, Exception{Method: m, Path: p, Status: st, Reason: reason})
			}
		}
	}
	all := append(append([]string{}, opsWithoutAuth...), opsWithAuth...)
	add(reasonAuth, []int{401, 403}, opsWithoutAuth...)
	add(reasonRate, []int{429}, all...)
	add(reason5xx, []int{500}, opsWithoutAuth...)
	add(reason5xx, []int{503}, all...)
	add(reasonShape, []int{404}, "GET /v3/marketing/lists/{id}")
	add(reasonShape, []int{400}, "DELETE /v3/marketing/lists/{id}/contacts", "GET /v3/marketing/contacts/imports/{id}")
	add("a body over 6 MB is refused with 413 (the operation's description: \"up to 30,000 contacts, or 6MB of data, "+
		"whichever is lower\"); the status is not among its responses", []int{413}, "PUT /v3/marketing/contacts")
	add("a page_size outside 1–1000 (the parameter's documented range) or a page_token SendGrid did not issue is "+
		"refused with 400; the operation documents only 200", []int{400}, "GET /v3/marketing/lists")
	add("assumption: a delete_contacts value other than true or false is refused with 400; the operation documents "+
		"200, 204 and 404 only", []int{400}, "DELETE /v3/marketing/lists/{id}")
	add("a 204 has no body by definition (RFC 9110), but the operation documents 204 with an application/json "+
		"string body; an empty 204 is accepted", []int{204}, "DELETE /v3/marketing/lists/{id}")
	return dedupe(out)
}

func dedupe(in []Exception) []Exception {
	seen := map[string]bool{}
	out := in[:0]
	for _, e := range in {
		if k := e.key(); !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	return out
}

func (e Exception) key() string { return e.Method + " " + e.Path + " " + strconv.Itoa(e.Status) }

var exceptionByKey = func() map[string]Exception {
	m := make(map[string]Exception, len(Exceptions))
	for _, e := range Exceptions {
		m[e.key()] = e
	}
	return m
}()

// ErrNotFound is returned by Dir when the OpenAPI folder is not beside the repository.
var ErrNotFound = errors.New("oaspec: the SendGrid OpenAPI files (../shared/sendgrid-oai beside the repository root) are not present")

// Dir finds the OpenAPI folder: it walks up from the working directory to the directory holding
// go.mod and returns "../shared/sendgrid-oai" from there. When the folder is absent the error
// wraps ErrNotFound, so contract tests skip, except in continuous integration (CI=true): there a
// missing contract is a failure, not a reason to skip.
func Dir() (string, error) {
	dir, err := find()
	if errors.Is(err, ErrNotFound) && os.Getenv("CI") == "true" {
		return "", fmt.Errorf("oaspec: CI=true, so the contract tests must run, but %s", strings.TrimPrefix(err.Error(), "oaspec: "))
	}
	return dir, err
}

func find() (string, error) {
	if d := os.Getenv("SENDGRID_OAI_DIR"); d != "" {
		if _, err := os.Stat(filepath.Join(d, Files[0])); err == nil {
			return d, nil
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			oai := filepath.Clean(filepath.Join(d, "..", "shared", "sendgrid-oai"))
			if _, err := os.Stat(filepath.Join(oai, Files[0])); err != nil {
				return "", fmt.Errorf("%w (looked in %s)", ErrNotFound, oai)
			}
			return oai, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("%w (no go.mod above %s)", ErrNotFound, wd)
		}
		d = parent
	}
}

type doc struct {
	file      string
	raw       map[string]any
	v         validator.Validator
	templates []template
	mu        sync.Mutex // the validator is used from one goroutine at a time
}

type template struct {
	path string
	segs []string
}

// Spec is the loaded contract.
type Spec struct {
	docs []*doc
}

var shared struct {
	once sync.Once
	spec *Spec
	err  error
}

// Shared finds (Dir) and loads (Load) the OpenAPI files once per process, for the contract
// checks of tests. The error wraps ErrNotFound when the files are absent.
func Shared() (*Spec, error) {
	shared.once.Do(func() {
		dir, err := Dir()
		if err != nil {
			shared.err = err
			return
		}
		shared.spec, shared.err = Load(dir)
	})
	return shared.spec, shared.err
}

// Load reads and compiles every file in dir.
func Load(dir string) (*Spec, error) {
	s := &Spec{}
	for _, f := range Files {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return nil, fmt.Errorf("oaspec: %w", err)
		}
		var raw map[string]any
		if err := json.Unmarshal(data, &raw); err != nil {
			return nil, fmt.Errorf("oaspec: %s: %w", f, err)
		}
		fixNullable(raw)
		fixed, err := json.Marshal(raw)
		if err != nil {
			return nil, err
		}
		d, err := libopenapi.NewDocument(fixed)
		if err != nil {
			return nil, fmt.Errorf("oaspec: %s: %w", f, err)
		}
		v, errs := validator.NewValidator(d)
		if len(errs) > 0 {
			return nil, fmt.Errorf("oaspec: %s: %v", f, errors.Join(errs...))
		}
		if ok, verrs := v.ValidateDocument(); !ok {
			msgs := make([]string, 0, len(verrs))
			for _, e := range verrs {
				msgs = append(msgs, e.Error())
			}
			return nil, fmt.Errorf("oaspec: %s is not a valid OpenAPI document: %s", f, strings.Join(msgs, "; "))
		}
		dd := &doc{file: f, raw: raw, v: v}
		paths, _ := raw["paths"].(map[string]any)
		for p := range paths {
			dd.templates = append(dd.templates, template{path: p, segs: strings.Split(strings.Trim(p, "/"), "/")})
		}
		s.docs = append(s.docs, dd)
	}
	return s, nil
}

// fixNullable implements the "nullable-keyword-in-3.1" rewrite.
func fixNullable(v any) {
	switch x := v.(type) {
	case map[string]any:
		if n, ok := x["nullable"].(bool); ok {
			delete(x, "nullable")
			if n {
				switch t := x["type"].(type) {
				case string:
					x["type"] = []any{t, "null"}
				case []any:
					x["type"] = append(t, "null")
				}
			}
		}
		for _, c := range x {
			fixNullable(c)
		}
	case []any:
		for _, c := range x {
			fixNullable(c)
		}
	}
}

// match finds the document and path template for a request path.
func (s *Spec) match(path string) (*doc, string) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	var best *doc
	bestTpl, bestScore := "", -1
	for _, d := range s.docs {
		for _, t := range d.templates {
			if len(t.segs) != len(segs) {
				continue
			}
			score, ok := 0, true
			for i, ts := range t.segs {
				if strings.HasPrefix(ts, "{") {
					continue
				}
				if ts != segs[i] {
					ok = false
					break
				}
				score++
			}
			if ok && score > bestScore {
				best, bestTpl, bestScore = d, t.path, score
			}
		}
	}
	return best, bestTpl
}

// Route returns "METHOD /path/{template}" for a request, or "" when the contract has no such path.
func (s *Spec) Route(method, path string) string {
	_, tpl := s.match(path)
	if tpl == "" {
		return ""
	}
	return method + " " + tpl
}

func (d *doc) documented(tpl, method string, status int) bool {
	paths, _ := d.raw["paths"].(map[string]any)
	item, _ := paths[tpl].(map[string]any)
	op, _ := item[strings.ToLower(method)].(map[string]any)
	resp, _ := op["responses"].(map[string]any)
	if _, ok := resp[strconv.Itoa(status)]; ok {
		return true
	}
	_, ok := resp["default"]
	return ok
}

// ValidateRequest checks a request (method, path, query, headers and body) against the contract.
// body is the request body (the request's own Body is not read).
func (s *Spec) ValidateRequest(req *http.Request, body []byte) []string {
	d, tpl := s.match(req.URL.Path)
	if d == nil {
		return []string{fmt.Sprintf("%s %s: no such path in the OpenAPI files", req.Method, req.URL.Path)}
	}
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	d.mu.Lock()
	ok, errs := d.v.ValidateHttpRequestSync(r)
	d.mu.Unlock()
	if ok {
		return nil
	}
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, fmt.Sprintf("request %s %s: %s", req.Method, tpl, describe(e.Message, e.Reason, e.SchemaValidationErrors)))
	}
	return out
}

func describe(msg, reason string, schemaErrs any) string {
	s := msg
	if reason != "" && reason != msg {
		s += ": " + reason
	}
	if schemaErrs != nil {
		if b, err := json.Marshal(schemaErrs); err == nil && string(b) != "null" && string(b) != "[]" {
			if len(b) > 600 {
				b = append(b[:600], "…"...)
			}
			s += " " + string(b)
		}
	}
	return s
}

// ValidateResponse checks a response (status, content type and body) to req against the contract.
func (s *Spec) ValidateResponse(req *http.Request, status int, header http.Header, body []byte) []string {
	d, tpl := s.match(req.URL.Path)
	if d == nil {
		return []string{fmt.Sprintf("%s %s: no such path in the OpenAPI files", req.Method, req.URL.Path)}
	}
	key := req.Method + " " + tpl + " " + strconv.Itoa(status)
	_, excepted := exceptionByKey[key]
	if status == http.StatusNoContent && excepted {
		if len(bytes.TrimSpace(body)) > 0 {
			return []string{fmt.Sprintf("response %s: a 204 has a body", key)}
		}
		return nil
	}
	if status >= 400 && (excepted || !d.documented(tpl, req.Method, status)) {
		if !excepted {
			return []string{fmt.Sprintf("response %s: the operation does not document this status and no named exception (oaspec.Exceptions) covers it", key)}
		}
		if msg := checkErrorBody(header, body); msg != "" {
			return []string{fmt.Sprintf("response %s: %s", key, msg)}
		}
		return nil
	}
	resp := &http.Response{StatusCode: status, Header: header.Clone(), Body: io.NopCloser(bytes.NewReader(body)), Request: req,
		ContentLength: int64(len(body))}
	r := req.Clone(req.Context())
	r.Body = http.NoBody
	d.mu.Lock()
	ok, errs := d.v.ValidateHttpResponse(r, resp)
	d.mu.Unlock()
	if ok {
		return nil
	}
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, fmt.Sprintf("response %s: %s", key, describe(e.Message, e.Reason, e.SchemaValidationErrors)))
	}
	return out
}

// checkErrorBody checks SendGrid's common error body {"errors":[{"field": string|null, "message": string}]}.
func checkErrorBody(header http.Header, body []byte) string {
	if ct := header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return fmt.Sprintf("error body has content type %q, want application/json", ct)
	}
	var v struct {
		Errors []map[string]json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return "error body is not {\"errors\":[…]}: " + err.Error()
	}
	if len(v.Errors) == 0 {
		return "error body has no errors"
	}
	for i, e := range v.Errors {
		var msg string
		if err := json.Unmarshal(e["message"], &msg); err != nil || msg == "" {
			return fmt.Sprintf("errors[%d].message is missing or not a string", i)
		}
		if f, ok := e["field"]; ok && string(f) != "null" {
			var fs string
			if err := json.Unmarshal(f, &fs); err != nil {
				return fmt.Sprintf("errors[%d].field is neither a string nor null", i)
			}
		}
	}
	return ""
}

// Problem is one contract violation seen by a Recorder.
type Problem struct {
	Route   string // "METHOD /path/{template}"
	Kind    string // "request" or "response"
	Message string
}

// Recorder collects the results of Middleware.
type Recorder struct {
	mu       sync.Mutex
	problems []Problem
	checked  map[string]int               // "METHOD /template STATUS" -> validated exchanges
	skipped  map[string]int               // paths outside the contract (emulator storage URLs)
	uploads  map[string]map[string]string // upload_uri path -> its upload_headers
}

// Problems returns the violations seen so far.
func (r *Recorder) Problems() []Problem {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Problem(nil), r.problems...)
}

// Checked returns how many exchanges were validated per "METHOD /template STATUS".
func (r *Recorder) Checked() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.checked))
	for k, v := range r.checked {
		out[k] = v
	}
	return out
}

// Summary lists the validated exchanges, sorted, for test logs.
func (r *Recorder) Summary() string {
	c := r.Checked()
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s ×%d\n", k, c[k])
	}
	return b.String()
}

// Take returns the violations seen so far and forgets them (for tests that send a request the
// contract forbids on purpose and check that the contract does forbid it).
func (r *Recorder) Take() []Problem {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.problems
	r.problems = nil
	return p
}

func (r *Recorder) add(route, kind string, msgs []string) {
	if len(msgs) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range msgs {
		r.problems = append(r.problems, Problem{Route: route, Kind: kind, Message: m})
	}
}

type captureWriter struct {
	http.ResponseWriter
	status   int
	buf      bytes.Buffer
	hijacked bool
}

func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *captureWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.buf.Write(b)
	return c.ResponseWriter.Write(b)
}

// Hijack lets a wrapped handler drop the connection (fault injection); the exchange then has no
// response to validate.
func (c *captureWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := c.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("oaspec: the response writer cannot be hijacked")
	}
	c.hijacked = true
	return hj.Hijack()
}

// Middleware validates every request to a contract path before next sees it, and every response
// next writes. Requests outside the contract's paths under /_emulator/ (the emulator's stand-ins
// for presigned storage URLs) pass unvalidated; any other unknown path is a problem.
func (s *Spec) Middleware(next http.Handler) (http.Handler, *Recorder) {
	rec := &Recorder{checked: map[string]int{}, skipped: map[string]int{}, uploads: map[string]map[string]string{}}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_emulator/") {
			rec.mu.Lock()
			rec.skipped[r.Method+" "+r.URL.Path]++
			rec.mu.Unlock()
			rec.add(r.Method+" "+storageKind(r.URL.Path), "request", rec.checkStorage(r))
			next.ServeHTTP(w, r)
			return
		}
		route := s.Route(r.Method, r.URL.Path)
		if route == "" {
			// Not an endpoint of the contract: one request problem, no response check.
			rec.add(r.Method+" "+r.URL.Path, "request", []string{r.Method + " " + r.URL.Path + ": no such path in the OpenAPI files"})
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		_ = r.Body.Close()
		if err != nil {
			rec.add(route, "request", []string{"reading request body: " + err.Error()})
		}
		rec.add(route, "request", s.ValidateRequest(r, body))
		r.Body = io.NopCloser(bytes.NewReader(body))
		cw := &captureWriter{ResponseWriter: w}
		hijacked := false
		func() {
			defer func() {
				if p := recover(); p != nil {
					if p == http.ErrAbortHandler {
						hijacked = true
					}
					panic(p)
				}
			}()
			next.ServeHTTP(cw, r)
		}()
		if hijacked || cw.hijacked {
			return
		}
		status := cw.status
		if status == 0 {
			status = http.StatusOK
		}
		vreq := r.Clone(r.Context())
		if route == "PUT /v3/marketing/contacts/imports" && status == http.StatusOK {
			rec.learnUpload(cw.buf.Bytes())
		}
		msgs := s.ValidateResponse(vreq, status, w.Header(), cw.buf.Bytes())
		rec.add(route, "response", msgs)
		rec.mu.Lock()
		rec.checked[route+" "+strconv.Itoa(status)]++
		rec.mu.Unlock()
	})
	return h, rec
}

// storageKind names the kind of presigned storage URL an /_emulator/ path stands in for.
func storageKind(path string) string {
	for _, k := range []string{"uploads", "errors", "exports"} {
		if strings.HasPrefix(path, "/_emulator/"+k+"/") {
			return "storage " + k
		}
	}
	return "emulator " + path
}

// learnUpload remembers the upload_headers of an import's upload_uri, for checkStorage.
func (r *Recorder) learnUpload(body []byte) {
	var v struct {
		UploadURI     string `json:"upload_uri"`
		UploadHeaders []struct {
			Header string `json:"header"`
			Value  string `json:"value"`
		} `json:"upload_headers"`
	}
	if json.Unmarshal(body, &v) != nil {
		return
	}
	u, err := url.Parse(v.UploadURI)
	if err != nil {
		return
	}
	h := map[string]string{}
	for _, x := range v.UploadHeaders {
		h[strings.ToLower(x.Header)] = x.Value
	}
	r.mu.Lock()
	r.uploads[u.Path] = h
	r.mu.Unlock()
}

// checkStorage checks a request to a stand-in for a presigned storage URL against what SendGrid
// documents for it. Every such URL (upload_uri, errors_url, export urls) is used without the API
// key: it is authorised by its own signature. An upload is "a PUT with the supplied URL and HTTP
// header" (spec: PUT /v3/marketing/contacts/imports, description): every upload header with its
// value, and no other x-amz-* header, which the signature would not cover. Files are fetched with
// GET. The emulator's debug view (/_emulator/lists/) is not a SendGrid URL and is not checked.
func (r *Recorder) checkStorage(req *http.Request) []string {
	kind := storageKind(req.URL.Path)
	if !strings.HasPrefix(kind, "storage ") {
		return nil
	}
	var out []string
	if req.Header.Get("Authorization") != "" {
		out = append(out, kind+": the request carries an Authorization header; a presigned URL takes no API key")
	}
	if kind != "storage uploads" {
		if req.Method != http.MethodGet {
			out = append(out, kind+": "+req.Method+"; files are fetched with GET")
		}
		return out
	}
	if req.Method != http.MethodPut {
		out = append(out, kind+": "+req.Method+"; an upload is a PUT")
	}
	r.mu.Lock()
	want, known := r.uploads[req.URL.Path]
	r.mu.Unlock()
	if !known {
		return append(out, kind+": no import returned this upload_uri")
	}
	for h, v := range want {
		if got := req.Header.Values(h); len(got) != 1 || got[0] != v {
			out = append(out, fmt.Sprintf("%s: upload header %s is %q, want %q as upload_headers said", kind, h, got, v))
		}
	}
	for name := range req.Header {
		l := strings.ToLower(name)
		if _, ok := want[l]; strings.HasPrefix(l, "x-amz-") && !ok {
			out = append(out, kind+": header "+l+" is not among the upload_headers; the URL's signature does not cover it")
		}
	}
	return out
}
