package export

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/oaspec"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/segment"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
)

// TestRequestsFollowTheContract runs exports that use every call the engine makes (upserts, a
// CSV import, job status, errors files, search, contacts export, list removals) through a
// validator of SendGrid's official OpenAPI files: every request and response must conform.
func TestRequestsFollowTheContract(t *testing.T) {
	spec, err := oaspec.Shared()
	if errors.Is(err, oaspec.ErrNotFound) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	emu := emulator.New(emulator.Config{Seed: 3, JobDelay: 2 * time.Millisecond,
		Faults: emulator.Faults{JobErrorRatio: 0.02}})
	h, rec := spec.Middleware(emu)
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer func() { _ = emu.Close() }()
	key := emulator.TestKey
	client, err := sendgrid.New(sendgrid.Config{APIKey: key, BaseURL: srv.URL, BaseBackoff: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	v := &testEnv{t: t, emu: emu, url: srv.URL, client: client, key: key, dir: t.TempDir()}
	v.listID = emu.SeedList(key, "Contract")
	v.fields = map[string]string{"tier": emu.SeedField(key, "tier", "Text"), "score": emu.SeedField(key, "score", "Number"),
		"signup": emu.SeedField(key, "signup", "Date")}
	v.eng = &Engine{Client: client, PollInterval: 5 * time.Millisecond, MaxBatchContacts: 100}

	ps := genProfiles(0, 500)
	path := v.file("p.csv", ps)
	req := v.request(segment.Spec{Name: "p", Source: path, Filter: `country != "GB"`})
	req.SyncMode = SyncMirror
	req.RemovalGuard.AllowMassRemoval = true // removes more than the guard's share on purpose
	snap := v.converge(req, 10)              // CSV import (5 batches), errored rows retried by PUT
	req.Segments[0].Filter = ""
	req.Previous = snap
	writeProfiles(t, path, ps[:300]) // 200 deleted (export), GB rows back in
	req.Previous = v.converge(req, 10)
	req.Segments[0].Filter = `country != "US"` // filtered out: found by search
	v.eng.Transfer = TransferPUT
	res, err := v.apply(req)
	if err != nil && res == nil {
		t.Fatal(err)
	}

	checked := rec.Checked()
	for _, route := range []string{"PUT /v3/marketing/contacts 202", "PUT /v3/marketing/contacts/imports 200",
		"POST /v3/marketing/contacts/search/emails 200", "POST /v3/marketing/contacts/exports 202",
		"DELETE /v3/marketing/lists/{id}/contacts 202", "GET /v3/marketing/contacts/imports/{id} 200"} {
		if checked[route] == 0 {
			t.Errorf("no %s exchange was validated; validated:\n%s", route, rec.Summary())
		}
	}
	for _, p := range rec.Problems() {
		t.Errorf("%s %s: %s", p.Kind, p.Route, p.Message)
	}
}
