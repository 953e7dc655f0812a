package export

import "fmt"

// Removal guard defaults. A mirror run that would remove more than DefaultMaxRemovalPercent of
// the contacts the export may remove from the list (those it put there, or every member when it
// claims the list) fails before anything is sent, unless it removes fewer than
// MinGuardedRemovals contacts (small lists are not blocked). A run whose segments select no
// profile while it would remove contacts fails whatever the count: an empty source is far more
// often a failed upstream job than an audience that really emptied.
const (
	DefaultMaxRemovalPercent = 20
	MinGuardedRemovals       = 10
)

// RemovalGuard is the removal guard of a request.
type RemovalGuard struct {
	// MaxPercent is the largest share of the removable contacts a run may remove, in percent
	// (0: DefaultMaxRemovalPercent; 100: no share limit).
	MaxPercent int64
	// AllowMassRemoval lets the run remove any number of contacts, an empty selection included.
	AllowMassRemoval bool
}

func (g RemovalGuard) maxPercent() int64 {
	if g.MaxPercent <= 0 {
		return DefaultMaxRemovalPercent
	}
	return min(g.MaxPercent, 100)
}

// RemovalError is returned (with the Plan, by Plan) before anything is sent when a mirror run
// would remove more contacts than the removal guard allows.
type RemovalError struct {
	// Empty is true when the segments select no profile at all.
	Empty bool
	// Removing is the number of contacts the run would remove from the list; Removable the
	// contacts the export may remove (it put them there, or it claims the list).
	Removing, Removable int64
	// MaxPercent is the share the guard allows (percent).
	MaxPercent int64
}

// Percent is the share of the removable contacts the run would remove.
func (e *RemovalError) Percent() float64 {
	if e.Removable == 0 {
		return 100
	}
	return float64(e.Removing) * 100 / float64(e.Removable)
}

func (e *RemovalError) Error() string {
	if e.Empty {
		return fmt.Sprintf("the segments select no profile, so the run would remove every contact the export may remove from the list (%s); nothing was sent",
			Counted(e.Removing, "contact"))
	}
	return fmt.Sprintf("the run would remove %d of the %s the export may remove from the list (%.1f %%, more than the %d %% allowed); nothing was sent",
		e.Removing, Counted(e.Removable, "contact"), e.Percent(), e.MaxPercent)
}

// checkRemovals applies the removal guard to the plan's removals.
func (r *run) checkRemovals(plan *Plan) error {
	g := r.req.RemovalGuard
	if plan.ToRemove == 0 || g.AllowMassRemoval {
		return nil
	}
	pct := g.maxPercent()
	e := &RemovalError{Removing: plan.ToRemove, Removable: plan.Removable, MaxPercent: pct}
	if plan.Profiles == 0 {
		e.Empty = true
		return e
	}
	if plan.ToRemove < MinGuardedRemovals || plan.ToRemove*100 <= pct*plan.Removable {
		return nil
	}
	return e
}
