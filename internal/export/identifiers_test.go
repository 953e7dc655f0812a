package export

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/segment"
)

// identRow is a profile with SendGrid's other identifiers.
type identRow struct{ email, first, phone, ext, anon string }

func writeIdentRows(t *testing.T, path string, rows []identRow) {
	t.Helper()
	var b strings.Builder
	b.WriteString("email,first_name,mobile,crm_id,device_id\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "%s,%s,%s,\"%s\",%s\n", r.email, r.first, r.phone, strings.ReplaceAll(r.ext, `"`, `""`), r.anon)
	}
	writeFile(t, path, b.String())
}

func identMapping() Mapping {
	return Mapping{Email: "email", FirstName: "first_name", PhoneNumberID: "mobile", ExternalID: "crm_id", AnonymousID: "device_id"}
}

// A list shared with an SMS integration: its contacts carry a phone_number_id. An export that
// maps the phone number keeps updating them (SendGrid requires every existing identifier in an
// update), by JSON upserts and by CSV import.
func TestIdentifiersKeepASharedListWorking(t *testing.T) {
	for _, tr := range []Transfer{TransferPUT, TransferCSV} {
		t.Run(string(tr), func(t *testing.T) {
			v := newTestEnv(t, emulatorConfig())
			v.eng.Transfer = tr
			for i := 1; i <= 3; i++ {
				v.emu.SeedContact(v.key, fmt.Sprintf("user%06d@example.com", i), map[string]any{"phone_number_id": fmt.Sprintf("+1415555010%d", i)}, v.listID)
			}
			var rows []identRow
			for i := 1; i <= 5; i++ {
				rows = append(rows, identRow{email: fmt.Sprintf("user%06d@example.com", i), first: fmt.Sprintf("New%d", i),
					phone: fmt.Sprintf("+1415555010%d", i), ext: fmt.Sprintf("crm-%d", i), anon: fmt.Sprintf("dev-%d", i)})
			}
			p := filepath.Join(v.dir, "sms.csv")
			writeIdentRows(t, p, rows)
			req := Request{Segments: []segment.Spec{{Name: "sms", Source: p}}, Mapping: identMapping(), ListID: v.listID,
				APIKey: v.key, MaxProfiles: 100}
			plan, err := v.eng.Plan(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if plan.Invalid.Total != 0 {
				t.Fatalf("invalid: %v", plan.Invalid.ByReason)
			}
			res, err := v.eng.Apply(context.Background(), req, Expected{Fingerprint: plan.Fingerprint})
			if err != nil {
				t.Fatal(err)
			}
			if rep := res.Report; rep.Status != StatusSucceeded || rep.Errored != 0 || rep.Method != string(tr) {
				t.Fatalf("report = %+v", rep)
			}
			for i := 1; i <= 5; i++ {
				c, _ := v.emu.Contact(v.key, fmt.Sprintf("user%06d@example.com", i))
				if c["first_name"] != fmt.Sprintf("New%d", i) || c["phone_number_id"] != fmt.Sprintf("+1415555010%d", i) ||
					c["external_id"] != fmt.Sprintf("crm-%d", i) || c["anonymous_id"] != fmt.Sprintf("dev-%d", i) {
					t.Errorf("contact %d = %v", i, c)
				}
			}
		})
	}
}

// Without the phone number mapped, the contacts the SMS integration created cannot be updated:
// SendGrid refuses them, and the run says so instead of reporting success.
func TestUnmappedIdentifierOfASharedListFails(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	v.eng.Transfer = TransferPUT
	v.emu.SeedContact(v.key, "user000001@example.com", map[string]any{"phone_number_id": "+14155550101"}, v.listID)
	p := filepath.Join(v.dir, "sms.csv")
	writeIdentRows(t, p, []identRow{{email: "user000001@example.com", first: "New1"}})
	m := identMapping()
	m.PhoneNumberID, m.ExternalID, m.AnonymousID = "", "", ""
	req := Request{Segments: []segment.Spec{{Name: "sms", Source: p}}, Mapping: m, ListID: v.listID, APIKey: v.key, MaxProfiles: 100}
	plan, err := v.eng.Plan(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.eng.Apply(context.Background(), req, Expected{Fingerprint: plan.Fingerprint})
	if err == nil && res.Report.Status == StatusSucceeded {
		t.Fatalf("an update without the contact's phone_number_id reported success: %+v", res.Report)
	}
	if c, _ := v.emu.Contact(v.key, "user000001@example.com"); c["first_name"] == "New1" {
		t.Errorf("SendGrid's rule was not applied: %v", c)
	}
}

func TestIdentifierValidationAtPlan(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	long := strings.Repeat("x", 255)
	rows := []identRow{
		{email: "user000001@example.com", phone: "+14155550101", ext: strings.Repeat("é", 254), anon: "ok"}, // valid
		{email: "user000002@example.com", phone: "555-0101"},
		{email: "user000003@example.com", phone: "+0123456789"},
		{email: "user000004@example.com", phone: "+1234567"},
		{email: "user000005@example.com", phone: "+1234567890123456"},
		{email: "user000006@example.com", ext: long},
		{email: "user000007@example.com", ext: "crm\t7"},
		{email: "user000008@example.com", anon: long},
		{email: "user000009@example.com", anon: "dev\x7f9"},
	}
	p := filepath.Join(v.dir, "ids.csv")
	writeIdentRows(t, p, rows)
	req := Request{Segments: []segment.Spec{{Name: "ids", Source: p}}, Mapping: identMapping(), ListID: v.listID, APIKey: v.key, MaxProfiles: 100}
	plan, err := v.eng.Plan(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"phone_number_id: not_e164": 4, "external_id: too_long": 1, "external_id: control_character": 1,
		"anonymous_id: too_long": 1, "anonymous_id: control_character": 1}
	if plan.Invalid.Total != 8 || plan.Profiles != 1 {
		t.Errorf("invalid %d, profiles %d; by reason %v", plan.Invalid.Total, plan.Profiles, plan.Invalid.ByReason)
	}
	for k, n := range want {
		if plan.Invalid.ByReason[k] != n {
			t.Errorf("by reason[%q] = %d, want %d (all: %v)", k, plan.Invalid.ByReason[k], n, plan.Invalid.ByReason)
		}
	}
	for _, r := range plan.Invalid.First {
		s := r.String()
		if !strings.Contains(s, "ids.csv line ") || strings.Contains(s, "555-0101") || strings.Contains(s, "crm\t7") {
			t.Errorf("invalid row %q: want a row reference and a masked value", s)
		}
		if r.Field == "phone_number_id" && !strings.Contains(r.Detail, "E.164") {
			t.Errorf("phone detail %q", r.Detail)
		}
	}
}
