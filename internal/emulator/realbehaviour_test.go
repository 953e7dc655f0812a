package emulator_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
)

// longEmail returns a valid address of n characters (n > 20).
func longEmail(n int) string {
	local := "long"
	domain := ".example.com"
	mid := strings.Repeat("a", n-len(local)-1-len(domain))
	// Domain labels are at most 63 characters.
	var labels []string
	for len(mid) > 60 {
		labels = append(labels, mid[:60])
		mid = mid[60:]
	}
	if mid != "" {
		labels = append(labels, mid)
	}
	d := strings.Join(labels, ".")
	// Each dot added between labels lengthens the address: trim the first label to compensate.
	over := len(local) + 1 + len(d) + len(domain) - n
	d = d[over:]
	return local + "@" + d + domain
}

func TestSearchEmailsRefusesAddressesOver100Characters(t *testing.T) {
	s := newServer(t, emulator.Config{}, false) // the request breaks the spec on purpose
	long := longEmail(101)
	if len(long) != 101 || !emulator.ValidEmail(long) {
		t.Fatalf("test address: %d characters, valid %v", len(long), emulator.ValidEmail(long))
	}
	s.e.SeedContact(key, email(1), nil)
	r := s.do("POST", "/v3/marketing/contacts/search/emails", key, map[string]any{"emails": []string{email(1), long}})
	expect(t, r, 400)
	if got := r.errs(t); len(got) != 1 || !strings.HasPrefix(got[0], "emails[1]: ") {
		t.Errorf("errors %v", got)
	}
	expect(t, s.do("POST", "/v3/marketing/contacts/search/emails", key, map[string]any{"emails": []string{email(1), longEmail(100)}}), 200)
}

func TestUpsertErrorsWithoutFieldReference(t *testing.T) {
	for _, noField := range []bool{false, true} {
		s := newServer(t, emulator.Config{UpsertErrorsWithoutField: noField}, true)
		r := s.do("PUT", "/v3/marketing/contacts", key, map[string]any{"contacts": []map[string]any{
			{"email": email(1)}, {"email": "not an email"}, {"email": email(3)}, {"email": "x@"},
		}})
		expect(t, r, 400)
		got := r.errs(t)
		want := []string{"contacts[1].email: ", "contacts[3].email: "}
		if noField {
			want = []string{"<null>: ", "<null>: "} // no field at all
		}
		if len(got) != 2 || !strings.HasPrefix(got[0], want[0]) || !strings.HasPrefix(got[1], want[1]) {
			t.Errorf("without field %v: errors %v", noField, got)
		}
		if s.e.ContactCount(key) != 0 {
			t.Error("a refused upsert applied contacts")
		}
	}
}

func TestErrorsFileFormats(t *testing.T) {
	for format, want := range map[string]string{
		"":                      "email,message\nuser000002@example.com,",
		emulator.ErrorsCSVEmail: "email,message\nuser000002@example.com,",
		emulator.ErrorsCSVRows:  "row,message\n2,",
		emulator.ErrorsJSON:     `{"errors":[{"email":"user000002@example.com","message":`,
	} {
		s := newServer(t, emulator.Config{ErrorsFile: format}, true)
		f := s.e.SeedField(key, "n", "Number")
		j := s.waitJob(s.upsert(nil, []map[string]any{
			{"email": email(1)}, {"email": email(2), "custom_fields": map[string]any{f: "abc"}},
		}))
		u, _ := results(j)["errors_url"].(string)
		if j["status"] != "errored" || u == "" {
			t.Fatalf("%q: job %v", format, j)
		}
		res, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if !strings.HasPrefix(string(body), want) {
			t.Errorf("%q: errors file %q, want it to start %q", format, body, want)
		}
	}
}

func TestConsistencyLagDelaysListCounts(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s, l := newLaggingServer(t, &now)
	count := func() float64 {
		var out map[string]any
		s.do("GET", "/v3/marketing/lists/"+l+"/contacts/count", key, nil).json(t, &out)
		var lst map[string]any
		s.do("GET", "/v3/marketing/lists/"+l, key, nil).json(t, &lst)
		if out["contact_count"] != lst["contact_count"] {
			t.Errorf("count endpoints disagree: %v and %v", out["contact_count"], lst["contact_count"])
		}
		return out["contact_count"].(float64)
	}
	if n := count(); n != 0 {
		t.Errorf("count right after the job: %v, want 0 (lagging)", n)
	}
	if got := s.e.ListMembers(key, l); len(got) != 2 {
		t.Errorf("members %v: the lag hides counts only", got)
	}
	now = now.Add(5 * time.Minute)
	if n := count(); n != 2 {
		t.Errorf("count after the lag: %v, want 2", n)
	}
}

func TestListExports(t *testing.T) {
	s := newServer(t, emulator.Config{}, true)
	l := s.e.SeedList(key, "news")
	r := s.do("POST", "/v3/marketing/contacts/exports", key, map[string]any{"list_ids": []string{l}, "file_type": "csv"})
	expect(t, r, 202)
	var started struct {
		ID string `json:"id"`
	}
	r.json(t, &started)
	r = s.do("GET", "/v3/marketing/contacts/exports", key, nil)
	expect(t, r, 200)
	var out struct {
		Result []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
			Lists  []struct {
				ID   string `json:"ID"`
				Name string `json:"Name"`
			} `json:"lists"`
		} `json:"result"`
	}
	r.json(t, &out)
	if len(out.Result) != 1 || out.Result[0].ID != started.ID || out.Result[0].Status != "pending" ||
		len(out.Result[0].Lists) != 1 || out.Result[0].Lists[0].ID != l || out.Result[0].Lists[0].Name != "news" {
		t.Errorf("exports %+v", out.Result)
	}
}

// A contact a job created is found by search and appears in contacts exports only after the lag.
func TestConsistencyLagDelaysSearchAndExports(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s, l := newLaggingServer(t, &now)
	search := func() int {
		return s.do("POST", "/v3/marketing/contacts/search/emails", key, map[string]any{"emails": []string{email(1), email(2)}}).status
	}
	exported := func() float64 {
		var started struct {
			ID string `json:"id"`
		}
		s.do("POST", "/v3/marketing/contacts/exports", key, map[string]any{"list_ids": []string{l}, "file_type": "csv"}).json(t, &started)
		now = now.Add(time.Minute)
		var st map[string]any
		s.do("GET", "/v3/marketing/contacts/exports/"+started.ID, key, nil).json(t, &st)
		if st["status"] != "ready" {
			t.Fatalf("export %v", st)
		}
		return st["contact_count"].(float64)
	}
	if st := search(); st != 404 {
		t.Errorf("search right after the job: %d, want 404 (not found yet)", st)
	}
	if n := exported(); n != 0 {
		t.Errorf("export right after the job: %v contacts, want 0", n)
	}
	now = now.Add(5 * time.Minute)
	if st := search(); st != 200 {
		t.Errorf("search after the lag: %d, want 200", st)
	}
	if n := exported(); n != 2 {
		t.Errorf("export after the lag: %v contacts, want 2", n)
	}
}

// newLaggingServer is an emulator whose reads lag jobs by five minutes, on the clock *now, with
// a list l holding two contacts an upsert job added just now.
func newLaggingServer(t *testing.T, now *time.Time) (*tserver, string) {
	s := newServer(t, emulator.Config{ConsistencyLag: 5 * time.Minute, Clock: func() time.Time { return *now }, JobDelay: time.Second}, true)
	l := s.e.SeedList(key, "l")
	id := s.upsert([]string{l}, []map[string]any{{"email": email(1)}, {"email": email(2)}})
	*now = now.Add(2 * time.Second)
	if j := s.waitJob(id); j["status"] != "completed" {
		t.Fatalf("job %v", j)
	}
	return s, l
}
