package provider

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/privacy"
)

const testAccConnection = "sendgridaudience_connection.test"

var rfc3339Re = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$`)

func scopesValue(scopes []string) knownvalue.Check {
	checks := make([]knownvalue.Check, len(scopes))
	for i, s := range scopes {
		checks[i] = knownvalue.StringExact(s)
	}
	return knownvalue.SetExact(checks)
}

// Runs against the emulator and, in real-API mode, against SendGrid (a connection creates
// nothing in SendGrid).
func TestAccConnection_lifecycle(t *testing.T) {
	env, _, _ := testAccNewSharedEnv(t, "")
	admins := []string{testAccAdmin}
	account := []statecheck.StateCheck{ // the test key's account and scopes exist only in the emulator
		statecheck.ExpectKnownValue(testAccConnection, tfjsonpath.New("user_id"), knownvalue.NotNull()),
		statecheck.ExpectKnownValue(testAccConnection, tfjsonpath.New("granted_scopes"), knownvalue.NotNull()),
	}
	var userID, scopes knownvalue.Check = knownvalue.NotNull(), knownvalue.NotNull()
	if env.emulatorOnly(t, "user_id, username and granted_scopes of the emulator's test key") {
		userID, scopes = knownvalue.Int64Exact(testAccUserID), scopesValue(emulator.DefaultScopes())
		account = []statecheck.StateCheck{
			statecheck.ExpectKnownValue(testAccConnection, tfjsonpath.New("user_id"), userID),
			statecheck.ExpectKnownValue(testAccConnection, tfjsonpath.New("username"), knownvalue.StringExact(testAccUsername)),
			statecheck.ExpectKnownValue(testAccConnection, tfjsonpath.New("granted_scopes"), scopesValue(emulator.DefaultScopes())),
		}
	}
	create := env.ProviderConfig(testAccAdmin) + testAccConnectionConfig("SendGrid (marketing)", admins, nil, "")
	updated := env.ProviderConfig(testAccAdmin) +
		testAccConnectionConfig("SendGrid (marketing, EU team)", admins, []string{testAccContributor}, "  profile_cap = 50000")
	sameID := statecheck.CompareValue(compare.ValuesSame())
	sameConsent := statecheck.CompareValue(compare.ValuesSame())

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: create,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccConnection, plancheck.ResourceActionCreate),
					// The fingerprint of the provider's key is known while planning.
					plancheck.ExpectKnownValue(testAccConnection, tfjsonpath.New("key_fingerprint"), knownvalue.StringExact(privacy.KeyFingerprint(env.Key))),
				}},
				ConfigStateChecks: append(account,
					statecheck.ExpectKnownValue(testAccConnection, tfjsonpath.New("id"), knownvalue.StringRegexp(listIDPattern)),
					statecheck.ExpectKnownValue(testAccConnection, tfjsonpath.New("key_fingerprint"), knownvalue.StringExact(privacy.KeyFingerprint(env.Key))),
					statecheck.ExpectKnownValue(testAccConnection, tfjsonpath.New("consented_at"), knownvalue.StringRegexp(rfc3339Re)),
					statecheck.ExpectKnownValue(testAccConnection, tfjsonpath.New("consent_version"), knownvalue.StringExact(consentVersion)),
					statecheck.ExpectKnownValue(testAccConnection, tfjsonpath.New("profile_cap"), knownvalue.Int64Exact(100000)),
					statecheck.ExpectKnownValue(testAccConnection, tfjsonpath.New("contributors"), knownvalue.SetSizeExact(0)),
					sameID.AddStateValue(testAccConnection, tfjsonpath.New("id")),
					sameConsent.AddStateValue(testAccConnection, tfjsonpath.New("consented_at")),
				),
			},
			{
				// Refresh verifies the key again and changes nothing.
				Config: create,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
			{
				// Import fills the account identity; the rest comes from configuration on the next apply.
				Config:            create,
				ResourceName:      testAccConnection,
				ImportState:       true,
				ImportStateVerify: true,
				ImportStateVerifyIgnore: []string{
					"display_name", "administrators", "contributors", "data_privacy_consent", "profile_cap",
					"consent_version", "consented_at",
				},
			},
			{
				Config: updated,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccConnection, plancheck.ResourceActionUpdate),
					// Editing the connection keeps what the refresh read: the key did not change.
					plancheck.ExpectKnownValue(testAccConnection, tfjsonpath.New("user_id"), userID),
					plancheck.ExpectKnownValue(testAccConnection, tfjsonpath.New("username"), knownvalue.NotNull()),
					plancheck.ExpectKnownValue(testAccConnection, tfjsonpath.New("granted_scopes"), scopes),
					plancheck.ExpectKnownValue(testAccConnection, tfjsonpath.New("key_fingerprint"), knownvalue.StringExact(privacy.KeyFingerprint(env.Key))),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testAccConnection, tfjsonpath.New("display_name"), knownvalue.StringExact("SendGrid (marketing, EU team)")),
					statecheck.ExpectKnownValue(testAccConnection, tfjsonpath.New("contributors"), scopesValue([]string{testAccContributor})),
					statecheck.ExpectKnownValue(testAccConnection, tfjsonpath.New("profile_cap"), knownvalue.Int64Exact(50000)),
					sameID.AddStateValue(testAccConnection, tfjsonpath.New("id")),
					sameConsent.AddStateValue(testAccConnection, tfjsonpath.New("consented_at")),
				},
			},
			{
				// A contributor may use the connection but not change it: refused while planning.
				Config: env.ProviderConfig(testAccContributor) +
					testAccConnectionConfig("Renamed by a contributor", admins, []string{testAccContributor}, "  profile_cap = 50000"),
				ExpectError: allWordsRe(`Not allowed to change this connection`, `actor "analyst@example.com" may not create, change or remove this connection`, `admin@example.com`),
			},
			{
				// The contributor's unchanged configuration plans nothing and is allowed.
				Config: env.ProviderConfig(testAccContributor) + testAccConnectionConfig("SendGrid (marketing, EU team)", admins, []string{testAccContributor}, "  profile_cap = 50000"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
			{
				// The administrator may remove it.
				Config:  updated,
				Destroy: true,
			},
		},
	})
}

func TestAccConnection_consentRequired(t *testing.T) {
	env, _, _ := testAccNewSharedEnv(t, "")
	consentRe := allWordsRe("Data privacy consent required", "data_privacy_consent must be true",
		"email addresses, first and last names", "SendGrid account identified by the provider's API key",
		"has a lawful basis")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.ProviderConfig(testAccAdmin) + `
resource "sendgridaudience_connection" "test" {
  display_name         = "SendGrid"
  administrators       = ["admin@example.com"]
  data_privacy_consent = false
}`,
				PlanOnly:    true,
				ExpectError: consentRe,
			},
			{
				Config: env.ProviderConfig(testAccAdmin) + `
resource "sendgridaudience_connection" "test" {
  display_name   = "SendGrid"
  administrators = ["admin@example.com"]
}`,
				PlanOnly:    true,
				ExpectError: consentRe,
			},
		},
	})
	if !env.emulatorOnly(t, "requests made, from the emulator's counters") {
		return
	}
	if n := env.Emulator.Counters().Requests["GET /v3/scopes"]; n != 0 {
		t.Errorf("a configuration without consent must fail before SendGrid is called; GET /v3/scopes was called %d times", n)
	}
}

func TestAccConnection_invalidKey(t *testing.T) {
	env, _, _ := testAccNewSharedEnv(t, "")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      env.ProviderConfigWithKey("SG.revoked-or-mistyped", testAccAdmin) + testAccConnectionConfig("SendGrid", []string{testAccAdmin}, nil, ""),
			ExpectError: allWordsRe("SendGrid API key is invalid or revoked", "401 Unauthorized", "SENDGRID_API_KEY"),
		}},
	})
}

func TestAccConnection_missingScopes(t *testing.T) {
	env := testAccNewEnv(t) // emulator only: adds keys with fewer scopes
	without := func(drop ...string) []string {
		return slices.DeleteFunc(emulator.DefaultScopes(), func(s string) bool { return slices.Contains(drop, s) })
	}
	noMarketing := env.AddKey(t, testAccUserID, testAccUsername, without(emulator.ScopeMarketingRead))
	noUser := env.AddKey(t, testAccUserID, testAccUsername, without(emulator.ScopeAccountRead, emulator.ScopeMarketingRead))
	conn := testAccConnectionConfig("SendGrid", []string{testAccAdmin}, nil, "")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: env.ProviderConfigWithKey(noMarketing, testAccAdmin) + conn,
				ExpectError: allWordsRe("SendGrid API key lacks required scopes", "missing the scope(s) `marketing.read`",
					"add: marketing.read (Marketing: Full Access)."),
			},
			{
				Config: env.ProviderConfigWithKey(noUser, testAccAdmin) + conn,
				ExpectError: allWordsRe("missing the scope(s) `marketing.read`, `user.account.read`",
					"add: marketing.read (Marketing: Full Access), user.account.read (User Account: Read Access)."),
			},
		},
	})
}

// marketingFullAccessScopes are the scopes SendGrid reports (GET /v3/scopes) for a restricted key
// with Marketing set to Full Access and User Account to Read Access: SendGrid's permission lists
// name only marketing.read and marketing.automation.read for Marketing Campaigns, and the user
// reads user.account.read, user.username.read (and user.profile.read, not needed).
var marketingFullAccessScopes = []string{"marketing.automation.read", "marketing.read", "user.account.read", "user.username.read"}

func TestAccConnection_realMarketingFullAccessKey(t *testing.T) {
	env := testAccNewEnv(t) // emulator only: adds a key with exactly these scopes
	k := env.AddKey(t, testAccUserID, testAccUsername, marketingFullAccessScopes)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: env.ProviderConfigWithKey(k, testAccAdmin) + testAccConnectionConfig("SendGrid", []string{testAccAdmin}, nil, ""),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(testAccConnection, tfjsonpath.New("granted_scopes"), scopesValue(marketingFullAccessScopes)),
				statecheck.ExpectKnownValue(testAccConnection, tfjsonpath.New("user_id"), knownvalue.Int64Exact(testAccUserID)),
			},
		}},
	})
}

func TestAccConnection_actorChecks(t *testing.T) {
	env, _, _ := testAccNewSharedEnv(t, "")
	var userID knownvalue.Check = knownvalue.NotNull()
	if env.emulatorOnly(t, "user_id of the emulator's test key") {
		userID = knownvalue.Int64Exact(testAccUserID)
	}
	conn := testAccConnectionConfig("SendGrid", []string{testAccAdmin}, []string{testAccContributor}, "")
	t.Setenv(envActor, "")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      env.ProviderConfig(testAccOutsider) + conn,
				PlanOnly:    true,
				ExpectError: allWordsRe("Not allowed to create this connection", `actor "intern@example.org" may not create`, "only administrators"),
			},
			{
				// Contributors may use a connection, not create it.
				Config:      env.ProviderConfig(testAccContributor) + conn,
				PlanOnly:    true,
				ExpectError: wordsRe(`actor "analyst@example.com" may not create, change or remove this connection`),
			},
			{
				Config:      env.ProviderConfig("") + conn,
				PlanOnly:    true,
				ExpectError: allWordsRe("the provider's actor is not set", "Set `actor` in the provider block, or the SENDGRIDAUDIENCE_ACTOR environment variable"),
			},
			{
				// Actors compare ignoring letter case and surrounding spaces.
				Config: env.ProviderConfig(" Admin@Example.COM ") + conn,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testAccConnection, tfjsonpath.New("user_id"), userID),
				},
			},
			{
				// Removing a connection needs an administrator too.
				Config:      env.ProviderConfig(testAccContributor) + conn,
				Destroy:     true,
				ExpectError: allWordsRe("Not allowed to remove this connection", `actor "analyst@example.com"`),
			},
			{
				Config: env.ProviderConfig(testAccAdmin) + conn,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
		},
	})
	if !env.emulatorOnly(t, "requests made, from the emulator's counters") {
		return
	}
	if n := env.Emulator.Counters().Requests["GET /v3/scopes"]; n == 0 {
		t.Error("the allowed step should have verified the key")
	}
}

func TestAccConnection_keyOfAnotherAccountAndRevokedKey(t *testing.T) {
	env := testAccNewEnv(t) // emulator only: adds a key of a second account
	otherKey := env.AddKey(t, 2002, "acme-eu", emulator.DefaultScopes())
	conn := testAccConnectionConfig("SendGrid", []string{testAccAdmin}, nil, "")
	firstConsent := statecheck.CompareValue(compare.ValuesDiffer())
	clock := newTestClock()
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccFactoriesWith(clock, consentVersion),
		Steps: []resource.TestStep{
			{
				Config: env.ProviderConfig(testAccAdmin) + conn,
				PostApplyFunc: func() {
					clock.Advance(time.Hour) // a new consented_at differs from this one
				},
				ConfigStateChecks: []statecheck.StateCheck{
					firstConsent.AddStateValue(testAccConnection, tfjsonpath.New("consented_at")),
				},
			},
			{
				// The provider now holds a key of another SendGrid account: the refresh reports it
				// and the plan records the consent again, for the new account.
				Config: env.ProviderConfigWithKey(otherKey, testAccAdmin) + conn,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccConnection, plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue(testAccConnection, tfjsonpath.New("consented_at")),
					plancheck.ExpectKnownValue(testAccConnection, tfjsonpath.New("user_id"), knownvalue.Int64Exact(2002)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(testAccConnection, tfjsonpath.New("username"), knownvalue.StringExact("acme-eu")),
					statecheck.ExpectKnownValue(testAccConnection, tfjsonpath.New("key_fingerprint"), knownvalue.StringExact(privacy.KeyFingerprint(otherKey))),
					firstConsent.AddStateValue(testAccConnection, tfjsonpath.New("consented_at")),
				},
			},
			{
				// A revoked key fails the refresh and says why.
				Config:      env.ProviderConfigWithKey("SG.revoked-key", testAccAdmin) + conn,
				ExpectError: allWordsRe("SendGrid API key is invalid or revoked", "no connection can be verified", "terraform destroy -refresh=false"),
			},
			{
				Config: env.ProviderConfigWithKey(otherKey, testAccAdmin) + conn,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
		},
	})
}

// Unit tests of the pure helpers.

func TestMissingScopes(t *testing.T) {
	tests := []struct {
		granted []string
		want    []string
	}{
		{granted: emulator.DefaultScopes(), want: nil},
		{granted: nil, want: connectionRequiredScopes},
		{granted: marketingFullAccessScopes, want: nil},
		{granted: []string{"marketing.read", "user.account.read", "mail.send"}, want: []string{"user.username.read"}},
		{granted: []string{"marketing.automation.read", "user.account.read", "user.username.read"}, want: []string{"marketing.read"}},
	}
	for _, tc := range tests {
		got := missingScopes(connectionRequiredScopes, tc.granted)
		if !slices.Equal(got, tc.want) {
			t.Errorf("missingScopes(%v) = %v, want %v", tc.granted, got, tc.want)
		}
	}
}

func TestRequiredScopesAreGrantedByTheEmulatorsDefaultKey(t *testing.T) {
	// The connection checks exactly the scopes the export's requests need; the emulator enforces
	// them per endpoint and its default key has them all.
	if len(connectionRequiredScopes) == 0 {
		t.Fatal("no required scopes")
	}
	if m := missingScopes(connectionRequiredScopes, emulator.DefaultScopes()); len(m) > 0 {
		t.Errorf("emulator default key lacks %v", m)
	}
	if want := []string{"marketing.read", "user.username.read", "user.account.read"}; !slices.Equal(connectionRequiredScopes, want) {
		t.Errorf("required scopes %v, want exactly %v (SendGrid has no other Marketing Campaigns scope an export needs)", connectionRequiredScopes, want)
	}
	if got := scopesWithPermissions([]string{"marketing.read", "user.account.read"}); got != "marketing.read (Marketing: Full Access), user.account.read (User Account: Read Access)" {
		t.Errorf("scopesWithPermissions = %q", got)
	}
}

func TestConsentTextSaysWhatIsAgreedTo(t *testing.T) {
	for _, want := range []string{"email addresses", "first and last names", "country", "city", "postal code",
		"custom field", "SendGrid account identified by the provider's API key", "lawful basis", "consent", "erasure"} {
		if !strings.Contains(consentText, want) {
			t.Errorf("consent text lacks %q", want)
		}
	}
}

func TestNeedsConsentRecord(t *testing.T) {
	base := connectionModel{}
	base.DataPrivacyConsent = types.BoolValue(true)
	base.ConsentVersion = types.StringValue(consentVersion)
	base.ConsentedAt = types.StringValue("2025-01-02T03:04:05Z")
	if needsConsentRecord(base, consentVersion) {
		t.Error("a current consent needs no new record")
	}
	old := base
	old.ConsentVersion = types.StringValue("2000-01")
	imported := base
	imported.ConsentedAt = types.StringNull()
	imported.DataPrivacyConsent = types.BoolNull()
	for name, m := range map[string]connectionModel{"old text": old, "imported": imported} {
		if !needsConsentRecord(m, consentVersion) {
			t.Errorf("%s: consent must be recorded again", name)
		}
	}
}

// TestAccConnection_newConsentTextIsAgreedAgain serves a provider with a new consent text's
// version, and a later clock, in its second step.
func TestAccConnection_newConsentTextIsAgreedAgain(t *testing.T) {
	env, _, _ := testAccNewSharedEnv(t, "")
	cfg := env.ProviderConfig(testAccAdmin) + testAccConnectionConfig("SendGrid", []string{testAccAdmin}, nil, "")
	consentedAt := statecheck.CompareValue(compare.ValuesDiffer())
	clock := newTestClock()
	resource.ParallelTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				ProtoV6ProviderFactories: testAccFactoriesWith(clock, consentVersion),
				Config:                   cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					consentedAt.AddStateValue(testAccConnection, tfjsonpath.New("consented_at")),
				},
			},
			{
				PreConfig:                func() { clock.Advance(time.Hour) },
				ProtoV6ProviderFactories: testAccFactoriesWith(clock, "2099-01"),
				Config:                   cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(testAccConnection, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(testAccConnection, tfjsonpath.New("consent_version"), knownvalue.StringExact("2099-01")),
					plancheck.ExpectUnknownValue(testAccConnection, tfjsonpath.New("consented_at")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					consentedAt.AddStateValue(testAccConnection, tfjsonpath.New("consented_at")),
					statecheck.ExpectKnownValue(testAccConnection, tfjsonpath.New("consent_version"), knownvalue.StringExact("2099-01")),
				},
			},
		},
	})
}
