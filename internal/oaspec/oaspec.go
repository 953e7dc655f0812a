// Package oaspec checks HTTP requests and responses against SendGrid's official OpenAPI 3.1
// description (the files in ../shared/sendgrid-oai beside the repository). It is a test helper:
// the emulator's tests and the client's tests wrap the emulator in Middleware, so every request
// the client sends and every response the emulator returns is validated, and a test fails when
// either stops matching the contract.
//
// Validation uses github.com/pb33f/libopenapi-validator. Where the official files are themselves
// wrong, the deviation is handled by one of the named Exceptions, each with its reason; nothing
// else is relaxed.
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

// Exception is a place where SendGrid's official description is wrong and how it is handled.
type Exception struct {
	Name   string
	Reason string
}

// Exceptions lists every deviation from a literal reading of the files.
var Exceptions = []Exception{
	{
		Name: "nullable-keyword-in-3.1",
		Reason: "the files declare OpenAPI 3.1.0 but mark nullable values with the OpenAPI 3.0 keyword " +
			"`nullable: true` (errors[].field in the error bodies, field_mappings items of a CSV import, " +
			"alternate_emails), which 3.1 does not know; SendGrid sends and accepts null there " +
			"({\"field\":null,\"message\":\"authorization required\"}). Such schemas are read as type [T, \"null\"].",
	},
	{
		Name: "undocumented-error-status",
		Reason: "SendGrid answers 401, 403, 404, 413, 429 and 5xx on every endpoint (429 with " +
			"{\"errors\":[{\"field\":null,\"message\":\"too many requests\"}]}), but many operations list only " +
			"their success codes (lists, field definitions and user endpoints document no 401/403/429 at all). " +
			"A response with an error status the operation does not document is checked against SendGrid's " +
			"common error body {\"errors\":[{\"field\": string|null, \"message\": string}]} instead.",
	},
	{
		Name: "error-body-shape",
		Reason: "three error responses are described with a shape SendGrid does not send: " +
			"GET /v3/marketing/lists/{id} 404 as a bare array, DELETE /v3/marketing/lists/{id}/contacts 400 " +
			"as a single error object, GET /v3/marketing/contacts/imports/{id} 400 with \"errors\" as one object. " +
			"These are checked against the common error body.",
	},
	{
		Name: "no-content-body",
		Reason: "DELETE /v3/marketing/lists/{id} documents 204 with an application/json string body; a 204 " +
			"response has no body by definition (RFC 9110). An empty 204 is accepted.",
	},
}

// wrongErrorShape are the (method, path template, status) of the "error-body-shape" exception.
var wrongErrorShape = map[string]bool{
	"GET /v3/marketing/lists/{id} 404":             true,
	"DELETE /v3/marketing/lists/{id}/contacts 400": true,
	"GET /v3/marketing/contacts/imports/{id} 400":  true,
}

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

// fixNullable implements the "nullable-keyword-in-3.1" exception.
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
	if status == http.StatusNoContent && len(bytes.TrimSpace(body)) == 0 && d.documented(tpl, req.Method, status) {
		return nil // "no-content-body"
	}
	if status >= 400 && (!d.documented(tpl, req.Method, status) || wrongErrorShape[key]) {
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
	checked  map[string]int // "METHOD /template STATUS" -> validated exchanges
	skipped  map[string]int // paths outside the contract (emulator storage URLs)
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
	rec := &Recorder{checked: map[string]int{}, skipped: map[string]int{}}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_emulator/") {
			rec.mu.Lock()
			rec.skipped[r.Method+" "+r.URL.Path]++
			rec.mu.Unlock()
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
		msgs := s.ValidateResponse(vreq, status, w.Header(), cw.buf.Bytes())
		rec.add(route, "response", msgs)
		rec.mu.Lock()
		rec.checked[route+" "+strconv.Itoa(status)]++
		rec.mu.Unlock()
	})
	return h, rec
}
