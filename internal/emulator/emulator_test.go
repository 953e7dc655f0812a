package emulator_test

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
)

func TestAuthAndScopes(t *testing.T) {
	s := newServer(t, emulator.Config{Keys: map[string]emulator.Key{
		"SG.full":     {UserID: 7, Username: "ops", Scopes: emulator.DefaultScopes()},
		"SG.readonly": {UserID: 7, Scopes: []string{emulator.ScopeMarketingRead}},
		"SG.mailonly": {UserID: 7, Scopes: []string{"mail.send", emulator.ScopeUsernameRead}},
	}}, true)

	r := s.doBad("GET", "/v3/marketing/lists", "", nil)
	expect(t, r, 401)
	if got := r.errs(t); len(got) != 1 || got[0] != "<null>: authorization required" {
		t.Errorf("401 body = %v", got)
	}
	r = s.do("GET", "/v3/marketing/lists", "SG.unknown", nil)
	expect(t, r, 401)
	if got := r.errs(t); len(got) != 1 || got[0] != "<null>: The provided authorization grant is invalid, expired, or revoked" {
		t.Errorf("401 body for an unknown key = %v", got)
	}

	// marketing.read, the only Marketing Campaigns scope SendGrid has, allows writes too.
	expect(t, s.do("POST", "/v3/marketing/lists", "SG.readonly", map[string]string{"name": "x"}), 201)
	// A real 403 says only "access forbidden": it does not name the scope.
	r = s.do("POST", "/v3/marketing/lists", "SG.mailonly", map[string]string{"name": "y"})
	expect(t, r, 403)
	if got := r.errs(t); len(got) != 1 || got[0] != "<null>: access forbidden" {
		t.Errorf("403 body = %v, want exactly access forbidden", got)
	}
	for _, p := range []string{"/v3/marketing/lists", "/v3/marketing/field_definitions", "/v3/marketing/contacts/count"} {
		expect(t, s.do("GET", p, "SG.mailonly", nil), 403)
	}
	expect(t, s.do("GET", "/v3/user/username", "SG.mailonly", nil), 200)
	expect(t, s.do("GET", "/v3/marketing/lists", "SG.readonly", nil), 200)
	expect(t, s.do("GET", "/v3/user/username", "SG.readonly", nil), 403)

	r = s.do("GET", "/v3/scopes", "SG.readonly", nil)
	expect(t, r, 200)
	var sc struct{ Scopes []string }
	r.json(t, &sc)
	if !slices.Equal(sc.Scopes, []string{"marketing.read"}) {
		t.Errorf("scopes = %v", sc.Scopes)
	}

	r = s.do("GET", "/v3/user/username", "SG.full", nil)
	expect(t, r, 200)
	var u struct {
		Username string `json:"username"`
		UserID   int64  `json:"user_id"`
	}
	r.json(t, &u)
	if u.Username != "ops" || u.UserID != 7 {
		t.Errorf("username = %+v", u)
	}
	expect(t, s.do("GET", "/v3/user/account", "SG.full", nil), 200)
	expect(t, s.do("GET", "/v3/user/profile", "SG.full", nil), 200)

	// Both keys belong to account 7: a list made with one is visible to the other.
	id := s.e.SeedList("SG.full", "shared")
	expect(t, s.do("GET", "/v3/marketing/lists/"+id, "SG.readonly", nil), 200)
}

func TestRateLimitHeadersAnd429(t *testing.T) {
	s := newServer(t, emulator.Config{RateLimit: 3, RateWindow: time.Hour}, true)
	for i := 0; i < 3; i++ {
		r := s.do("GET", "/v3/marketing/lists", key, nil)
		expect(t, r, 200)
		if got := r.header.Get("X-RateLimit-Remaining"); got != strconv.Itoa(2-i) {
			t.Errorf("request %d: remaining %q", i, got)
		}
		if r.header.Get("X-RateLimit-Limit") != "3" || r.header.Get("X-RateLimit-Reset") == "" {
			t.Errorf("rate-limit headers missing: %v", r.header)
		}
	}
	r := s.do("GET", "/v3/marketing/lists", key, nil)
	expect(t, r, 429)
	if string(r.body) != `{"errors":[{"field":null,"message":"too many requests"}]}` {
		t.Errorf("429 body = %s", r.body)
	}
	reset, _ := strconv.ParseInt(r.header.Get("X-RateLimit-Reset"), 10, 64)
	if reset <= time.Now().Unix() {
		t.Errorf("reset %d is not in the future", reset)
	}
	// The limit is per endpoint.
	expect(t, s.do("GET", "/v3/marketing/field_definitions", key, nil), 200)
	// Unauthenticated and unknown routes carry the headers too.
	for _, r := range []resp{s.doBad("GET", "/v3/scopes", "", nil), s.doBad("GET", "/v3/nothing", key, nil)} {
		if r.header.Get("X-RateLimit-Reset") == "" {
			t.Errorf("%d response without X-RateLimit-Reset", r.status)
		}
	}
	if c := s.e.Counters(); c.RateLimited != 1 || c.Requests["GET /v3/marketing/lists"] != 4 {
		t.Errorf("counters: 429s %d, list requests %d", c.RateLimited, c.Requests["GET /v3/marketing/lists"])
	}
}

func TestListsCRUDAndPaging(t *testing.T) {
	s := newServer(t, emulator.Config{}, true)
	var ids []string
	for i := 0; i < 5; i++ {
		r := s.do("POST", "/v3/marketing/lists", key, map[string]string{"name": "list " + itoa(i)})
		expect(t, r, 201)
		var l struct{ ID, Name string }
		r.json(t, &l)
		if len(l.ID) != 36 {
			t.Fatalf("list ID %q is not a UUID", l.ID)
		}
		ids = append(ids, l.ID)
	}
	r := s.do("POST", "/v3/marketing/lists", key, map[string]string{"name": "list 0"})
	expect(t, r, 400)
	expect(t, s.doBad("POST", "/v3/marketing/lists", key, map[string]string{"name": strings.Repeat("n", 101)}), 400)
	expect(t, s.doBad("GET", "/v3/marketing/lists?page_size=1001", key, nil), 400)
	expect(t, s.doBad("GET", "/v3/marketing/lists?page_size=0", key, nil), 400)

	var got []string
	next := "/v3/marketing/lists?page_size=2"
	pages := 0
	for next != "" {
		r := s.do("GET", next, key, nil)
		expect(t, r, 200)
		var page struct {
			Result []struct {
				ID string `json:"id"`
			} `json:"result"`
			Metadata struct {
				Next  string  `json:"next"`
				Count float64 `json:"count"`
			} `json:"_metadata"`
		}
		r.json(t, &page)
		for _, l := range page.Result {
			got = append(got, l.ID)
		}
		if page.Metadata.Count != 5 {
			t.Errorf("_metadata.count = %v", page.Metadata.Count)
		}
		next = page.Metadata.Next
		pages++
	}
	if pages != 3 || !slices.Equal(got, ids) {
		t.Errorf("paging returned %d pages %v, want 3 pages %v", pages, got, ids)
	}

	r = s.do("PATCH", "/v3/marketing/lists/"+ids[0], key, map[string]string{"name": "renamed"})
	expect(t, r, 200)
	if name, _, _ := s.e.ListInfo(key, ids[0]); name != "renamed" {
		t.Errorf("rename not stored: %q", name)
	}
	expect(t, s.do("PATCH", "/v3/marketing/lists/"+ids[0], key, map[string]string{"name": "list 1"}), 400)
	expect(t, s.do("GET", "/v3/marketing/lists/00000000-0000-4000-8000-000000000000", key, nil), 404)

	// Delete without contacts: 204, contacts stay; with delete_contacts: job deletes them.
	s.e.SeedContact(key, email(1), nil, ids[1], ids[2])
	s.e.SeedContact(key, email(2), nil, ids[2])
	expect(t, s.do("DELETE", "/v3/marketing/lists/"+ids[1], key, nil), 204)
	if _, ok := s.e.Contact(key, email(1)); !ok {
		t.Fatal("deleting a list without delete_contacts removed a contact")
	}
	if m, _ := s.e.Contact(key, email(1)); !slices.Equal(m["list_ids"].([]string), []string{ids[2]}) {
		t.Errorf("membership of a deleted list remains: %v", m["list_ids"])
	}
	r = s.do("DELETE", "/v3/marketing/lists/"+ids[2]+"?delete_contacts=true", key, nil)
	expect(t, r, 200)
	var del struct {
		JobID string `json:"job_id"`
	}
	r.json(t, &del)
	if j := s.waitJob(del.JobID); j["status"] != "completed" || results(j)["deleted_count"] != 2.0 {
		t.Errorf("delete job = %v", j)
	}
	if n := s.e.ContactCount(key); n != 0 {
		t.Errorf("%d contacts left after deleting the list with its contacts", n)
	}
	expect(t, s.do("DELETE", "/v3/marketing/lists/"+ids[2], key, nil), 404)
}

func TestUpsertLimits(t *testing.T) {
	s := newServer(t, emulator.Config{}, false)
	list := s.e.SeedList(key, "l")
	many := func(n int, extra map[string]any) []map[string]any {
		out := make([]map[string]any, n)
		for i := range out {
			c := map[string]any{"email": email(i)}
			for k, v := range extra {
				c[k] = v
			}
			out[i] = c
		}
		return out
	}
	// 30,000 contacts is the most one request may carry.
	id := s.upsert([]string{list}, many(30000, nil))
	if j := s.waitJob(id); j["status"] != "completed" || results(j)["created_count"] != 30000.0 {
		t.Fatalf("30,000-contact job: %v", j)
	}
	if got := s.e.Counters().UpsertSizes; !slices.Equal(got, []int{30000}) {
		t.Errorf("upsert sizes %v", got)
	}
	if n := len(s.e.ListMembers(key, list)); n != 30000 {
		t.Errorf("list has %d members", n)
	}
	r := s.do("PUT", "/v3/marketing/contacts", key, map[string]any{"contacts": many(30001, nil)})
	expect(t, r, 400)
	if e := r.errs(t); len(e) != 1 || !strings.HasPrefix(e[0], "contacts: ") || !strings.Contains(e[0], "30000") {
		t.Errorf("30,001 contacts: %v", e)
	}
	// More than 6 MB: 413, whatever the count.
	long := map[string]any{"first_name": strings.Repeat("f", 50), "last_name": strings.Repeat("l", 50), "city": strings.Repeat("c", 60),
		"country": strings.Repeat("c", 50), "state_province_region": strings.Repeat("s", 50), "postal_code": strings.Repeat("p", 40)}
	big := map[string]any{"contacts": many(20000, long)}
	r = s.do("PUT", "/v3/marketing/contacts", key, big)
	expect(t, r, 413)
	expect(t, s.do("PUT", "/v3/marketing/contacts", key, map[string]any{"contacts": []any{}}), 400)
	expect(t, s.do("PUT", "/v3/marketing/contacts", key, `{"contacts":[`), 400)
	if c := s.e.Counters(); c.UpsertRequests != 1 {
		t.Errorf("refused upserts were counted as accepted: %d", c.UpsertRequests)
	}
}

func TestEmailValidation(t *testing.T) {
	for in, want := range map[string]bool{
		"user000001@example.com":                  true,
		"First.Last+tag@Sub.Example.ORG":          true,
		"o'brien@example.net":                     true,
		"no-at-sign.example.com":                  false,
		"two@@example.com":                        false,
		"@example.com":                            false,
		"user@":                                   false,
		"user@localhost":                          false,
		"user@example.c":                          false,
		"user@-example.com":                       false,
		"user@exa mple.com":                       false,
		".user@example.com":                       false,
		"us..er@example.com":                      false,
		"user@example.123":                        false,
		strings.Repeat("a", 65) + "@example.com":  false,
		"a@" + strings.Repeat("b", 250) + ".com":  false,
		"user@bücher.example":                     false,
		"user\n@example.com":                      false,
		"user.name-with_parts@mail.example.co.uk": true,
	} {
		if got := emulator.ValidEmail(in); got != want {
			t.Errorf("ValidEmail(%q) = %v, want %v", in, got, want)
		}
	}

	s := newServer(t, emulator.Config{}, true)
	r := s.do("PUT", "/v3/marketing/contacts", key, map[string]any{"contacts": []map[string]any{
		{"email": "user000001@example.com"}, {"email": "not-an-email"}, {"first_name": "no identifier"},
	}})
	expect(t, r, 400)
	e := r.errs(t)
	if len(e) != 2 || !strings.HasPrefix(e[0], "contacts[1].email: ") || !strings.HasPrefix(e[1], "contacts[2].email: ") {
		t.Errorf("errors = %v", e)
	}
	for _, m := range e {
		if strings.Contains(m, "not-an-email") {
			t.Errorf("error message echoes the value: %q", m)
		}
	}
	// Emails are lower-cased; a differently cased upsert updates the same contact.
	s.waitJob(s.upsert(nil, []map[string]any{{"email": "Mixed.Case@Example.COM", "first_name": "A"}}))
	j := s.waitJob(s.upsert(nil, []map[string]any{{"email": "mixed.case@example.com", "last_name": "B"}}))
	if results(j)["updated_count"] != 1.0 {
		t.Errorf("second upsert did not update: %v", j)
	}
	c, ok := s.e.Contact(key, "mixed.case@example.com")
	if !ok || c["email"] != "mixed.case@example.com" || c["first_name"] != "A" || c["last_name"] != "B" {
		t.Errorf("stored contact = %v", c)
	}
}

func TestReservedFieldLengths(t *testing.T) {
	s := newServer(t, emulator.Config{}, false)
	for _, tc := range []struct {
		field string
		max   int
	}{{"first_name", 50}, {"last_name", 50}, {"city", 60}, {"country", 50}, {"state_province_region", 50}, {"address_line_1", 100}} {
		ok := map[string]any{"email": email(1), tc.field: strings.Repeat("é", tc.max)}
		expect(t, s.do("PUT", "/v3/marketing/contacts", key, map[string]any{"contacts": []any{ok}}), 202)
		bad := map[string]any{"email": email(1), tc.field: strings.Repeat("x", tc.max+1)}
		r := s.do("PUT", "/v3/marketing/contacts", key, map[string]any{"contacts": []any{bad}})
		expect(t, r, 400)
		if e := r.errs(t); len(e) != 1 || !strings.HasPrefix(e[0], "contacts[0]."+tc.field+": ") {
			t.Errorf("%s: %v", tc.field, e)
		}
	}
	long := "user" + strings.Repeat("x", 60) + "@" + strings.Repeat("d", 63) + "." + strings.Repeat("e", 63) + "." + strings.Repeat("f", 60) + ".com"
	r := s.do("PUT", "/v3/marketing/contacts", key, map[string]any{"contacts": []any{map[string]any{"email": long}}})
	expect(t, r, 400)
	// postal_code has no documented maximum.
	expect(t, s.do("PUT", "/v3/marketing/contacts", key, map[string]any{"contacts": []any{map[string]any{"email": email(2), "postal_code": strings.Repeat("9", 80)}}}), 202)
}

func TestFieldDefinitionRules(t *testing.T) {
	s := newServer(t, emulator.Config{}, true)
	create := func(name, typ string) resp {
		return s.do("POST", "/v3/marketing/field_definitions", key, map[string]string{"name": name, "field_type": typ})
	}
	r := create("tier", "Text")
	expect(t, r, 200)
	var f struct{ ID, Name, FieldType string }
	r.json(t, &f)
	for _, bad := range []struct{ name, typ string }{
		{"TIER", "Text"}, {"1abc", "Text"}, {"a-b", "Text"}, {"email", "Text"},
	} {
		if r := create(bad.name, bad.typ); r.status != 400 {
			t.Errorf("field %q %q: status %d", bad.name, bad.typ, r.status)
		}
	}
	// These break the OpenAPI schema as well.
	for _, bad := range []struct{ name, typ string }{{"", "Text"}, {"ok_name", "Boolean"}, {strings.Repeat("n", 101), "Text"}} {
		r := s.doBad("POST", "/v3/marketing/field_definitions", key, map[string]string{"name": bad.name, "field_type": bad.typ})
		if r.status != 400 {
			t.Errorf("field %q %q: status %d", bad.name, bad.typ, r.status)
		}
	}
	expect(t, create("_score2", "Number"), 200)
	expect(t, create("Birthday", "Date"), 200)

	r = s.do("GET", "/v3/marketing/field_definitions", key, nil)
	expect(t, r, 200)
	var defs struct {
		Custom []struct {
			ID, Name  string
			FieldType string `json:"field_type"`
		} `json:"custom_fields"`
		Reserved []struct {
			ID, Name string
			ReadOnly bool `json:"read_only"`
		} `json:"reserved_fields"`
	}
	r.json(t, &defs)
	if len(defs.Custom) != 3 || defs.Custom[0].Name != "tier" || defs.Custom[1].FieldType != "Number" {
		t.Errorf("custom fields = %+v", defs.Custom)
	}
	if len(defs.Reserved) < 10 || defs.Reserved[2].ID != "_rf2_T" || defs.Reserved[2].Name != "email" {
		t.Errorf("reserved fields = %+v", defs.Reserved)
	}

	expect(t, s.do("PATCH", "/v3/marketing/field_definitions/"+f.ID, key, map[string]string{"name": "level"}), 200)
	expect(t, s.do("PATCH", "/v3/marketing/field_definitions/"+f.ID, key, map[string]string{"name": "BIRTHDAY"}), 400)
	expect(t, s.do("PATCH", "/v3/marketing/field_definitions/e999_T", key, map[string]string{"name": "x"}), 404)
	expect(t, s.do("DELETE", "/v3/marketing/field_definitions/"+f.ID, key, nil), 204)
	expect(t, s.do("DELETE", "/v3/marketing/field_definitions/"+f.ID, key, nil), 404)

	// At most 500 custom fields.
	for i := 2; i < 500; i++ {
		s.e.SeedField(key, "f"+itoa(i), "Text")
	}
	r = create("one_too_many", "Text")
	expect(t, r, 400)
	if e := r.errs(t); !strings.Contains(e[0], "500") {
		t.Errorf("501st field: %v", e)
	}
}

func TestCustomFieldValues(t *testing.T) {
	s := newServer(t, emulator.Config{}, true)
	num := s.e.SeedField(key, "orders", "Number")
	txt := s.e.SeedField(key, "tier", "Text")
	date := s.e.SeedField(key, "since", "Date")
	r := s.do("PUT", "/v3/marketing/contacts", key, map[string]any{"contacts": []any{
		map[string]any{"email": email(1), "custom_fields": map[string]any{"e77_T": "x"}},
	}})
	expect(t, r, 400)
	if e := r.errs(t); len(e) != 1 || !strings.Contains(e[0], "does not exist") {
		t.Errorf("unknown custom field: %v", e)
	}
	j := s.waitJob(s.upsert(nil, []map[string]any{
		{"email": email(1), "custom_fields": map[string]any{num: 3, txt: "gold", date: "2024-01-31"}},
		{"email": email(2), "custom_fields": map[string]any{num: "three"}},
		{"email": email(3), "custom_fields": map[string]any{txt: 42}},
		{"email": email(4), "custom_fields": map[string]any{date: "31.01.2024"}},
	}))
	res := results(j)
	if j["status"] != "errored" || res["errored_count"] != 3.0 || res["created_count"] != 1.0 || res["errors_url"] == nil {
		t.Fatalf("job = %v", j)
	}
	c, _ := s.e.Contact(key, email(1))
	cf := c["custom_fields"].(map[string]any)
	if cf[num] != 3.0 || cf[txt] != "gold" || cf[date] != "2024-01-31" {
		t.Errorf("custom fields stored as %v", cf)
	}
	for _, e := range []string{email(2), email(3), email(4)} {
		if _, ok := s.e.Contact(key, e); ok {
			t.Errorf("errored row %s was stored", e)
		}
	}
	expect(t, s.doBad("GET", res["errors_url"].(string), key, nil), 400) // a presigned URL takes no API key
	r = s.do("GET", res["errors_url"].(string), "", nil)
	expect(t, r, 200)
	rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil || len(rows) != 4 || rows[0][0] != "email" || rows[1][0] != email(2) || !strings.Contains(rows[1][1], "number") {
		t.Errorf("errors file = %q (%v)", rows, err)
	}
	expect(t, s.do("GET", strings.Split(res["errors_url"].(string), "?")[0]+"?token=wrong", "", nil), 403)
}

func TestListsPerContactLimit(t *testing.T) {
	s := newServer(t, emulator.Config{}, false)
	var lists []string
	for i := 0; i < 251; i++ {
		lists = append(lists, s.e.SeedList(key, "l"+itoa(i)))
	}
	s.e.SeedContact(key, email(1), nil, lists[:250]...)
	j := s.waitJob(s.upsert(lists[250:], []map[string]any{{"email": email(1)}, {"email": email(2)}}))
	if j["status"] != "errored" || results(j)["errored_count"] != 1.0 || results(j)["created_count"] != 1.0 {
		t.Errorf("job = %v", j)
	}
	if c, _ := s.e.Contact(key, email(1)); len(c["list_ids"].([]string)) != 250 {
		t.Errorf("contact is on %d lists", len(c["list_ids"].([]string)))
	}
	// One request naming 251 lists is refused outright.
	r := s.do("PUT", "/v3/marketing/contacts", key, map[string]any{"list_ids": lists, "contacts": []any{map[string]any{"email": email(3)}}})
	expect(t, r, 400)
	// Unknown list IDs are refused.
	r = s.do("PUT", "/v3/marketing/contacts", key, map[string]any{"list_ids": []string{"00000000-0000-4000-8000-000000000000"}, "contacts": []any{map[string]any{"email": email(3)}}})
	expect(t, r, 400)
	if e := r.errs(t); !strings.HasPrefix(e[0], "list_ids[0]: ") {
		t.Errorf("unknown list: %v", e)
	}
}

func TestJobFaults(t *testing.T) {
	s := newServer(t, emulator.Config{Seed: 3, JobDelay: 20 * time.Millisecond}, true)
	list := s.e.SeedList(key, "l")
	contacts := make([]map[string]any, 200)
	for i := range contacts {
		contacts[i] = map[string]any{"email": email(i)}
	}

	// Pending until the delay passes, then completed.
	id := s.upsert([]string{list}, contacts[:10])
	r := s.do("GET", "/v3/marketing/contacts/imports/"+id, key, nil)
	var j map[string]any
	r.json(t, &j)
	if j["status"] != "pending" {
		t.Errorf("new job is %v", j["status"])
	}
	if n := len(s.e.ListMembers(key, list)); n != 0 {
		t.Errorf("a pending job's contacts are visible (%d)", n)
	}
	if j = s.waitJob(id); j["status"] != "completed" || j["finished_at"] == nil {
		t.Errorf("job = %v", j)
	}

	s.e.SetFaults(emulator.Faults{JobErrorRatio: 0.25})
	j = s.waitJob(s.upsert([]string{list}, contacts[10:]))
	res := results(j)
	errored, created := res["errored_count"].(float64), res["created_count"].(float64)
	if j["status"] != "errored" || errored < 20 || errored > 80 || errored+created != 190 {
		t.Errorf("partly errored job = %v", j)
	}
	if n := len(s.e.ListMembers(key, list)); n != 10+int(created) {
		t.Errorf("list has %d members, want %d", n, 10+int(created))
	}

	s.e.SetFaults(emulator.Faults{JobFailRatio: 1})
	j = s.waitJob(s.upsert([]string{list}, []map[string]any{{"email": email(500)}}))
	if j["status"] != "failed" || results(j)["errored_count"] != 1.0 {
		t.Errorf("failed job = %v", j)
	}
	if _, ok := s.e.Contact(key, email(500)); ok {
		t.Error("a failed job applied its contacts")
	}
	// A failed removal job has no rows, and still reports why in an errors file.
	c0, _ := s.e.Contact(key, email(0))
	r = s.do("DELETE", "/v3/marketing/lists/"+list+"/contacts?contact_ids="+c0["id"].(string), key, nil)
	expect(t, r, 202)
	var removal struct {
		JobID string `json:"job_id"`
	}
	r.json(t, &removal)
	// A removal job has no documented status: the job status endpoint does not know it.
	expect(t, s.do("GET", "/v3/marketing/contacts/imports/"+removal.JobID, key, nil), 404)
	s.e.FlushJobs()
	if !slices.Contains(s.e.ListMembers(key, list), email(0)) {
		t.Error("a failed removal job removed its contact")
	}

	s.e.SetFaults(emulator.Faults{JobStuck: true})
	id = s.upsert(nil, []map[string]any{{"email": email(600)}})
	time.Sleep(60 * time.Millisecond)
	r = s.do("GET", "/v3/marketing/contacts/imports/"+id, key, nil)
	r.json(t, &j)
	if j["status"] != "pending" {
		t.Errorf("stuck job is %v", j["status"])
	}
	expect(t, s.do("GET", "/v3/marketing/contacts/imports/nope", key, nil), 404)
}

func TestRemoveListContacts(t *testing.T) {
	s := newServer(t, emulator.Config{}, true)
	a, b := s.e.SeedList(key, "a"), s.e.SeedList(key, "b")
	id1 := s.e.SeedContact(key, email(1), nil, a, b)
	id2 := s.e.SeedContact(key, email(2), nil, a)
	s.e.SeedContact(key, email(3), nil, a)
	r := s.do("DELETE", "/v3/marketing/lists/"+a+"/contacts?contact_ids="+id1+","+id2, key, nil)
	expect(t, r, 202)
	var out struct {
		JobID string `json:"job_id"`
	}
	r.json(t, &out)
	if out.JobID == "" {
		t.Fatal("removal answered no job ID")
	}
	// The job status endpoint is documented for import, upsert and delete jobs only.
	expect(t, s.do("GET", "/v3/marketing/contacts/imports/"+out.JobID, key, nil), 404)
	s.e.FlushJobs()
	if got := s.e.ListMembers(key, a); !slices.Equal(got, []string{email(3)}) {
		t.Errorf("members after removal: %v", got)
	}
	if got := s.e.ListMembers(key, b); !slices.Equal(got, []string{email(1)}) {
		t.Errorf("other list changed: %v", got)
	}
	if s.e.ContactCount(key) != 3 {
		t.Error("removal from a list deleted contacts")
	}
	r = s.do("GET", "/v3/marketing/lists/"+a+"/contacts/count", key, nil)
	expect(t, r, 200)
	var cnt struct {
		ContactCount int `json:"contact_count"`
	}
	r.json(t, &cnt)
	if cnt.ContactCount != 1 {
		t.Errorf("list count %d", cnt.ContactCount)
	}
	expect(t, s.do("DELETE", "/v3/marketing/lists/"+a+"/contacts?contact_ids=not-a-uuid", key, nil), 400)
	// A contact ID that does not exist (deleted in SendGrid's UI) fails the whole request: 404,
	// and nothing is removed; so does a list that does not exist.
	id3 := s.e.SeedContact(key, email(4), nil, a)
	gone := "00000000-0000-4000-8000-000000000000"
	expect(t, s.do("DELETE", "/v3/marketing/lists/"+a+"/contacts?contact_ids="+id3+","+gone, key, nil), 404)
	s.e.FlushJobs()
	if !slices.Contains(s.e.ListMembers(key, a), email(4)) {
		t.Error("a refused removal removed a contact")
	}
	expect(t, s.do("DELETE", "/v3/marketing/lists/"+gone+"/contacts?contact_ids="+id3, key, nil), 404)
}

func TestSearchEmails(t *testing.T) {
	s := newServer(t, emulator.Config{}, true)
	l := s.e.SeedList(key, "l")
	f := s.e.SeedField(key, "tier", "Text")
	id := s.e.SeedContact(key, email(1), map[string]any{"first_name": "Ann", f: "gold"}, l)
	r := s.do("POST", "/v3/marketing/contacts/search/emails", key, map[string]any{"emails": []string{"USER000001@example.com", email(2)}})
	expect(t, r, 200)
	var out struct {
		Result map[string]struct {
			Contact *struct {
				ID           string         `json:"id"`
				FirstName    string         `json:"first_name"`
				ListIDs      []string       `json:"list_ids"`
				CustomFields map[string]any `json:"custom_fields"`
			} `json:"contact"`
			Error string `json:"error"`
		} `json:"result"`
	}
	r.json(t, &out)
	hit := out.Result[email(1)]
	if hit.Contact == nil || hit.Contact.ID != id || hit.Contact.FirstName != "Ann" || !slices.Equal(hit.Contact.ListIDs, []string{l}) || hit.Contact.CustomFields["tier"] != "gold" {
		t.Errorf("found contact = %+v", hit.Contact)
	}
	if out.Result[email(2)].Error == "" {
		t.Errorf("missing contact has no error: %+v", out.Result[email(2)])
	}
	expect(t, s.do("POST", "/v3/marketing/contacts/search/emails", key, map[string]any{"emails": []string{email(9)}}), 404)
	var many []string
	for i := 0; i < 101; i++ {
		many = append(many, email(i))
	}
	expect(t, s.do("POST", "/v3/marketing/contacts/search/emails", key, map[string]any{"emails": many[:100]}), 200)
	s2 := newServer(t, emulator.Config{}, false)
	expect(t, s2.do("POST", "/v3/marketing/contacts/search/emails", key, map[string]any{"emails": many}), 400)
	expect(t, s.do("POST", "/v3/marketing/contacts/search/emails", key, map[string]any{"emails": []string{"bad"}}), 400)
}

func gz(t *testing.T, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestCSVImport(t *testing.T) {
	s := newServer(t, emulator.Config{}, true)
	l := s.e.SeedList(key, "l")
	num := s.e.SeedField(key, "orders", "Number")
	r := s.do("PUT", "/v3/marketing/contacts/imports", key, map[string]any{
		"list_ids": []string{l}, "file_type": "csv", "field_mappings": []any{"_rf2_T", "_rf0_T", num, nil},
	})
	expect(t, r, 200)
	var imp struct {
		JobID         string                           `json:"job_id"`
		UploadURI     string                           `json:"upload_uri"`
		UploadHeaders []struct{ Header, Value string } `json:"upload_headers"`
	}
	r.json(t, &imp)
	if !strings.HasPrefix(imp.UploadURI, s.url+"/") || len(imp.UploadHeaders) == 0 {
		t.Fatalf("import = %+v", imp)
	}
	// Before the upload the job waits.
	r = s.do("GET", "/v3/marketing/contacts/imports/"+imp.JobID, key, nil)
	if !strings.Contains(string(r.body), `"pending"`) {
		t.Errorf("job before upload: %s", r.body)
	}
	file := "Email,First,Orders,Ignored\n" +
		"User000001@Example.com,Ann,3,x\n" +
		"user000002@example.com,Bob,,y\n" +
		"not-an-email,Cy,1,z\n" +
		"user000004@example.com,Di,many,w\n"
	if len(imp.UploadHeaders) != 1 || imp.UploadHeaders[0].Header != "x-amz-server-side-encryption" || imp.UploadHeaders[0].Value != "aws:kms" {
		t.Errorf("upload_headers = %+v, want the one real responses carry", imp.UploadHeaders)
	}
	put := func(body io.Reader, hdr map[string]string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("PUT", imp.UploadURI, body)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := s.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		return res
	}
	sse := map[string]string{"x-amz-server-side-encryption": "aws:kms"}
	// A presigned URL refuses what its signature does not cover: no upload header, another value,
	// an API key beside the signature, an x-amz-* header it did not sign.
	for name, hdr := range map[string]map[string]string{
		"without the upload header": {},
		"with another value":        {"x-amz-server-side-encryption": "AES256"},
		"with an API key":           {"x-amz-server-side-encryption": "aws:kms", "Authorization": "Bearer " + key},
		"with an unsigned x-amz-*":  {"x-amz-server-side-encryption": "aws:kms", "x-amz-acl": "private"},
	} {
		if res := put(strings.NewReader(file), hdr); res.StatusCode < 400 || res.Header.Get("Content-Type") != "application/xml" {
			t.Errorf("upload %s: status %d (%s), want a storage refusal", name, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
	if c := s.e.Counters(); c.ImportUploads != 0 {
		t.Fatalf("a refused upload was taken: %d", c.ImportUploads)
	}
	if s.rec != nil { // the contract check flags each of them too
		if p := s.rec.Take(); len(p) != 4 {
			t.Errorf("contract problems for the 4 refused uploads: %v", p)
		}
	}
	if res := put(bytes.NewReader(gz(t, file)), sse); res.StatusCode != 200 {
		t.Fatalf("upload status %d", res.StatusCode)
	}
	// A repeated upload (a retry) changes nothing.
	put(strings.NewReader(file), sse)
	j := s.waitJob(imp.JobID)
	if j["job_type"] != "upsert_contacts" {
		t.Errorf("job_type = %v, want the recorded upsert_contacts", j["job_type"])
	}
	res2 := results(j)
	if j["status"] != "errored" || res2["requested_count"] != 4.0 || res2["created_count"] != 2.0 || res2["errored_count"] != 2.0 {
		t.Errorf("import job = %v", j)
	}
	if got := s.e.ListMembers(key, l); !slices.Equal(got, []string{email(1), email(2)}) {
		t.Errorf("members = %v", got)
	}
	if c, _ := s.e.Contact(key, email(1)); c["first_name"] != "Ann" || c["custom_fields"].(map[string]any)[num] != 3.0 {
		t.Errorf("imported contact = %v", c)
	}
	if c := s.e.Counters(); c.ImportUploads != 1 || !slices.Equal(c.ImportSizes, []int{4}) {
		t.Errorf("import counters: %d uploads, sizes %v", c.ImportUploads, c.ImportSizes)
	}
	bad := s.do("PUT", "/v3/marketing/contacts/imports", key, map[string]any{"file_type": "csv", "field_mappings": []any{"_rf0_T"}})
	expect(t, bad, 400)
	if e := bad.errs(t); !strings.Contains(strings.Join(e, ";"), "identifier") {
		t.Errorf("import without email mapping: %v", e)
	}
	expect(t, s.do("PUT", "/v3/marketing/contacts/imports", key, map[string]any{"file_type": "csv", "field_mappings": []any{"_rf2_T", "e99_T"}}), 400)
	// A file whose header does not match the mappings is refused.
	r = s.do("PUT", "/v3/marketing/contacts/imports", key, map[string]any{"file_type": "csv", "field_mappings": []any{"_rf2_T"}})
	r.json(t, &imp)
	if res := put(strings.NewReader("a,b\n1,2\n"), sse); res.StatusCode != 400 {
		t.Errorf("mismatched file: status %d", res.StatusCode)
	}
}

func TestExport(t *testing.T) {
	s := newServer(t, emulator.Config{}, true)
	a, b := s.e.SeedList(key, "a"), s.e.SeedList(key, "b")
	f := s.e.SeedField(key, "tier", "Text")
	id1 := s.e.SeedContact(key, email(1), map[string]any{"first_name": "Ann", "city": "Springfield", f: "gold"}, a, b)
	s.e.SeedContact(key, email(2), nil, a)
	s.e.SeedContact(key, email(3), nil, b)
	for _, ft := range []string{"csv", "json"} {
		r := s.do("POST", "/v3/marketing/contacts/exports", key, map[string]any{"list_ids": []string{a}, "file_type": ft})
		expect(t, r, 202)
		var x struct{ ID string }
		r.json(t, &x)
		var st struct {
			Status       string
			URLs         []string `json:"urls"`
			ContactCount int      `json:"contact_count"`
		}
		for i := 0; i < 500 && st.Status != "ready"; i++ {
			time.Sleep(5 * time.Millisecond)
			r = s.do("GET", "/v3/marketing/contacts/exports/"+x.ID, key, nil)
			expect(t, r, 200)
			r.json(t, &st)
		}
		if st.Status != "ready" || len(st.URLs) != 1 || st.ContactCount != 2 {
			t.Fatalf("%s export = %+v", ft, st)
		}
		// A presigned download URL refuses an API key sent beside its signature.
		if r = s.doBad("GET", st.URLs[0], key, nil); r.status != 400 || !strings.Contains(string(r.body), "Only one auth mechanism") {
			t.Errorf("export download with an API key: %d %s", r.status, r.body)
		}
		r = s.do("GET", st.URLs[0], "", nil)
		expect(t, r, 200)
		zr, err := gzip.NewReader(bytes.NewReader(r.body))
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(zr)
		if ft == "json" {
			if n := strings.Count(string(data), "\n"); n != 2 || !strings.Contains(string(data), `"contact_id":"`+id1+`"`) {
				t.Errorf("json export: %s", data)
			}
			continue
		}
		rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil || len(rows) != 3 {
			t.Fatalf("csv export: %q %v", rows, err)
		}
		head := rows[0]
		col := func(name string) int { return slices.Index(head, name) }
		for _, c := range []string{"EMAIL", "CONTACT_ID", "LIST_IDS", "FIRST_NAME", "CITY", "tier"} {
			if col(c) < 0 {
				t.Errorf("export has no %s column: %v", c, head)
			}
		}
		row := rows[1]
		lists := strings.Split(row[col("LIST_IDS")], ",")
		sort.Strings(lists)
		want := []string{a, b}
		sort.Strings(want)
		if row[col("EMAIL")] != email(1) || row[col("CONTACT_ID")] != id1 || !slices.Equal(lists, want) || row[col("tier")] != "gold" || row[col("CITY")] != "Springfield" {
			t.Errorf("export row = %v", row)
		}
	}
	expect(t, s.do("GET", "/v3/marketing/contacts/exports/nope", key, nil), 404)
	expect(t, s.do("POST", "/v3/marketing/contacts/exports", key, map[string]any{"list_ids": []string{"00000000-0000-4000-8000-000000000000"}}), 400)

	s.e.SetFaults(emulator.Faults{JobFailRatio: 1})
	r := s.do("POST", "/v3/marketing/contacts/exports", key, map[string]any{})
	var x struct{ ID string }
	r.json(t, &x)
	time.Sleep(80 * time.Millisecond)
	r = s.do("GET", "/v3/marketing/contacts/exports/"+x.ID, key, nil)
	if !strings.Contains(string(r.body), `"failure"`) {
		t.Errorf("failed export: %s", r.body)
	}
}

func TestContactCountAndDebugView(t *testing.T) {
	s := newServer(t, emulator.Config{}, true)
	l := s.e.SeedList(key, "l")
	s.waitJob(s.upsert([]string{l}, []map[string]any{{"email": email(1)}, {"email": email(2)}}))
	r := s.do("GET", "/v3/marketing/contacts/count", key, nil)
	expect(t, r, 200)
	var c struct {
		ContactCount  int `json:"contact_count"`
		BillableCount int `json:"billable_count"`
	}
	r.json(t, &c)
	if c.ContactCount != 2 || c.BillableCount != 2 {
		t.Errorf("count = %+v", c)
	}
	r = s.do("GET", "/_emulator/lists/"+l+"/members", key, nil)
	expect(t, r, 200)
	if strings.Contains(string(r.body), email(1)) || !strings.Contains(string(r.body), `"masked":true`) {
		t.Errorf("debug view not masked: %s", r.body)
	}
	r = s.do("GET", "/_emulator/lists/"+l+"/members?unmask=1", key, nil)
	if !strings.Contains(string(r.body), email(1)) {
		t.Errorf("unmasked debug view: %s", r.body)
	}
	expect(t, s.do("GET", "/_emulator/lists/"+l+"/members", "", nil), 401)
}

func TestRequestFaults(t *testing.T) {
	s := newServer(t, emulator.Config{}, true)
	s.e.SetFaults(emulator.Faults{Ratio5xx: 1, Max5xx: 2})
	for i, want := range []int{0, 0, 200} {
		r := s.do("GET", "/v3/marketing/lists", key, nil)
		if want == 0 && r.status != 500 && r.status != 503 {
			t.Errorf("request %d: status %d, want an injected 5xx", i, r.status)
		}
		if want != 0 && r.status != want {
			t.Errorf("request %d: status %d after the burst", i, r.status)
		}
	}
	s.e.SetFaults(emulator.Faults{Storm429: emulator.RateStorm{Every: 3, Requests: 2, Reset: 3 * time.Second}})
	var got []int
	for i := 0; i < 6; i++ {
		r := s.do("GET", "/v3/marketing/lists", key, nil)
		got = append(got, r.status)
		if r.status == 429 {
			if r.header.Get("X-RateLimit-Limit") == "" || r.header.Get("X-RateLimit-Remaining") != "0" {
				t.Errorf("storm 429 headers: %v", r.header)
			}
			reset, _ := strconv.ParseInt(r.header.Get("X-RateLimit-Reset"), 10, 64)
			if d := time.Until(time.Unix(reset, 0)); d < 2*time.Second || d > 4*time.Second {
				t.Errorf("storm reset %v ahead", d)
			}
		}
	}
	if !slices.Equal(got, []int{200, 200, 429, 429, 200, 429}) {
		t.Errorf("storm statuses %v", got)
	}
	s.e.SetFaults(emulator.Faults{Latency: 50 * time.Millisecond})
	start := time.Now()
	s.do("GET", "/v3/marketing/lists", key, nil)
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("latency not applied: %v", d)
	}
	// A dropped connection after processing: the client sees no answer, the list exists.
	s.e.SetFaults(emulator.Faults{DropRatio: 1, MaxDrops: 1, Only: []string{"POST /v3/marketing/lists"}})
	req, _ := http.NewRequest("POST", s.url+"/v3/marketing/lists", strings.NewReader(`{"name":"dropped"}`))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	if res, err := s.hc.Do(req); err == nil {
		_ = res.Body.Close()
		t.Fatalf("dropped request got status %d", res.StatusCode)
	}
	found := false
	for _, n := range s.e.ListIDs(key) {
		found = found || n == "dropped"
	}
	if !found {
		t.Error("a request dropped after processing was not processed")
	}
	c := s.e.Counters()
	if c.Faults5xx != 2 || c.Dropped != 1 || c.RateLimited != 3 {
		t.Errorf("fault counters: 5xx %d, dropped %d, 429 %d", c.Faults5xx, c.Dropped, c.RateLimited)
	}
}

func TestFaultsAreDeterministic(t *testing.T) {
	run := func() []int {
		s := newServer(t, emulator.Config{Seed: 42, Faults: emulator.Faults{Ratio5xx: 0.3}}, false)
		var out []int
		for i := 0; i < 40; i++ {
			out = append(out, s.do("GET", "/v3/scopes", key, nil).status)
		}
		return out
	}
	a, b := run(), run()
	if !slices.Equal(a, b) {
		t.Errorf("same seed, different faults:\n%v\n%v", a, b)
	}
	n := 0
	for _, st := range a {
		if st >= 500 {
			n++
		}
	}
	if n < 4 || n > 24 {
		t.Errorf("%d of 40 requests failed with ratio 0.3", n)
	}
}

func TestStatePersistence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	cfg := emulator.Config{StatePath: path, SaveEvery: 10 * time.Millisecond}
	e1 := emulator.New(cfg)
	l := e1.SeedList(key, "kept")
	f := e1.SeedField(key, "tier", "Text")
	srvURL, stop := e1.Start()
	s := &tserver{t: t, e: e1, url: srvURL, hc: http.DefaultClient}
	s.waitJob(s.upsert([]string{l}, []map[string]any{{"email": email(1), "first_name": "Ann", "custom_fields": map[string]any{f: "gold"}}}))
	stop() // Close writes the file

	e2 := emulator.New(cfg)
	defer func() { _ = e2.Close() }()
	if err := e2.LoadError(); err != nil {
		t.Fatal(err)
	}
	if got := e2.ListMembers(key, l); !slices.Equal(got, []string{email(1)}) {
		t.Errorf("members after reload: %v", got)
	}
	c, ok := e2.Contact(key, email(1))
	if !ok || c["first_name"] != "Ann" || c["custom_fields"].(map[string]any)[f] != "gold" {
		t.Errorf("contact after reload: %v", c)
	}
	// New objects get new IDs (the ID sequence restarts with the seed).
	l2 := e2.SeedList(key, "second")
	if l2 == l {
		t.Error("a new list reused a persisted list's ID")
	}
	if f2 := e2.SeedField(key, "other", "Number"); f2 == f {
		t.Error("a new field reused a persisted field's ID")
	}
}

func TestConcurrentUpserts(t *testing.T) {
	s := newServer(t, emulator.Config{JobDelay: time.Millisecond}, false)
	l := s.e.SeedList(key, "l")
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			cs := make([]map[string]any, 500)
			for i := range cs {
				// Batches overlap by half: the same contacts arrive from two goroutines.
				cs[i] = map[string]any{"email": email(g*250 + i)}
			}
			body := map[string]any{"list_ids": []string{l}, "contacts": cs}
			r := s.do("PUT", "/v3/marketing/contacts", key, body)
			if r.status != 202 {
				t.Errorf("status %d", r.status)
				return
			}
			ids[g] = strings.Split(strings.Split(string(r.body), `"job_id":"`)[1], `"`)[0]
		}(g)
	}
	wg.Wait()
	created := 0.0
	for _, id := range ids {
		created += results(s.waitJob(id))["created_count"].(float64)
	}
	want := 7*250 + 500
	if n := len(s.e.ListMembers(key, l)); n != want || int(created) != want {
		t.Errorf("members %d, created %v, want %d", n, created, want)
	}
	if _, count, _ := s.e.ListInfo(key, l); count != int64(want) {
		t.Errorf("list count %d", count)
	}
}

// TestContractCatchesBrokenResponses shows the contract middleware fails on a response that does
// not match the OpenAPI files.
func TestContractCatchesBrokenResponses(t *testing.T) {
	sp := contract(t)
	if sp == nil {
		t.Skip("contract test skipped: the OpenAPI files are absent")
	}
	broken := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		_, _ = fmt.Fprint(w, `{"result":[{"id":"short","name":3}]}`)
	})
	h, rec := sp.Middleware(broken)
	srv := newRaw(t, h)
	req, _ := http.NewRequest("GET", srv+"/v3/marketing/lists", nil)
	req.Header.Set("Authorization", "Bearer x")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if len(rec.Problems()) == 0 {
		t.Fatal("a response with a short list ID and a numeric name passed the contract")
	}
	// And a request that breaks the contract.
	req, _ = http.NewRequest("POST", srv+"/v3/marketing/lists", strings.NewReader(`{"name":""}`))
	req.Header.Set("Authorization", "Bearer x")
	req.Header.Set("Content-Type", "application/json")
	n := len(rec.Problems())
	if res, err = http.DefaultClient.Do(req); err == nil {
		_ = res.Body.Close()
	}
	if len(rec.Problems()) == n {
		t.Fatal("a list with an empty name passed the contract")
	}
}

func TestTimedStormAndDropBeforeProcessing(t *testing.T) {
	s := newServer(t, emulator.Config{}, true)
	s.e.SetFaults(emulator.Faults{Storm429: emulator.RateStorm{Every: 1, Max: 1, For: 300 * time.Millisecond}})
	start := time.Now()
	for time.Since(start) < 200*time.Millisecond {
		r := s.do("GET", "/v3/marketing/lists", key, nil)
		expect(t, r, 429)
		reset, _ := strconv.ParseInt(r.header.Get("X-RateLimit-Reset"), 10, 64)
		if time.Unix(reset, 0).Before(start.Add(300 * time.Millisecond)) {
			t.Fatalf("reset %d is before the storm ends", reset)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(150 * time.Millisecond)
	expect(t, s.do("GET", "/v3/marketing/lists", key, nil), 200)

	s.e.SetFaults(emulator.Faults{DropRatio: 1, DropBeforeProcessing: true, Only: []string{"POST /v3/marketing/lists"}})
	req, _ := http.NewRequest("POST", s.url+"/v3/marketing/lists", strings.NewReader(`{"name":"never"}`))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	if res, err := s.hc.Do(req); err == nil {
		_ = res.Body.Close()
		t.Fatalf("dropped request got status %d", res.StatusCode)
	}
	if n := len(s.e.ListIDs(key)); n != 0 {
		t.Errorf("a request dropped before processing created %d lists", n)
	}
	// Other endpoints are untouched by a fault limited with Only.
	expect(t, s.do("GET", "/v3/marketing/lists", key, nil), 200)
}

// TestLargeCSVImport imports a file larger than the emulator's internal batch of rows, with bad
// rows in several batches, and then changes and clears custom field values of the contacts.
func TestLargeCSVImport(t *testing.T) {
	s := newServer(t, emulator.Config{}, true)
	l := s.e.SeedList(key, "l")
	num := s.e.SeedField(key, "orders", "Number")
	tier := s.e.SeedField(key, "tier", "Text")
	r := s.do("PUT", "/v3/marketing/contacts/imports", key, map[string]any{
		"list_ids": []string{l}, "file_type": "csv", "field_mappings": []any{"_rf2_T", num, tier},
	})
	expect(t, r, 200)
	var imp struct {
		JobID     string `json:"job_id"`
		UploadURI string `json:"upload_uri"`
	}
	r.json(t, &imp)
	const rows = 20000
	bad := map[int]bool{5: true, 9000: true, 19999: true} // rows with an invalid number
	var file strings.Builder
	file.WriteString("email,orders,tier\n")
	for i := 1; i <= rows; i++ {
		orders := strconv.Itoa(i)
		if bad[i] {
			orders = "n/a"
		}
		fmt.Fprintf(&file, "%s,%s,t%d\n", email(i), orders, i%3)
	}
	req, _ := http.NewRequest("PUT", imp.UploadURI, bytes.NewReader(gz(t, file.String())))
	req.Header.Set("x-amz-server-side-encryption", "aws:kms")
	res, err := s.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	j := s.waitJob(imp.JobID)
	got := results(j)
	if j["status"] != "errored" || got["requested_count"] != float64(rows) || got["created_count"] != float64(rows-len(bad)) || got["errored_count"] != float64(len(bad)) {
		t.Fatalf("import job = %v", j)
	}
	r = s.do("GET", got["errors_url"].(string), "", nil)
	errRows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil || len(errRows) != 1+len(bad) {
		t.Fatalf("errors file = %q (%v)", errRows, err)
	}
	for _, row := range errRows[1:] {
		i, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(row[0], "user"), "@example.com"))
		if !bad[i] || !strings.Contains(row[1], "number") {
			t.Errorf("error row %q", row)
		}
	}
	if n := len(s.e.ListMembers(key, l)); n != rows-len(bad) {
		t.Errorf("list has %d members, want %d", n, rows-len(bad))
	}
	if c, _ := s.e.Contact(key, email(rows)); c["custom_fields"].(map[string]any)[num] != float64(rows) || c["custom_fields"].(map[string]any)[tier] != "t2" {
		t.Errorf("last contact = %v", c)
	}

	// An empty string clears a value; other values are replaced; values not given are kept.
	s.waitJob(s.upsert(nil, []map[string]any{{"email": email(1), "custom_fields": map[string]any{tier: "", num: 7}}}))
	c, _ := s.e.Contact(key, email(1))
	if cf := c["custom_fields"].(map[string]any); len(cf) != 1 || cf[num] != 7.0 {
		t.Errorf("custom fields after clearing tier: %v", cf)
	}
	s.waitJob(s.upsert(nil, []map[string]any{{"email": email(2), "custom_fields": map[string]any{tier: "gold"}}}))
	c, _ = s.e.Contact(key, email(2))
	if cf := c["custom_fields"].(map[string]any); len(cf) != 2 || cf[num] != 2.0 || cf[tier] != "gold" {
		t.Errorf("custom fields after replacing tier: %v", cf)
	}
	// Deleting a field removes its values from every contact.
	expect(t, s.do("DELETE", "/v3/marketing/field_definitions/"+tier, key, nil), 204)
	c, _ = s.e.Contact(key, email(2))
	if cf := c["custom_fields"].(map[string]any); len(cf) != 1 || cf[num] != 2.0 {
		t.Errorf("custom fields after deleting tier: %v", cf)
	}
}

// TestContactIDsAfterRestart restarts from saved state with the same seed, so the ID sequence
// repeats: the new contact must get another ID than the saved one, and both stay addressable.
func TestContactIDsAfterRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	cfg := emulator.Config{StatePath: path, SaveEvery: 10 * time.Millisecond}
	e1 := emulator.New(cfg)
	srvURL, stop := e1.Start()
	s1 := &tserver{t: t, e: e1, url: srvURL, hc: http.DefaultClient}
	s1.waitJob(s1.upsert(nil, []map[string]any{{"email": email(1)}}))
	saved, _ := e1.Contact(key, email(1))
	stop()

	e2 := emulator.New(cfg)
	defer func() { _ = e2.Close() }()
	srvURL, stop = e2.Start()
	defer stop()
	s2 := &tserver{t: t, e: e2, url: srvURL, hc: http.DefaultClient}
	s2.waitJob(s2.upsert(nil, []map[string]any{{"email": email(2)}}))
	c1, _ := e2.Contact(key, email(1))
	c2, _ := e2.Contact(key, email(2))
	if c1["id"] != saved["id"] || c2["id"] == c1["id"] {
		t.Fatalf("contact IDs after restart: saved %v, now %v and %v", saved["id"], c1["id"], c2["id"])
	}
	l := e2.SeedList(key, "l")
	s2.waitJob(s2.upsert([]string{l}, []map[string]any{{"email": email(1)}, {"email": email(2)}}))
	r := s2.do("DELETE", "/v3/marketing/lists/"+l+"/contacts?contact_ids="+c1["id"].(string), key, nil)
	expect(t, r, 202)
	var job struct {
		JobID string `json:"job_id"`
	}
	r.json(t, &job)
	e2.FlushJobs()
	if got := e2.ListMembers(key, l); !slices.Equal(got, []string{email(2)}) {
		t.Errorf("members after removing the saved contact by ID: %v", got)
	}
}
