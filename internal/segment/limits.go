package segment

import (
	"fmt"
	"strings"

	"cel.dev/cel-go/common/cost"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/profile"
)

// Filters are bounded twice, in CEL's cost units (about one unit per operation; string
// functions cost a tenth of a unit per character):
//
//   - when the segment is opened (at plan), CEL estimates the filter's worst-case cost with
//     every string as long as a value may be (profile.MaxValueBytes) and the profile map as
//     wide as the source; a filter whose estimate exceeds MaxEstimatedCost is refused before
//     any row is read. Nested comprehensions (exists, all, map, filter) over lists are what
//     reach it: four nested exists over a 100-element list are estimated at about 1.2e9.
//   - while it runs, each row's evaluation stops past MaxRowCost, and a cancelled context
//     stops it within InterruptCheckFrequency comprehension steps.
const (
	MaxEstimatedCost = 1_000_000_000
	MaxRowCost       = 1_000_000
	// interruptEvery is how many comprehension steps run between checks for cancellation.
	interruptEvery = 100
	// cheapCost: a filter estimated at no more than this per row takes microseconds, so its
	// evaluations do not watch the context (the scan checks it between rows); filters estimated
	// at no more than MaxRowCost cannot pass it and run without cost tracking.
	cheapCost = 10_000
)

// costEstimator gives CEL's estimator the sizes of the filter's variables: strings up to
// MaxValueBytes, the profile map as wide as the source, with keys as long as the longest
// column name.
type costEstimator struct {
	ncol    uint64
	maxName uint64
	mapName string
}

func newCostEstimator(cols []profile.Column, mapName string) costEstimator {
	e := costEstimator{ncol: uint64(len(cols)), mapName: mapName}
	for _, c := range cols {
		e.maxName = max(e.maxName, uint64(len(c.Name)))
	}
	return e
}

func (e costEstimator) EstimateCallCost(string, string, *cost.AstNode, []cost.AstNode) *cost.CallEstimate {
	return nil // CEL's own estimates for every function
}

func (e costEstimator) EstimateSize(n cost.AstNode) *cost.SizeEstimate {
	p := n.Path()
	if len(p) == 0 {
		return nil
	}
	value := cost.SizeEstimate{Min: 0, Max: profile.MaxValueBytes}
	if p[0] != e.mapName || e.mapName == "" {
		return &value // a column variable
	}
	switch {
	case len(p) == 1:
		key := cost.SizeEstimate{Min: 0, Max: e.maxName}
		return &cost.SizeEstimate{Min: e.ncol, Max: e.ncol, Key: &key, Elem: &value}
	case p[1] == "@keys":
		return &cost.SizeEstimate{Min: 0, Max: e.maxName}
	}
	return &value
}

// costError is the error for a filter whose estimated cost is over MaxEstimatedCost.
func costError(spec Spec, est uint64) error {
	return &Error{Segment: spec.Name, Attribute: "filter",
		Msg: fmt.Sprintf("the filter is too expensive: CEL estimates up to %s cost units per profile (with text values up to %d MiB), over the limit of %s",
			groupDigits(est), profile.MaxValueBytes>>20, groupDigits(MaxEstimatedCost)),
		Hint: "avoid nesting exists, all, map or filter over lists (each level multiplies the cost by the list's length), and loops over split() of long text"}
}

// groupDigits writes n with thousands separators; the maximum reads "unbounded".
func groupDigits(n uint64) string {
	if n == ^uint64(0) {
		return "an unbounded number of"
	}
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
