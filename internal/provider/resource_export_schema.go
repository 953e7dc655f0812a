package provider

import (
	"context"
	"regexp"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/export"
)

// exportModel is the state and plan of sendgridaudience_export.
type exportModel struct {
	ID                  types.String   `tfsdk:"id"`
	Name                types.String   `tfsdk:"name"`
	Connection          types.Object   `tfsdk:"sendgrid_connection"`
	ListID              types.String   `tfsdk:"list_id"`
	Segments            types.List     `tfsdk:"segments"`
	DataMatching        types.Object   `tfsdk:"data_matching"`
	ManagedCustomFields types.List     `tfsdk:"managed_custom_fields"`
	MaxProfiles         types.Int64    `tfsdk:"max_profiles"`
	SyncMode            types.String   `tfsdk:"sync_mode"`
	ClaimList           types.Bool     `tfsdk:"claim_list"`
	MaxRemovalPercent   types.Int64    `tfsdk:"max_removal_percent"`
	AllowMassRemoval    types.Bool     `tfsdk:"allow_mass_removal"`
	InvalidProfiles     types.String   `tfsdk:"invalid_profiles"`
	RunTrigger          types.String   `tfsdk:"run_trigger"`
	OnDestroy           types.String   `tfsdk:"on_destroy"`
	Timeouts            timeouts.Value `tfsdk:"timeouts"`

	ProfileCount types.Int64  `tfsdk:"profile_count"`
	Changes      types.Object `tfsdk:"changes"`
	Validation   types.Object `tfsdk:"validation"`
	InSync       types.Bool   `tfsdk:"in_sync"`
	LastRun      types.Object `tfsdk:"last_run"`
}

// segmentRefModel is one segment. The sendgridaudience_segment data source converts to it.
type segmentRefModel struct {
	Name        types.String `tfsdk:"name"`
	Source      types.String `tfsdk:"source"`
	Query       types.String `tfsdk:"query"`
	Filter      types.String `tfsdk:"filter"`
	Fingerprint types.String `tfsdk:"fingerprint"`
}

var segmentRefAttrTypes = map[string]attr.Type{
	"name":        types.StringType,
	"source":      types.StringType,
	"query":       types.StringType,
	"filter":      types.StringType,
	"fingerprint": types.StringType,
}

// customFieldRefModel is a sendgridaudience_custom_field managed in the same configuration.
type customFieldRefModel struct {
	Name types.String `tfsdk:"name"`
	Type types.String `tfsdk:"type"`
}

var customFieldRefAttrTypes = map[string]attr.Type{
	"name": types.StringType,
	"type": types.StringType,
}

type dataMatchingModel struct {
	Email               types.String `tfsdk:"email"`
	FirstName           types.String `tfsdk:"first_name"`
	LastName            types.String `tfsdk:"last_name"`
	Country             types.String `tfsdk:"country"`
	StateProvinceRegion types.String `tfsdk:"state_province_region"`
	City                types.String `tfsdk:"city"`
	PostalCode          types.String `tfsdk:"postal_code"`
	PhoneNumberID       types.String `tfsdk:"phone_number_id"`
	ExternalID          types.String `tfsdk:"external_id"`
	AnonymousID         types.String `tfsdk:"anonymous_id"`
	CustomFields        types.Map    `tfsdk:"custom_fields"`
}

// mapping converts the reserved fields and identifiers (not the custom fields) to the engine's
// Mapping; known is false when one of them is unknown.
func (dm *dataMatchingModel) mapping() (m export.Mapping, known bool) {
	cols := []*types.String{&dm.Email, &dm.FirstName, &dm.LastName, &dm.Country, &dm.StateProvinceRegion, &dm.City,
		&dm.PostalCode, &dm.PhoneNumberID, &dm.ExternalID, &dm.AnonymousID}
	known = !dm.CustomFields.IsUnknown()
	for _, c := range cols {
		known = known && !c.IsUnknown()
	}
	return export.Mapping{
		Email: dm.Email.ValueString(), FirstName: dm.FirstName.ValueString(), LastName: dm.LastName.ValueString(),
		Country: dm.Country.ValueString(), StateProvinceRegion: dm.StateProvinceRegion.ValueString(),
		City: dm.City.ValueString(), PostalCode: dm.PostalCode.ValueString(),
		PhoneNumberID: dm.PhoneNumberID.ValueString(), ExternalID: dm.ExternalID.ValueString(), AnonymousID: dm.AnonymousID.ValueString(),
	}, known
}

var changesAttrTypes = map[string]attr.Type{
	"to_add":    types.Int64Type,
	"to_update": types.Int64Type,
	"to_remove": types.Int64Type,
	"unchanged": types.Int64Type,
	// The SendGrid account: contacts the run adds to it, and its total after the run.
	"new_in_account":         types.Int64Type,
	"account_contacts_after": types.Int64Type,
}

var validationAttrTypes = map[string]attr.Type{
	"valid":      types.Int64Type,
	"invalid":    types.Int64Type,
	"duplicates": types.Int64Type,
	"by_reason":  types.MapType{ElemType: types.Int64Type},
	"samples":    types.ListType{ElemType: types.StringType},
}

var lastRunAttrTypes = map[string]attr.Type{
	"status":          types.StringType,
	"started_at":      types.StringType,
	"finished_at":     types.StringType,
	"requested":       types.Int64Type,
	"created":         types.Int64Type,
	"updated":         types.Int64Type,
	"removed":         types.Int64Type,
	"errored":         types.Int64Type,
	"skipped_invalid": types.Int64Type,
	"job_ids":         types.ListType{ElemType: types.StringType},
	"message":         types.StringType,
}

const (
	defaultMaxProfiles = 100000
	syncUpsert         = "upsert"
	syncMirror         = "mirror"
	invalidSkip        = "skip"
	invalidFail        = "fail"
	destroyKeep        = "keep"
	destroyRemove      = "remove_from_list"
)

func columnAttr(field, sendgridName string, maxLen int) schema.StringAttribute {
	d := "Profile column mapped to SendGrid's `" + sendgridName + "` field"
	if maxLen > 0 {
		d += " (at most " + itoa(maxLen) + " characters; longer values make the profile invalid)"
	}
	return schema.StringAttribute{
		MarkdownDescription: d + ". Leave unset to not send " + field + ".",
		Optional:            true,
		Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
	}
}

// identifierAttr is the schema of one of SendGrid's other contact identifiers.
func identifierAttr(sendgridName, rule string) schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: "Profile column mapped to SendGrid's `" + sendgridName + "` identifier (" + rule + "; other values make " +
			"the profile invalid). SendGrid updates a contact only when the upsert carries all of the contact's existing " +
			"identifiers: map it when another integration (SMS, an app) sets it on contacts of the list. Leave unset to not send it.",
		Optional:   true,
		Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
	}
}

func (r *exportResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Exports one or more segments of customer profiles to a SendGrid contact list. " +
			"`terraform plan` reads the segments, validates every mapped value against SendGrid's rules, checks the caps, " +
			"consent and the actor's permission, and shows how many contacts the run will add, update and remove; " +
			"`terraform apply` uploads only those changes and records the run. State holds counts, a run report and " +
			"keyed hashes (in private state); never an email address, a name or the API key.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Identifier of the export: `<list_id>/<name>`. Use it with `terraform import`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Name of the export, unique per list: two exports of one configuration with the same name on one list " +
					"fail at plan, since they would share an ID and undo each other's runs. Changing it replaces the export (its snapshot is kept per name).",
				Required: true,
				Validators: []validator.String{
					stringvalidator.LengthBetween(1, 100),
					stringvalidator.RegexMatches(regexp.MustCompile(`^[^/]+$`), "must not contain '/'"),
				},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"sendgrid_connection": schema.SingleNestedAttribute{
				MarkdownDescription: "The connection to export through: pass the whole resource, `sendgrid_connection = sendgridaudience_connection.NAME`. " +
					"The plan reads its consent, administrators, contributors, profile cap and SendGrid account from it. Terraform keeps " +
					"only the attributes below, so editing the connection's other attributes (`display_name`) does not change the export's plan.",
				Required:   true,
				Attributes: connectionRefAttributes(),
			},
			"list_id": schema.StringAttribute{
				MarkdownDescription: "ID of the SendGrid contact list to export to, usually `sendgridaudience_list_binding.NAME.list_id`. " +
					"Changing it replaces the export.",
				Required: true,
				Validators: []validator.String{
					listIDValidator(),
				},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"segments": schema.ListNestedAttribute{
				MarkdownDescription: "The segments to export, in priority order: pass `sendgridaudience_segment` data sources, " +
					"`segments = [data.sendgridaudience_segment.a, data.sendgridaudience_segment.b]`, or objects with `name` and `source` " +
					"and, where used, `query` and `filter`. A data source's fingerprint lets the export refuse a segment " +
					"whose content changed after the plan read it. A profile in several segments is exported once; for an email repeated within or across " +
					"segments the first occurrence in this order wins (see the data matching guide).",
				Required:     true,
				NestedObject: schema.NestedAttributeObject{Attributes: segmentRefAttributes()},
				Validators:   []validator.List{listvalidator.SizeAtLeast(1)},
			},
			"data_matching": schema.SingleNestedAttribute{
				MarkdownDescription: "Which profile column fills which SendGrid contact field. Every column must exist in every segment.",
				Required:            true,
				Attributes: map[string]schema.Attribute{
					"email": schema.StringAttribute{
						MarkdownDescription: "Profile column holding the email address (required; at most 254 characters, trimmed and lower-cased as SendGrid does). " +
							"SendGrid also identifies contacts by `phone_number_id`, `external_id` or `anonymous_id`, but this provider always needs the " +
							"email: it is what the record of earlier runs is keyed by.",
						Required:   true,
						Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
					},
					"first_name":            columnAttr("a first name", "first_name", 50),
					"last_name":             columnAttr("a last name", "last_name", 50),
					"country":               columnAttr("a country or region", "country", 50),
					"state_province_region": columnAttr("a state", "state_province_region", 50),
					"city":                  columnAttr("a city", "city", 60),
					"postal_code":           columnAttr("a postcode", "postal_code", 0),
					"phone_number_id": identifierAttr("phone_number_id", "an E.164 phone number: `+` then 8 to 15 digits, the first not 0 "+
						"(e.g. `+14155550100`)"),
					"external_id":  identifierAttr("external_id", "at most 254 characters, without control characters"),
					"anonymous_id": identifierAttr("anonymous_id", "at most 254 characters, without control characters"),
					"custom_fields": schema.MapAttribute{
						MarkdownDescription: "SendGrid custom field name → profile column. Each field must exist in SendGrid " +
							"(or be listed in `managed_custom_fields`); values are checked against its type (Text, Number, Date).",
						Optional:    true,
						ElementType: types.StringType,
					},
				},
			},
			"managed_custom_fields": schema.ListAttribute{
				MarkdownDescription: "Custom fields created in the same configuration, `[sendgridaudience_custom_field.NAME]`, so the plan " +
					"can check values against their type before they exist in SendGrid (and the export runs after they are created).",
				Optional:    true,
				ElementType: types.ObjectType{AttrTypes: customFieldRefAttrTypes},
			},
			"max_profiles": schema.Int64Attribute{
				MarkdownDescription: "Most distinct profiles this export may send. The plan fails, before anything is sent, when the " +
					"segments hold more. Default `100000`.",
				Optional:   true,
				Computed:   true,
				Default:    int64default.StaticInt64(defaultMaxProfiles),
				Validators: []validator.Int64{int64validator.AtLeast(1)},
			},
			"sync_mode": schema.StringAttribute{
				MarkdownDescription: "`upsert` (default) adds and updates contacts; `mirror` also removes from the list the contacts " +
					"that left the segments. Contacts are removed from the list, never deleted from SendGrid.",
				Optional:   true,
				Computed:   true,
				Default:    stringdefault.StaticString(syncUpsert),
				Validators: []validator.String{stringvalidator.OneOf(syncUpsert, syncMirror)},
			},
			"claim_list": schema.BoolAttribute{
				MarkdownDescription: "Whether the export owns the whole list. By default (`false`) the export removes, in `mirror` " +
					"mode and with `on_destroy = \"remove_from_list\"`, only the contacts it added: members that were on the list " +
					"before it first sent them (added in SendGrid's UI, by another export or an integration) stay, even when they " +
					"leave the segments. `true` makes the list equal to the segments: every member not in them is removed, and the " +
					"plan warns how many of those the export did not add.",
				Optional: true,
			},
			"max_removal_percent": schema.Int64Attribute{
				MarkdownDescription: "Removal guard of `mirror` mode: the largest share, in percent, of the contacts the export may " +
					"remove from the list (those it added, or every member with `claim_list = true`) that one run may remove. A run " +
					"removing more fails at plan time, before anything is sent, unless it removes fewer than 10 contacts. Unset: " +
					"`20`; `100` turns the share limit off (an empty selection is still refused).",
				Optional:   true,
				Validators: []validator.Int64{int64validator.Between(1, 100)},
			},
			"allow_mass_removal": schema.BoolAttribute{
				MarkdownDescription: "Lets `mirror` runs remove any number of contacts, even when the segments select no profile at " +
					"all. Without it such a run fails at plan time (an empty source is more often a failed upstream job than an " +
					"audience that emptied). Set it for the one run that should remove them, and remove it again after the apply, " +
					"so the allowance shows in review.",
				Optional: true,
			},
			"invalid_profiles": schema.StringAttribute{
				MarkdownDescription: "What to do with profiles whose values SendGrid would reject: `skip` (default) leaves them out " +
					"and reports them in `validation`; `fail` fails the plan.",
				Optional:   true,
				Computed:   true,
				Default:    stringdefault.StaticString(invalidSkip),
				Validators: []validator.String{stringvalidator.OneOf(invalidSkip, invalidFail)},
			},
			"run_trigger": schema.StringAttribute{
				MarkdownDescription: "Any value; changing it runs the export again even when the segments did not change (an on-demand run). " +
					"A full run re-sends every profile.",
				Optional: true,
			},
			"on_destroy": schema.StringAttribute{
				MarkdownDescription: "What destroying the export does to the list: `keep` (default) leaves the contacts on it; " +
					"`remove_from_list` removes the contacts this export added (every contact of its record with `claim_list = true`). Contacts are never deleted from SendGrid.",
				Optional:   true,
				Computed:   true,
				Default:    stringdefault.StaticString(destroyKeep),
				Validators: []validator.String{stringvalidator.OneOf(destroyKeep, destroyRemove)},
			},
			"timeouts": timeouts.Attributes(ctx, timeouts.Opts{Create: true, Update: true, Delete: true}),

			"profile_count": schema.Int64Attribute{
				MarkdownDescription: "Distinct valid profiles the segments select (after merging repeated emails).",
				Computed:            true,
			},
			"changes": schema.SingleNestedAttribute{
				MarkdownDescription: "The counts of the run this plan makes: where a reviewer reads what the apply will send. Every plan " +
					"that sends or removes contacts sets it, and shows it in full (`+ changes = { ... }`) whatever the last run did; a " +
					"plan that sends nothing leaves it null. The apply keeps it in state until the next refresh clears it; what the run " +
					"did is in `last_run`.",
				Computed: true,
				Attributes: map[string]schema.Attribute{
					"to_add":    schema.Int64Attribute{Computed: true, MarkdownDescription: "Contacts the export has no record of sending: new profiles, or every profile on a first or imported run."},
					"to_update": schema.Int64Attribute{Computed: true, MarkdownDescription: "Contacts the export sent before whose mapped values changed, or every one of them on an on-demand (`run_trigger`) run or after the list drifted (`in_sync = false`)."},
					"to_remove": schema.Int64Attribute{Computed: true, MarkdownDescription: "Contacts that left the segments and leave the list (`mirror` only)."},
					"unchanged": schema.Int64Attribute{Computed: true, MarkdownDescription: "Contacts already up to date; nothing is sent for them."},
					"new_in_account": schema.Int64Attribute{Computed: true, MarkdownDescription: "Contacts the run adds to the SendGrid " +
						"account (at most: a profile already in the account on another list counts as new). They count toward the " +
						"account's contact allowance even if they are removed from the list later. Null in states written before it existed."},
					"account_contacts_after": schema.Int64Attribute{Computed: true, MarkdownDescription: "The account's contacts after the " +
						"run (at most), as checked against the connection's `profile_cap`. Null in states written before it existed."},
				},
			},
			"validation": schema.SingleNestedAttribute{
				MarkdownDescription: "What validation found: counts, counts per reason, and the first invalid rows " +
					"(file and line or row, field and reason, with masked values).",
				Computed: true,
				Attributes: map[string]schema.Attribute{
					"valid":      schema.Int64Attribute{Computed: true, MarkdownDescription: "Rows that pass validation."},
					"invalid":    schema.Int64Attribute{Computed: true, MarkdownDescription: "Rows SendGrid would reject (skipped or failing, per `invalid_profiles`)."},
					"duplicates": schema.Int64Attribute{Computed: true, MarkdownDescription: "Rows whose email appeared earlier and were merged into it."},
					"by_reason":  schema.MapAttribute{Computed: true, ElementType: types.Int64Type, MarkdownDescription: "Invalid rows per field and reason (`<field>: <reason>`); a row with several invalid fields counts under each, so the counts may add up to more than `invalid`."},
					"samples":    schema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "The first invalid rows, masked."},
				},
			},
			"in_sync": schema.BoolAttribute{
				MarkdownDescription: "Whether the list still holds what the last run left, as far as SendGrid's contact count tells. A refresh " +
					"that finds fewer contacts on the list than the last run left (once SendGrid's counts have settled, about 15 minutes after " +
					"a run) sets it to false, and the plan then shows a reconciling run. The count cannot see a removal that someone else's " +
					"additions to the same list make up for; `mirror` runs also check a sample of 100 of the export's contacts by search.",
				Computed: true,
			},
			"last_run": schema.SingleNestedAttribute{
				MarkdownDescription: "Report of the last run: status (`succeeded`, `partial`, `failed`, `no_changes`), start and end, " +
					"counts and SendGrid job IDs.",
				Computed: true,
				Attributes: map[string]schema.Attribute{
					"status":          schema.StringAttribute{Computed: true, MarkdownDescription: "`succeeded`, `partial`, `failed` or `no_changes`."},
					"started_at":      schema.StringAttribute{Computed: true, MarkdownDescription: "RFC 3339 start time."},
					"finished_at":     schema.StringAttribute{Computed: true, MarkdownDescription: "RFC 3339 end time."},
					"requested":       schema.Int64Attribute{Computed: true, MarkdownDescription: "Contacts sent to SendGrid."},
					"created":         schema.Int64Attribute{Computed: true, MarkdownDescription: "Contacts SendGrid created."},
					"updated":         schema.Int64Attribute{Computed: true, MarkdownDescription: "Contacts SendGrid updated."},
					"removed":         schema.Int64Attribute{Computed: true, MarkdownDescription: "Contacts removed from the list."},
					"errored":         schema.Int64Attribute{Computed: true, MarkdownDescription: "Contacts SendGrid rejected."},
					"skipped_invalid": schema.Int64Attribute{Computed: true, MarkdownDescription: "Invalid profiles left out."},
					"job_ids":         schema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "SendGrid job IDs of the run."},
					"message":         schema.StringAttribute{Computed: true, MarkdownDescription: "A one-line summary, or why the run stopped."},
				},
			},
		},
	}
}

// segmentRefAttributes are the attributes of one segment: those of the sendgridaudience_segment
// data source that the export needs (Terraform drops the data source's others).
func segmentRefAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"name": schema.StringAttribute{Optional: true, MarkdownDescription: "Name of the segment, used in messages; " +
			"unset, the segment is called by its position (`segment 2`)."},
		"source": schema.StringAttribute{Optional: true, MarkdownDescription: "Where the profiles are: a file path or a " +
			"database URL, as for the `sendgridaudience_segment` data source. Needed: a segment without one fails validation."},
		"query": schema.StringAttribute{Optional: true, MarkdownDescription: "SQL query selecting the profiles of a database source."},
		"filter": schema.StringAttribute{Optional: true, MarkdownDescription: "CEL expression selecting the profiles of the source, " +
			"e.g. `marketing_opt_in == true`."},
		"fingerprint": schema.StringAttribute{Optional: true, MarkdownDescription: "The data source's keyed fingerprint of what it read. " +
			"Set by the data source; leave unset in a literal segment."},
	}
}

// connectionRefAttributes are the attributes of sendgridaudience_connection that an export uses.
func connectionRefAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"id": schema.StringAttribute{Optional: true, MarkdownDescription: "The connection's ID."},
		"administrators": schema.SetAttribute{Optional: true, ElementType: types.StringType,
			MarkdownDescription: "Who may change the connection; they may also run exports."},
		"contributors": schema.SetAttribute{Optional: true, ElementType: types.StringType,
			MarkdownDescription: "Who may run exports through the connection."},
		"profile_cap": schema.Int64Attribute{Optional: true, MarkdownDescription: "Most contacts the SendGrid account may hold " +
			"after a run of any export through the connection."},
		"user_id":              schema.Int64Attribute{Optional: true, MarkdownDescription: "The SendGrid account the connection was verified against."},
		"key_fingerprint":      schema.StringAttribute{Optional: true, MarkdownDescription: "Fingerprint of the API key the connection was verified with."},
		"data_privacy_consent": schema.BoolAttribute{Optional: true, MarkdownDescription: "Whether the data privacy consent was given."},
	}
}

func itoa(n int) string {
	return strconv.Itoa(n)
}
