package provider

import (
	"context"
	"fmt"
	"strings"
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

const testAccField = "sendgridaudience_custom_field.test"

func testAccFieldConfig(name, typ string) string {
	return fmt.Sprintf(`
resource "sendgridaudience_custom_field" "test" {
  name = %q
  type = %q
}
`, name, typ)
}

// testAccDeletableFieldConfig is testAccFieldConfig with delete_on_destroy = true.
func testAccDeletableFieldConfig(name, typ string) string {
	return fmt.Sprintf(`
resource "sendgridaudience_custom_field" "test" {
  name              = %q
  type              = %q
  delete_on_destroy = true
}
`, name, typ)
}

// liveField returns the account's custom field with the given name.
// liveField returns the custom field of that name in SendGrid, and whether there is one.
func liveField(env *testAccEnv, t *testing.T, name string) (sendgrid.Field, bool, error) {
	custom, _, err := env.Client(t).Fields(context.Background())
	if err != nil {
		return sendgrid.Field{}, false, fmt.Errorf("reading the custom fields: %w", err)
	}
	for _, f := range custom {
		if f.Name == name {
			return f, true, nil
		}
	}
	return sendgrid.Field{}, false, nil
}

func TestAccCustomField_lifecycle(t *testing.T) {
	env, _, _ := testAccNewSharedEnv(t, "")
	tier, level := env.testAccFieldName(t, "loyalty_tier"), env.testAccFieldName(t, "loyalty_level")
	p := env.ProviderConfig(testAccAdmin)
	sameID := statecheck.CompareValue(compare.ValuesSame())
	newID := statecheck.CompareValue(compare.ValuesDiffer())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: p + testAccFieldConfig(tier, "Text"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testAccField, tfjsonpath.New("name"), knownvalue.StringExact(tier)),
					statecheck.ExpectKnownValue(testAccField, tfjsonpath.New("type"), knownvalue.StringExact("Text")),
					statecheck.CompareValuePairs(testAccField, tfjsonpath.New("id"), testAccField, tfjsonpath.New("field_id"), compare.ValuesSame()),
					sameID.AddStateValue(testAccField, tfjsonpath.New("field_id")),
				},
				Check: func(s *terraform.State) error {
					f, ok, err := liveField(env, t, tier)
					if err != nil {
						return err
					}
					if !ok || f.Type != sendgrid.FieldText || f.ID != s.RootModule().Resources[testAccField].Primary.ID {
						return fmt.Errorf("SendGrid has %+v (found %v)", f, ok)
					}
					return nil
				},
			},
			{
				Config: p + testAccFieldConfig(tier, "Text"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
			{
				Config:            p + testAccFieldConfig(tier, "Text"),
				ResourceName:      testAccField,
				ImportState:       true,
				ImportStateVerify: true,
			},
			{
				// A new name renames the field in place; its ID (used by uploads) stays.
				Config: p + testAccFieldConfig(level, "Text"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccField, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue(testAccField, tfjsonpath.New("field_id")),
					newID.AddStateValue(testAccField, tfjsonpath.New("field_id")),
				},
				Check: func(*terraform.State) error {
					_, ok, err := liveField(env, t, level)
					if err != nil {
						return err
					}
					if !ok {
						return fmt.Errorf("field not renamed in SendGrid")
					}
					return nil
				},
			},
			{
				// Allowing the field's deletion is an in-place change that renames nothing.
				Config: p + testAccDeletableFieldConfig(level, "Text"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccField, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testAccField, tfjsonpath.New("delete_on_destroy"), knownvalue.Bool(true)),
				},
			},
			{
				// SendGrid cannot change a field's type: the plan replaces the field.
				Config: p + testAccDeletableFieldConfig(level, "Number"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccField, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testAccField, tfjsonpath.New("type"), knownvalue.StringExact("Number")),
					newID.AddStateValue(testAccField, tfjsonpath.New("field_id")),
				},
			},
		},
		CheckDestroy: func(*terraform.State) error {
			f, ok, err := liveField(env, t, level)
			if err == nil && ok {
				err = fmt.Errorf("field %s still exists after destroy", f.ID)
			}
			return err
		},
	})
}

// Destroying a field resource leaves the field and its values in SendGrid unless
// delete_on_destroy was applied; a type change (a replacement) without it fails at plan; an
// adopted field, like a state written before delete_on_destroy existed, plans no change.
func TestAccCustomField_destroyKeepsTheFieldUnlessConfigured(t *testing.T) {
	env := testAccNewEnv(t)
	p := env.ProviderConfig(testAccAdmin)
	var keptID string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: p + testAccFieldConfig("tier", "Text"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testAccField, tfjsonpath.New("delete_on_destroy"), knownvalue.Bool(false)),
				},
			},
			{
				Config:      p + testAccFieldConfig("tier", "Number"),
				PlanOnly:    true,
				ExpectError: allWordsRe("Changing the type deletes the custom field", `custom field "tier"`, "from Text to Number", "set delete_on_destroy = true and apply, then change the type"),
			},
			{
				// Removing the block only stops managing the field.
				Config: p,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccField, plancheck.ResourceActionDestroy),
				}},
				Check: func(*terraform.State) error {
					f, ok, err := liveField(env, t, "tier")
					if err != nil {
						return err
					}
					if !ok {
						return fmt.Errorf("destroying the resource deleted the SendGrid field")
					}
					keptID = f.ID
					return nil
				},
			},
			{
				// Adopting the kept field: Read fills delete_on_destroy, as it does for states
				// written before the attribute existed, so the next plan is empty.
				Config:             p + testAccFieldConfig("tier", "Text"),
				ResourceName:       testAccField,
				ImportState:        true,
				ImportStateIdFunc:  func(*terraform.State) (string, error) { return keptID, nil },
				ImportStatePersist: true,
			},
			{
				Config: p + testAccFieldConfig("tier", "Text"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testAccField, tfjsonpath.New("delete_on_destroy"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(testAccField, tfjsonpath.New("field_id"), knownvalue.NotNull()),
				},
			},
		},
		CheckDestroy: func(*terraform.State) error {
			if _, ok, err := liveField(env, t, "tier"); err != nil || !ok {
				return fmt.Errorf("field deleted by the final destroy (found %v, %v)", ok, err)
			}
			return nil
		},
	})
}

func TestAccCustomField_planTimeChecks(t *testing.T) {
	env, _, _ := testAccNewSharedEnv(t, "")
	store := env.testAccFieldName(t, "Favourite_Store")
	existing, err := env.Client(t).CreateField(context.Background(), store, sendgrid.FieldText)
	if err != nil {
		t.Fatal(err)
	}
	p := env.ProviderConfig(testAccAdmin)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      p + testAccFieldConfig("1st_purchase", "Date"),
				PlanOnly:    true,
				ExpectError: wordsRe("must start with a letter or _ (SendGrid's rule for custom field names)"),
			},
			{
				Config:      p + testAccFieldConfig("favourite-store", "Text"),
				PlanOnly:    true,
				ExpectError: wordsRe("may contain only letters A-Z and a-z, digits 0-9 and _"),
			},
			{
				Config:      p + testAccFieldConfig(strings.Repeat("a", 101), "Text"),
				PlanOnly:    true,
				ExpectError: wordsRe("string length must be between 1 and 100"),
			},
			{
				Config:      p + testAccFieldConfig("score", "Integer"),
				PlanOnly:    true,
				ExpectError: wordsRe(`value must be one of: ["Text" "Number" "Date"], got: "Integer"`),
			},
			{
				// Names are unique ignoring case: caught while planning, with the way out.
				Config:   p + testAccFieldConfig(strings.ToUpper(store), "Text"),
				PlanOnly: true,
				ExpectError: allWordsRe("Custom field already exists", `custom field "`+store+`" (type Text, id `+existing.ID+`)`,
					"terraform import sendgridaudience_custom_field.<name> "+existing.ID),
			},
			{
				Config:      p + testAccFieldConfig("First_Name", "Text"),
				PlanOnly:    true,
				ExpectError: allWordsRe("Custom field name is reserved by SendGrid", `reserved field "first_name"`),
			},
		},
	})
	if !env.emulatorOnly(t, "requests made, from the emulator's counters") {
		return
	}
	if n := env.Emulator.Counters().Requests["POST /v3/marketing/field_definitions"]; n != 1 {
		t.Errorf("plan-time failures must not create fields; POST was called %d times (1 by the test setup)", n)
	}
}

func TestAccCustomField_limitOf500(t *testing.T) {
	env := testAccNewEnv(t) // emulator only: fills the account with 500 custom fields
	c := env.Client(t)
	for i := 0; i < sendgrid.MaxCustomFields; i++ {
		if _, err := c.CreateField(context.Background(), fmt.Sprintf("attribute_%03d", i), sendgrid.FieldText); err != nil {
			t.Fatalf("seeding field %d: %v", i, err)
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      env.ProviderConfig(testAccAdmin) + testAccFieldConfig("lifetime_value", "Number"),
			PlanOnly:    true,
			ExpectError: allWordsRe("SendGrid custom field limit reached", "already has 500 custom fields, SendGrid's limit is 500"),
		}},
	})
}

func TestAccCustomField_deletedOutsideTerraform(t *testing.T) {
	env, _, _ := testAccNewSharedEnv(t, "")
	signup := env.testAccFieldName(t, "signup_date")
	cfg := env.ProviderConfig(testAccAdmin) + testAccFieldConfig(signup, "Date")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				PreConfig: func() {
					f, ok, err := liveField(env, t, signup)
					if err != nil || !ok {
						t.Fatalf("field missing after create (%v)", err)
					}
					if err := env.Client(t).DeleteField(context.Background(), f.ID); err != nil {
						t.Fatal(err)
					}
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccField, plancheck.ResourceActionCreate),
				}},
			},
		},
	})
}

func TestFindFieldNameClash(t *testing.T) {
	custom := []sendgrid.Field{{ID: "e1_T", Name: "Tier", Type: sendgrid.FieldText}}
	reserved := []sendgrid.Field{{ID: "_rf0_T", Name: "first_name", Type: sendgrid.FieldText}}
	cases := []struct {
		name, self string
		wantID     string
		reserved   bool
	}{
		{"tier", "", "e1_T", false},
		{"TIER", "e1_T", "", false}, // renaming the field itself
		{"FIRST_NAME", "", "_rf0_T", true},
		{"first_name", "e1_T", "_rf0_T", true},
		{"tier_2", "", "", false},
	}
	for _, tc := range cases {
		f, isReserved := findFieldNameClash(tc.name, tc.self, custom, reserved)
		gotID := ""
		if f != nil {
			gotID = f.ID
		}
		if gotID != tc.wantID || isReserved != tc.reserved {
			t.Errorf("findFieldNameClash(%q, %q) = %q, %v; want %q, %v", tc.name, tc.self, gotID, isReserved, tc.wantID, tc.reserved)
		}
	}
}

func TestFieldNamePattern(t *testing.T) {
	for name, ok := range map[string]bool{
		"loyalty_tier": true, "_internal": true, "A1": true, "x": true,
		"1st": false, "has-dash": false, "has space": false, "émoji": false, "": false,
	} {
		if got := fieldNamePattern.MatchString(name); got != ok {
			t.Errorf("fieldNamePattern(%q) = %v, want %v", name, got, ok)
		}
		// The plan-time rule agrees with the client's check.
		if ok && sendgrid.CheckFieldName(name) != nil {
			t.Errorf("client refuses %q", name)
		}
		if !ok && name != "" && sendgrid.CheckFieldName(name) == nil {
			t.Errorf("client accepts %q", name)
		}
	}
}
