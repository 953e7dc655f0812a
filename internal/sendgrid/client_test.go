package sendgrid_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/oaspec"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
)

const key = emulator.TestKey

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

type env struct {
	e   *emulator.Emulator
	c   *sendgrid.Client
	url string
	rec *oaspec.Recorder
	// storage URL requests that carried an Authorization header (must stay zero)
	keyLeaks int
	mu       sync.Mutex
	logs     []map[string]any
}

// newEnv serves an emulator behind the OpenAPI contract middleware (every request the client
// sends and every response the emulator gives is validated; any mismatch fails the test) and
// returns a client for it.
func newEnv(t *testing.T, ecfg emulator.Config, mod func(*sendgrid.Config)) *env {
	t.Helper()
	ev := &env{e: emulator.New(ecfg)}
	var h http.Handler = ev.e
	if sp := contract(t); sp != nil {
		h, ev.rec = sp.Middleware(ev.e)
	}
	inner := h
	h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_emulator/") && r.Header.Get("Authorization") != "" {
			ev.mu.Lock()
			ev.keyLeaks++
			ev.mu.Unlock()
		}
		inner.ServeHTTP(w, r)
	})
	srv := httptest.NewServer(h)
	ev.url = srv.URL
	cfg := sendgrid.Config{
		APIKey: key, BaseURL: srv.URL, HTTPClient: srv.Client(), UserAgent: "sendgridaudience-test",
		MaxAttempts: 4, BaseBackoff: 5 * time.Millisecond, MaxWait: 10 * time.Second,
		Logf: func(_ context.Context, msg string, f map[string]any) {
			ev.mu.Lock()
			defer ev.mu.Unlock()
			cp := map[string]any{"msg": msg}
			for k, v := range f {
				cp[k] = v
			}
			ev.logs = append(ev.logs, cp)
		},
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := sendgrid.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ev.c = c
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		_ = ev.e.Close()
		if ev.rec != nil {
			for _, p := range ev.rec.Problems() {
				t.Errorf("contract violation (%s): %s: %s", p.Kind, p.Route, p.Message)
			}
		}
		if ev.keyLeaks > 0 {
			t.Errorf("the API key was sent to %d storage URLs", ev.keyLeaks)
		}
		ev.mu.Lock()
		defer ev.mu.Unlock()
		for _, l := range ev.logs {
			for k, v := range l {
				if s := fmt.Sprint(v); strings.Contains(s, cfg.APIKey) || (k == "path" && strings.ContainsAny(s, "?@")) {
					t.Errorf("log field %s=%q reveals the key, a query or an email", k, s)
				}
			}
		}
	})
	return ev
}

func email(i int) string { return fmt.Sprintf("user%06d@example.com", i) }

func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	ev := newEnv(t, emulator.Config{JobDelay: 5 * time.Millisecond}, nil)
	c := ev.c

	scopes, err := c.Scopes(ctx)
	if err != nil || !slices.Contains(scopes, sendgrid.ScopeMarketingRead) {
		t.Fatalf("scopes %v %v", scopes, err)
	}
	for _, s := range sendgrid.RequiredScopes() {
		if !slices.Contains(emulator.DefaultScopes(), s) {
			t.Errorf("the emulator's default key lacks required scope %s", s)
		}
	}
	u, err := c.User(ctx)
	if err != nil || u.UserID != 1 || u.Username == "" || u.AccountType != "paid" || !u.HasProfile {
		t.Fatalf("user %+v %v", u, err)
	}

	l, err := c.CreateList(ctx, "Newsletter")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetList(ctx, l.ID); err != nil || got.Name != "Newsletter" {
		t.Fatalf("get list %+v %v", got, err)
	}
	if l2, err := c.RenameList(ctx, l.ID, "Weekly"); err != nil || l2.Name != "Weekly" {
		t.Fatalf("rename %+v %v", l2, err)
	}
	other, err := c.CreateList(ctx, "Other")
	if err != nil {
		t.Fatal(err)
	}
	lists, err := c.Lists(ctx)
	if err != nil || len(lists) != 2 {
		t.Fatalf("lists %+v %v", lists, err)
	}

	tier, err := c.CreateField(ctx, "tier", sendgrid.FieldText)
	if err != nil {
		t.Fatal(err)
	}
	orders, err := c.CreateField(ctx, "orders", sendgrid.FieldNumber)
	if err != nil {
		t.Fatal(err)
	}
	if f, err := c.RenameField(ctx, tier.ID, "level"); err != nil || f.Name != "level" || f.Type != sendgrid.FieldText {
		t.Fatalf("rename field %+v %v", f, err)
	}
	custom, reserved, err := c.Fields(ctx)
	if err != nil || len(custom) != 2 || len(reserved) < 10 {
		t.Fatalf("fields %v %v %v", custom, reserved, err)
	}

	var contacts []sendgrid.Contact
	for i := 0; i < 50; i++ {
		contacts = append(contacts, sendgrid.Contact{Email: email(i), FirstName: "Name", City: "Springfield",
			CustomFields: map[string]any{tier.ID: "gold", orders.ID: i}})
	}
	job, err := c.UpsertContacts(ctx, []string{l.ID}, contacts)
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.WaitImport(ctx, job, 5*time.Millisecond)
	if err != nil || st.Status != sendgrid.JobCompleted || st.Created != 50 || st.Requested != 50 {
		t.Fatalf("upsert job %+v %v", st, err)
	}
	if n, err := c.ListContactCount(ctx, l.ID); err != nil || n != 50 {
		t.Fatalf("list count %d %v", n, err)
	}
	if total, billable, err := c.ContactCount(ctx); err != nil || total != 50 || billable != 50 {
		t.Fatalf("contact count %d %d %v", total, billable, err)
	}

	// Pre-serialized upsert with a row SendGrid errors asynchronously (a Number field with text).
	body := []byte(`{"list_ids":["` + other.ID + `"],"contacts":[{"email":"` + email(100) + `"},{"email":"` + email(101) +
		`","custom_fields":{"` + orders.ID + `":"many"}}]}`)
	job, err = c.UpsertContactsJSON(ctx, body)
	if err != nil {
		t.Fatal(err)
	}
	st, err = c.WaitImport(ctx, job, 5*time.Millisecond)
	if err != nil || st.Status != sendgrid.JobErrored || st.Errored != 1 || st.ErrorsURL == "" {
		t.Fatalf("errored job %+v %v", st, err)
	}
	rows, err := c.ImportErrors(ctx, st.ErrorsURL)
	if err != nil || len(rows) != 1 || rows[0].Email != email(101) || !strings.Contains(rows[0].Message, "number") {
		t.Fatalf("import errors %+v %v", rows, err)
	}

	// CSV import, gzip-compressed by the client.
	imp, err := c.StartCSVImport(ctx, []string{other.ID}, []string{"_rf2_T", "", "_rf0_T"})
	if err != nil {
		t.Fatal(err)
	}
	var csvBody bytes.Buffer
	csvBody.WriteString("email,skip,first_name\n")
	for i := 200; i < 230; i++ {
		fmt.Fprintf(&csvBody, "%s,x,Imported\n", email(i))
	}
	if err := c.UploadCSV(ctx, imp, csvBody.Bytes()); err != nil {
		t.Fatal(err)
	}
	st, err = c.WaitImport(ctx, imp.JobID, 5*time.Millisecond)
	if err != nil || st.Status != sendgrid.JobCompleted || st.Created != 30 {
		t.Fatalf("import job %+v %v", st, err)
	}
	if got := ev.e.Counters().ImportSizes; !slices.Equal(got, []int{30}) {
		t.Errorf("import sizes %v", got)
	}

	// Search, then remove two contacts from the list by ID.
	found, err := c.SearchEmails(ctx, []string{email(1), strings.ToUpper(email(2)), email(999)})
	if err != nil || len(found) != 2 || found[email(1)].ID == "" || !slices.Equal(found[email(2)].ListIDs, []string{l.ID}) {
		t.Fatalf("search %+v %v", found, err)
	}
	if found[email(1)].Contact.City != "Springfield" {
		t.Errorf("search contact %+v", found[email(1)].Contact)
	}
	none, err := c.SearchEmails(ctx, []string{email(998)})
	if err != nil || len(none) != 0 {
		t.Fatalf("search for nobody: %v %v", none, err)
	}
	rm, err := c.RemoveListContacts(ctx, l.ID, []string{found[email(1)].ID, found[email(2)].ID})
	if err != nil {
		t.Fatal(err)
	}
	if rm == "" {
		t.Fatal("removal answered no job ID")
	}
	// A removal job cannot be followed: the status endpoint is documented for other jobs only.
	ev.e.FlushJobs()
	if n := len(ev.e.ListMembers(key, l.ID)); n != 48 {
		t.Errorf("list has %d members after removal", n)
	}

	// Export the list and read the file.
	xid, err := c.StartContactsExport(ctx, []string{l.ID}, "csv")
	if err != nil {
		t.Fatal(err)
	}
	if xs, err := c.ContactsExports(ctx); err != nil || len(xs) != 1 || xs[0].ID != xid || !slices.Equal(xs[0].ListIDs, []string{l.ID}) || xs[0].CreatedAt.IsZero() {
		t.Fatalf("exports %+v %v", xs, err)
	}
	// An address over 100 characters is refused before the request (SendGrid fails the call).
	if _, err := c.SearchEmails(ctx, []string{email(1), "a@" + strings.Repeat("b", 95) + ".com"}); err == nil || !strings.Contains(err.Error(), "at most 100") || strings.Contains(err.Error(), "bbbb") {
		t.Errorf("long search address: %v", err)
	}
	x, err := c.WaitContactsExport(ctx, xid, 5*time.Millisecond)
	if err != nil || x.Status != sendgrid.ContactsExportReady || len(x.URLs) != 1 || x.ContactCount != 48 {
		t.Fatalf("export %+v %v", x, err)
	}
	rc, err := c.DownloadContactsExport(ctx, x.URLs[0])
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(rc).ReadAll()
	_ = rc.Close()
	if err != nil || len(recs) != 49 || recs[0][0] != "EMAIL" {
		t.Fatalf("export file: %d rows %v", len(recs), err)
	}

	if err := c.DeleteField(ctx, tier.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteList(ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetList(ctx, other.ID); !sendgrid.IsNotFound(err) {
		t.Fatalf("deleted list: %v", err)
	}

	// Every operation of the client went through the contract check.
	if ev.rec != nil {
		checked := ev.rec.Checked()
		for _, want := range []string{
			"GET /v3/scopes 200", "GET /v3/user/username 200", "GET /v3/user/account 200", "GET /v3/user/profile 200",
			"POST /v3/marketing/lists 201", "GET /v3/marketing/lists/{id} 200", "PATCH /v3/marketing/lists/{id} 200",
			"GET /v3/marketing/lists 200", "GET /v3/marketing/lists/{id}/contacts/count 200",
			"DELETE /v3/marketing/lists/{id} 204", "GET /v3/marketing/lists/{id} 404",
			"DELETE /v3/marketing/lists/{id}/contacts 202",
			"POST /v3/marketing/field_definitions 200", "PATCH /v3/marketing/field_definitions/{custom_field_id} 200",
			"GET /v3/marketing/field_definitions 200", "DELETE /v3/marketing/field_definitions/{custom_field_id} 204",
			"PUT /v3/marketing/contacts 202", "GET /v3/marketing/contacts/imports/{id} 200", "GET /v3/marketing/contacts/count 200",
			"PUT /v3/marketing/contacts/imports 200", "POST /v3/marketing/contacts/search/emails 200",
			"POST /v3/marketing/contacts/search/emails 404", "POST /v3/marketing/contacts/exports 202",
			"GET /v3/marketing/contacts/exports/{id} 200",
		} {
			if checked[want] == 0 {
				t.Errorf("no validated exchange for %s", want)
			}
		}
	}
}

func TestRateLimitResetIsWaitedFor(t *testing.T) {
	ev := newEnv(t, emulator.Config{Faults: emulator.Faults{Storm429: emulator.RateStorm{Every: 1, Max: 1, Reset: 2 * time.Second}}}, nil)
	start := time.Now()
	if _, err := ev.c.Scopes(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 2*time.Second || d > 5*time.Second {
		t.Errorf("took %v; the 429's reset was 2–3 s ahead", d)
	}
	st := ev.c.Stats()
	if st.RateLimitWaits != 1 || st.Retries != 1 || st.Requests != 2 || ev.e.Counters().RateLimited != 1 {
		t.Errorf("stats %+v, 429s served %d", st, ev.e.Counters().RateLimited)
	}
}

func TestPacingByRemaining(t *testing.T) {
	ev := newEnv(t, emulator.Config{RateLimit: 2}, nil)
	l := ev.e.SeedList(key, "l")
	for i := 0; i < 5; i++ {
		if _, err := ev.c.GetList(context.Background(), l); err != nil {
			t.Fatal(err)
		}
	}
	if n := ev.e.Counters().RateLimited; n != 0 {
		t.Errorf("%d requests hit the rate limit although the client paces by X-RateLimit-Remaining", n)
	}
	if st := ev.c.Stats(); st.RateLimitWaits < 2 || st.Requests != 5 {
		t.Errorf("stats %+v", st)
	}
}

func Test5xxBurstIsBounded(t *testing.T) {
	ev := newEnv(t, emulator.Config{Faults: emulator.Faults{Ratio5xx: 1}}, func(c *sendgrid.Config) { c.MaxAttempts = 3 })
	l := ev.e.SeedList(key, "l")
	_, err := ev.c.GetList(context.Background(), l)
	var ae *sendgrid.APIError
	if !errors.As(err, &ae) || ae.StatusCode < 500 || ae.Attempts != 3 || len(ae.Errors) == 0 {
		t.Fatalf("err = %#v", err)
	}
	if n := ev.e.Counters().Requests["GET /v3/marketing/lists/{id}"]; n != 3 {
		t.Errorf("%d attempts reached the server, want 3", n)
	}
	if !strings.Contains(err.Error(), "after 3 attempts") {
		t.Errorf("error %q does not say it was retried", err)
	}
}

func Test5xxBurstIsRetried(t *testing.T) {
	ev := newEnv(t, emulator.Config{Faults: emulator.Faults{Ratio5xx: 1, Max5xx: 2}}, nil)
	job, err := ev.c.UpsertContacts(context.Background(), nil, []sendgrid.Contact{{Email: email(1)}})
	if err != nil || job == "" {
		t.Fatalf("upsert after a 5xx burst: %v", err)
	}
	if st := ev.c.Stats(); st.Retries != 2 {
		t.Errorf("retries %d", st.Retries)
	}
}

func TestCancelEndsWaitsPromptly(t *testing.T) {
	t.Run("rate limit wait", func(t *testing.T) {
		ev := newEnv(t, emulator.Config{Faults: emulator.Faults{Storm429: emulator.RateStorm{Every: 1, Max: 1, Reset: 30 * time.Second}}},
			func(c *sendgrid.Config) { c.MaxWait = time.Minute })
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		start := time.Now()
		_, err := ev.c.Lists(ctx)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("returned %v after the cancel, the pending wait was 30 s", d)
		}
	})
	t.Run("backoff", func(t *testing.T) {
		ev := newEnv(t, emulator.Config{Faults: emulator.Faults{Ratio5xx: 1}},
			func(c *sendgrid.Config) { c.BaseBackoff = 20 * time.Second; c.MaxWait = time.Minute })
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := ev.c.Scopes(ctx)
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
			t.Fatalf("err = %v after %v", err, time.Since(start))
		}
	})
	t.Run("job polling", func(t *testing.T) {
		ev := newEnv(t, emulator.Config{Faults: emulator.Faults{JobStuck: true}}, nil)
		job, err := ev.c.UpsertContacts(context.Background(), nil, []sendgrid.Contact{{Email: email(1)}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		st, err := ev.c.WaitImport(ctx, job, 10*time.Millisecond)
		if !errors.Is(err, context.DeadlineExceeded) || st.Status != sendgrid.JobPending {
			t.Fatalf("stuck job: %+v %v", st, err)
		}
	})
}

func TestDroppedConnectionsRetriedForIdempotentCalls(t *testing.T) {
	ev := newEnv(t, emulator.Config{}, nil)
	l := ev.e.SeedList(key, "l")
	ev.e.SetFaults(emulator.Faults{DropRatio: 1, MaxDrops: 2, Only: []string{"GET /v3/marketing/lists/{id}"}})
	if _, err := ev.c.GetList(context.Background(), l); err != nil {
		t.Fatalf("GET after dropped connections: %v", err)
	}
	if n := ev.e.Counters().Dropped; n != 2 {
		t.Errorf("%d connections dropped", n)
	}
	// An upsert whose answer was lost is sent again: SendGrid upserts by email.
	ev.e.SetFaults(emulator.Faults{DropRatio: 1, MaxDrops: 1, Only: []string{"PUT /v3/marketing/contacts"}})
	job, err := ev.c.UpsertContacts(context.Background(), []string{l}, []sendgrid.Contact{{Email: email(1)}})
	if err != nil {
		t.Fatalf("upsert after a dropped connection: %v", err)
	}
	if _, err := ev.c.WaitImport(context.Background(), job, 5*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	ev.e.FlushJobs()
	if c := ev.e.Counters(); c.UpsertRequests != 2 || c.Dropped != 3 {
		t.Errorf("upserts processed %d, dropped %d", c.UpsertRequests, c.Dropped)
	}
	if m := ev.e.ListMembers(key, l); !slices.Equal(m, []string{email(1)}) {
		t.Errorf("members %v", m)
	}
}

func TestCreateIsNotRepeatedAfterAmbiguousFailures(t *testing.T) {
	ctx := context.Background()
	ev := newEnv(t, emulator.Config{}, nil)
	ev.e.SetFaults(emulator.Faults{DropRatio: 1, Only: []string{"POST /v3/marketing/lists", "POST /v3/marketing/field_definitions"}})
	_, err := ev.c.CreateList(ctx, "once")
	var te *sendgrid.TransportError
	if !errors.As(err, &te) || !te.Sent || te.Attempts != 1 || !strings.Contains(err.Error(), "may have been processed") {
		t.Fatalf("create list after a dropped answer: %v", err)
	}
	if _, err := ev.c.CreateField(ctx, "tier", sendgrid.FieldText); !errors.As(err, &te) || te.Attempts != 1 {
		t.Fatalf("create field after a dropped answer: %v", err)
	}
	c := ev.e.Counters()
	if c.Requests["POST /v3/marketing/lists"] != 1 || c.Requests["POST /v3/marketing/field_definitions"] != 1 {
		t.Errorf("creates were repeated: %v", c.Requests)
	}
	if n := len(ev.e.ListIDs(key)); n != 1 {
		t.Errorf("%d lists exist, want exactly the one created", n)
	}

	// A 5xx is ambiguous too: not repeated.
	ev.e.SetFaults(emulator.Faults{Ratio5xx: 1, Only: []string{"POST /v3/marketing/lists"}})
	if _, err := ev.c.CreateList(ctx, "five"); !errors.As(err, new(*sendgrid.APIError)) {
		t.Fatalf("create after 5xx: %v", err)
	}
	if n := ev.e.Counters().Requests["POST /v3/marketing/lists"]; n != 2 {
		t.Errorf("create after a 5xx was repeated (%d requests)", n)
	}
	// A 429 proves the request was not processed: it is repeated.
	ev.e.SetFaults(emulator.Faults{Storm429: emulator.RateStorm{Every: 1, Max: 1, Reset: time.Millisecond}})
	if _, err := ev.c.CreateList(ctx, "after429"); err != nil {
		t.Fatalf("create after a 429: %v", err)
	}
	// A refused connection never reached the server: repeated up to MaxAttempts.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	dead, err := sendgrid.New(sendgrid.Config{APIKey: key, BaseURL: "http://" + addr, MaxAttempts: 3, BaseBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = dead.CreateList(ctx, "nowhere")
	if !errors.As(err, &te) || te.Attempts != 3 || te.Sent {
		t.Fatalf("refused connection: %v", err)
	}
}

func TestAPIErrors(t *testing.T) {
	ctx := context.Background()
	ev := newEnv(t, emulator.Config{Keys: map[string]emulator.Key{
		key:            {UserID: 1, Scopes: emulator.DefaultScopes()},
		"SG.read-only": {UserID: 1, Scopes: []string{"mail.send", emulator.ScopeUsernameRead, emulator.ScopeAccountRead}},
	}}, nil)

	bad, _ := sendgrid.New(sendgrid.Config{APIKey: "SG.wrong-key-value", BaseURL: ev.url})
	_, err := bad.Scopes(ctx)
	if !sendgrid.IsUnauthorized(err) || !strings.Contains(err.Error(), "invalid, expired, or revoked") || strings.Contains(err.Error(), "wrong-key-value") {
		t.Errorf("401: %v", err)
	}

	// SendGrid's 403 names no scope: the client reads the key's scopes to say which are missing.
	roScopes := []string{"mail.send", emulator.ScopeUsernameRead, emulator.ScopeAccountRead}
	ro, _ := sendgrid.New(sendgrid.Config{APIKey: "SG.read-only", BaseURL: ev.url})
	before := ev.e.Counters().Requests["GET /v3/scopes"]
	_, err = ro.CreateList(ctx, "x")
	var fe *sendgrid.APIError
	if !sendgrid.IsForbidden(err) || !errors.As(err, &fe) || !strings.HasSuffix(err.Error(), "403 Forbidden: access forbidden") {
		t.Fatalf("403: %v", err)
	}
	var wantMissing []string
	for _, s := range sendgrid.RequiredScopes() {
		if !slices.Contains(roScopes, s) {
			wantMissing = append(wantMissing, s)
		}
	}
	if got := fe.MissingScopes(sendgrid.RequiredScopes()); len(wantMissing) == 0 || !slices.Equal(got, wantMissing) || fe.ScopesErr != nil {
		t.Errorf("missing scopes after a 403 = %v (%v), want %v", got, fe.ScopesErr, wantMissing)
	}
	if n := ev.e.Counters().Requests["GET /v3/scopes"] - before; n != 1 {
		t.Errorf("a 403 read the key's scopes %d times, want once", n)
	}
	before = ev.e.Counters().Requests["GET /v3/scopes"]
	if u, err := ro.User(ctx); err != nil || u.HasProfile {
		t.Errorf("user without the profile scope: %+v %v", u, err)
	}
	if n := ev.e.Counters().Requests["GET /v3/scopes"] - before; n != 0 {
		t.Errorf("the expected 403 of the profile read looked the scopes up %d times", n)
	}

	_, err = ev.c.GetList(ctx, "00000000-0000-4000-8000-000000000000")
	if !sendgrid.IsNotFound(err) {
		t.Errorf("404: %v", err)
	}

	_, err = ev.c.UpsertContacts(ctx, nil, []sendgrid.Contact{{Email: email(1)}, {Email: "broken.example.com"}})
	var ae *sendgrid.APIError
	if !errors.As(err, &ae) || !sendgrid.IsBadRequest(err) || len(ae.Errors) != 1 || ae.Errors[0].Field != "contacts[1].email" {
		t.Fatalf("400: %#v", err)
	}
	want := "sendgrid: PUT /v3/marketing/contacts: 400 Bad Request: contacts[1].email: "
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("400 message %q", err)
	}
}

// fake serves fixed answers for cases the emulator cannot produce on demand.
func fake(t *testing.T, h http.HandlerFunc) *sendgrid.Client {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := sendgrid.New(sendgrid.Config{APIKey: key, BaseURL: srv.URL, MaxAttempts: 2, BaseBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestErrorBodies(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v3/marketing/contacts":
			w.WriteHeader(413)
			_, _ = io.WriteString(w, `{"errors":[{"field":"","message":"request body too large"}]}`)
		case "/v3/marketing/lists/a":
			w.WriteHeader(404)
			_, _ = io.WriteString(w, `[{"message":"list not found","error_id":"e-1"}]`)
		case "/v3/marketing/contacts/imports/j":
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"errors":{"field":"id","message":"bad id for jane.doe@example.org"}}`)
		default:
			w.WriteHeader(502)
			_, _ = io.WriteString(w, `<html>bad gateway</html>`)
		}
	})
	ctx := context.Background()
	_, err := c.UpsertContactsJSON(ctx, []byte(`{"contacts":[{"email":"a@example.com"}]}`))
	if !sendgrid.IsTooLarge(err) || !strings.Contains(err.Error(), "request body too large") {
		t.Errorf("413: %v", err)
	}
	_, err = c.GetList(ctx, "a")
	var ae *sendgrid.APIError
	if !errors.As(err, &ae) || !sendgrid.IsNotFound(err) || ae.Errors[0].ErrorID != "e-1" {
		t.Errorf("404 array body: %#v", err)
	}
	_, err = c.ImportStatus(ctx, "j")
	if err == nil || strings.Contains(err.Error(), "jane.doe@example.org") || !strings.Contains(err.Error(), "j***@e***.org") {
		t.Errorf("an email in a server message must be masked: %v", err)
	}
	_, err = c.Scopes(ctx)
	if !errors.As(err, &ae) || ae.StatusCode != 502 || ae.Attempts != 2 || !strings.Contains(err.Error(), "bad gateway") {
		t.Errorf("502 html: %v", err)
	}
}

func TestListsFollowsPages(t *testing.T) {
	var srvURL string
	var calls []string
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		calls = append(calls, r.URL.RawQuery)
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("page_token") == "" {
			fmt.Fprintf(w, `{"result":[{"id":"a","name":"A","contact_count":1}],"_metadata":{"next":"%s/v3/marketing/lists?page_size=1000&page_token=tok2"}}`, srvURL)
			return
		}
		_, _ = io.WriteString(w, `{"result":[{"id":"b","name":"B","contact_count":2}],"_metadata":{}}`)
	})
	srvURL = c.BaseURL()
	lists, err := c.Lists(context.Background())
	if err != nil || len(lists) != 2 || lists[1].ID != "b" || lists[1].ContactCount != 2 {
		t.Fatalf("lists %+v %v", lists, err)
	}
	sort.Strings(calls)
	if !slices.Equal(calls, []string{"page_size=1000", "page_size=1000&page_token=tok2"}) {
		t.Errorf("queries %v", calls)
	}
}

func TestClientSideLimits(t *testing.T) {
	ev := newEnv(t, emulator.Config{}, nil)
	ctx := context.Background()
	many := make([]sendgrid.Contact, sendgrid.MaxUpsertContacts+1)
	for i := range many {
		many[i].Email = email(i)
	}
	if _, err := ev.c.UpsertContacts(ctx, nil, many); err == nil {
		t.Error("30,001 contacts accepted")
	}
	if _, err := ev.c.UpsertContactsJSON(ctx, make([]byte, sendgrid.MaxUpsertBytes+1)); err == nil {
		t.Error("a body over 6 MB accepted")
	}
	var ids []string
	for i := 0; i < 300; i++ {
		ids = append(ids, "00000000-0000-4000-8000-"+fmt.Sprintf("%012d", i))
	}
	if _, err := ev.c.RemoveListContacts(ctx, "00000000-0000-4000-8000-000000000000", ids); err == nil || !strings.Contains(err.Error(), "smaller batches") {
		t.Errorf("long URL: %v", err)
	}
	if n := ev.c.RemoveListContactsURLLength("00000000-0000-4000-8000-000000000000", ids[:150]); n > sendgrid.MaxURLLength {
		t.Errorf("150 IDs need %d characters", n)
	}
	if _, err := ev.c.SearchEmails(ctx, make([]string, 101)); err == nil {
		t.Error("101 emails searched")
	}
	if _, err := ev.c.CreateList(ctx, strings.Repeat("x", 101)); err == nil {
		t.Error("a 101-character list name accepted")
	}
	for _, n := range []string{"1x", "a-b", "", "ünï"} {
		if err := sendgrid.CheckFieldName(n); err == nil {
			t.Errorf("field name %q accepted", n)
		}
	}
	if st := ev.c.Stats(); st.Requests != 0 {
		t.Errorf("%d requests sent for calls refused locally", st.Requests)
	}
	if _, err := sendgrid.New(sendgrid.Config{APIKey: "k", BaseURL: "ftp://example.com"}); err == nil {
		t.Error("ftp base URL accepted")
	}
	if _, err := sendgrid.New(sendgrid.Config{}); err == nil {
		t.Error("empty key accepted")
	}
}

func TestImportErrorFormats(t *testing.T) {
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/csv":
			_, _ = io.WriteString(w, "\ufeffEmail,Errors\r\nuser000001@example.com,invalid email\r\n")
		case "/json":
			_, _ = io.WriteString(w, `[{"email":"user000002@example.com","error":"too long"}]`)
		case "/wrapped":
			_, _ = io.WriteString(w, `{"errors":[{"email":"user000003@example.com","message":"bad"}]}`)
		}
	})
	for path, want := range map[string]sendgrid.ImportErrorRow{
		"/csv":     {Email: email(1), Message: "invalid email"},
		"/json":    {Email: email(2), Message: "too long"},
		"/wrapped": {Email: email(3), Message: "bad"},
	} {
		rows, err := c.ImportErrors(context.Background(), c.BaseURL()+path)
		if err != nil || len(rows) != 1 || rows[0] != want {
			t.Errorf("%s: %+v %v", path, rows, err)
		}
	}
}

func TestPartlyErroredJobs(t *testing.T) {
	ev := newEnv(t, emulator.Config{Seed: 9, Faults: emulator.Faults{JobErrorRatio: 0.2}}, nil)
	var cs []sendgrid.Contact
	for i := 0; i < 100; i++ {
		cs = append(cs, sendgrid.Contact{Email: email(i)})
	}
	job, err := ev.c.UpsertContacts(context.Background(), nil, cs)
	if err != nil {
		t.Fatal(err)
	}
	st, err := ev.c.WaitImport(context.Background(), job, 5*time.Millisecond)
	if err != nil || st.Status != sendgrid.JobErrored || st.Errored == 0 || st.Errored+st.Created != 100 {
		t.Fatalf("job %+v %v", st, err)
	}
	rows, err := ev.c.ImportErrors(context.Background(), st.ErrorsURL)
	if err != nil || int64(len(rows)) != st.Errored {
		t.Fatalf("errors file: %d rows, %v", len(rows), err)
	}
	for _, r := range rows {
		if _, ok := ev.e.Contact(key, r.Email); ok {
			t.Errorf("errored row %s was stored", r.Email)
		}
	}
	ev.e.SetFaults(emulator.Faults{JobFailRatio: 1})
	xid, err := ev.c.StartContactsExport(context.Background(), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ev.c.WaitContactsExport(context.Background(), xid, 5*time.Millisecond); err == nil {
		t.Error("a failed export returned no error")
	}
}

// realScopes are the scopes SendGrid's "API Key Permissions" page lists for an admin key that
// touch what this client uses (the Marketing Campaigns API and the user endpoints).
var realScopes = []string{"marketing.read", "marketing.automation.read", "user.username.read", "user.account.read", "user.profile.read"}

func TestRequiredScopesAreRealSendGridScopes(t *testing.T) {
	if !slices.Contains(sendgrid.RequiredScopes(), sendgrid.ScopeMarketingRead) {
		t.Errorf("required scopes %v lack marketing.read", sendgrid.RequiredScopes())
	}
	for _, s := range sendgrid.RequiredScopes() {
		if !slices.Contains(realScopes, s) {
			t.Errorf("required scope %q is not a SendGrid scope", s)
		}
		if sendgrid.ScopePermission(s) == "" {
			t.Errorf("no SendGrid UI permission named for required scope %q", s)
		}
	}
	if got := sendgrid.ScopePermission("marketing.read"); got != "Marketing: Full Access" {
		t.Errorf("ScopePermission(marketing.read) = %q", got)
	}
}

// TestUploadSendsExactlyTheUploadHeaders checks the upload of a CSV import: the headers SendGrid
// returned, byte for byte, and nothing a presigned URL's signature may not cover (no API key, no
// Content-Type or Content-Encoding of the client's own, no other x-amz-* header).
func TestUploadSendsExactlyTheUploadHeaders(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	defer srv.Close()
	c, err := sendgrid.New(sendgrid.Config{APIKey: key, BaseURL: "https://api.sendgrid.com", HTTPClient: srv.Client(), UserAgent: "sendgridaudience-test"})
	if err != nil {
		t.Fatal(err)
	}
	imp := sendgrid.CSVImport{UploadURI: srv.URL + "/upload.csv?X-Amz-Signature=abc",
		UploadHeaders: map[string]string{"x-amz-server-side-encryption": "aws:kms"}}
	if err := c.UploadCSV(context.Background(), imp, []byte("email\nuser000001@example.com\n")); err != nil {
		t.Fatal(err)
	}
	if v := got.Values("X-Amz-Server-Side-Encryption"); len(v) != 1 || v[0] != "aws:kms" {
		t.Errorf("upload header = %v, want exactly aws:kms", v)
	}
	for name := range got {
		switch http.CanonicalHeaderKey(name) {
		case "X-Amz-Server-Side-Encryption", "User-Agent", "Content-Length", "Accept-Encoding":
		default:
			t.Errorf("the upload sent %s: %q, which the presigned URL's signature may not cover", name, got.Get(name))
		}
	}
}

func TestDeleteListKeepsOrDeletesItsContacts(t *testing.T) {
	ev := newEnv(t, emulator.Config{}, nil)
	ctx := context.Background()
	kept := ev.e.SeedList(key, "kept")
	gone := ev.e.SeedList(key, "gone")
	ev.e.SeedContact(key, email(1), nil, kept)
	ev.e.SeedContact(key, email(2), nil, gone)
	if err := ev.c.DeleteList(ctx, kept); err != nil {
		t.Fatal(err)
	}
	if err := ev.c.DeleteListAndContacts(ctx, gone); err != nil {
		t.Fatal(err)
	}
	ev.e.FlushJobs()
	if _, ok := ev.e.Contact(key, email(1)); !ok {
		t.Error("DeleteList deleted the list's contact")
	}
	if _, ok := ev.e.Contact(key, email(2)); ok {
		t.Error("DeleteListAndContacts kept the list's contact")
	}
}
