package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
)

var (
	_ resource.Resource                = (*customFieldResource)(nil)
	_ resource.ResourceWithConfigure   = (*customFieldResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*customFieldResource)(nil)
	_ resource.ResourceWithImportState = (*customFieldResource)(nil)
)

// customFieldTypes are SendGrid's custom field types.
var customFieldTypes = []string{string(sendgrid.FieldText), string(sendgrid.FieldNumber), string(sendgrid.FieldDate)}

// NewCustomFieldResource returns the sendgridaudience_custom_field resource.
func NewCustomFieldResource() resource.Resource { return &customFieldResource{} }

type customFieldResource struct {
	data *providerData
}

type customFieldModel struct {
	ID      types.String `tfsdk:"id"`
	FieldID types.String `tfsdk:"field_id"`
	Name    types.String `tfsdk:"name"`
	Type    types.String `tfsdk:"type"`
	// DeleteOnDestroy is null in states written before the attribute existed; Read sets false.
	DeleteOnDestroy types.Bool `tfsdk:"delete_on_destroy"`
}

func (r *customFieldResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_custom_field"
}

func (r *customFieldResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A SendGrid Marketing Campaigns custom field definition, so that an export can map profile columns " +
			"to it (`data_matching.custom_fields`). Exports send values by the field's `field_id`.\n\n" +
			"The plan checks SendGrid's rules before anything is created: the name's characters, that no existing custom or " +
			"reserved field has the same name ignoring letter case, and the limit of " + fmt.Sprint(sendgrid.MaxCustomFields) +
			" custom fields per account. Renaming is done in place.\n\n" +
			"Destroying this resource **leaves the field and its values in SendGrid** unless `delete_on_destroy = true`: a " +
			"field belongs to the whole account, and other configurations or SendGrid's own segments may use it. Changing " +
			"`type` replaces the field, which deletes its values from every contact, so it needs `delete_on_destroy = true` " +
			"applied first.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The field's SendGrid ID (same as `field_id`).",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"field_id": schema.StringAttribute{
				MarkdownDescription: "The field's SendGrid ID, which contact uploads use as the key of `custom_fields`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "The field's name: 1 to 100 characters of `A`–`Z`, `a`–`z`, `0`–`9` and `_`, starting with a " +
					"letter or `_`; unique in the account ignoring letter case. Changing it renames the field in place.",
				Required: true,
				Validators: []validator.String{
					stringvalidator.LengthBetween(1, 100),
					stringvalidator.RegexMatches(fieldNamePattern,
						"may contain only letters A-Z and a-z, digits 0-9 and _, and must start with a letter or _ (SendGrid's rule for custom field names)"),
				},
			},
			"type": schema.StringAttribute{
				MarkdownDescription: "The field's type: `Text`, `Number` or `Date`. SendGrid cannot change a field's type, so changing " +
					"it deletes the field (and its values on every contact) and creates a new one.",
				Required:      true,
				Validators:    []validator.String{stringvalidator.OneOf(customFieldTypes...)},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"delete_on_destroy": schema.BoolAttribute{
				MarkdownDescription: "Delete the field in SendGrid, with its values on every contact of the account, when this " +
					"resource is destroyed or replaced. Defaults to `false`: destroying the resource only stops managing the " +
					"field. Like every destroy option, it takes effect once applied: set it to `true` and apply before the " +
					"destroy or the `type` change that should delete the field.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
		},
	}
}

func (r *customFieldResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// ModifyPlan checks a new or renamed field's name against the account's fields, and the
// account's custom field limit, while planning.
func (r *customFieldResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if r.data == nil {
		return
	}
	if req.Plan.Raw.IsNull() {
		warnFieldDestroy(ctx, req, resp)
		return
	}
	var plan customFieldModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || plan.Name.IsUnknown() {
		return
	}
	var state customFieldModel
	exists := !req.State.Raw.IsNull()
	if exists {
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	// A type change replaces the field (the type attribute's RequiresReplace; the framework does
	// not pass attribute replacements to this method, so compare the values).
	replacing := exists && !plan.Type.IsUnknown() && !plan.Type.Equal(state.Type)
	if replacing && !state.DeleteOnDestroy.ValueBool() {
		refuseFieldReplace(state, plan, &resp.Diagnostics)
		return
	}
	renaming := exists && !replacing && !plan.Name.Equal(state.Name)
	if exists && !replacing && !renaming {
		return
	}
	custom, reserved, ok := r.planFields(ctx, &resp.Diagnostics)
	if !ok {
		return
	}
	selfID := ""
	if exists {
		selfID = state.ID.ValueString() // replaced or renamed: its own name is not a clash
	}
	name, typ := plan.Name.ValueString(), plan.Type.ValueString()
	clash, reservedClash := findFieldNameClash(name, selfID, custom, reserved)
	count := len(custom)
	switch {
	case clash == nil:
	case reservedClash:
		resp.Diagnostics.AddAttributeError(path.Root("name"), "Custom field name is reserved by SendGrid",
			fmt.Sprintf("%q is the name of SendGrid's reserved field %q (%s). Reserved fields are mapped by the export's "+
				"data_matching directly; choose another name for a custom field.", name, clash.Name, clash.Type))
		return
	case !exists && !plan.Type.IsUnknown() && string(clash.Type) != typ:
		// Terraform plans the new half of a replacement (a type change) without the old state, so
		// a field of the same name and another type may be this resource's own field, which is
		// deleted before the new one is created. Say what happens either way.
		resp.Diagnostics.AddAttributeWarning(path.Root("name"), "Custom field with this name exists with another type",
			fmt.Sprintf("SendGrid has custom field %q of type %s (id %s). If this plan replaces that field to change its type, "+
				"it is deleted first, with its values on every contact. Otherwise the apply fails because names are unique: "+
				"import it with terraform import sendgridaudience_custom_field.<name> %s, or choose another name.",
				clash.Name, clash.Type, clash.ID, clash.ID))
		count--
	default:
		resp.Diagnostics.AddAttributeError(path.Root("name"), "Custom field already exists",
			fmt.Sprintf("The SendGrid account already has a custom field %q (type %s, id %s); names are unique ignoring letter case. "+
				"Manage that field with terraform import sendgridaudience_custom_field.<name> %s, or choose another name.",
				clash.Name, clash.Type, clash.ID, clash.ID))
		return
	}
	if !exists && count >= sendgrid.MaxCustomFields {
		resp.Diagnostics.AddAttributeError(path.Root("name"), "SendGrid custom field limit reached",
			fmt.Sprintf("The SendGrid account already has %d custom fields, SendGrid's limit is %d, so %q cannot be created. "+
				"Delete custom fields you no longer use (in SendGrid, or by destroying their sendgridaudience_custom_field resources "+
				"with delete_on_destroy = true), "+
				"or reuse an existing field by importing it.", len(custom), sendgrid.MaxCustomFields, name))
	}
}

// planFields reads the account's custom and reserved fields while planning.
func (r *customFieldResource) planFields(ctx context.Context, diags *diag.Diagnostics) (custom, reserved []sendgrid.Field, ok bool) {
	if !planClient(r.data, diags) {
		return nil, nil, false
	}
	custom, reserved, err := r.data.client.Fields(ctx)
	if err != nil {
		if !r.data.reportShared(diags, err) {
			addAPIError(diags, "Cannot read SendGrid custom fields", err)
		}
		return nil, nil, false
	}
	return custom, reserved, true
}

// warnFieldDestroy says, on a destroy plan, whether the field is deleted in SendGrid or kept.
func warnFieldDestroy(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var state customFieldModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if !state.DeleteOnDestroy.ValueBool() {
		return
	}
	resp.Diagnostics.AddWarning("Deleting a SendGrid custom field",
		fmt.Sprintf("delete_on_destroy = true: custom field %q (%s) is deleted, with its values on every contact of the account.",
			state.Name.ValueString(), state.ID.ValueString()))
}

// refuseFieldReplace explains that a type change deletes the field, which this resource's
// applied delete_on_destroy does not allow.
func refuseFieldReplace(state, plan customFieldModel, diags *diag.Diagnostics) {
	diags.AddAttributeError(path.Root("type"), "Changing the type deletes the custom field",
		fmt.Sprintf("SendGrid cannot change a field's type, so changing custom field %q (%s) from %s to %s deletes it, with its "+
			"values on every contact of the account, and creates a new one. delete_on_destroy is false for this field, so "+
			"it is kept in SendGrid. To replace it, set delete_on_destroy = true and apply, then change the type; or keep "+
			"the type and add a field with another name.",
			state.Name.ValueString(), state.ID.ValueString(), state.Type.ValueString(), plan.Type.ValueString()))
}

// findFieldNameClash returns a reserved field, or a custom field other than selfID, whose name
// equals name ignoring case.
func findFieldNameClash(name, selfID string, custom, reserved []sendgrid.Field) (f *sendgrid.Field, isReserved bool) {
	for i := range reserved {
		if strings.EqualFold(reserved[i].Name, name) {
			return &reserved[i], true
		}
	}
	for i := range custom {
		if custom[i].ID != selfID && strings.EqualFold(custom[i].Name, name) {
			return &custom[i], false
		}
	}
	return nil, false
}

func (m *customFieldModel) fill(f sendgrid.Field) {
	m.ID = types.StringValue(f.ID)
	m.FieldID = types.StringValue(f.ID)
	m.Name = types.StringValue(f.Name)
	m.Type = types.StringValue(string(f.Type))
	if m.DeleteOnDestroy.IsNull() || m.DeleteOnDestroy.IsUnknown() {
		m.DeleteOnDestroy = types.BoolValue(false) // imported, or a state from before the attribute existed
	}
}

func (r *customFieldResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan customFieldModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || !requireClient(r.data, &resp.Diagnostics) {
		return
	}
	f, err := r.data.client.CreateField(ctx, plan.Name.ValueString(), sendgrid.FieldType(plan.Type.ValueString()))
	if err != nil {
		if keyRefused(err) {
			addKeyError(&resp.Diagnostics, err)
			return
		}
		resp.Diagnostics.AddAttributeError(path.Root("name"), "Cannot create SendGrid custom field",
			fmt.Sprintf("Creating custom field %q (%s) failed: %v", plan.Name.ValueString(), plan.Type.ValueString(), err))
		return
	}
	plan.fill(f)
	tflog.Info(ctx, "custom field created", map[string]any{"field_id": f.ID})
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Read refreshes name and type; a field deleted outside Terraform leaves the state with a warning.
func (r *customFieldResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state customFieldModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !planClient(r.data, &resp.Diagnostics) {
		return
	}
	custom, _, err := r.data.client.Fields(ctx)
	if err != nil {
		if !r.data.reportShared(&resp.Diagnostics, err) {
			addAPIError(&resp.Diagnostics, "Cannot read SendGrid custom fields", err)
		}
		return
	}
	id := state.ID.ValueString()
	for _, f := range custom {
		if f.ID == id {
			state.fill(f)
			resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
			return
		}
	}
	resp.Diagnostics.AddWarning("SendGrid custom field deleted outside Terraform",
		fmt.Sprintf("Custom field %q (%s) no longer exists in SendGrid, so it was removed from the state; the plan creates it again.",
			state.Name.ValueString(), id))
	resp.State.RemoveResource(ctx)
}

// Update renames the field in place and records delete_on_destroy.
func (r *customFieldResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state customFieldModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !requireClient(r.data, &resp.Diagnostics) {
		return
	}
	id := state.ID.ValueString()
	if plan.Name.Equal(state.Name) {
		plan.ID, plan.FieldID = state.ID, state.FieldID // only delete_on_destroy changed
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	f, err := r.data.client.RenameField(ctx, id, plan.Name.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("name"), "Cannot rename SendGrid custom field",
			fmt.Sprintf("Renaming custom field %s from %q to %q failed: %v", id, state.Name.ValueString(), plan.Name.ValueString(), err))
		return
	}
	if f.Type == "" {
		f.Type = sendgrid.FieldType(state.Type.ValueString())
	}
	if f.ID == "" {
		f.ID = id
	}
	plan.fill(f)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Delete keeps the field in SendGrid unless delete_on_destroy is set.
func (r *customFieldResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state customFieldModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !state.DeleteOnDestroy.ValueBool() {
		tflog.Info(ctx, "custom field no longer managed; it and its values are kept in SendGrid", map[string]any{"field_id": state.ID.ValueString()})
		return
	}
	if !requireClient(r.data, &resp.Diagnostics) {
		return
	}
	err := r.data.client.DeleteField(ctx, state.ID.ValueString())
	if err != nil && !sendgrid.IsNotFound(err) {
		resp.Diagnostics.AddError("Cannot delete SendGrid custom field",
			fmt.Sprintf("Deleting custom field %q (%s) failed: %v", state.Name.ValueString(), state.ID.ValueString(), err))
		return
	}
	tflog.Info(ctx, "custom field deleted", map[string]any{"field_id": state.ID.ValueString()})
}

// ImportState adopts an existing custom field by its SendGrid ID; Read fills name and type.
func (r *customFieldResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id := strings.TrimSpace(req.ID)
	if id == "" || strings.ContainsAny(id, "/?#% ") {
		resp.Diagnostics.AddError("Invalid custom field ID",
			fmt.Sprintf("Import a custom field by its SendGrid ID (field_id, e.g. e1_T); got %q.", req.ID))
		return
	}
	if strings.HasPrefix(id, "_rf") {
		resp.Diagnostics.AddError("Reserved fields cannot be imported",
			fmt.Sprintf("%s is one of SendGrid's reserved fields, which cannot be managed; map it in an export's data_matching instead.", id))
		return
	}
	if !checkImportedField(ctx, r.data, id, &resp.Diagnostics) {
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
}
