package provider

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/export"
)

// planRegistry collects, per connection, the contacts each export planned by this provider
// process adds to the SendGrid account, so that the exports sharing a connection in one run are
// checked together against its profile_cap. Terraform may plan a resource more than once (plan,
// then again at apply): an export's entry is replaced each time, and dropped once it ran (its
// additions are then in the account's count).
type planRegistry struct {
	mu     sync.Mutex
	byConn map[string]map[string]int64 // connection ID -> export ID -> contacts added
}

func newPlanRegistry() *planRegistry {
	return &planRegistry{byConn: map[string]map[string]int64{}}
}

// plannedAddition is one export's planned additions to the account.
type plannedAddition struct {
	Export string
	Adding int64
}

// record records what an export adds through a connection and returns the additions of every
// export planned on that connection, sorted by export ID.
func (g *planRegistry) record(conn, exportID string, adding int64) []plannedAddition {
	if g == nil {
		return []plannedAddition{{Export: exportID, Adding: adding}}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	m := g.byConn[conn]
	if m == nil {
		m = map[string]int64{}
		g.byConn[conn] = m
	}
	m[exportID] = adding
	out := make([]plannedAddition, 0, len(m))
	for id, n := range m {
		out = append(out, plannedAddition{Export: id, Adding: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Export < out[j].Export })
	return out
}

// forget drops an export's entry once it ran.
func (g *planRegistry) forget(conn, exportID string) {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.byConn[conn], exportID)
}

// checkSharedCap records what this export's plan adds to the account and fails the plan when,
// with what the other exports planned on the same connection in this run add, the account
// would exceed the connection's profile_cap. Exports planned in another configuration or
// another Terraform run are not seen (their contacts count once they are in the account).
func (r *exportResource) checkSharedCap(in exportInputs, id string, p *export.Plan, diags *diag.Diagnostics) {
	if r.data == nil || in.conn.ID == "" {
		return
	}
	adding := p.ProjectedContacts - p.AccountContacts
	all := r.data.plans.record(in.conn.ID, id, adding)
	if in.conn.ProfileCap <= 0 || adding <= 0 {
		return // an export that adds no contact is never refused (export.CapError)
	}
	total := p.ProjectedContacts
	var parts []string
	for _, a := range all {
		if a.Export != id {
			total += a.Adding
		}
		if a.Adding > 0 {
			parts = append(parts, fmt.Sprintf("%s adds %d", a.Export, a.Adding))
		}
	}
	if total <= in.conn.ProfileCap {
		return
	}
	diags.AddAttributeError(configPath(path.Root("sendgrid_connection").AtName("profile_cap")),
		"Exports on this connection exceed its profile_cap together",
		fmt.Sprintf("The account holds %s; the exports planned on this connection in this run would bring it to %d, "+
			"over the connection's profile_cap of %d (%s). Each fits alone; together they do not. Narrow the "+
			"segments of one of them, delete contacts in SendGrid, raise profile_cap on the connection, or apply them in separate runs "+
			"(-target) after making room.", export.Counted(p.AccountContacts, "contact"), total, in.conn.ProfileCap, strings.Join(parts, ", ")))
}
