package oaspec

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
)

var (
	loadOnce sync.Once
	loaded   *Spec
	loadErr  error
)

// load returns the contract, skipping the test when the files are not beside the repository.
func load(t *testing.T) *Spec {
	t.Helper()
	dir, err := Dir()
	if errors.Is(err, ErrNotFound) {
		t.Skipf("contract test skipped: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	loadOnce.Do(func() { loaded, loadErr = Load(dir) })
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return loaded
}

func req(method, target, body string) *http.Request {
	r := httptest.NewRequest(method, "https://api.sendgrid.com"+target, strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer SG.test")
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	return r
}

func jsonHeader() http.Header { return http.Header{"Content-Type": []string{"application/json"}} }

func TestRequests(t *testing.T) {
	s := load(t)
	cases := []struct {
		name, method, target, body string
		ok                         bool
	}{
		{"upsert", "PUT", "/v3/marketing/contacts", `{"list_ids":["0b7a7f3c-4c6c-4d9e-9b0e-2f1a3c4d5e6f"],"contacts":[{"email":"user000001@example.com","first_name":"A"}]}`, true},
		{"upsert without contacts", "PUT", "/v3/marketing/contacts", `{"list_ids":[]}`, false},
		{"upsert first_name too long", "PUT", "/v3/marketing/contacts", `{"contacts":[{"email":"user000001@example.com","first_name":"` + strings.Repeat("x", 51) + `"}]}`, false},
		{"create list", "POST", "/v3/marketing/lists", `{"name":"Newsletter"}`, true},
		{"create list empty name", "POST", "/v3/marketing/lists", `{"name":""}`, false},
		{"lists page_size 1000", "GET", "/v3/marketing/lists?page_size=1000", ``, true},
		{"lists page_size 1001", "GET", "/v3/marketing/lists?page_size=1001", ``, false},
		{"field type", "POST", "/v3/marketing/field_definitions", `{"name":"tier","field_type":"Text"}`, true},
		{"field bad type", "POST", "/v3/marketing/field_definitions", `{"name":"tier","field_type":"Boolean"}`, false},
		{"import with skipped column", "PUT", "/v3/marketing/contacts/imports", `{"file_type":"csv","field_mappings":[null,"_rf2_T"]}`, true},
		{"remove list contacts", "DELETE", "/v3/marketing/lists/0b7a7f3c-4c6c-4d9e-9b0e-2f1a3c4d5e6f/contacts?contact_ids=a,b", ``, true},
		{"remove list contacts without ids", "DELETE", "/v3/marketing/lists/0b7a7f3c-4c6c-4d9e-9b0e-2f1a3c4d5e6f/contacts", ``, false},
		{"unknown path", "GET", "/v3/marketing/nothing", ``, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := req(c.method, c.target, c.body)
			probs := s.ValidateRequest(r, []byte(c.body))
			if c.ok && len(probs) > 0 {
				t.Errorf("valid request rejected: %v", probs)
			}
			if !c.ok && len(probs) == 0 {
				t.Errorf("invalid request accepted")
			}
		})
	}
}

func TestRequestNeedsBearer(t *testing.T) {
	s := load(t)
	r := req("GET", "/v3/scopes", "")
	r.Header.Del("Authorization")
	if probs := s.ValidateRequest(r, nil); len(probs) == 0 {
		t.Error("a request without Authorization passed")
	}
}

func TestResponses(t *testing.T) {
	s := load(t)
	cases := []struct {
		name, method, target string
		status               int
		body                 string
		ok                   bool
	}{
		{"upsert 202", "PUT", "/v3/marketing/contacts", 202, `{"job_id":"j1"}`, true},
		{"upsert 400 field string", "PUT", "/v3/marketing/contacts", 400, `{"errors":[{"field":"contacts[0].email","message":"invalid"}]}`, true},
		{"upsert 400 without message", "PUT", "/v3/marketing/contacts", 400, `{"errors":[{"field":"contacts"}]}`, false},
		{"scopes 401 null field", "GET", "/v3/scopes", 401, `{"errors":[{"field":null,"message":"authorization required"}]}`, true},
		{"scopes 200", "GET", "/v3/scopes", 200, `{"scopes":["marketing.read"]}`, true},
		{"scopes 200 wrong type", "GET", "/v3/scopes", 200, `{"scopes":"marketing.read"}`, false},
		{"list 201", "POST", "/v3/marketing/lists", 201, `{"id":"0b7a7f3c-4c6c-4d9e-9b0e-2f1a3c4d5e6f","name":"n","contact_count":0}`, true},
		{"list 201 short id", "POST", "/v3/marketing/lists", 201, `{"id":"abc","name":"n","contact_count":0}`, false},
		{"lists 429 undocumented", "GET", "/v3/marketing/lists", 429, `{"errors":[{"field":null,"message":"too many requests"}]}`, true},
		{"lists 429 bad body", "GET", "/v3/marketing/lists", 429, `{"message":"too many requests"}`, false},
		{"get list 404", "GET", "/v3/marketing/lists/x", 404, `{"errors":[{"field":"id","message":"list not found"}]}`, true},
		{"delete list 204", "DELETE", "/v3/marketing/lists/x", 204, ``, true},
		{"import status", "GET", "/v3/marketing/contacts/imports/j1", 200, `{"id":"j1","status":"completed","results":{"requested_count":1,"errored_count":0}}`, true},
		{"import status count as string", "GET", "/v3/marketing/contacts/imports/j1", 200, `{"id":"j1","status":"completed","results":{"requested_count":"1"}}`, false},
		{"export 202 without metadata", "POST", "/v3/marketing/contacts/exports", 202, `{"id":"x"}`, false},
		{"export status missing required", "GET", "/v3/marketing/contacts/exports/x", 200, `{"id":"x","status":"ready"}`, false},
		{"field 200", "POST", "/v3/marketing/field_definitions", 200, `{"id":"e1_T","name":"tier","field_type":"Text"}`, true},
		{"field 200 bad type", "POST", "/v3/marketing/field_definitions", 200, `{"id":"e1_T","name":"tier","field_type":"text"}`, false},
		{"upsert 413 named exception", "PUT", "/v3/marketing/contacts", 413, `{"errors":[{"field":"","message":"too large"}]}`, true},
		{"lists 409 no exception", "GET", "/v3/marketing/lists", 409, `{"errors":[{"field":null,"message":"conflict"}]}`, false},
		{"field definitions 413 no exception", "POST", "/v3/marketing/field_definitions", 413, `{"errors":[{"field":null,"message":"too large"}]}`, false},
		{"search 503 named exception", "POST", "/v3/marketing/contacts/search/emails", 503, `{"errors":[{"message":"unavailable"}]}`, true},
		{"delete list 204 with a body", "DELETE", "/v3/marketing/lists/x", 204, `"deleted"`, false},
		{"username", "GET", "/v3/user/username", 200, `{"username":"u","user_id":1}`, true},
		{"username without id", "GET", "/v3/user/username", 200, `{"username":"u"}`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := req(c.method, c.target, "")
			probs := s.ValidateResponse(r, c.status, jsonHeader(), []byte(c.body))
			if c.ok && len(probs) > 0 {
				t.Errorf("valid response rejected: %v", probs)
			}
			if !c.ok && len(probs) == 0 {
				t.Errorf("invalid response accepted")
			}
		})
	}
}

// TestExceptionsAreNamedPairs: every exception is one (method, path, status) of the contract, with
// a reason, and an error status it names is one the operation does not document (or documents
// with the wrong shape).
func TestExceptionsAreNamedPairs(t *testing.T) {
	s := load(t)
	shape := map[string]bool{"GET /v3/marketing/lists/{id} 404": true, "DELETE /v3/marketing/lists/{id}/contacts 400": true,
		"GET /v3/marketing/contacts/imports/{id} 400": true}
	for _, e := range Exceptions {
		k := e.key()
		d, tpl := s.match(e.Path)
		if d == nil || tpl != e.Path || e.Reason == "" || e.Status == 0 {
			t.Errorf("exception %s: not a path of the contract, or no reason", k)
			continue
		}
		if e.Status >= 400 && d.documented(tpl, e.Method, e.Status) && !shape[k] {
			t.Errorf("exception %s: the operation documents this status; the exception is not needed", k)
		}
	}
}

// TestStorageRequests checks the requests to the stand-ins for presigned storage URLs: no API
// key, an upload with exactly the upload headers an import returned, files fetched with GET.
func TestStorageRequests(t *testing.T) {
	s := load(t)
	backend := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v3/marketing/contacts/imports" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"job_id":"j1","upload_uri":"http://` + r.Host + `/_emulator/uploads/j1?token=t",` +
				`"upload_headers":[{"header":"x-amz-server-side-encryption","value":"aws:kms"}]}`))
		}
	})
	h, rec := s.Middleware(backend)
	srv := httptest.NewServer(h)
	defer srv.Close()
	send := func(method, path string, hdr map[string]string, body string) []Problem {
		t.Helper()
		r, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		return rec.Take()
	}
	if p := send("PUT", "/v3/marketing/contacts/imports", map[string]string{"Authorization": "Bearer SG.test", "Content-Type": "application/json"},
		`{"file_type":"csv","field_mappings":["_rf2_T"]}`); len(p) != 0 {
		t.Fatalf("import start: %v", p)
	}
	sse := "aws:kms"
	for _, c := range []struct {
		name, method, path string
		hdr                map[string]string
		problems           int
	}{
		{"upload as returned", "PUT", "/_emulator/uploads/j1?token=t", map[string]string{"x-amz-server-side-encryption": sse}, 0},
		{"upload without the header", "PUT", "/_emulator/uploads/j1?token=t", nil, 1},
		{"upload with the API key", "PUT", "/_emulator/uploads/j1?token=t", map[string]string{"x-amz-server-side-encryption": sse, "Authorization": "Bearer SG.test"}, 1},
		{"upload with an unsigned x-amz-*", "PUT", "/_emulator/uploads/j1?token=t", map[string]string{"x-amz-server-side-encryption": sse, "x-amz-acl": "private"}, 1},
		{"upload to a URL no import returned", "PUT", "/_emulator/uploads/j2?token=t", nil, 1},
		{"errors file", "GET", "/_emulator/errors/j1?token=t", nil, 0},
		{"errors file with the API key", "GET", "/_emulator/errors/j1?token=t", map[string]string{"Authorization": "Bearer SG.test"}, 1},
		{"export file with the API key", "GET", "/_emulator/exports/x/0?token=t", map[string]string{"Authorization": "Bearer SG.test"}, 1},
		{"debug view", "GET", "/_emulator/lists/l/members", map[string]string{"Authorization": "Bearer SG.test"}, 0},
	} {
		if p := send(c.method, c.path, c.hdr, "email\n"); len(p) != c.problems {
			t.Errorf("%s: %d problems, want %d: %v", c.name, len(p), c.problems, p)
		}
	}
}

// TestDirRequiredInCI: outside CI a missing contract skips the contract tests; with CI=true it
// fails them, so a CI run cannot pass without checking the contract.
func TestDirRequiredInCI(t *testing.T) {
	t.Setenv("SENDGRID_OAI_DIR", "")
	t.Chdir(t.TempDir())
	if err := os.WriteFile("go.mod", []byte("module x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CI", "")
	if _, err := Dir(); !errors.Is(err, ErrNotFound) {
		t.Fatalf("outside CI: want ErrNotFound (skip), got %v", err)
	}
	t.Setenv("CI", "true")
	_, err := Dir()
	if err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("with CI=true: want an error that is not ErrNotFound (fail, not skip), got %v", err)
	}
	if !strings.Contains(err.Error(), "CI=true") {
		t.Errorf("the error should say why the contract is required: %v", err)
	}
}
