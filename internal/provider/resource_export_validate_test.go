package provider

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/export"
)

// exportConfigWithSegments is an export configuration holding only the given segments.
func exportConfigWithSegments(t *testing.T, names ...types.String) tfsdk.Config {
	return exportConfigWithSegmentValues(t, segmentValues(names...))
}

// segmentValues are segments of the given names.
func segmentValues(names ...types.String) []attr.Value {
	elems := make([]attr.Value, 0, len(names))
	for _, n := range names {
		elems = append(elems, types.ObjectValueMust(segmentRefAttrTypes, map[string]attr.Value{
			"name": n, "source": types.StringValue("file://profiles.csv"), "query": types.StringNull(),
			"filter": types.StringNull(), "fingerprint": types.StringNull(),
		}))
	}
	return elems
}

// exportConfigWithSegmentValues is an export configuration holding only the given segments.
func exportConfigWithSegmentValues(t *testing.T, elems []attr.Value) tfsdk.Config {
	t.Helper()
	ctx := context.Background()
	var sr resource.SchemaResponse
	(&exportResource{}).Schema(ctx, resource.SchemaRequest{}, &sr)
	plan := tfsdk.Plan{Schema: sr.Schema, Raw: tftypes.NewValue(sr.Schema.Type().TerraformType(ctx), nil)}
	segs := types.ListValueMust(types.ObjectType{AttrTypes: segmentRefAttrTypes}, elems)
	if d := plan.SetAttribute(ctx, path.Root("segments"), segs); d.HasError() {
		t.Fatalf("building the configuration: %v", d)
	}
	return tfsdk.Config{Schema: sr.Schema, Raw: plan.Raw}
}

func TestExportValidateConfig_duplicateSegmentNames(t *testing.T) {
	s := types.StringValue
	cases := []struct {
		name   string
		segs   []types.String
		wantAt string // attribute path of the error; empty for none
	}{
		{"distinct", []types.String{s("free"), s("paying")}, ""},
		{"same name twice", []types.String{s("free"), s("paying"), s("free")}, "segments[2]"},
		{"unnamed segment and its positional name", []types.String{s("segment 2"), types.StringNull()}, "segments[1]"},
		{"unknown name waits for apply", []types.String{s("free"), types.StringUnknown(), s("free")}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var resp resource.ValidateConfigResponse
			(&exportResource{}).ValidateConfig(context.Background(),
				resource.ValidateConfigRequest{Config: exportConfigWithSegments(t, c.segs...)}, &resp)
			errs := resp.Diagnostics.Errors()
			if c.wantAt == "" {
				if len(errs) != 0 {
					t.Fatalf("want no error, got %v", errs)
				}
				return
			}
			if len(errs) != 1 || errs[0].Summary() != "Duplicate segment name" {
				t.Fatalf("want one duplicate-name error, got %v", errs)
			}
			wp, ok := errs[0].(interface{ Path() path.Path })
			if !ok || wp.Path().String() != c.wantAt {
				t.Fatalf("error on %v, want %s", errs[0], c.wantAt)
			}
		})
	}
}

// A segment known only at apply (a data source read then) defers the check to apply time.
func TestExportValidateConfig_unknownSegmentWaitsForApply(t *testing.T) {
	elems := append(segmentValues(types.StringValue("free"), types.StringValue("free")),
		types.ObjectUnknown(segmentRefAttrTypes))
	var resp resource.ValidateConfigResponse
	(&exportResource{}).ValidateConfig(context.Background(),
		resource.ValidateConfigRequest{Config: exportConfigWithSegmentValues(t, elems)}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatalf("want no error while a segment is unknown, got %v", resp.Diagnostics)
	}
}

// The warning about skipped invalid rows is shown on invalid_profiles when the configuration sets
// it, and on segments (where the rows come from) when it is left to its default: an attribute
// not in the configuration has no line to show.
func TestInvalidProfilesWarningLandsOnAConfiguredAttribute(t *testing.T) {
	ctx := context.Background()
	unset := exportConfigWithSegments(t, types.StringValue("customers"))
	set := exportConfigWithSegments(t, types.StringValue("customers"))
	plan := tfsdk.Plan(set)
	if d := plan.SetAttribute(ctx, path.Root("invalid_profiles"), "skip"); d.HasError() {
		t.Fatal(d)
	}
	set.Raw = plan.Raw
	inv := &export.InvalidReport{Total: 1, ByReason: map[string]int64{"email: invalid": 1},
		First: []export.InvalidRow{{Pos: "customers.csv line 2", InvalidField: export.InvalidField{Field: "email", Reason: "invalid"}}}}
	for _, c := range []struct {
		cfg  tfsdk.Config
		want path.Path
	}{{unset, path.Root("segments")}, {set, path.Root("invalid_profiles")}} {
		var diags diag.Diagnostics
		invalidWarning(export.Request{InvalidPolicy: export.InvalidSkip}, &export.Plan{Profiles: 3, Invalid: inv},
			invalidWarningPath(ctx, c.cfg), &diags)
		if len(diags) != 1 || diags[0].Summary() != "1 invalid profile will be skipped" {
			t.Fatalf("diags = %v", diags)
		}
		if d, ok := diags[0].(diag.DiagnosticWithPath); !ok || !d.Path().Equal(c.want) {
			t.Errorf("warning on %v, want %s", diags[0], c.want)
		}
	}
}

// A mirror plan of an export that claims the list, which does not read the list because SendGrid
// may not show the last run yet, says so on claim_list; other exports just wait.
func TestSettlingPlanSaysTheListIsNotRead(t *testing.T) {
	warnings := func(scope export.ListScope, settling bool) diag.Diagnostics {
		var diags diag.Diagnostics
		(&exportResource{}).planWarnings(export.Request{ListID: "l1", SyncMode: export.SyncMirror, ListScope: scope},
			&export.Plan{Profiles: 3, Settling: settling}, &diags)
		return diags
	}
	diags := warnings(export.ScopeList, true)
	if len(diags) != 1 || diags[0].Summary() != "The list is not read until SendGrid settles" {
		t.Fatalf("diags = %v", diags)
	}
	if d, ok := diags[0].(diag.DiagnosticWithPath); !ok || !d.Path().Equal(path.Root("claim_list")) {
		t.Errorf("warning on %v, want claim_list", diags[0])
	}
	if d := warnings(export.ScopeAdded, true); len(d) != 0 {
		t.Errorf("an export that does not claim the list warns: %v", d)
	}
	if d := warnings(export.ScopeList, false); len(d) != 0 {
		t.Errorf("a settled plan warns: %v", d)
	}
}

// A plan that removes contacts soon after the last run says that some removals may wait, since
// SendGrid may not find the contacts that run sent yet; a plan that removes nothing, or comes
// after the window, does not.
func TestRecentRunPlanSaysRemovalsMayWait(t *testing.T) {
	warnings := func(p *export.Plan) diag.Diagnostics {
		var diags diag.Diagnostics
		(&exportResource{}).planWarnings(export.Request{ListID: "l1", SyncMode: export.SyncMirror}, p, &diags)
		return diags
	}
	diags := warnings(&export.Plan{Profiles: 3, ToRemove: 2, RecentRun: true})
	if len(diags) != 1 || diags[0].Summary() != "Some removals may wait for SendGrid" || !strings.Contains(diags[0].Detail(), "removes 2 contacts") {
		t.Fatalf("diags = %v", diags)
	}
	if d, ok := diags[0].(diag.DiagnosticWithPath); !ok || !d.Path().Equal(path.Root("sync_mode")) {
		t.Errorf("warning on %v, want sync_mode", diags[0])
	}
	if d := warnings(&export.Plan{Profiles: 3, RecentRun: true}); len(d) != 0 {
		t.Errorf("a plan that removes nothing warns: %v", d)
	}
	if d := warnings(&export.Plan{Profiles: 3, ToRemove: 2}); len(d) != 0 {
		t.Errorf("a plan after the settle window warns: %v", d)
	}
}

// A run whose removals wait for SendGrid says so in last_run.message, which monitoring reads:
// "0 removed" alone would read as nothing left to do.
func TestLastRunMessageCountsDeferredRemovals(t *testing.T) {
	msg := func(rep export.Report) string {
		v, ok := lastRunValue(&rep, nil).Attributes()["message"].(types.String)
		if !ok {
			t.Fatal("no message")
		}
		return v.ValueString()
	}
	if got, want := msg(export.Report{Status: export.StatusNoChanges, Deferred: 1}),
		"no_changes: 0 sent (0 created, 0 updated), 0 removed, 0 errored, 0 invalid skipped; 1 removal waits for SendGrid (an apply removes it once SendGrid shows it)"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if got := msg(export.Report{Status: export.StatusSucceeded, Requested: 3, Created: 3, Removed: 1, Deferred: 2}); !strings.HasSuffix(got, "; 2 removals wait for SendGrid (an apply removes them once SendGrid shows them)") {
		t.Errorf("message %q does not count the 2 waiting removals", got)
	}
	if got := msg(export.Report{Status: export.StatusSucceeded, Requested: 3, Created: 3}); strings.Contains(got, "wait") {
		t.Errorf("message %q mentions waiting removals that there are not", got)
	}
}

func TestDurationText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		15 * time.Minute: "15 minutes", time.Minute: "1 minute", 3 * time.Second: "3 seconds",
		90 * time.Second: "90 seconds", 1500 * time.Millisecond: "1.5s",
	} {
		if got := durationText(d); got != want {
			t.Errorf("durationText(%v) = %q, want %q", d, got, want)
		}
	}
}
