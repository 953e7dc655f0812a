package provider

import "testing"

// An export planned again (Terraform plans a resource at plan and again at apply) replaces its
// entry instead of adding to it; an export that ran is dropped; connections are kept apart.
func TestPlanRegistryCountsEachExportOnce(t *testing.T) {
	g := newPlanRegistry()
	g.record("conn", "l1/a", 60)
	g.record("conn", "l2/b", 50)
	g.record("other", "l3/c", 1000)
	all := g.record("conn", "l1/a", 70)
	if len(all) != 2 || all[0] != (plannedAddition{"l1/a", 70}) || all[1] != (plannedAddition{"l2/b", 50}) {
		t.Fatalf("after planning l1/a again: %v", all)
	}
	g.forget("conn", "l1/a")
	if all := g.record("conn", "l2/b", 50); len(all) != 1 {
		t.Fatalf("after l1/a ran: %v", all)
	}
}
