package export

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/segment"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
)

// recorder wraps the client and records what the engine sends.
type recorder struct {
	*sendgrid.Client
	mu         sync.Mutex
	bodies     []int // upsert body sizes
	removeURLs []int
}

func (r *recorder) UpsertContactsJSON(ctx context.Context, body []byte) (string, error) {
	r.mu.Lock()
	r.bodies = append(r.bodies, len(body))
	r.mu.Unlock()
	return r.Client.UpsertContactsJSON(ctx, body)
}

func (r *recorder) RemoveListContacts(ctx context.Context, listID string, ids []string) (string, error) {
	r.mu.Lock()
	r.removeURLs = append(r.removeURLs, r.RemoveListContactsURLLength(listID, ids))
	r.mu.Unlock()
	return r.Client.RemoveListContacts(ctx, listID, ids)
}

// TestBatchesCutAtLimits: batches are as large as the limits allow, whichever binds first.
func TestBatchesCutAtLimits(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	rec := &recorder{Client: v.client}
	v.eng.Client = rec
	v.eng.Transfer = TransferPUT
	ps := genProfiles(0, 1000)
	req := v.request(segment.Spec{Name: "p", Source: v.file("p.csv", ps)})

	// Count limit.
	v.eng.MaxBatchContacts = 300
	plan, err := v.eng.Plan(context.Background(), req)
	if err != nil || plan.Method != "put" || plan.Requests != 4 {
		t.Fatalf("plan: %v, %s %d", err, plan.Method, plan.Requests)
	}
	res, err := v.eng.Apply(context.Background(), req, Expected{Fingerprint: plan.Fingerprint})
	if err != nil {
		t.Fatal(err)
	}
	got := v.emu.Counters().UpsertSizes
	sort.Sort(sort.Reverse(sort.IntSlice(got))) // requests run concurrently
	if !reflect.DeepEqual(got, []int{300, 300, 300, 100}) {
		t.Fatalf("upsert sizes = %v", got)
	}
	v.assertMembers(emailsOf(ps))

	// Byte limit: a 20,000-byte cap on bodies of ~200-byte contacts.
	for i := range ps {
		ps[i].City = "Moved"
	}
	req.Segments[0].Source = v.file("p2.csv", ps)
	req.Previous = res.Snapshot
	v.eng.MaxBatchContacts = 0
	v.eng.MaxBatchBytes = 20000
	v.emu.ResetCounters()
	rec.bodies = nil
	plan, err = v.eng.Plan(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.eng.Apply(context.Background(), req, Expected{Fingerprint: plan.Fingerprint}); err != nil {
		t.Fatal(err)
	}
	sizes := v.emu.Counters().UpsertSizes
	if len(sizes) != plan.Requests || len(rec.bodies) != len(sizes) {
		t.Fatalf("planned %d requests, sent %d", plan.Requests, len(sizes))
	}
	total := 0
	sort.Sort(sort.Reverse(sort.IntSlice(rec.bodies)))
	for i, n := range rec.bodies {
		if n > 20000 {
			t.Fatalf("body %d has %d bytes", i, n)
		}
		// Every batch but the last is full: one more contact would not have fitted.
		if i < len(rec.bodies)-1 && n+150 < 20000 {
			t.Fatalf("body %d has only %d bytes", i, n)
		}
	}
	for _, n := range sizes {
		total += n
	}
	if total != 1000 {
		t.Fatalf("sent %d contacts", total)
	}
}

// TestCSVImportWhenFewerRequests: with more than two PUT batches the CSV import (two requests)
// is used; the result is the same.
func TestCSVImportWhenFewerRequests(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	v.eng.MaxBatchContacts = 100
	ps := genProfiles(0, 250)
	ps[3].City = `Quote "and", comma`
	req := v.request(segment.Spec{Name: "p", Source: v.file("p.csv", ps)})
	plan, err := v.eng.Plan(context.Background(), req)
	if err != nil || plan.Method != "csv" || plan.Requests != 2 {
		t.Fatalf("plan: %v, %s %d", err, plan.Method, plan.Requests)
	}
	res, err := v.eng.Apply(context.Background(), req, Expected{Fingerprint: plan.Fingerprint})
	if err != nil || res.Report.Method != "csv" {
		t.Fatalf("apply: %v", err)
	}
	c := v.emu.Counters()
	if c.ImportUploads != 1 || c.ContactsImported != 250 || c.UpsertRequests != 0 {
		t.Fatalf("counters: %d uploads, %d contacts, %d upserts", c.ImportUploads, c.ContactsImported, c.UpsertRequests)
	}
	if n := c.Requests["PUT /v3/marketing/contacts/imports"]; n != 1 {
		t.Fatalf("%d import starts", n)
	}
	v.assertMembers(emailsOf(ps))
	got, _ := v.emu.Contact(v.key, ps[3].Email)
	cf := got["custom_fields"].(map[string]any)
	if got["city"] != ps[3].City || cf[v.fields["score"]] != 3.5 || cf[v.fields["signup"]] != "04/04/2024" {
		t.Fatalf("imported contact = %v", got)
	}
	// Two batches: PUT (a tie in requests; the JSON upsert is kept).
	v.eng.MaxBatchContacts = 200
	plan, _ = v.eng.Plan(context.Background(), req)
	if plan.Method != "put" || plan.Requests != 2 {
		t.Fatalf("two batches: %s %d", plan.Method, plan.Requests)
	}
	// Above MaxImportContacts, several imports.
	v.eng.MaxBatchContacts, v.eng.MaxImportContacts = 10, 100
	plan, _ = v.eng.Plan(context.Background(), req)
	if plan.Method != "csv" || plan.Requests != 6 {
		t.Fatalf("three imports: %s %d", plan.Method, plan.Requests)
	}
}

// TestRemovalsInURLSafeBatches removes more contacts than one URL can name.
func TestRemovalsInURLSafeBatches(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	rec := &recorder{Client: v.client}
	v.eng.Client = rec
	ps := genProfiles(0, 1200)
	path := v.file("p.csv", ps)
	req := v.request(segment.Spec{Name: "p", Source: path})
	req.SyncMode = SyncMirror
	req.RemovalGuard.AllowMassRemoval = true // removes more than the guard's share on purpose
	res := v.mustApply(req)
	writeProfiles(t, path, ps[:100])
	req.Previous = res.Snapshot
	res = v.mustApply(req)
	if res.Report.Removed != 1100 {
		t.Fatalf("removed %d", res.Report.Removed)
	}
	// A contact ID (UUID) takes 36 characters plus an encoded comma (3): about 200 per URL.
	if len(rec.removeURLs) < 5 || len(rec.removeURLs) > 7 {
		t.Fatalf("%d removal requests", len(rec.removeURLs))
	}
	sort.Sort(sort.Reverse(sort.IntSlice(rec.removeURLs)))
	for i, n := range rec.removeURLs {
		if n > sendgrid.MaxURLLength {
			t.Fatalf("removal URL %d has %d characters", i, n)
		}
		if i < len(rec.removeURLs)-1 && n < sendgrid.MaxURLLength-40 {
			t.Fatalf("removal URL %d has only %d characters", i, n)
		}
	}
	v.assertMembers(emailsOf(ps[:100]))
}

// TestProgressHasNoValues: progress events carry counts only.
func TestProgressHasNoValues(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	v.eng.MaxBatchContacts = 40
	v.eng.Transfer = TransferPUT
	var events []Progress
	v.eng.Progress = func(p Progress) { events = append(events, p) }
	ps := genProfiles(0, 100)
	v.mustApply(v.request(segment.Spec{Name: "p", Source: v.file("p.csv", ps)}))
	last := events[len(events)-1]
	if last.Phase != "done" || last.BatchesSent != 3 || last.ContactsSent != 100 || last.JobsDone != 3 || last.ConfirmedSoFar != 100 {
		t.Fatalf("last event = %+v", last)
	}
	dump := fmt.Sprintf("%+v", events)
	if strings.Contains(dump, "example.com") || strings.Contains(dump, "First") {
		t.Fatal("a progress event holds a value")
	}
}
