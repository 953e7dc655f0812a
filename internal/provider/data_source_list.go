package provider

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/export"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
)

var (
	_ datasource.DataSource                     = (*listDataSource)(nil)
	_ datasource.DataSourceWithConfigure        = (*listDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*listDataSource)(nil)
)

// NewListDataSource returns the sendgridaudience_list data source.
func NewListDataSource() datasource.DataSource { return &listDataSource{} }

type listDataSource struct {
	data *providerData
}

type listDataModel struct {
	ID           types.String `tfsdk:"id"`
	Name         types.String `tfsdk:"name"`
	ContactCount types.Int64  `tfsdk:"contact_count"`
}

func (d *listDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_list"
}

func (d *listDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Looks up a SendGrid Marketing Campaigns contact list by ID or by exact name, e.g. to bind it with " +
			"`sendgridaudience_list_binding`. Set exactly one of `id` and `name`. A name shared by several lists is an error " +
			"that lists them, so that you can pick one by ID.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The list's ID (a UUID). Set it to look the list up by ID, or read it after a lookup by name.",
				Optional:            true,
				Computed:            true,
				Validators: []validator.String{
					listIDValidator(),
				},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "The list's exact name (letter case and spaces matter). Set it to look the list up by name.",
				Optional:            true,
				Computed:            true,
				Validators:          []validator.String{stringvalidator.LengthBetween(1, 100)},
			},
			"contact_count": schema.Int64Attribute{
				MarkdownDescription: "Number of contacts on the list.",
				Computed:            true,
			},
		},
	}
}

func (d *listDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("name")),
	}
}

func (d *listDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *listDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var cfg listDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() || !requireClient(d.data, &resp.Diagnostics) {
		return
	}
	c := d.data.client
	var found sendgrid.List
	if !cfg.ID.IsNull() {
		l, err := c.GetList(ctx, cfg.ID.ValueString())
		if err != nil {
			addListLookupError(&resp.Diagnostics, path.Root("id"), cfg.ID.ValueString(), err)
			return
		}
		found = l
	} else {
		lists, err := c.Lists(ctx)
		if err != nil {
			addAPIError(&resp.Diagnostics, "Cannot list SendGrid lists", err)
			return
		}
		l, summary, detail := pickListByName(lists, cfg.Name.ValueString())
		if summary != "" {
			resp.Diagnostics.AddAttributeError(path.Root("name"), summary, detail)
			return
		}
		found = l
	}
	state := listDataModel{
		ID:           types.StringValue(found.ID),
		Name:         types.StringValue(found.Name),
		ContactCount: types.Int64Value(found.ContactCount),
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// pickListByName returns the one list named exactly name. Otherwise it returns the summary and
// detail of an error: no such list (naming lists whose names differ only in letter case or
// surrounding spaces), or several (every candidate with its ID).
func pickListByName(lists []sendgrid.List, name string) (l sendgrid.List, summary, detail string) {
	var exact, near []sendgrid.List
	for _, l := range lists {
		switch {
		case l.Name == name:
			exact = append(exact, l)
		case strings.EqualFold(strings.TrimSpace(l.Name), strings.TrimSpace(name)):
			near = append(near, l)
		}
	}
	describe := func(ls []sendgrid.List) string {
		sort.Slice(ls, func(i, j int) bool {
			if ls[i].Name != ls[j].Name {
				return ls[i].Name < ls[j].Name
			}
			return ls[i].ID < ls[j].ID
		})
		parts := make([]string, len(ls))
		for i, l := range ls {
			parts[i] = fmt.Sprintf("  - %q (id %s, %s)", l.Name, l.ID, export.Counted(l.ContactCount, "contact"))
		}
		return strings.Join(parts, "\n")
	}
	switch len(exact) {
	case 1:
		return exact[0], "", ""
	case 0:
		detail = fmt.Sprintf("No list in the SendGrid account is named exactly %q (the account has %s).", name, export.Counted(len(lists), "list"))
		if len(near) > 0 {
			detail += " Lists with a similar name:\n" + describe(near)
		}
		return l, "SendGrid list not found", detail
	default:
		return l, fmt.Sprintf("Several SendGrid lists are named %q", name),
			fmt.Sprintf("%d lists have this name; look the one you mean up by id instead:\n%s", len(exact), describe(exact))
	}
}
