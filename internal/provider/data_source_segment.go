package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/export"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/privacy"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/segment"
)

var (
	_ datasource.DataSource                   = (*segmentDataSource)(nil)
	_ datasource.DataSourceWithConfigure      = (*segmentDataSource)(nil)
	_ datasource.DataSourceWithValidateConfig = (*segmentDataSource)(nil)
)

// NewSegmentDataSource returns the sendgridaudience_segment data source.
func NewSegmentDataSource() datasource.DataSource { return &segmentDataSource{} }

type segmentDataSource struct {
	data *providerData
}

type segmentDataSourceModel struct {
	Name         types.String `tfsdk:"name"`
	Source       types.String `tfsdk:"source"`
	Query        types.String `tfsdk:"query"`
	Filter       types.String `tfsdk:"filter"`
	ProfileCount types.Int64  `tfsdk:"profile_count"`
	SourceCount  types.Int64  `tfsdk:"source_count"`
	Columns      types.List   `tfsdk:"columns"`
	Fingerprint  types.String `tfsdk:"fingerprint"`
	Version      types.String `tfsdk:"source_version"`
}

var segmentColumnAttrTypes = map[string]attr.Type{
	"name": types.StringType,
	"type": types.StringType,
}

func (d *segmentDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_segment"
}

func (d *segmentDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Previews a segment of customer profiles: a source (CSV, JSON Lines or Parquet file, plain or " +
			"compressed; CSV, JSON Lines or Parquet object in S3 or on an HTTPS server; SQLite file, PostgreSQL or MySQL/MariaDB database), " +
			"an optional SQL query and an optional CEL filter. It reports how many profiles the segment " +
			"selects, the source's columns and their types, and a keyed fingerprint of the content; never a profile value. " +
			"Pass it to `sendgridaudience_export` in `segments`.",
		Attributes: map[string]schema.Attribute{
			"name": schema.StringAttribute{
				MarkdownDescription: "Name of the segment, used in messages and run reports.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.LengthBetween(1, 100)},
			},
			"source": schema.StringAttribute{
				MarkdownDescription: "Where the profiles are: a `.csv` file (header row; RFC 4180), a `.jsonl`/`.ndjson` file, " +
					"a `.parquet` file (also with a `csv:`, `jsonl:` or `parquet:` prefix, and gzip- or Zstandard-compressed: " +
					"`customers.csv.gz`, `customers.jsonl.zst`), " +
					"an object in S3 or an S3-compatible store (`s3://bucket/key.csv`, `.jsonl`, `.parquet`, optionally `.gz` or `.zst`; credentials from " +
					"the environment) or on an HTTPS server (`https://host/path/customers.csv.gz`, read without credentials), " +
					"`sqlite:PATH` (or a `.sqlite`/`.db` file), a `postgres://user@host:port/db` URL, or a `mysql://user@host:port/db` " +
					"URL (MySQL or MariaDB). A URL must not contain a password: PostgreSQL reads it from `PGPASSWORD` or `~/.pgpass`, " +
					"MySQL from `MYSQL_PWD`, and both from the provider's `database_password`, so it never reaches state. CSV columns are " +
					"strings unless the header names a type (`lifetime_value:double`, `age:int`, `opt_in:bool`, `signed_up:timestamp`).",
				Required:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"query": schema.StringAttribute{
				MarkdownDescription: "SQL query that selects the profiles, run inside the database (SQLite, PostgreSQL and MySQL only). " +
					"Default `SELECT * FROM profiles`. One read-only statement: for SQLite one `SELECT`, `WITH` or `VALUES` statement " +
					"(`VACUUM`, `ATTACH`, `PRAGMA` and writes are refused before they run); PostgreSQL runs it in a `READ ONLY` transaction; " +
					"for MySQL one `SELECT`, `WITH` or `VALUES` statement without `INTO` (refused at plan time), run in a `READ ONLY` transaction.",
				Optional: true,
			},
			"filter": schema.StringAttribute{
				MarkdownDescription: "CEL expression evaluated on each profile; the segment holds the profiles for which it is true. " +
					"Columns are variables of their type (`country == \"DE\" && lifetime_value > 100.0`); every column is also in the " +
					"map `profile` (`profile[\"first name\"]`). Type-checked against the source's columns at plan time, where a filter " +
					"whose estimated cost per profile exceeds 1,000,000,000 CEL cost units is refused; each profile's evaluation stops past 1,000,000.",
				Optional: true,
			},
			"profile_count": schema.Int64Attribute{
				MarkdownDescription: "Profiles the segment selects (rows passing the filter; before validation and merging of repeated emails).",
				Computed:            true,
			},
			"source_count": schema.Int64Attribute{
				MarkdownDescription: "Profiles the source (after the query) holds.",
				Computed:            true,
			},
			"columns": schema.ListNestedAttribute{
				MarkdownDescription: "The source's columns in order, with their types (`string`, `int`, `double`, `bool`, `timestamp`).",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name": schema.StringAttribute{Computed: true, MarkdownDescription: "Column name."},
					"type": schema.StringAttribute{Computed: true, MarkdownDescription: "Column type."},
				}},
			},
			"fingerprint": schema.StringAttribute{
				MarkdownDescription: "Keyed fingerprint of the selected profiles: an identifier of the provider's API key, a colon, and an " +
					"HMAC-SHA-256 under a key derived from it. It changes when any selected value changes and reveals nothing without the key. " +
					"An export given this data source checks it while planning and applying, and refuses to upload a segment that changed " +
					"after the plan read it. Null when the provider has no API key.",
				Computed: true,
			},
			"source_version": schema.StringAttribute{
				MarkdownDescription: "For `s3://` and `https://` sources, the object's identity as its store reports it without a download " +
					"(a HEAD request): `etag=\"...\"`, `version=...` (versioned S3 buckets) and `size=...`. Every read of the object is pinned " +
					"to it, so a read never mixes two versions, and the columns learnt from a version are reused when it is opened again " +
					"in the same run. The profile count and the fingerprint still need every row, so the data source reads the whole object " +
					"(a JSON Lines object twice the first time: once for the column types, once for the rows). Null for other sources and " +
					"for servers that send no ETag.",
				Computed: true,
			},
		},
	}
}

func (d *segmentDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// ValidateConfig checks the source string, the query's applicability and the filter's syntax as
// soon as they are known, before the source is opened.
func (d *segmentDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	var m segmentDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || m.Source.IsUnknown() || m.Query.IsUnknown() || m.Filter.IsUnknown() || m.Name.IsUnknown() {
		return
	}
	if err := segment.Check(segmentSpec(m.Name, m.Source, m.Query, m.Filter)); err != nil {
		addSegmentError(&resp.Diagnostics, path.Empty(), err)
	}
}

func (d *segmentDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m segmentDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var key []byte
	if d.data != nil && d.data.apiKey != "" {
		key = privacy.DeriveKey(d.data.apiKey, privacy.PurposeFingerprint)
	}
	spec := segmentSpec(m.Name, m.Source, m.Query, m.Filter)
	if d.data != nil {
		spec.Password = d.data.databasePassword
		spec.Remote = d.data.remote
	}
	sum, err := segment.Preview(ctx, spec, key)
	if err != nil {
		addSegmentError(&resp.Diagnostics, path.Empty(), err)
		return
	}
	if sum.Invalid > 0 {
		resp.Diagnostics.AddAttributeWarning(path.Root("source"), "Values that do not fit their column's type",
			fmt.Sprintf("Segment %q has %s with a value that does not fit its column's type, which comes from the source "+
				"(the header of a CSV file, the values of most rows of a JSON Lines file, the schema of a database); the first: %s. "+
				"Such a row is not filtered: an export reports it as an invalid profile, skipped or failing the plan as its "+
				"invalid_profiles says. Fix the values in the source.", m.Name.ValueString(), export.Counted(sum.Invalid, "row"), sum.FirstInvalid))
	}
	cols := make([]attr.Value, 0, len(sum.Columns))
	for _, c := range sum.Columns {
		cols = append(cols, types.ObjectValueMust(segmentColumnAttrTypes, map[string]attr.Value{
			"name": types.StringValue(c.Name),
			"type": types.StringValue(string(c.Type)),
		}))
	}
	m.Columns = types.ListValueMust(types.ObjectType{AttrTypes: segmentColumnAttrTypes}, cols)
	m.ProfileCount = types.Int64Value(sum.Count)
	m.SourceCount = types.Int64Value(sum.Scanned)
	m.Version = types.StringNull()
	if sum.SourceVersion != "" {
		m.Version = types.StringValue(sum.SourceVersion)
	}
	m.Fingerprint = types.StringNull()
	if sum.Fingerprint != "" {
		m.Fingerprint = types.StringValue(segmentFingerprint(d.data.apiKey, sum.Fingerprint))
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// segmentFingerprint labels a segment's keyed fingerprint with the key it was made under
// ("<key id>:<hmac>"), so that an export checks it only when its own provider has the same key.
func segmentFingerprint(apiKey, sum string) string {
	return strings.TrimPrefix(privacy.KeyFingerprint(apiKey), "sha256:") + ":" + sum
}

// previewedFingerprint returns the HMAC part of a segment fingerprint made under apiKey, or ""
// when it was made under another key (or is not a fingerprint).
func previewedFingerprint(apiKey, fp string) string {
	id, sum, ok := strings.Cut(fp, ":")
	if !ok || apiKey == "" || id != strings.TrimPrefix(privacy.KeyFingerprint(apiKey), "sha256:") {
		return ""
	}
	return sum
}

func segmentSpec(name, source, query, filter types.String) segment.Spec {
	return segment.Spec{
		Name:   name.ValueString(),
		Source: source.ValueString(),
		Query:  query.ValueString(),
		Filter: filter.ValueString(),
	}
}

// addSegmentError reports a segment problem on the attribute it names (source, query or
// filter), under base: path.Empty() for the data source, segments[i] for an export.
func addSegmentError(diags *diag.Diagnostics, base path.Path, err error) {
	var se *segment.Error
	if !errors.As(err, &se) || se.Attribute == "" {
		diags.AddAttributeError(base, "Cannot read the segment", err.Error())
		return
	}
	at := path.Root(se.Attribute)
	if len(base.Steps()) > 0 {
		at = base.AtName(se.Attribute)
	}
	summary := map[string]string{
		"source": "Cannot read the segment's source",
		"query":  "The segment's query failed",
		"filter": "The segment's filter is invalid",
	}[se.Attribute]
	if summary == "" {
		summary = "Invalid segment"
	}
	diags.AddAttributeError(configPath(at), summary, err.Error())
}
