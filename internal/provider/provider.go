// Package provider is the Terraform face of the product: schemas, plan-time checks and the
// calls into the engine packages under internal/. It holds no business logic of its own.
package provider

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/endpoint"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/profile"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
)

// Environment variables read when the matching setting is absent from the configuration.
const (
	envAPIKey = "SENDGRID_API_KEY"
	envAPIURL = endpoint.EnvAPIURL
	envActor  = "SENDGRIDAUDIENCE_ACTOR"
	// envRecordKey supplies record_key.
	envRecordKey = "SENDGRIDAUDIENCE_RECORD_KEY"
)

var (
	_ provider.Provider                     = (*sendgridAudienceProvider)(nil)
	_ provider.ProviderWithConfigValidators = (*sendgridAudienceProvider)(nil)
	_ provider.ProviderWithValidateConfig   = (*sendgridAudienceProvider)(nil)
	_ provider.ProviderWithFunctions        = (*sendgridAudienceProvider)(nil)
)

// New returns a constructor for the provider at the given version.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &sendgridAudienceProvider{version: version, now: time.Now, consentVersion: consentVersion}
	}
}

type sendgridAudienceProvider struct {
	version string
	// now and consentVersion reach resources through providerData; tests set others.
	now            func() time.Time
	consentVersion string
}

type providerModel struct {
	APIKey types.String `tfsdk:"api_key"`
	APIURL types.String `tfsdk:"api_url"`
	Region types.String `tfsdk:"region"`
	Actor  types.String `tfsdk:"actor"`

	DatabasePassword types.String `tfsdk:"database_password"`
	RecordKey        types.String `tfsdk:"record_key"`

	S3Endpoint     types.String `tfsdk:"s3_endpoint"`
	S3Region       types.String `tfsdk:"s3_region"`
	S3UsePathStyle types.Bool   `tfsdk:"s3_use_path_style"`
}

// providerData is what resources and data sources receive from Configure.
type providerData struct {
	// client is nil when no API key was configured; operations that need SendGrid report that.
	client  *sendgrid.Client
	apiKey  string // used only to derive hashing keys and the key fingerprint; never stored or logged
	baseURL string
	actor   string
	version string
	// now is the clock for recorded times such as consented_at.
	now func() time.Time
	// consentVersion is the version of the consent text connections agree to.
	consentVersion string
	// recordKey keys the exports' snapshots instead of apiKey when set (export.Request.RecordKey).
	// Never stored or logged.
	recordKey string
	// plans collects the exports' planned additions per connection (shared profile_cap check).
	plans *planRegistry
	// databasePassword is the password for postgres:// and mysql:// segment sources, when set in
	// configuration; otherwise libpq's PGPASSWORD or ~/.pgpass, or MYSQL_PWD, apply. Never
	// stored or logged.
	databasePassword string
	// remote configures s3:// and https:// segment sources (S3 endpoint, region, path style).
	remote profile.RemoteOptions
	// exportNames holds the export names planned on each list in this walk of Terraform.
	exportNames *exportNames
	// refreshed holds the exports Read in this walk of Terraform (see export_listcheck.go).
	refreshed *refreshedExports
	// causes holds the problems shared by every resource that a plan has reported (planClient,
	// reportShared); keys the outcome of the key check (checkKey).
	causes *sharedCauses
	keys   keyMemo
}

// keyMemo holds the outcome of the first key check of a walk of Terraform.
type keyMemo struct {
	mu   sync.Mutex
	done bool
	kc   keyCheck
	err  error
}

// checkKey verifies the provider's API key (verifyKey) once per walk of Terraform: every
// connection and export of a plan shares the answer, and a refused key costs one request.
func (d *providerData) checkKey(ctx context.Context) (keyCheck, error) {
	d.keys.mu.Lock()
	defer d.keys.mu.Unlock()
	if !d.keys.done {
		d.keys.kc, d.keys.err = verifyKey(ctx, d.client)
		d.keys.done = d.keys.err == nil || sharedCause(d.keys.err) != ""
	}
	return d.keys.kc, d.keys.err
}

func (p *sendgridAudienceProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "sendgridaudience"
	resp.Version = p.version
}

func (p *sendgridAudienceProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Exports segments of customer profiles to SendGrid Marketing Campaigns contact lists. " +
			"Credentials stay in the provider configuration and never reach state. Use one provider alias per SendGrid account.",
		Attributes: map[string]schema.Attribute{
			"api_key": schema.StringAttribute{
				MarkdownDescription: "SendGrid API key. May also come from the `" + envAPIKey + "` environment variable. " +
					"The key needs the scopes listed on the `sendgridaudience_connection` page. It is never written to state, plans or logs.",
				Optional:  true,
				Sensitive: true,
			},
			"api_url": schema.StringAttribute{
				MarkdownDescription: "Base URL of the SendGrid v3 API. Defaults to `" + endpoint.GlobalURL + "`; may also come from `" + envAPIURL + "`, " +
					"which `api_url` in the configuration overrides. " +
					"Must be `https://`, except `http://` on a loopback address (a local SendGrid emulator). Conflicts with `region`.",
				Optional: true,
				Validators: []validator.String{
					stringvalidator.ConflictsWith(path.MatchRoot("region")),
				},
			},
			"region": schema.StringAttribute{
				MarkdownDescription: "SendGrid data residency region: `global` (" + endpoint.GlobalURL + ") or `eu` (" + endpoint.EUURL + ", " +
					"for EU regional subusers). With `eu` every request goes to the EU host and never to the global one; SendGrid documents " +
					"that host for the key and account endpoints but not (yet) for Marketing Campaigns, so every plan warns about it " +
					"(see \"EU region\" in the provider documentation). Conflicts with `api_url`, and with the `" + envAPIURL + "` " +
					"environment variable: with both, plan fails rather than ignore one of them.",
				Optional: true,
				Validators: []validator.String{
					stringvalidator.OneOf(endpoint.Regions...),
				},
			},
			"database_password": schema.StringAttribute{
				MarkdownDescription: "Password for `postgres://` and `mysql://` segment sources. Without it the password comes from `PGPASSWORD` or " +
					"`~/.pgpass`, as with `psql`, or for MySQL from `MYSQL_PWD`, as with the `mysql` client. A source URL that contains a " +
					"password is refused, so no password reaches state.",
				Optional:  true,
				Sensitive: true,
			},
			"record_key": schema.StringAttribute{
				MarkdownDescription: "A secret the exports' records of what they sent (keyed hashes in private state) are keyed with, " +
					"instead of the API key, so that rotating the API key costs no full run. May also come from `" + envRecordKey + "`. " +
					"Keep it as secret as the API key, and keep it when the API key is rotated; changing it (or setting it for the first " +
					"time) makes each export's next run a full run. See the privacy guide.",
				Optional:  true,
				Sensitive: true,
			},
			"s3_endpoint": schema.StringAttribute{
				MarkdownDescription: "Endpoint of an S3-compatible store (MinIO, Ceph, Cloudflare R2, ...) for `s3://` segment sources, such as " +
					"`https://minio.internal.example.com:9000`. Unset: AWS S3, or `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL` when set. Must be " +
					"`https://`, except `http://` on a loopback address. Credentials come from the AWS SDK's usual chain (`AWS_ACCESS_KEY_ID` and " +
					"`AWS_SECRET_ACCESS_KEY`, `AWS_PROFILE`, SSO, web identity, container and instance roles), never from the source string or state.",
				Optional: true,
			},
			"s3_region": schema.StringAttribute{
				MarkdownDescription: "Region of the buckets of `s3://` segment sources. Unset: `AWS_REGION` or the shared configuration, else `us-east-1`.",
				Optional:            true,
			},
			"s3_use_path_style": schema.BoolAttribute{
				MarkdownDescription: "Address buckets in the path (`endpoint/bucket/key`) rather than the host name (`bucket.endpoint/key`), " +
					"as most S3-compatible stores need. Default `false`.",
				Optional: true,
			},
			"actor": schema.StringAttribute{
				MarkdownDescription: "Who runs Terraform, matched against a connection's `administrators` and `contributors`. " +
					"May also come from `" + envActor + "`. Creating or changing a connection needs an administrator; running an export needs an administrator or a contributor.",
				Optional: true,
			},
		},
	}
}

func (p *sendgridAudienceProvider) ConfigValidators(context.Context) []provider.ConfigValidator {
	return nil
}

// ValidateConfig checks api_url at validate and plan time when it is written in the configuration.
func (p *sendgridAudienceProvider) ValidateConfig(ctx context.Context, req provider.ValidateConfigRequest, resp *provider.ValidateConfigResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if e := cfg.S3Endpoint; !e.IsUnknown() && !e.IsNull() {
		if msg := checkS3Endpoint(e.ValueString()); msg != "" {
			resp.Diagnostics.AddAttributeError(path.Root("s3_endpoint"), "Invalid S3 endpoint", msg)
		}
	}
	if cfg.APIURL.IsUnknown() || cfg.APIURL.IsNull() {
		return
	}
	if _, err := endpoint.CheckURL(cfg.APIURL.ValueString()); err != nil {
		addEndpointError(&resp.Diagnostics, err)
	}
}

// checkS3Endpoint returns what is wrong with an s3_endpoint, or "": it must be an https://
// URL without credentials (http:// on loopback only), since profiles travel through it.
func checkS3Endpoint(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return "s3_endpoint must be an absolute URL such as https://minio.example.com:9000."
	case u.User != nil || u.RawQuery != "":
		return "s3_endpoint must not hold a user name, password or query string: S3 credentials come from the environment " +
			"(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or a role)."
	case u.Scheme == "http" && !endpoint.IsLoopback(u.Hostname()):
		return fmt.Sprintf("profiles would travel unencrypted to %q: use https, or http only for a loopback address.", u.Hostname())
	}
	return ""
}

func (p *sendgridAudienceProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	for name, v := range map[string]types.String{"api_key": cfg.APIKey, "api_url": cfg.APIURL, "region": cfg.Region, "actor": cfg.Actor, "database_password": cfg.DatabasePassword, "record_key": cfg.RecordKey, "s3_endpoint": cfg.S3Endpoint, "s3_region": cfg.S3Region} {
		if v.IsUnknown() {
			resp.Diagnostics.AddAttributeError(path.Root(name), "Unknown provider setting",
				"The provider's "+name+" depends on a value known only after apply. Set it from a variable or an environment variable instead.")
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}

	apiKey := settingOrEnv(cfg.APIKey, envAPIKey)
	region := cfg.Region.ValueString()
	baseURL, err := endpoint.Choose(cfg.APIURL.ValueString(), region, os.Getenv(envAPIURL))
	if err != nil {
		addEndpointError(&resp.Diagnostics, err)
		return
	}
	if summary, detail := endpoint.Note(region); summary != "" {
		resp.Diagnostics.AddAttributeWarning(path.Root("region"), summary, detail)
	}

	data := &providerData{
		apiKey:  apiKey,
		baseURL: baseURL,
		actor:   settingOrEnv(cfg.Actor, envActor),
		version: p.version,

		now:            p.now,
		consentVersion: p.consentVersion,

		databasePassword: cfg.DatabasePassword.ValueString(),
		recordKey:        settingOrEnv(cfg.RecordKey, envRecordKey),
		plans:            newPlanRegistry(),
		exportNames:      newExportNames(),
		refreshed:        newRefreshedExports(),
		causes:           newSharedCauses(),
	}
	data.remote = profile.RemoteOptions{S3Endpoint: cfg.S3Endpoint.ValueString(), S3Region: cfg.S3Region.ValueString(),
		S3PathStyle: cfg.S3UsePathStyle.ValueBool()}
	if apiKey != "" {
		client, err := sendgrid.New(sendgrid.Config{
			APIKey:    apiKey,
			BaseURL:   baseURL,
			UserAgent: "terraform-provider-sendgridaudience/" + p.version,
			Logf:      tflogf,
		})
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("api_url"), "Cannot create the SendGrid client", err.Error())
			return
		}
		data.client = client
	}
	resp.DataSourceData = data
	resp.ResourceData = data
}

func (p *sendgridAudienceProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewConnectionResource,
		NewListBindingResource,
		NewCustomFieldResource,
		NewExportResource,
	}
}

func (p *sendgridAudienceProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewListDataSource,
		NewSegmentDataSource,
	}
}

func (p *sendgridAudienceProvider) Functions(context.Context) []func() function.Function {
	return nil
}

func settingOrEnv(v types.String, env string) string {
	if !v.IsNull() {
		return v.ValueString()
	}
	return os.Getenv(env)
}
