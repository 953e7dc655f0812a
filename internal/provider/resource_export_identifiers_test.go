package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// identifierExportConfig exports path to listID, mapping SendGrid's other identifiers.
func identifierExportConfig(env *testAccEnv, path, listID, extra string) string {
	return env.ProviderConfig(testAccAdmin) + testAccConnectionConfig("Marketing", []string{testAccAdmin}, nil, "") +
		fmt.Sprintf(`
data "sendgridaudience_segment" "sms" {
  name   = "sms"
  source = %q
}

resource "sendgridaudience_export" "test" {
  name                = "sms-audience"
  sendgrid_connection = sendgridaudience_connection.test
  list_id             = %q
  segments            = [data.sendgridaudience_segment.sms]

  data_matching = {
    email           = "email"
    first_name      = "first_name"
    phone_number_id = "mobile"
    external_id     = "crm_id"
    anonymous_id    = "device_id"
  }
%s
}
`, path, listID, extra)
}

// A list shared with an SMS integration: the contacts it created carry a phone_number_id, and
// SendGrid updates a contact only with all of its identifiers. Mapping the phone number keeps
// the export working on that list.
func TestAccExport_identifiersOfASharedList(t *testing.T) {
	env := testAccNewEnv(t) // emulator only: seeds contacts an SMS integration created, and reads them back whole
	listID := env.Emulator.SeedList(env.Key, "SMS and email")
	env.Emulator.SeedContact(env.Key, "ann@example.com", map[string]any{"phone_number_id": "+14155550101"}, listID)
	env.Emulator.SeedContact(env.Key, "bob@example.com", map[string]any{"phone_number_id": "+14155550102"}, listID)
	path := filepath.Join(t.TempDir(), "sms.csv")
	writeTestFile(t, path, "email,first_name,mobile,crm_id,device_id\n"+
		"ann@example.com,Ann,+14155550101,crm-1,\n"+
		"bob@example.com,Bob,+14155550102,,dev-2\n"+
		"cy@example.com,Cy,+442071838750,crm-3,dev-3\n")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: identifierExportConfig(env, path, listID, ""),
		}},
	})
	for _, want := range []map[string]string{
		{"email": "ann@example.com", "first_name": "Ann", "phone_number_id": "+14155550101", "external_id": "crm-1"},
		{"email": "bob@example.com", "first_name": "Bob", "phone_number_id": "+14155550102", "anonymous_id": "dev-2"},
		{"email": "cy@example.com", "first_name": "Cy", "phone_number_id": "+442071838750", "external_id": "crm-3", "anonymous_id": "dev-3"},
	} {
		c, ok := env.Emulator.Contact(env.Key, want["email"])
		for k, v := range want {
			if k != "email" && (!ok || c[k] != v) {
				t.Errorf("%s: %s = %v, want %q", want["email"], k, c[k], v)
			}
		}
	}
}

func TestAccExport_identifierValidationAtPlan(t *testing.T) {
	env, listID, _ := testAccNewSharedEnv(t, "SMS and email")
	path := filepath.Join(t.TempDir(), "sms.csv")
	writeTestFile(t, path, "email,first_name,mobile,crm_id,device_id\n"+
		"ann@example.com,Ann,(415) 555-0101,crm-1,\n"+
		"bob@example.com,Bob,+14155550102,"+strings.Repeat("x", 255)+",\n"+
		"cy@example.com,Cy,+442071838750,crm-3,\"dev\t3\"\n")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:   identifierExportConfig(env, path, listID, `  invalid_profiles = "fail"`),
			PlanOnly: true,
			ExpectError: allWordsRe(`3 invalid profiles (invalid_profiles = "fail")`, `invalid_profiles = "fail" Fix these rows in the source`,
				"sms.csv line 2: phone_number_id not_e164", "E.164", "sms.csv line 3: external_id too_long (255 characters, at most 254)",
				"sms.csv line 4: anonymous_id control_character"),
		}},
	})
	if !env.emulatorOnly(t, "contacts sent, from the emulator's counters") {
		return
	}
	if got := env.Emulator.Counters().ContactsUpserted; got != 0 {
		t.Errorf("plan sent %d contacts", got)
	}
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
