package provider

import (
	"fmt"
	"strings"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// exportNames records, for one graph walk of Terraform (one Configure of the provider), which
// export planned each name on each list, so that two sendgridaudience_export resources of one
// configuration with the same name on one list (the same ID: they would undo each other's runs)
// fail at plan.
//
// Terraform plans an instance once per walk, except that a replaced instance (new name or list,
// -replace, a tainted object) is planned a second time with a null prior state and the same
// configuration. A claim with a null prior state is therefore taken as that second planning when
// an earlier claim of the same key came with a prior state and an identical configuration. Two
// byte-identical blocks, one already applied and one new, pass this first plan (they would do
// the same thing); once both are in the state, every plan refuses them.
type exportNames struct {
	mu     sync.Mutex
	claims map[string][]*exportClaim
}

// exportClaim is one planning of an export: its configuration, whether it had a prior state,
// and a description of it for the message (its segment names; never a profile value).
type exportClaim struct {
	config     tftypes.Value
	hadState   bool
	replanned  bool
	describing string
}

func newExportNames() *exportNames { return &exportNames{claims: map[string][]*exportClaim{}} }

// claim records an export planning name on listID and returns the description of another
// export of the same walk that planned the same pair, or "" when there is none.
func (n *exportNames) claim(listID, name string, c *exportClaim) string {
	key := exportID(listID, name)
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, other := range n.claims[key] {
		if !c.hadState && other.hadState && !other.replanned && other.config.Equal(c.config) {
			other.replanned = true // the replacement of an instance planned again: the same export
			return ""
		}
	}
	var clash string
	if others := n.claims[key]; len(others) > 0 {
		clash = others[0].describing
	}
	n.claims[key] = append(n.claims[key], c)
	return clash
}

// describeSegments names an export by its segments, for telling two exports apart in a message.
func describeSegments(names []string) string {
	if len(names) == 0 {
		return "segments not known yet"
	}
	q := make([]string, len(names))
	for i, s := range names {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "segments " + strings.Join(q, ", ")
}

// checkNameUnique refuses an export whose name and list another export of the same plan has.
// It waits for both values to be known: an export on a list created in the same run is
// checked when Terraform plans it again at apply.
func (r *exportResource) checkNameUnique(req resource.ModifyPlanRequest, plan *exportModel, in exportInputs, diags *diag.Diagnostics) {
	if r.data == nil || r.data.exportNames == nil || plan.Name.IsUnknown() || plan.ListID.IsUnknown() {
		return
	}
	segs := make([]string, len(in.req.Segments))
	for i, s := range in.req.Segments {
		segs[i] = s.Name
	}
	self := describeSegments(segs)
	other := r.data.exportNames.claim(plan.ListID.ValueString(), plan.Name.ValueString(),
		&exportClaim{config: req.Config.Raw, hadState: !req.State.Raw.IsNull(), describing: self})
	if other == "" {
		return
	}
	diags.AddAttributeError(path.Root("name"), "Two exports with one name on one list",
		fmt.Sprintf("Two sendgridaudience_export resources of this configuration export to list %s under the name %q: this one "+
			"(%s) and another (%s). Exports with the same name on one list have the same ID, so each run would undo the other's. "+
			"Give each export on a list its own name, or export all the segments from one export.",
			plan.ListID.ValueString(), plan.Name.ValueString(), self, other))
}
