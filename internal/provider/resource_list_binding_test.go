package provider

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
)

const testAccBinding = "sendgridaudience_list_binding.test"

// checkListName asserts the list's name in SendGrid (not in state).
func checkListName(env *testAccEnv, t *testing.T, id, want string) error {
	l, err := env.Client(t).GetList(context.Background(), id)
	if err != nil {
		return fmt.Errorf("list %s: %v", id, err)
	}
	if l.Name != want {
		return fmt.Errorf("list %s is named %q in SendGrid, want %q", id, l.Name, want)
	}
	return nil
}

func TestAccListBinding_bindExisting(t *testing.T) {
	env, id, name := testAccNewSharedEnv(t, "Newsletter")
	if env.Real { // the steps rename the scratch list: give it its name back whatever happens
		t.Cleanup(func() {
			if err := checkListName(env, t, id, name); err != nil {
				if _, err := env.Client(t).RenameList(context.Background(), id, name); err != nil {
					t.Errorf("cleanup: renaming the scratch list back to %q: %v", name, err)
				}
			}
		})
	}
	var empty []statecheck.StateCheck
	if env.emulatorOnly(t, "the contact count of the seeded, empty list") {
		empty = append(empty, statecheck.ExpectKnownValue(testAccBinding, tfjsonpath.New("contact_count"), knownvalue.Int64Exact(0)))
	}
	byID := env.ProviderConfig(testAccAdmin) + fmt.Sprintf(`
resource "sendgridaudience_list_binding" "test" {
  list_id = %q
}
`, id)
	withName := env.ProviderConfig(testAccAdmin) + fmt.Sprintf(`
resource "sendgridaudience_list_binding" "test" {
  list_id = %q
  name    = %q
}
`, id, name)
	rename := func(name string) func() {
		return func() {
			if _, err := env.Client(t).RenameList(context.Background(), id, name); err != nil {
				t.Fatalf("rename outside Terraform: %v", err)
			}
		}
	}

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: byID,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccBinding, plancheck.ResourceActionCreate),
					// The bound list's name is shown in the plan.
					plancheck.ExpectKnownValue(testAccBinding, tfjsonpath.New("name"), knownvalue.StringExact(name)),
				}},
				ConfigStateChecks: append(empty,
					statecheck.ExpectKnownValue(testAccBinding, tfjsonpath.New("id"), knownvalue.StringExact(id)),
					statecheck.ExpectKnownValue(testAccBinding, tfjsonpath.New("list_id"), knownvalue.StringExact(id)),
					statecheck.ExpectKnownValue(testAccBinding, tfjsonpath.New("name"), knownvalue.StringExact(name)),
					statecheck.ExpectKnownValue(testAccBinding, tfjsonpath.New("create"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(testAccBinding, tfjsonpath.New("delete_list_on_destroy"), knownvalue.Bool(false)),
				),
			},
			{
				Config: byID,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
			{
				Config:            byID,
				ResourceName:      testAccBinding,
				ImportState:       true,
				ImportStateVerify: true,
			},
			{
				// Renamed outside Terraform, name not configured: the refresh just reads the new name.
				PreConfig: rename(name + " (weekly)"),
				Config:    byID,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testAccBinding, tfjsonpath.New("name"), knownvalue.StringExact(name+" (weekly)")),
				},
			},
			{
				// Configuring the name renames the list back, in place.
				Config: withName,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccBinding, plancheck.ResourceActionUpdate),
				}},
				Check: func(*terraform.State) error { return checkListName(env, t, id, name) },
			},
			{
				// Renamed outside Terraform again: the plan shows the difference and fixes it.
				PreConfig: rename("Old " + name),
				Config:    withName,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccBinding, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(testAccBinding, tfjsonpath.New("name"), knownvalue.StringExact(name)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testAccBinding, tfjsonpath.New("id"), knownvalue.StringExact(id)),
				},
				Check: func(*terraform.State) error { return checkListName(env, t, id, name) },
			},
		},
		// Destroying a binding keeps the list.
		CheckDestroy: func(*terraform.State) error { return checkListName(env, t, id, name) },
	})
}

func TestAccListBinding_createAndDriftDeleted(t *testing.T) {
	env := testAccNewEnv(t) // emulator only: creates a list and deletes it outside Terraform
	cfg := env.ProviderConfig(testAccAdmin) + `
resource "sendgridaudience_list_binding" "test" {
  create                 = true
  name                   = "Spring promotion 2025"
  delete_list_on_destroy = true
}
`
	ids := statecheck.CompareValue(compare.ValuesDiffer())
	var firstID string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testAccBinding, tfjsonpath.New("id"), knownvalue.StringRegexp(listIDPattern)),
					statecheck.ExpectKnownValue(testAccBinding, tfjsonpath.New("name"), knownvalue.StringExact("Spring promotion 2025")),
					ids.AddStateValue(testAccBinding, tfjsonpath.New("id")),
				},
				Check: func(s *terraform.State) error {
					firstID = s.RootModule().Resources[testAccBinding].Primary.ID
					return checkListName(env, t, firstID, "Spring promotion 2025")
				},
			},
			{
				// The list is deleted outside Terraform: the refresh notices, and the plan creates it again.
				PreConfig: func() {
					if err := env.Client(t).DeleteList(context.Background(), firstID); err != nil {
						t.Fatalf("delete outside Terraform: %v", err)
					}
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccBinding, plancheck.ResourceActionCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					ids.AddStateValue(testAccBinding, tfjsonpath.New("id")),
				},
			},
		},
		// delete_list_on_destroy = true deletes the list.
		CheckDestroy: func(s *terraform.State) error {
			lists, err := env.Client(t).Lists(context.Background())
			if err != nil {
				return err
			}
			for _, l := range lists {
				if l.Name == "Spring promotion 2025" {
					return fmt.Errorf("list %s should have been deleted with the binding", l.ID)
				}
			}
			return nil
		},
	})
}

func TestAccListBinding_boundListDeletedOutsideTerraform(t *testing.T) {
	env := testAccNewEnv(t) // emulator only: deletes the bound list outside Terraform
	id := env.Emulator.SeedList(env.Key, "Customers")
	cfg := env.ProviderConfig(testAccAdmin) + fmt.Sprintf(`
resource "sendgridaudience_list_binding" "test" {
  list_id = %q
}
`, id)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				// The refresh drops the binding; the plan then fails on the missing list and says what to do.
				PreConfig: func() {
					if err := env.Client(t).DeleteList(context.Background(), id); err != nil {
						t.Fatalf("delete outside Terraform: %v", err)
					}
				},
				Config:      cfg,
				PlanOnly:    true,
				ExpectError: allWordsRe("SendGrid list not found", "No contact list with ID "+id, "set create = true and name"),
			},
		},
	})
}

func TestAccListBinding_planTimeChecks(t *testing.T) {
	env, _, _ := testAccNewSharedEnv(t, "") // plans only: no list is created
	missing := "0b7b2f9c-4a1e-4c8e-9d6a-2f5e8c1b3a7d"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      env.ProviderConfig(testAccAdmin) + `resource "sendgridaudience_list_binding" "test" { list_id = "newsletter" }`,
				PlanOnly:    true,
				ExpectError: wordsRe("must be a SendGrid list ID: a UUID"),
			},
			{
				// A list that does not exist fails the plan, not the apply.
				Config:      env.ProviderConfig(testAccAdmin) + fmt.Sprintf(`resource "sendgridaudience_list_binding" "test" { list_id = %q }`, missing),
				PlanOnly:    true,
				ExpectError: allWordsRe("SendGrid list not found", "No contact list with ID "+missing),
			},
			{
				Config:      env.ProviderConfig(testAccAdmin) + `resource "sendgridaudience_list_binding" "test" { create = true }`,
				PlanOnly:    true,
				ExpectError: allWordsRe("Missing list name", "create = true needs the name"),
			},
			{
				Config:      env.ProviderConfig(testAccAdmin) + `resource "sendgridaudience_list_binding" "test" {}`,
				PlanOnly:    true,
				ExpectError: allWordsRe("Missing list_id", "or set create = true and name"),
			},
			{
				Config: env.ProviderConfig(testAccAdmin) + fmt.Sprintf(`
resource "sendgridaudience_list_binding" "test" {
  list_id = %q
  create  = true
  name    = "x"
}`, missing),
				PlanOnly:    true,
				ExpectError: wordsRe("list_id conflicts with create = true"),
			},
			{
				Config: env.ProviderConfig(testAccAdmin) + `
resource "sendgridaudience_list_binding" "test" {
  create                     = true
  name                       = "Temporary"
  delete_contacts_on_destroy = true
}`,
				PlanOnly:    true,
				ExpectError: wordsRe("delete_contacts_on_destroy needs delete_list_on_destroy"),
			},
			{
				Config: env.ProviderConfig(testAccAdmin) + `
resource "sendgridaudience_list_binding" "test" {
  create = true
  name   = ""
}`,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)name\s+string\s+length\s+must\s+be\s+between\s+1\s+and\s+100`),
			},
		},
	})
	if !env.emulatorOnly(t, "requests made, from the emulator's counters") {
		return
	}
	if n := env.Emulator.Counters().Requests["POST /v3/marketing/lists"]; n != 0 {
		t.Errorf("plan-time failures must not create lists; POST /v3/marketing/lists was called %d times", n)
	}
}

func TestPickListByName(t *testing.T) {
	lists := []sendgrid.List{
		{ID: "b0000000-0000-4000-8000-000000000002", Name: "VIP", ContactCount: 3},
		{ID: "a0000000-0000-4000-8000-000000000001", Name: "VIP", ContactCount: 5},
		{ID: "c0000000-0000-4000-8000-000000000003", Name: "Newsletter"},
		{ID: "d0000000-0000-4000-8000-000000000004", Name: "newsletter "},
	}
	l, summary, _ := pickListByName(lists, "Newsletter")
	if summary != "" || l.ID != "c0000000-0000-4000-8000-000000000003" {
		t.Errorf("exact name: got %+v, %q", l, summary)
	}
	_, summary, detail := pickListByName(lists, "VIP")
	if summary != `Several SendGrid lists are named "VIP"` {
		t.Errorf("ambiguous summary = %q", summary)
	}
	want := "2 lists have this name; look the one you mean up by id instead:\n" +
		"  - \"VIP\" (id a0000000-0000-4000-8000-000000000001, 5 contacts)\n" +
		"  - \"VIP\" (id b0000000-0000-4000-8000-000000000002, 3 contacts)"
	if detail != want {
		t.Errorf("ambiguous detail =\n%s\nwant\n%s", detail, want)
	}
	_, summary, detail = pickListByName(lists, "NEWSLETTER")
	if summary != "SendGrid list not found" || !regexp.MustCompile(`similar name:\n.*c0000000.*\n.*d0000000`).MatchString(detail) {
		t.Errorf("not found: %q / %q", summary, detail)
	}
	_, summary, detail = pickListByName(nil, "Anything")
	if summary != "SendGrid list not found" || detail != `No list in the SendGrid account is named exactly "Anything" (the account has 0 lists).` {
		t.Errorf("empty account: %q / %q", summary, detail)
	}
}

func TestAccListBinding_deleteListAndContactsOnDestroy(t *testing.T) {
	env := testAccNewEnv(t) // emulator only: creates lists, deletes a list and its contacts
	other := env.Emulator.SeedList(env.Key, "Everyone")
	env.Emulator.SeedContact(env.Key, "user000001@example.com", nil, other)
	cfg := func(deleteContacts bool) string {
		return env.ProviderConfig(testAccAdmin) + fmt.Sprintf(`
resource "sendgridaudience_list_binding" "test" {
  create                     = true
  name                       = "Trial users"
  delete_list_on_destroy     = true
  delete_contacts_on_destroy = %v
}
`, deleteContacts)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg(false),
				Check: func(s *terraform.State) error {
					id := s.RootModule().Resources[testAccBinding].Primary.ID
					env.Emulator.SeedContact(env.Key, "user000002@example.com", nil, id)
					env.Emulator.SeedContact(env.Key, "user000003@example.com", nil, id, other)
					return nil
				},
			},
			{
				// The refresh reads the contacts added meanwhile; turning on contact deletion is an
				// in-place change that touches nothing in SendGrid.
				Config: cfg(true),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccBinding, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testAccBinding, tfjsonpath.New("contact_count"), knownvalue.Int64Exact(2)),
				},
				Check: func(*terraform.State) error {
					if n := env.Emulator.ContactCount(env.Key); n != 3 {
						return fmt.Errorf("account holds %d contacts, want 3", n)
					}
					return nil
				},
			},
		},
		// The list's two contacts are deleted from the account; the other list's own contact stays.
		CheckDestroy: func(*terraform.State) error {
			env.Emulator.FlushJobs()
			if n := env.Emulator.ContactCount(env.Key); n != 1 {
				return fmt.Errorf("account holds %d contacts after destroy, want 1", n)
			}
			if _, ok := env.Emulator.Contact(env.Key, "user000001@example.com"); !ok {
				return fmt.Errorf("the contact of another list was deleted")
			}
			return nil
		},
	})
}
