package export

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/profile"
)

// InvalidField is one refused value of an invalid profile: which field, why, and the value
// masked with internal/privacy (never a full email or value).
type InvalidField struct {
	Field  string // "email", "first_name", `custom_fields["tier"]`
	Reason Reason
	Masked string // masked value
	Detail string // e.g. "51 characters, at most 50"
}

// String renders the field for a diagnostic.
func (f InvalidField) String() string {
	s := f.Field + " " + string(f.Reason)
	if f.Detail != "" {
		s += " (" + f.Detail + ")"
	}
	if f.Masked != "" {
		s += " [" + f.Masked + "]"
	}
	return s
}

// InvalidRow describes one invalid profile for people: where it is and each of its refused
// values — the first in InvalidField, the others in More, in the order email, column types,
// reserved fields, custom fields by name.
type InvalidRow struct {
	Segment string // segment name
	Pos     string // "customers.csv line 12", "row 12 of query"
	InvalidField
	More []InvalidField
}

// String renders the row for a diagnostic, with every refused value.
func (r InvalidRow) String() string {
	s := r.Pos + ": " + r.InvalidField.String()
	for _, f := range r.More {
		s += ", " + f.String()
	}
	if r.Segment != "" {
		s = "segment " + r.Segment + ", " + s
	}
	return s
}

// InvalidReport counts invalid profiles and their refused values, and keeps the first rows.
// Total counts each invalid profile once; ByReason counts, per "<field>: <reason>", the
// profiles with that refused value, so a profile with several invalid fields is counted under
// each of them (and the counts may add up to more than Total).
type InvalidReport struct {
	Total    int64
	ByReason map[string]int64
	First    []InvalidRow
	limit    int
}

func newInvalidReport(limit int) *InvalidReport {
	return &InvalidReport{ByReason: map[string]int64{}, limit: limit}
}

// sampling reports whether the next invalid profile is kept in First (its values need masking
// and explaining only then).
func (r *InvalidReport) sampling() bool { return len(r.First) < r.limit }

// add records one invalid profile with its refused values (at least one; fields is not kept).
func (r *InvalidReport) add(seg string, pos profile.Pos, fields []InvalidField) {
	r.Total++
	for _, f := range fields {
		r.ByReason[f.Field+": "+string(f.Reason)]++
	}
	if r.sampling() {
		row := InvalidRow{Segment: seg, Pos: pos.String(), InvalidField: fields[0]}
		if len(fields) > 1 {
			row.More = append([]InvalidField(nil), fields[1:]...)
		}
		r.First = append(r.First, row)
	}
}

// Reasons returns the "<field>: <reason>" keys by descending count.
func (r *InvalidReport) Reasons() []string {
	keys := make([]string, 0, len(r.ByReason))
	for k := range r.ByReason {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if r.ByReason[keys[i]] != r.ByReason[keys[j]] {
			return r.ByReason[keys[i]] > r.ByReason[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}

// Summary renders counts per reason and up to n first rows.
func (r *InvalidReport) Summary(n int) string {
	if r == nil || r.Total == 0 {
		return "no invalid profiles"
	}
	var b strings.Builder
	for i, k := range r.Reasons() {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s: %d", k, r.ByReason[k])
	}
	rows := r.First
	if len(rows) > n {
		rows = rows[:n]
	}
	if len(rows) > 0 {
		b.WriteString(". First: ")
		for i, row := range rows {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(row.String())
		}
	}
	return b.String()
}

// Status of a run.
type Status string

// Run statuses.
const (
	StatusSucceeded Status = "succeeded"  // every change confirmed by SendGrid
	StatusPartial   Status = "partial"    // some changes confirmed, others not (errors, interruption)
	StatusFailed    Status = "failed"     // nothing confirmed
	StatusNoChanges Status = "no_changes" // nothing to upload or remove
)

// Report records one run for state and people. It holds counts and job IDs, never values.
type Report struct {
	Status     Status
	StartedAt  time.Time
	FinishedAt time.Time
	// Requested is the number of contacts sent to SendGrid (adds and updates); Created and
	// Updated are SendGrid's job results; Errored counts rows SendGrid's jobs rejected, plus rows
	// of jobs that failed or were not confirmed; Removed counts contacts removed from the list.
	Requested, Created, Updated, Removed, Errored int64
	// Deferred counts contacts that left the segments but were not found on the list while
	// SendGrid may still be applying the previous run (its settle window): they stay recorded,
	// and the next run looks for them again.
	Deferred int64
	// SkippedInvalid counts profiles skipped as invalid; Duplicates counts rows whose email
	// appeared earlier (merged by the dedupe rule).
	SkippedInvalid, Duplicates int64
	// Method is "put" (JSON upserts), "csv" (CSV import), or "" when nothing was uploaded.
	Method string
	// JobIDs of every upsert, import and removal job, in submission order.
	JobIDs []string
	// Problems summarises what went wrong (SendGrid job error messages with counts, request
	// errors); never a value.
	Problems []string
	// Invalid has the counts per reason and the first invalid rows (masked).
	Invalid *InvalidReport
	// Rejected holds the first contacts SendGrid refused in an upsert (masked; also counted in
	// Errored and Problems). They were not applied; the next run sends them again.
	Rejected []InvalidRow
	// Plan/upload phase durations.
	ScanDuration, UploadDuration time.Duration
}
