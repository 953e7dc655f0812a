package export

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// PathStep is one step of an attribute path: an attribute name, a map key or a list index.
type PathStep struct {
	Name  string // attribute name, when Key and Index are unset
	Key   string // map key (IsKey)
	IsKey bool
	Index int // list index (IsIndex)
	IsIdx bool
}

// Path names the configuration attribute an error is about, in the resource's schema terms,
// e.g. data_matching.first_name or data_matching.custom_fields["tier"] or segments[1].
// The provider converts it step by step (AtName / AtMapKey / AtListIndex).
type Path []PathStep

// Attr returns p extended by an attribute name.
func (p Path) Attr(name string) Path { return append(p[:len(p):len(p)], PathStep{Name: name}) }

// MapKey returns p extended by a map key.
func (p Path) MapKey(k string) Path { return append(p[:len(p):len(p)], PathStep{Key: k, IsKey: true}) }

// Index returns p extended by a list index.
func (p Path) Index(i int) Path { return append(p[:len(p):len(p)], PathStep{Index: i, IsIdx: true}) }

// String renders the path as Terraform shows attribute paths.
func (p Path) String() string {
	var b strings.Builder
	for i, s := range p {
		switch {
		case s.IsKey:
			b.WriteString("[" + strconv.Quote(s.Key) + "]")
		case s.IsIdx:
			b.WriteString("[" + strconv.Itoa(s.Index) + "]")
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.Name)
		}
	}
	return b.String()
}

// Attribute names of the export resource that errors refer to.
const (
	AttrDataMatching  = "data_matching"
	AttrCustomFields  = "custom_fields"
	AttrSegments      = "segments"
	AttrMaxProfiles   = "max_profiles"
	AttrListID        = "list_id"
	AttrInvalidPolicy = "invalid_profiles"
	AttrSyncMode      = "sync_mode"
)

// ConfigError is an error in the export's configuration (a mapping to a column that does not
// exist, a custom field unknown to SendGrid, ...). Path names the attribute to blame.
type ConfigError struct {
	Path    Path
	Summary string // short, e.g. "Unknown column"
	Detail  string // what failed, why, and what to do; never a profile value or key
}

func (e *ConfigError) Error() string {
	return e.Path.String() + ": " + e.Summary + ": " + e.Detail
}

// ConfigErrors collects every configuration error found, so all can be shown at once.
type ConfigErrors []*ConfigError

func (es ConfigErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// ErrSegmentChanged is returned (wrapped in *FingerprintError) by Apply when the content of the
// segments differs from what the plan saw.
var ErrSegmentChanged = errors.New("segment changed since plan; run plan again")

// FingerprintError carries the two fingerprints of a plan/apply mismatch.
type FingerprintError struct {
	Planned, Current string
}

func (e *FingerprintError) Error() string {
	return fmt.Sprintf("%s (planned content fingerprint %s, current %s); nothing was uploaded",
		ErrSegmentChanged, e.Planned, e.Current)
}

// Unwrap lets errors.Is(err, ErrSegmentChanged) match.
func (e *FingerprintError) Unwrap() error { return ErrSegmentChanged }

// SegmentChangedError is returned when a segment's content no longer has the fingerprint its
// preview showed (Request.SegmentFingerprints): the source changed after it was previewed.
type SegmentChangedError struct {
	Path  Path // segments[i]
	Index int
	Name  string
}

func (e *SegmentChangedError) Error() string {
	return fmt.Sprintf("segment %q changed after it was read for the plan (its content fingerprint differs); nothing was uploaded: run plan again", e.Name)
}

// Unwrap lets errors.Is(err, ErrSegmentChanged) match.
func (e *SegmentChangedError) Unwrap() error { return ErrSegmentChanged }

// CapError is returned before any upload when the export would exceed a profile cap.
type CapError struct {
	Path   Path   // max_profiles, or nil for the connection cap
	Which  string // "max_profiles" or "connection_cap"
	Limit  int64
	Wanted int64 // distinct profiles (max_profiles) or projected account contacts (connection cap)
	Detail string
}

func (e *CapError) Error() string {
	return fmt.Sprintf("%s exceeded: %d > %d; nothing was uploaded. %s", e.Which, e.Wanted, e.Limit, e.Detail)
}

// InvalidProfilesError is returned when invalid_profiles = "fail" and some profiles are invalid.
// The report in it has the counts per reason and the first rows (masked values).
type InvalidProfilesError struct {
	Invalid *InvalidReport
}

func (e *InvalidProfilesError) Error() string {
	return fmt.Sprintf("%d invalid profile(s) and invalid_profiles = \"fail\"; nothing was uploaded. %s",
		e.Invalid.Total, e.Invalid.Summary(5))
}
