package emulator_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
)

// A contact that another integration (an SMS one) created with a phone_number_id can only be
// updated by an upsert that carries it (spec PUT /v3/marketing/contacts: "all of its existing
// identifiers must be present").
func TestUpsertNeedsTheContactsExistingIdentifiers(t *testing.T) {
	s := newServer(t, emulator.Config{}, true)
	l := s.e.SeedList(key, "sms")
	s.e.SeedContact(key, email(1), map[string]any{"phone_number_id": "+14155550101", "external_id": "crm-1"}, l)

	// Omitting the phone number: the request is refused, naming the contact and the identifier.
	r := s.do("PUT", "/v3/marketing/contacts", key, map[string]any{"contacts": []map[string]any{
		{"email": email(2)},
		{"email": email(1), "first_name": "Ann", "external_id": "crm-1"},
	}})
	expect(t, r, 400)
	if got := strings.Join(r.errs(t), ";"); !strings.Contains(got, "contacts[1].phone_number_id: ") ||
		!strings.Contains(got, "all of its existing identifiers must be present") || strings.Contains(got, "contacts[0]") {
		t.Errorf("errors = %s", got)
	}
	// Another value for an identifier is refused too.
	r = s.do("PUT", "/v3/marketing/contacts", key, map[string]any{"contacts": []map[string]any{
		{"email": email(1), "phone_number_id": "+14155550199", "external_id": "crm-1"},
	}})
	expect(t, r, 400)
	// A phone number that is not one.
	r = s.do("PUT", "/v3/marketing/contacts", key, map[string]any{"contacts": []map[string]any{
		{"email": email(3), "phone_number_id": "555-0101"},
	}})
	expect(t, r, 400)
	if got := strings.Join(r.errs(t), ";"); !strings.Contains(got, "contacts[0].phone_number_id: ") {
		t.Errorf("errors = %s", got)
	}

	// With every identifier the update goes through and keeps them.
	j := s.waitJob(s.upsert([]string{l}, []map[string]any{
		{"email": email(1), "first_name": "Ann", "phone_number_id": "+14155550101", "external_id": "crm-1"},
		{"email": email(2), "anonymous_id": "anon-2"},
	}))
	if j["status"] != "completed" {
		t.Fatalf("job = %v", j)
	}
	c, _ := s.e.Contact(key, email(1))
	if c["first_name"] != "Ann" || c["phone_number_id"] != "+14155550101" || c["external_id"] != "crm-1" {
		t.Errorf("contact = %v", c)
	}
	if c, _ := s.e.Contact(key, email(2)); c["anonymous_id"] != "anon-2" {
		t.Errorf("contact 2 = %v", c)
	}
}

// A CSV import is checked when its job runs: the contact missing an identifier errors, the
// others are imported.
func TestImportNeedsTheContactsExistingIdentifiers(t *testing.T) {
	s := newServer(t, emulator.Config{}, true)
	l := s.e.SeedList(key, "sms")
	s.e.SeedContact(key, email(1), map[string]any{"phone_number_id": "+14155550101"}, l)
	s.e.SeedContact(key, email(2), map[string]any{"phone_number_id": "+14155550102"}, l)
	r := s.do("PUT", "/v3/marketing/contacts/imports", key, map[string]any{
		"list_ids": []string{l}, "file_type": "csv", "field_mappings": []any{"_rf2_T", "_rf0_T", "_rf24_T"},
	})
	expect(t, r, 200)
	var imp struct {
		JobID     string `json:"job_id"`
		UploadURI string `json:"upload_uri"`
	}
	r.json(t, &imp)
	file := "email,first_name,phone_number_id\n" +
		email(1) + ",Ann,+14155550101\n" +
		email(2) + ",Bob,\n" +
		email(3) + ",Cy,+442071838750\n"
	req, _ := http.NewRequest("PUT", imp.UploadURI, strings.NewReader(file))
	req.Header.Set("x-amz-server-side-encryption", "aws:kms") // the upload_headers the import returned
	res, err := s.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	j := s.waitJob(imp.JobID)
	rs := results(j)
	if j["status"] != "errored" || rs["errored_count"] != 1.0 || rs["created_count"] != 1.0 || rs["updated_count"] != 1.0 {
		t.Errorf("import job = %v", j)
	}
	if c, _ := s.e.Contact(key, email(2)); c["first_name"] != "" || c["phone_number_id"] != "+14155550102" {
		t.Errorf("the contact missing its identifier was changed: %v", c)
	}
	if c, _ := s.e.Contact(key, email(3)); c["phone_number_id"] != "+442071838750" {
		t.Errorf("imported contact = %v", c)
	}
}
