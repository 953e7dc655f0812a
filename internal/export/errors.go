package export

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Attribute identifies the part of a Request an error is about. The engine names it by kind
// (and field name or segment index); the provider turns it into an attribute path of its schema.
type Attribute struct {
	Kind  AttrKind
	Name  string // AttrMapping: the reserved field ("email", "first_name", ...); AttrCustomField: the custom field's name as mapped
	Index int    // AttrSegment: the segment's index in Request.Segments
}

// AttrKind is the kind of Request field an Attribute names.
type AttrKind int

// Attribute kinds.
const (
	AttrNone        AttrKind = iota // the request as a whole
	AttrSegments                    // Request.Segments as a whole
	AttrSegment                     // one segment: Index
	AttrMapping                     // a reserved field's mapping (Mapping.Email, Mapping.FirstName, ...): Name
	AttrCustomField                 // a custom field's mapping (Mapping.Custom[Name])
	AttrListID                      // Request.ListID
	AttrMaxProfiles                 // Request.MaxProfiles
)

// String describes the attribute in the engine's terms (for error texts and tests).
func (a Attribute) String() string {
	switch a.Kind {
	case AttrSegments:
		return "segments"
	case AttrSegment:
		return "segment " + strconv.Itoa(a.Index)
	case AttrMapping:
		return "mapping of " + a.Name
	case AttrCustomField:
		return "mapping of custom field " + strconv.Quote(a.Name)
	case AttrListID:
		return "list ID"
	case AttrMaxProfiles:
		return "max profiles"
	}
	return "request"
}

// ConfigProblem is what a ConfigError finds wrong.
type ConfigProblem int

// Configuration problems; the ConfigError fields each one sets are given.
const (
	ProblemNoSegments       ConfigProblem = iota + 1 // Request.Segments is empty
	ProblemNoList                                    // Request.ListID is empty
	ProblemNegativeCap                               // Request.MaxProfiles < 0
	ProblemEmailUnmapped                             // Mapping.Email is empty
	ProblemDuplicateField                            // two custom fields name one SendGrid field: Other
	ProblemReservedAsCustom                          // a reserved field mapped as a custom field
	ProblemEmptyColumn                               // a custom field mapped to an empty column name
	ProblemUnknownField                              // SendGrid has no such custom field: Suggestion
	ProblemUnsupportedType                           // the custom field's type is not Text, Number or Date: FieldType
	ProblemUnknownColumn                             // Segment has no column Column: Suggestion, Columns
	ProblemColumnType                                // Column of Segment has ColumnType, which cannot feed Field (FieldType)
)

// ConfigError is an error in the export's configuration (a mapping to a column that does not
// exist, a custom field unknown to SendGrid, ...): the attribute to blame, the problem, and the
// facts that explain it. It holds names only, never a profile value or key; the provider words
// it for its schema.
type ConfigError struct {
	Attr    Attribute
	Problem ConfigProblem

	Segment    string    // the segment's name (column problems)
	Column     string    // the column mapped (column problems)
	ColumnType string    // the column's type (ProblemColumnType)
	Columns    []string  // the segment's columns (ProblemUnknownColumn)
	Field      string    // the SendGrid field as SendGrid names it (ProblemColumnType)
	FieldType  FieldType // the field's type (ProblemUnsupportedType, ProblemColumnType)
	Other      string    // the other custom field naming the same SendGrid field (ProblemDuplicateField)
	Suggestion string    // the closest existing name, "" when none is close (unknown names)
}

func (e *ConfigError) Error() string {
	return e.Attr.String() + ": " + e.describe()
}

// describe says what is wrong, in the engine's terms.
func (e *ConfigError) describe() string {
	name := e.Attr.Name
	switch e.Problem {
	case ProblemNoSegments:
		return "no segments"
	case ProblemNoList:
		return "no list ID"
	case ProblemNegativeCap:
		return "negative profile cap"
	case ProblemEmailUnmapped:
		return "email is not mapped"
	case ProblemDuplicateField:
		return fmt.Sprintf("custom fields %q and %q name the same SendGrid field", e.Other, name)
	case ProblemReservedAsCustom:
		return fmt.Sprintf("%q is a reserved field, not a custom field", name)
	case ProblemEmptyColumn:
		return "empty column name"
	case ProblemUnknownField:
		return fmt.Sprintf("SendGrid has no custom field named %q", name) + suggest(e.Suggestion)
	case ProblemUnsupportedType:
		return fmt.Sprintf("custom field %q has unsupported type %q", name, e.FieldType)
	case ProblemUnknownColumn:
		return fmt.Sprintf("segment %q has no column %q", e.Segment, e.Column) + suggest(e.Suggestion)
	case ProblemColumnType:
		return fmt.Sprintf("column %q of segment %q has type %s, which cannot feed SendGrid field %q (%s)",
			e.Column, e.Segment, e.ColumnType, e.Field, e.FieldType)
	}
	return "invalid configuration"
}

func suggest(s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", s)
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
	Index int
	Name  string
}

func (e *SegmentChangedError) Error() string {
	return fmt.Sprintf("segment %q changed after it was read for the plan (its content fingerprint differs); nothing was uploaded: run plan again", e.Name)
}

// Unwrap lets errors.Is(err, ErrSegmentChanged) match.
func (e *SegmentChangedError) Unwrap() error { return ErrSegmentChanged }

// Cap names a profile cap.
type Cap string

// Profile caps.
const (
	CapMaxProfiles Cap = "max_profiles" // Request.MaxProfiles: distinct profiles exported
	CapConnection  Cap = "profile_cap"  // Request.ConnectionCap (the connection's profile_cap): contacts in the account after the export
)

// CapError is returned before any upload when the export would exceed a profile cap.
type CapError struct {
	Cap    Cap
	Limit  int64
	Wanted int64 // distinct profiles (max_profiles) or projected account contacts (connection cap)
	// AccountContacts and Adding (connection cap): the account's contacts and the contacts the
	// export would add to it (always at least one: a run that adds none is not refused).
	AccountContacts, Adding int64
}

func (e *CapError) Error() string {
	if e.Cap == CapConnection {
		return fmt.Sprintf("the connection's profile_cap of %d would be exceeded: the account holds %s and the run adds %d new, %d in all",
			e.Limit, Counted(e.AccountContacts, "contact"), e.Adding, e.Wanted)
	}
	return fmt.Sprintf("max_profiles of %d exceeded: the segments select %s", e.Limit, Counted(e.Wanted, "distinct profile"))
}

// Full reports whether the account already held the cap's worth of contacts or more before the
// run (connection cap): no new contact fits, whatever the segments select.
func (e *CapError) Full() bool { return e.AccountContacts >= e.Limit }

// Counted writes n and the noun, in the singular for exactly one: "1 contact", "2 contacts".
func Counted[N int | int64](n N, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// InvalidProfilesError is returned under InvalidFail when some profiles are invalid.
// The report in it has the counts per reason and the first rows (masked values).
type InvalidProfilesError struct {
	Invalid *InvalidReport
}

func (e *InvalidProfilesError) Error() string {
	return fmt.Sprintf("%s and the invalid-profile policy is to fail; nothing was uploaded. %s",
		Counted(e.Invalid.Total, "invalid profile"), e.Invalid.Summary(5))
}
