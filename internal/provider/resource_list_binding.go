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
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/export"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
)

var (
	_ resource.Resource                   = (*listBindingResource)(nil)
	_ resource.ResourceWithConfigure      = (*listBindingResource)(nil)
	_ resource.ResourceWithValidateConfig = (*listBindingResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*listBindingResource)(nil)
	_ resource.ResourceWithImportState    = (*listBindingResource)(nil)
)

// NewListBindingResource returns the sendgridaudience_list_binding resource.
func NewListBindingResource() resource.Resource { return &listBindingResource{} }

type listBindingResource struct {
	data *providerData
}

type listBindingModel struct {
	ID                      types.String `tfsdk:"id"`
	ListID                  types.String `tfsdk:"list_id"`
	Name                    types.String `tfsdk:"name"`
	Create                  types.Bool   `tfsdk:"create"`
	DeleteListOnDestroy     types.Bool   `tfsdk:"delete_list_on_destroy"`
	DeleteContactsOnDestroy types.Bool   `tfsdk:"delete_contacts_on_destroy"`
	ContactCount            types.Int64  `tfsdk:"contact_count"`
}

func (r *listBindingResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_list_binding"
}

func (r *listBindingResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Binds a SendGrid Marketing Campaigns contact list as the destination of exports: an existing list " +
			"by `list_id`, or a new list by `name` with `create = true`.\n\n" +
			"An existing list is looked up when planning, so a wrong or deleted `list_id` fails the plan, not the apply. " +
			"Refreshing detects drift: a list deleted outside Terraform is reported and leaves the state (a binding that " +
			"created its list then plans to create it again); a list renamed outside Terraform shows as a change when `name` " +
			"is configured (the apply renames it back) and is simply refreshed otherwise.\n\n" +
			"Destroying a binding **never deletes the list or its contacts** unless `delete_list_on_destroy = true` " +
			"(and `delete_contacts_on_destroy = true` to delete the contacts too).",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The list ID (same as `list_id`).",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"list_id": schema.StringAttribute{
				MarkdownDescription: "ID (a UUID) of an existing SendGrid list to bind, e.g. from the SendGrid UI or the " +
					"`sendgridaudience_list` data source. Leave it out with `create = true`; it is then the new list's ID. " +
					"Changing it binds another list (the binding is replaced; no list is deleted unless `delete_list_on_destroy` is set).",
				Optional: true,
				Computed: true,
				Validators: []validator.String{
					listIDValidator(),
				},
				PlanModifiers: []planmodifier.String{
					stringplanmodifier.UseStateForUnknown(),
					stringplanmodifier.RequiresReplace(),
				},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "The list's name, 1 to 100 characters. Required with `create = true`. When binding by `list_id` " +
					"it is optional: set it to keep the list's name managed (a rename outside Terraform is renamed back), or leave it " +
					"out to just read the current name.",
				Optional:      true,
				Computed:      true,
				Validators:    []validator.String{stringvalidator.LengthBetween(1, 100)},
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"create": schema.BoolAttribute{
				MarkdownDescription: "Create a new list named `name` instead of binding an existing one. Defaults to `false`.",
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(false),
			},
			"delete_list_on_destroy": schema.BoolAttribute{
				MarkdownDescription: "Delete the SendGrid list when this binding is destroyed. Defaults to `false`: the list and " +
					"its contacts stay in SendGrid.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"delete_contacts_on_destroy": schema.BoolAttribute{
				MarkdownDescription: "With `delete_list_on_destroy = true`, also delete the list's contacts from the SendGrid account " +
					"(they are removed from every other list too). Defaults to `false`. Only allowed with `delete_list_on_destroy = true`.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"contact_count": schema.Int64Attribute{
				MarkdownDescription: "Number of contacts on the list, as SendGrid reported it at the last refresh.",
				Computed:            true,
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
		},
	}
}

func (r *listBindingResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// ValidateConfig enforces the two ways of binding a list and the destroy options' dependency.
func (r *listBindingResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var cfg listBindingModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !cfg.Create.IsUnknown() {
		if cfg.Create.ValueBool() {
			if !cfg.ListID.IsNull() && !cfg.ListID.IsUnknown() {
				resp.Diagnostics.AddAttributeError(path.Root("list_id"), "list_id conflicts with create = true",
					"With create = true the provider creates a new list and list_id is its ID. Remove list_id to create a list, "+
						"or remove create = true to bind the existing list "+cfg.ListID.ValueString()+".")
			}
			if cfg.Name.IsNull() {
				resp.Diagnostics.AddAttributeError(path.Root("name"), "Missing list name",
					"create = true needs the name of the list to create (1 to 100 characters).")
			}
		} else if cfg.ListID.IsNull() {
			resp.Diagnostics.AddAttributeError(path.Root("list_id"), "Missing list_id",
				"Set list_id to bind an existing SendGrid list (the sendgridaudience_list data source finds an ID by name), "+
					"or set create = true and name to create a new list.")
		}
	}
	if !cfg.DeleteContactsOnDestroy.IsUnknown() && cfg.DeleteContactsOnDestroy.ValueBool() &&
		!cfg.DeleteListOnDestroy.IsUnknown() && !cfg.DeleteListOnDestroy.ValueBool() {
		resp.Diagnostics.AddAttributeError(path.Root("delete_contacts_on_destroy"), "delete_contacts_on_destroy needs delete_list_on_destroy",
			"Contacts are deleted only together with their list: set delete_list_on_destroy = true as well, or remove delete_contacts_on_destroy.")
	}
}

// ModifyPlan checks, while planning, that a list being bound exists, and shows its name.
func (r *listBindingResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if r.data == nil {
		return
	}
	if req.Plan.Raw.IsNull() {
		var state listBindingModel
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		if state.DeleteListOnDestroy.ValueBool() {
			what := "the list"
			if state.DeleteContactsOnDestroy.ValueBool() {
				what = "the list and all its contacts (from every list of the account)"
			}
			resp.Diagnostics.AddWarning("Destroying this binding deletes a SendGrid list",
				fmt.Sprintf("delete_list_on_destroy = true: SendGrid list %q (%s, %s) is deleted; %s cannot be restored.",
					state.Name.ValueString(), state.ListID.ValueString(), export.Counted(state.ContactCount.ValueInt64(), "contact"), what))
		}
		return
	}
	var plan, config listBindingModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	binding := !req.State.Raw.IsNull()
	var state listBindingModel
	if binding {
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	newList := !binding || !plan.ListID.Equal(state.ListID)
	creating := !binding && plan.Create.ValueBool()
	renaming := binding && !newList && !config.Name.IsNull() && !plan.Name.Equal(state.Name)
	if (creating || renaming) && !plan.Name.IsUnknown() {
		// SendGrid refuses a second list with the same name: say so while planning.
		if !planClient(r.data, &resp.Diagnostics) {
			return
		}
		r.checkNameFree(ctx, plan.Name.ValueString(), state.ID.ValueString(), &resp.Diagnostics)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	if !newList || plan.Create.IsUnknown() || plan.Create.ValueBool() || plan.ListID.IsUnknown() || plan.ListID.IsNull() {
		return
	}
	if !planClient(r.data, &resp.Diagnostics) {
		return
	}
	id := plan.ListID.ValueString()
	l, err := r.data.client.GetList(ctx, id)
	if err != nil {
		if !r.data.reportShared(&resp.Diagnostics, err) {
			addListLookupError(&resp.Diagnostics, path.Root("list_id"), id, err)
		}
		return
	}
	if config.Name.IsNull() {
		plan.Name = types.StringValue(l.Name)
	}
	plan.ID = types.StringValue(l.ID)
	plan.ContactCount = types.Int64Unknown()
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// checkNameFree reports an error on name when another list of the account (not selfID) already
// has that name. It runs at plan time.
func (r *listBindingResource) checkNameFree(ctx context.Context, name, selfID string, diags *diag.Diagnostics) {
	lists, err := r.data.client.Lists(ctx)
	if err != nil {
		if !r.data.reportShared(diags, err) {
			addAPIError(diags, "Cannot read SendGrid lists", err)
		}
		return
	}
	for _, l := range lists {
		if l.ID != selfID && l.Name == name {
			diags.AddAttributeError(path.Root("name"), "A SendGrid list with this name already exists",
				fmt.Sprintf("List %q already exists (id %s, %s) and SendGrid list names are unique. To export to it, bind it: "+
					"list_id = %q without create = true. Otherwise choose another name.", l.Name, l.ID, export.Counted(l.ContactCount, "contact"), l.ID))
			return
		}
	}
}

// addListLookupError explains why a list could not be read.
func addListLookupError(diags *diag.Diagnostics, p path.Path, id string, err error) {
	switch {
	case sendgrid.IsNotFound(err):
		diags.AddAttributeError(p, "SendGrid list not found",
			fmt.Sprintf("No contact list with ID %s exists in the SendGrid account of the provider's API key. Check the ID "+
				"(the sendgridaudience_list data source looks one up by name), make sure the key belongs to the right account, "+
				"or set create = true and name to create a new list.", id))
	case keyRefused(err) || sharedCause(err) != "":
		addKeyError(diags, err)
	default:
		diags.AddAttributeError(p, "Cannot read SendGrid list", fmt.Sprintf("Reading list %s failed: %v", id, err))
	}
}

func (m *listBindingModel) fill(l sendgrid.List) {
	m.ID = types.StringValue(l.ID)
	m.ListID = types.StringValue(l.ID)
	m.Name = types.StringValue(l.Name)
	m.ContactCount = types.Int64Value(l.ContactCount)
}

func (r *listBindingResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan listBindingModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || !requireClient(r.data, &resp.Diagnostics) {
		return
	}
	c := r.data.client
	if plan.Create.ValueBool() {
		l, err := c.CreateList(ctx, plan.Name.ValueString())
		if err != nil {
			if keyRefused(err) {
				addKeyError(&resp.Diagnostics, err)
			} else {
				resp.Diagnostics.AddAttributeError(path.Root("name"), "Cannot create SendGrid list",
					fmt.Sprintf("Creating list %q failed: %v", plan.Name.ValueString(), err))
			}
			return
		}
		plan.fill(l)
		tflog.Info(ctx, "list created", map[string]any{"list_id": l.ID})
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}

	id := plan.ListID.ValueString()
	l, err := c.GetList(ctx, id)
	if err != nil {
		addListLookupError(&resp.Diagnostics, path.Root("list_id"), id, err)
		return
	}
	if !plan.Name.IsUnknown() && plan.Name.ValueString() != l.Name {
		renamed, err := c.RenameList(ctx, id, plan.Name.ValueString())
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("name"), "Cannot rename SendGrid list",
				fmt.Sprintf("Renaming list %s to %q failed: %v", id, plan.Name.ValueString(), err))
			return
		}
		renamed.ContactCount = l.ContactCount
		l = renamed
	}
	plan.fill(l)
	tflog.Info(ctx, "list bound", map[string]any{"list_id": l.ID})
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Read refreshes name and count; a list deleted outside Terraform leaves the state with a warning.
func (r *listBindingResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state listBindingModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !planClient(r.data, &resp.Diagnostics) {
		return
	}
	id := state.ID.ValueString()
	l, err := r.data.client.GetList(ctx, id)
	if sendgrid.IsNotFound(err) {
		next := "Set create = true to create a new list, or set list_id to another existing list."
		if state.Create.ValueBool() {
			next = "The plan creates a new list named " + fmt.Sprintf("%q", state.Name.ValueString()) + "; exports bound to it start from an empty list."
		}
		resp.Diagnostics.AddWarning("SendGrid list deleted outside Terraform",
			fmt.Sprintf("List %q (%s) no longer exists in SendGrid, so its binding was removed from the state. %s",
				state.Name.ValueString(), id, next))
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		if !r.data.reportShared(&resp.Diagnostics, err) {
			addListLookupError(&resp.Diagnostics, path.Root("list_id"), id, err)
		}
		return
	}
	state.fill(l)
	if state.Create.IsNull() {
		state.Create = types.BoolValue(false)
	}
	if state.DeleteListOnDestroy.IsNull() {
		state.DeleteListOnDestroy = types.BoolValue(false)
	}
	if state.DeleteContactsOnDestroy.IsNull() {
		state.DeleteContactsOnDestroy = types.BoolValue(false)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Update renames the list back to the configured name, and records the destroy options.
func (r *listBindingResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state listBindingModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !requireClient(r.data, &resp.Diagnostics) {
		return
	}
	id := state.ID.ValueString()
	if !plan.Name.IsUnknown() && !plan.Name.Equal(state.Name) {
		l, err := r.data.client.RenameList(ctx, id, plan.Name.ValueString())
		if err != nil {
			if sendgrid.IsNotFound(err) {
				addListLookupError(&resp.Diagnostics, path.Root("list_id"), id, err)
				return
			}
			resp.Diagnostics.AddAttributeError(path.Root("name"), "Cannot rename SendGrid list",
				fmt.Sprintf("Renaming list %s to %q failed: %v", id, plan.Name.ValueString(), err))
			return
		}
		plan.Name = types.StringValue(l.Name)
		tflog.Info(ctx, "list renamed", map[string]any{"list_id": id})
	}
	plan.ID = state.ID
	plan.ListID = state.ListID
	if plan.Name.IsUnknown() {
		plan.Name = state.Name
	}
	if plan.ContactCount.IsUnknown() {
		plan.ContactCount = state.ContactCount
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Delete keeps the list unless delete_list_on_destroy is set.
func (r *listBindingResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state listBindingModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := state.ID.ValueString()
	if !state.DeleteListOnDestroy.ValueBool() {
		tflog.Info(ctx, "binding removed; the SendGrid list and its contacts are kept", map[string]any{"list_id": id})
		return
	}
	if !requireClient(r.data, &resp.Diagnostics) {
		return
	}
	deleteList := r.data.client.DeleteList
	if state.DeleteContactsOnDestroy.ValueBool() {
		deleteList = r.data.client.DeleteListAndContacts
	}
	err := deleteList(ctx, id)
	if err != nil && !sendgrid.IsNotFound(err) {
		resp.Diagnostics.AddError("Cannot delete SendGrid list", fmt.Sprintf("Deleting list %s failed: %v", id, err))
		return
	}
	tflog.Info(ctx, "list deleted", map[string]any{"list_id": id, "contacts_deleted": state.DeleteContactsOnDestroy.ValueBool()})
}

// ImportState binds an existing list by its ID; Read fills name and count.
func (r *listBindingResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id := strings.TrimSpace(req.ID)
	if !isListID(id) {
		resp.Diagnostics.AddError("Invalid list ID",
			fmt.Sprintf("Import a list binding by the SendGrid list ID, a UUID such as %s; got %q. %s", listIDExample, req.ID, whereListIDs))
		return
	}
	if !checkImportedList(ctx, r.data, "the list binding", id, "the list ID", &resp.Diagnostics) {
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("list_id"), id)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("create"), false)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("delete_list_on_destroy"), false)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("delete_contacts_on_destroy"), false)...)
}
