package provider

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/privacy"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
)

var (
	_ resource.Resource                   = (*connectionResource)(nil)
	_ resource.ResourceWithConfigure      = (*connectionResource)(nil)
	_ resource.ResourceWithValidateConfig = (*connectionResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*connectionResource)(nil)
	_ resource.ResourceWithImportState    = (*connectionResource)(nil)
)

// connectionRequiredScopes are the API key scopes an export through a connection needs: reading
// and writing Marketing Campaigns lists, custom fields and contacts (upsert, CSV import, search,
// counts, exports; SendGrid's marketing.read covers them all), and reading the account's
// identity. Connections verify the key against exactly this list.
var connectionRequiredScopes = sendgrid.RequiredScopes()

// scopesWithPermissions lists scopes with the permission in SendGrid's API key editor that
// grants each, e.g. "marketing.read (Marketing: Full Access)".
func scopesWithPermissions(ss []string) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s
		if p := sendgrid.ScopePermission(s); p != "" {
			out[i] += " (" + p + ")"
		}
	}
	return strings.Join(out, ", ")
}

// consentVersion names the current consentText. Changing the text means changing the version,
// which makes every connection record consent again on its next apply. Resources read the
// version from providerData, where tests can put another.
const consentVersion = "2025-01"

// consentText is what data_privacy_consent = true agrees to; a plan without consent shows it.
const consentText = "By setting data_privacy_consent = true you confirm, on behalf of your organisation, that:\n" +
	"1. Personal data from the customer profiles of the segments exported through this connection " +
	"(email addresses, first and last names, locations such as country, state or region, city and postal code, " +
	"and every mapped custom field) will be sent to, and stored by, the SendGrid account identified by the " +
	"provider's API key; Twilio SendGrid processes it on your behalf and may process it outside your country.\n" +
	"2. Your organisation has a lawful basis (such as the consent of the people concerned, or a legitimate " +
	"interest) to send that data to SendGrid and to use it for email marketing, and it honours opt-outs, " +
	"objections and erasure requests, including in SendGrid.\n" +
	"3. Only the administrators and contributors named on this connection run exports through it, and your " +
	"organisation controls who may run Terraform with this configuration and who may read its state."

// NewConnectionResource returns the sendgridaudience_connection resource.
func NewConnectionResource() resource.Resource { return &connectionResource{} }

type connectionResource struct {
	data *providerData
}

type connectionModel struct {
	ID                 types.String `tfsdk:"id"`
	DisplayName        types.String `tfsdk:"display_name"`
	Administrators     types.Set    `tfsdk:"administrators"`
	Contributors       types.Set    `tfsdk:"contributors"`
	DataPrivacyConsent types.Bool   `tfsdk:"data_privacy_consent"`
	ProfileCap         types.Int64  `tfsdk:"profile_cap"`
	UserID             types.Int64  `tfsdk:"user_id"`
	Username           types.String `tfsdk:"username"`
	GrantedScopes      types.Set    `tfsdk:"granted_scopes"`
	KeyFingerprint     types.String `tfsdk:"key_fingerprint"`
	ConsentVersion     types.String `tfsdk:"consent_version"`
	ConsentedAt        types.String `tfsdk:"consented_at"`
}

func (r *connectionResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_connection"
}

func quotedList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = "`" + s + "`"
	}
	return strings.Join(q, ", ")
}

func (r *connectionResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	userValidators := []validator.Set{
		setvalidator.ValueStringsAre(
			stringvalidator.LengthBetween(1, 254),
			stringvalidator.RegexMatches(noEdgeSpace, "must not start or end with spaces"),
		),
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A connection to a SendGrid account: who may use it, the data-privacy consent, and the " +
			"contract's profile cap. Creating or updating it verifies the provider's API key against SendGrid: the account " +
			"must be reachable and the key must have the scopes " + quotedList(connectionRequiredScopes) + " (in SendGrid's API key " +
			"editor: Marketing with Full Access, User Account with Read Access). " +
			"Every refresh verifies the key again and reports a revoked key or a key of another account.\n\n" +
			"The connection is a record kept in Terraform state; nothing is created in SendGrid. The API key itself stays " +
			"in the provider configuration and never reaches state: the connection records only a non-reversible fingerprint.\n\n" +
			"**Who may use it.** The provider's `actor` must be one of `administrators` to create, change or remove the " +
			"connection, and an administrator or a contributor to run an export through it. Terraform has no login of its own: " +
			"the actor is whoever the provider configuration says it is, so these checks guard against mistakes, while " +
			"who may run `terraform apply` and who may read the state (which holds no key and no profile data) is decided by " +
			"your version control, CI and state backend permissions.\n\n" +
			"**Import.** `terraform import` takes the connection's `id`. The refresh fills the account identity; `display_name`, " +
			"`administrators`, `contributors`, `data_privacy_consent` and `profile_cap` come from the configuration on the next " +
			"apply, which records consent again.\n\n" +
			"**Consent text** (version `" + consentVersion + "`):\n\n> " + strings.ReplaceAll(consentText, "\n", "\n>\n> "),
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Identifier of the connection (a random UUID chosen when it is created).",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"display_name": schema.StringAttribute{
				MarkdownDescription: "Name shown to people, e.g. `SendGrid (marketing)`. 1 to 100 characters.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.LengthBetween(1, 100)},
			},
			"administrators": schema.SetAttribute{
				MarkdownDescription: "Who may create, change and remove this connection and run exports through it: at least one " +
					"actor name as the provider's `actor` setting gives it (for example an email address or a CI service account). " +
					"Compared ignoring letter case.",
				ElementType: types.StringType,
				Required:    true,
				Validators:  append([]validator.Set{setvalidator.SizeAtLeast(1)}, userValidators...),
			},
			"contributors": schema.SetAttribute{
				MarkdownDescription: "Who may also run exports through this connection, without changing it. Defaults to nobody " +
					"(administrators only).",
				ElementType: types.StringType,
				Optional:    true,
				Computed:    true,
				Default:     setdefault.StaticValue(types.SetValueMust(types.StringType, []attr.Value{})),
				Validators:  userValidators,
			},
			"data_privacy_consent": schema.BoolAttribute{
				MarkdownDescription: "Must be `true`: you agree to the consent text above on behalf of your organisation. " +
					"A plan with `false` or without this setting fails and shows the text.",
				Optional: true,
			},
			"profile_cap": schema.Int64Attribute{
				MarkdownDescription: "The most profiles (distinct contacts) exports through this connection may hold in SendGrid, " +
					"from your SendGrid contract. Defaults to `100000`. Checked before every run that adds contacts: the account's " +
					"contact count plus the contacts the run adds must stay within it. A run that only updates or removes contacts " +
					"is never refused.",
				Optional:   true,
				Computed:   true,
				Default:    int64default.StaticInt64(100000),
				Validators: []validator.Int64{int64validator.AtLeast(1)},
			},
			"user_id": schema.Int64Attribute{
				MarkdownDescription: "SendGrid user ID of the account the API key belongs to.",
				Computed:            true,
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseNonNullStateForUnknown()},
			},
			"username": schema.StringAttribute{
				MarkdownDescription: "SendGrid username of the account the API key belongs to.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseNonNullStateForUnknown()},
			},
			"granted_scopes": schema.SetAttribute{
				MarkdownDescription: "Scopes SendGrid reports for the API key (`GET /v3/scopes`) when it was last verified.",
				ElementType:         types.StringType,
				Computed:            true,
				PlanModifiers:       []planmodifier.Set{setplanmodifier.UseNonNullStateForUnknown()},
			},
			"key_fingerprint": schema.StringAttribute{
				MarkdownDescription: "Non-reversible fingerprint of the provider's API key (`sha256:` and 16 hex digits of a keyed hash). " +
					"It changes when the key is rotated; the key cannot be recovered from it.",
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseNonNullStateForUnknown()},
			},
			"consent_version": schema.StringAttribute{
				MarkdownDescription: "Version of the consent text agreed to. When the provider ships a new text, the next plan shows " +
					"the change and the apply records consent again.",
				Computed: true, // set by ModifyPlan from providerData.consentVersion
			},
			"consented_at": schema.StringAttribute{
				MarkdownDescription: "When consent was recorded (RFC 3339, UTC). Recorded again when the consent text version " +
					"changes, after an import, or when the API key turns out to belong to another SendGrid account.",
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseNonNullStateForUnknown()},
			},
		},
	}
}

func (r *connectionResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// ValidateConfig refuses a configuration without consent, at validate and plan time.
func (r *connectionResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var consent types.Bool
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("data_privacy_consent"), &consent)...)
	if resp.Diagnostics.HasError() || consent.IsUnknown() {
		return
	}
	if consent.IsNull() || !consent.ValueBool() {
		resp.Diagnostics.AddAttributeError(path.Root("data_privacy_consent"), "Data privacy consent required",
			"data_privacy_consent must be true before profiles can be exported to SendGrid through this connection. "+
				"Read the consent text and set data_privacy_consent = true only if your organisation agrees to it.\n\n"+consentText)
	}
}

func stringsOf(ctx context.Context, s types.Set, diags *diag.Diagnostics) []string {
	if s.IsNull() || s.IsUnknown() {
		return nil
	}
	var out []string
	diags.Append(s.ElementsAs(ctx, &out, false)...)
	sort.Strings(out)
	return out
}

func (m connectionModel) ref(ctx context.Context, diags *diag.Diagnostics) connectionRef {
	return connectionRef{
		ID:             m.ID.ValueString(),
		DisplayName:    m.DisplayName.ValueString(),
		Administrators: stringsOf(ctx, m.Administrators, diags),
		Contributors:   stringsOf(ctx, m.Contributors, diags),
		ProfileCap:     m.ProfileCap.ValueInt64(),
		UserID:         m.UserID.ValueInt64(),
		KeyFingerprint: m.KeyFingerprint.ValueString(),
		Consent:        m.DataPrivacyConsent.ValueBool(),
	}
}

// needsConsentRecord reports whether an existing connection must record consent again.
// version is the consent text's current version.
func needsConsentRecord(state connectionModel, version string) bool {
	return state.ConsentedAt.IsNull() || state.ConsentedAt.ValueString() == "" ||
		state.ConsentVersion.ValueString() != version || !state.DataPrivacyConsent.ValueBool()
}

// ModifyPlan checks who runs Terraform and that a key is configured, and plans what apply will
// re-verify or record.
func (r *connectionResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if r.data == nil {
		return
	}
	if req.Plan.Raw.IsNull() {
		r.planDestroy(ctx, req, resp)
		return
	}

	var plan connectionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	creating := req.State.Raw.IsNull()
	var state connectionModel
	if !creating {
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}

	plan.ConsentVersion = types.StringValue(r.data.consentVersion)
	fp := privacy.KeyFingerprint(r.data.apiKey)
	if creating {
		if fp != "" {
			plan.KeyFingerprint = types.StringValue(fp)
		}
	} else {
		if needsConsentRecord(state, r.data.consentVersion) {
			plan.ConsentedAt = types.StringUnknown()
		}
		if fp != "" && !plan.KeyFingerprint.IsUnknown() && plan.KeyFingerprint.ValueString() != fp {
			// The provider now uses another key (a plan without refresh; the refresh records the
			// new key's account and scopes): apply verifies it and reads its account and scopes.
			plan.KeyFingerprint = types.StringValue(fp)
			plan.UserID = types.Int64Unknown()
			plan.Username = types.StringUnknown()
			plan.GrantedScopes = types.SetUnknown(types.StringType)
		}
	}
	// Otherwise the account and scopes are those the refresh read, kept from state (the schema's
	// UseNonNullStateForUnknown): editing display_name or the people changes neither.

	changed := creating || connectionChanged(plan, state)
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
	if !changed {
		return
	}

	if planClient(r.data, &resp.Diagnostics) {
		var recorded *connectionModel // nil for a new connection
		if !creating {
			recorded = &state
		}
		r.checkChangeAllowed(ctx, plan, recorded, &resp.Diagnostics)
	}
}

// planDestroy lets only an administrator remove the connection.
func (r *connectionResource) planDestroy(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var state connectionModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ref := state.ref(ctx, &resp.Diagnostics)
	if len(ref.Administrators) == 0 {
		return // imported and never configured: nobody to check against
	}
	if err := checkAdministrator(r.data.actor, ref); err != nil {
		resp.Diagnostics.AddError("Not allowed to remove this connection", err.Error())
	}
}

// checkChangeAllowed lets only an administrator create or change the connection: the
// administrators on record, or for a new or imported connection the administrators being
// configured. It warns an administrator who removes themselves. state is nil for a new
// connection.
func (r *connectionResource) checkChangeAllowed(ctx context.Context, plan connectionModel, state *connectionModel, diags *diag.Diagnostics) {
	creating := state == nil
	authority := plan
	if !creating && !state.Administrators.IsNull() && len(state.Administrators.Elements()) > 0 {
		authority = *state
	}
	if authority.Administrators.IsUnknown() {
		return
	}
	ref := authority.ref(ctx, diags)
	if creating {
		ref.DisplayName = plan.DisplayName.ValueString()
	}
	if err := checkAdministrator(r.data.actor, ref); err != nil {
		summary := "Not allowed to change this connection"
		if creating {
			summary = "Not allowed to create this connection"
		}
		diags.AddAttributeError(path.Root("administrators"), summary, err.Error())
		return
	}
	if !creating && !plan.Administrators.IsUnknown() {
		if actorRole(r.data.actor, plan.ref(ctx, diags)) != roleAdministrator {
			diags.AddAttributeWarning(path.Root("administrators"), "You are removing yourself as an administrator",
				fmt.Sprintf("After this apply, actor %q can no longer change or remove this connection; another administrator will have to.", r.data.actor))
		}
	}
}

// connectionChanged reports whether the plan differs from the state in anything a person
// controls or that apply must record.
func connectionChanged(plan, state connectionModel) bool {
	return !plan.DisplayName.Equal(state.DisplayName) ||
		!plan.Administrators.Equal(state.Administrators) ||
		!plan.Contributors.Equal(state.Contributors) ||
		!plan.DataPrivacyConsent.Equal(state.DataPrivacyConsent) ||
		!plan.ProfileCap.Equal(state.ProfileCap) ||
		!plan.ConsentVersion.Equal(state.ConsentVersion) ||
		!plan.ConsentedAt.Equal(state.ConsentedAt) ||
		!plan.KeyFingerprint.Equal(state.KeyFingerprint)
}

// keyCheck is what SendGrid says about the provider's API key.
type keyCheck struct {
	User    sendgrid.User
	Scopes  []string // sorted
	Missing []string // required scopes the key lacks, in connectionRequiredScopes order
}

// missingScopes returns the required scopes absent from granted.
func missingScopes(required, granted []string) []string {
	var out []string
	for _, s := range required {
		if !slices.Contains(granted, s) {
			out = append(out, s)
		}
	}
	return out
}

// verifyKey asks SendGrid for the key's scopes and, when it may read them, the account. A key
// that lacks scopes is reported in Missing (User is then empty when a user scope is missing).
func verifyKey(ctx context.Context, c *sendgrid.Client) (keyCheck, error) {
	var kc keyCheck
	scopes, err := c.Scopes(ctx)
	if err != nil {
		return kc, err
	}
	sort.Strings(scopes)
	kc.Scopes = scopes
	kc.Missing = missingScopes(connectionRequiredScopes, scopes)
	for _, m := range kc.Missing {
		if strings.HasPrefix(m, "user.") {
			return kc, nil
		}
	}
	kc.User, err = c.User(ctx)
	return kc, err
}

// verifyForApply verifies the key and fills the computed account attributes of m.
func (r *connectionResource) verifyForApply(ctx context.Context, m *connectionModel, diags *diag.Diagnostics) {
	kc, err := verifyKey(ctx, r.data.client)
	if err != nil {
		addKeyError(diags, err)
		return
	}
	if len(kc.Missing) > 0 {
		addMissingScopesError(diags, kc.Missing)
		return
	}
	if !m.UserID.IsUnknown() && !m.UserID.IsNull() && m.UserID.ValueInt64() != kc.User.UserID {
		diags.AddError("SendGrid account changed since the plan",
			fmt.Sprintf("The plan was made for SendGrid user ID %d, but the API key now belongs to user ID %d (%s). Run terraform plan again and review the change.",
				m.UserID.ValueInt64(), kc.User.UserID, kc.User.Username))
		return
	}
	// Values the plan showed stay as planned (the refresh read them moments ago; the next one
	// records any change); those it left unknown come from this verification.
	if m.UserID.IsUnknown() || m.UserID.IsNull() {
		m.UserID = types.Int64Value(kc.User.UserID)
	}
	if m.Username.IsUnknown() || m.Username.IsNull() {
		m.Username = types.StringValue(kc.User.Username)
	}
	if m.GrantedScopes.IsUnknown() || m.GrantedScopes.IsNull() {
		scopes, d := types.SetValueFrom(ctx, types.StringType, kc.Scopes)
		diags.Append(d...)
		m.GrantedScopes = scopes
	}
	m.KeyFingerprint = types.StringValue(privacy.KeyFingerprint(r.data.apiKey))
}

func (r *connectionResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan connectionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || !requireClient(r.data, &resp.Diagnostics) {
		return
	}
	r.verifyForApply(ctx, &plan, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	plan.ID = types.StringValue(uuid.NewString())
	plan.ConsentVersion = types.StringValue(r.data.consentVersion)
	plan.ConsentedAt = types.StringValue(r.data.now().UTC().Format(time.RFC3339))
	tflog.Info(ctx, "connection verified", map[string]any{"connection_id": plan.ID.ValueString(), "user_id": plan.UserID.ValueInt64()})
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *connectionResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan connectionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || !requireClient(r.data, &resp.Diagnostics) {
		return
	}
	r.verifyForApply(ctx, &plan, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	plan.ConsentVersion = types.StringValue(r.data.consentVersion)
	if plan.ConsentedAt.IsUnknown() || plan.ConsentedAt.IsNull() {
		plan.ConsentedAt = types.StringValue(r.data.now().UTC().Format(time.RFC3339))
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Read verifies the key again. A revoked key is an error; a key of another SendGrid account is
// a warning, and the consent is then recorded again on the next apply (the plan shows it).
func (r *connectionResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state connectionModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !planClient(r.data, &resp.Diagnostics) {
		return
	}
	kc, err := r.data.checkKey(ctx)
	if err != nil {
		r.data.addPlanKeyError(&resp.Diagnostics, err)
		return
	}
	if len(kc.Missing) > 0 {
		resp.Diagnostics.AddWarning("SendGrid API key lacks required scopes",
			fmt.Sprintf("Connection %s: the provider's API key is missing %s, so exports through it will fail. "+
				"Edit the key in SendGrid (Settings > API Keys > Edit API Key) and add: %s.",
				connectionName(state), quotedList(kc.Missing), scopesWithPermissions(kc.Missing)))
	}
	if kc.User.UserID != 0 {
		if !state.UserID.IsNull() && state.UserID.ValueInt64() != kc.User.UserID {
			resp.Diagnostics.AddWarning("API key belongs to another SendGrid account",
				fmt.Sprintf("Connection %s was verified for SendGrid user ID %d (%s), but the provider's API key now belongs to user ID %d (%s). "+
					"Exports through it would send profiles to that other account. The consent is recorded again on the next apply; "+
					"if this is not intended, restore the previous key.",
					connectionName(state), state.UserID.ValueInt64(), state.Username.ValueString(), kc.User.UserID, kc.User.Username))
			state.ConsentedAt = types.StringNull()
		}
		state.UserID = types.Int64Value(kc.User.UserID)
		state.Username = types.StringValue(kc.User.Username)
	}
	scopes, d := types.SetValueFrom(ctx, types.StringType, kc.Scopes)
	resp.Diagnostics.Append(d...)
	state.GrantedScopes = scopes
	state.KeyFingerprint = types.StringValue(privacy.KeyFingerprint(r.data.apiKey))
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func connectionName(m connectionModel) string {
	if n := m.DisplayName.ValueString(); n != "" {
		return fmt.Sprintf("%q", n)
	}
	return m.ID.ValueString()
}

// Delete forgets the connection. Nothing exists in SendGrid for it; lists and contacts stay.
func (r *connectionResource) Delete(ctx context.Context, req resource.DeleteRequest, _ *resource.DeleteResponse) {
	var id types.String
	_ = req.State.GetAttribute(ctx, path.Root("id"), &id)
	tflog.Info(ctx, "connection removed", map[string]any{"connection_id": id.ValueString()})
}

// ImportState adopts a connection by its id, the UUID Create chose. Read then fills the account
// identity; display name, administrators, contributors, consent and profile cap come from the
// configuration on the next apply, which also records consent.
func (r *connectionResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id := strings.TrimSpace(req.ID)
	if !isConnectionID(id) {
		resp.Diagnostics.AddError("Invalid connection ID",
			fmt.Sprintf("Import a connection by its id, a UUID such as %s; got %q. A connection exists only in Terraform state: "+
				"its id is in the state of the configuration that created it (terraform state show sendgridaudience_connection.<name>).",
				connectionIDExample, req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
}
