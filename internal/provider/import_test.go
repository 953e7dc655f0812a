package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/synth"
)

// An import ID that points at nothing fails the import with a message that names the ID, says
// what a valid one looks like and where to find it; nothing is written to state.

// missingListID is a well-formed list ID that no account holds.
const missingListID = "9d2f0a4e-7c1b-4e8a-b3d5-6f0e1c2a9b47"

func TestAccImport_exportOfAListThatDoesNotExist(t *testing.T) {
	f := newExportFixture(t, synth.Options{Count: 5, Seed: 3})
	config := f.config(testAccAdmin, "")
	importStep := func(id string, want *regexp.Regexp) resource.TestStep {
		return resource.TestStep{Config: config, ResourceName: "sendgridaudience_export.test", ImportState: true, ImportStateId: id, ExpectError: want}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			// A list ID that SendGrid does not know: the export would point at nothing.
			importStep(missingListID+"/newsletter", allWordsRe("SendGrid list not found", missingListID,
				"<list_id>/<export name>", "Marketing > Contacts > Lists", "sendgridaudience_list data source")),
			// Not a list ID at all.
			importStep("not-a-uuid/newsletter", allWordsRe("Invalid import ID", "<list_id>/<export name>",
				listIDExample+"/newsletter", `"not-a-uuid/newsletter"`, "Marketing > Contacts > Lists")),
			// No name.
			importStep(f.listID+"/", allWordsRe("Invalid import ID", "<list_id>/<export name>")),
		},
	})
}

func TestAccImport_connectionIDThatIsNoUUID(t *testing.T) {
	env, _, _ := testAccNewSharedEnv(t, "")
	config := env.ProviderConfig(testAccAdmin) + testAccConnectionConfig("Marketing", []string{testAccAdmin}, nil, "")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config, ResourceName: testAccConnection, ImportState: true, ImportStateId: "not-a-uuid",
				ExpectError: allWordsRe("Invalid connection ID", "a UUID such as", `"not-a-uuid"`, "terraform state show"),
			},
		},
	})
}

func TestAccImport_listBindingOfAListThatDoesNotExist(t *testing.T) {
	env, _, _ := testAccNewSharedEnv(t, "")
	config := env.ProviderConfig(testAccAdmin) + `
resource "sendgridaudience_list_binding" "test" {
  list_id = "` + missingListID + `"
}
`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config, ResourceName: testAccBinding, ImportState: true, ImportStateId: missingListID,
				ExpectError: allWordsRe("SendGrid list not found", missingListID, "Marketing > Contacts > Lists", "sendgridaudience_list data source"),
			},
			{
				Config: config, ResourceName: testAccBinding, ImportState: true, ImportStateId: "not-a-uuid",
				ExpectError: allWordsRe("Invalid list ID", "a UUID such as", `"not-a-uuid"`, "Marketing > Contacts > Lists"),
			},
		},
	})
}

func TestAccImport_customFieldThatDoesNotExist(t *testing.T) {
	env, _, _ := testAccNewSharedEnv(t, "")
	config := env.ProviderConfig(testAccAdmin) + testAccFieldConfig(env.testAccFieldName(t, "loyalty_tier"), "Text")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config, ResourceName: testAccField, ImportState: true, ImportStateId: "e999_T",
				ExpectError: allWordsRe("SendGrid custom field not found", `"e999_T"`, "GET /v3/marketing/field_definitions", "field_id"),
			},
		},
	})
}
