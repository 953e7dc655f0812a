package emulator_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/oaspec"
)

// contract returns the OpenAPI contract, or nil (with the reason) when the files are absent.
func contract(t testing.TB) *oaspec.Spec {
	t.Helper()
	spec, err := oaspec.Shared()
	if err != nil && !errors.Is(err, oaspec.ErrNotFound) {
		t.Fatalf("loading the OpenAPI contract: %v", err)
	}
	if err != nil {
		t.Logf("contract validation skipped: %v", err)
	}
	return spec
}

type tserver struct {
	t   testing.TB
	e   *emulator.Emulator
	url string
	rec *oaspec.Recorder
	hc  *http.Client
}

// newServer serves an emulator; with validate every exchange is checked against the OpenAPI
// files and the test fails on any mismatch (when the files are absent this is logged and only
// the behaviour is tested).
func newServer(t testing.TB, cfg emulator.Config, validate bool) *tserver {
	t.Helper()
	e := emulator.New(cfg)
	var h http.Handler = e
	s := &tserver{t: t, e: e}
	if validate {
		if sp := contract(t); sp != nil {
			h, s.rec = sp.Middleware(e)
		}
	}
	srv := httptest.NewServer(h)
	s.url = srv.URL
	s.hc = srv.Client()
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		if err := e.Close(); err != nil {
			t.Errorf("closing the emulator: %v", err)
		}
		if s.rec != nil {
			for _, p := range s.rec.Problems() {
				t.Errorf("contract violation: %s: %s", p.Route, p.Message)
			}
		}
	})
	return s
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("response %d is not JSON: %v: %s", r.status, err, r.body)
	}
}

// errs returns the messages of an error body as "field: message".
func (r resp) errs(t testing.TB) []string {
	t.Helper()
	var b struct {
		Errors []struct {
			Field   *string `json:"field"`
			Message string  `json:"message"`
		} `json:"errors"`
	}
	r.json(t, &b)
	var out []string
	for _, e := range b.Errors {
		f := "<null>"
		if e.Field != nil {
			f = *e.Field
		}
		out = append(out, f+": "+e.Message)
	}
	return out
}

func (s *tserver) do(method, path, key string, body any) resp {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	target := path
	if !strings.HasPrefix(path, "http") {
		target = s.url + path
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := s.hc.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer func() { _ = res.Body.Close() }()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: data}
}

// doBad sends a request the OpenAPI files forbid (a limit test) and checks that the contract
// flags it too; the response is still validated.
func (s *tserver) doBad(method, path, key string, body any) resp {
	s.t.Helper()
	if s.rec == nil {
		return s.do(method, path, key, body)
	}
	if p := s.rec.Problems(); len(p) > 0 {
		s.t.Fatalf("contract violations before %s %s: %v", method, path, p)
	}
	r := s.do(method, path, key, body)
	probs := s.rec.Take()
	reqProbs := 0
	for _, p := range probs {
		if p.Kind == "request" {
			reqProbs++
		} else {
			s.t.Errorf("contract violation: %s: %s", p.Route, p.Message)
		}
	}
	if reqProbs == 0 {
		s.t.Errorf("%s %s: the emulator refused the request (%d) but the OpenAPI files allow it", method, path, r.status)
	}
	return r
}

// expect fails unless the response has the status.
func expect(t testing.TB, r resp, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
}

const key = emulator.TestKey

// waitJob polls a job until it is no longer pending.
func (s *tserver) waitJob(id string) map[string]any {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := s.do("GET", "/v3/marketing/contacts/imports/"+id, key, nil)
		expect(s.t, r, 200)
		var j map[string]any
		r.json(s.t, &j)
		if j["status"] != "pending" {
			return j
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("job %s still pending", id)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (s *tserver) upsert(listIDs []string, contacts []map[string]any) string {
	s.t.Helper()
	body := map[string]any{"contacts": contacts}
	if listIDs != nil {
		body["list_ids"] = listIDs
	}
	r := s.do("PUT", "/v3/marketing/contacts", key, body)
	expect(s.t, r, 202)
	var out struct {
		JobID string `json:"job_id"`
	}
	r.json(s.t, &out)
	return out.JobID
}

func results(j map[string]any) map[string]any {
	r, _ := j["results"].(map[string]any)
	return r
}

func email(i int) string {
	return "user" + pad(i) + "@example.com"
}

func pad(i int) string {
	s := "000000" + itoa(i)
	return s[len(s)-6:]
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for i > 0 {
		b = append([]byte{byte('0' + i%10)}, b...)
		i /= 10
	}
	return string(b)
}

func newRaw(t testing.TB, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
