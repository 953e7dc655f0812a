package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/export/snapshot"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/privacy"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/profile"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/segment"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
)

// SendGrid is the part of the SendGrid client the engine calls; *sendgrid.Client satisfies it.
type SendGrid interface {
	Fields(ctx context.Context) (custom []sendgrid.Field, reserved []sendgrid.Field, err error)
	ListContactCount(ctx context.Context, listID string) (int64, error)
	ContactCount(ctx context.Context) (total, billable int64, err error)
	UpsertContactsJSON(ctx context.Context, body []byte) (jobID string, err error)
	ImportStatus(ctx context.Context, jobID string) (sendgrid.ImportJob, error)
	ImportErrors(ctx context.Context, errorsURL string) ([]sendgrid.ImportErrorRow, error)
	StartCSVImport(ctx context.Context, listIDs []string, fieldMappings []string) (sendgrid.CSVImport, error)
	UploadCSV(ctx context.Context, imp sendgrid.CSVImport, body []byte) error
	SearchEmails(ctx context.Context, emails []string) (map[string]sendgrid.ContactRef, error)
	RemoveListContacts(ctx context.Context, listID string, contactIDs []string) (jobID string, err error)
	StartContactsExport(ctx context.Context, listIDs []string, fileType string) (exportID string, err error)
	ContactsExports(ctx context.Context) ([]sendgrid.ContactsExportJob, error)
	WaitContactsExport(ctx context.Context, id string, poll time.Duration) (sendgrid.ContactsExport, error)
	DownloadContactsExport(ctx context.Context, url string) (io.ReadCloser, error)
}

var _ SendGrid = (*sendgrid.Client)(nil)

// Segment is an opened segment; *segment.Segment satisfies it.
type Segment interface {
	Columns() []profile.Column
	// ScanAll calls fn for every row of the source with the filter's verdict.
	ScanAll(ctx context.Context, fn func(row *profile.Row, selected bool) error) error
	Close() error
}

// OpenFunc opens a segment.
type OpenFunc func(ctx context.Context, spec segment.Spec) (Segment, error)

// OpenSegment is the default OpenFunc (segment.Open).
func OpenSegment(ctx context.Context, spec segment.Spec) (Segment, error) {
	s, err := segment.Open(ctx, spec)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// SyncMode says whether contacts that left the segments are removed from the list.
type SyncMode string

// Sync modes.
const (
	SyncUpsert SyncMode = "upsert" // add and update only
	SyncMirror SyncMode = "mirror" // also remove from the list contacts no longer in the segments
)

// InvalidPolicy says what to do with invalid profiles.
type InvalidPolicy string

// Invalid-profile policies.
const (
	InvalidSkip InvalidPolicy = "skip" // leave them out and report them
	InvalidFail InvalidPolicy = "fail" // fail the plan/run (nothing is uploaded)
)

// Transfer selects how contacts are uploaded.
type Transfer string

// Transfer modes.
const (
	TransferAuto Transfer = ""    // the method needing fewer requests (see Engine)
	TransferPUT  Transfer = "put" // always JSON upserts
	TransferCSV  Transfer = "csv" // always CSV import (when the reserved field IDs are known)
)

// SnapshotState says what was usable of the previous snapshot.
type SnapshotState string

// Snapshot states.
const (
	SnapshotNone       SnapshotState = "none"        // no previous snapshot (first run)
	SnapshotOK         SnapshotState = "ok"          // usable
	SnapshotKeyChanged SnapshotState = "key_changed" // written under another API key
	SnapshotOtherList  SnapshotState = "other_list"  // written for another list
	SnapshotCorrupt    SnapshotState = "corrupt"     // unreadable
)

// Request is one export: what to read, how to map it, where it goes.
type Request struct {
	Segments      []segment.Spec
	Mapping       Mapping
	SyncMode      SyncMode      // default upsert
	InvalidPolicy InvalidPolicy // default skip
	// MaxProfiles caps the distinct profiles exported (0: no cap).
	MaxProfiles int64
	// ConnectionCap caps the contacts the SendGrid account holds after the export (0: no cap).
	ConnectionCap int64
	ListID        string
	// APIKey is used only to derive the keys of the snapshot and fingerprint hashes.
	APIKey string
	// Previous is the snapshot of the last run (nil on the first run).
	Previous []byte
	// SegmentFingerprints, when given, holds for each segment (by index) the fingerprint a
	// preview of it showed (segment.Preview with the key privacy.DeriveKey(APIKey,
	// privacy.PurposeFingerprint)); "" skips the check. A segment whose content no longer has
	// that fingerprint fails the run with a *SegmentChangedError before anything is sent.
	SegmentFingerprints []string
	// PendingFields are custom fields defined in the same configuration, not created yet.
	// Plan accepts mappings to them; Apply requires them to exist.
	PendingFields []PendingField
	// PreviousRunFinished is when the run that wrote Previous finished (zero: unknown). Within
	// Engine.SettleWindow of it, a list count lower than the snapshot's is taken for SendGrid's
	// lag, not for drift.
	PreviousRunFinished time.Time
}

// DefaultSettleWindow is how long after a run SendGrid's list counts, searches and exports may
// still not show its changes. SendGrid applies contact changes asynchronously and describes
// contacts "still updating in the background" minutes after a job; it publishes no bound, so
// this is an assumption with a margin.
const DefaultSettleWindow = 15 * time.Minute

// SegmentCount counts one segment's rows.
type SegmentCount struct {
	Name     string
	Rows     int64 // rows read
	Selected int64 // rows passing the filter
	Valid    int64 // selected rows that passed validation
}

// Plan is what an export would do, computed without uploading anything.
type Plan struct {
	// Fingerprint of the selected, mapped content; pass it to Apply.
	Fingerprint string
	Rows        int64 // rows read in all segments
	Selected    int64 // rows passing the filters
	Profiles    int64 // distinct valid emails that will be on the list
	Duplicates  int64 // valid rows whose email appeared earlier (merged)
	Invalid     *InvalidReport
	Segments    []SegmentCount

	ToAdd, ToUpdate, ToRemove, Unchanged int64

	Snapshot SnapshotState
	// MembershipRead is true when the list's members were read from SendGrid (a contacts export):
	// the snapshot could not be used, or (Drift) the list's contact count disagreed with it
	// because members were added or removed outside the export. ToAdd/ToUpdate/ToRemove then
	// come from the list itself: in mirror mode the list ends up equal to the segments.
	MembershipRead bool
	Drift          bool
	// Settling is true when the list's count was lower than the snapshot's within the settle
	// window of the previous run: taken for SendGrid's lag, not drift (checked again later).
	Settling bool
	// AccountContacts is the account's contact count; ProjectedContacts the count after the
	// export (an upper bound: profiles already in the account but not on the list count as new).
	AccountContacts, ProjectedContacts int64
	// Method is "put", "csv" or "" (nothing to upload); Requests the upload requests it needs
	// (upserts, or import starts plus file uploads), not counting job polls.
	Method   string
	Requests int

	ScanDuration time.Duration

	jsonBytes int64 // serialized size of the contacts to upload
}

// HasChanges reports whether Apply would upload or remove anything.
func (p *Plan) HasChanges() bool { return p.ToAdd+p.ToUpdate+p.ToRemove > 0 }

// Result is the outcome of Apply. When Apply returns a non-nil Result, Snapshot is always
// valid and must be stored, even if Apply also returns an error: it records exactly what
// SendGrid confirmed, and the next run continues from it.
type Result struct {
	Report   Report
	Snapshot []byte
	Plan     *Plan
	// Contacts is the number of contacts the new snapshot records: confirmed on the list, plus
	// those sent without confirmation (checked again by the next run).
	Contacts int64
}

// Progress is reported while Apply runs. It carries counts only, never values.
type Progress struct {
	Phase          string // "scan", "membership", "upload", "remove", "done"
	Rows           int64  // rows read so far (scan)
	BatchesTotal   int
	BatchesSent    int
	ContactsTotal  int64
	ContactsSent   int64
	JobsTotal      int
	JobsDone       int
	RemovalsTotal  int64
	RemovalsDone   int64
	ConfirmedSoFar int64
}

// Engine plans and applies exports. Zero values of the tuning fields select the defaults.
type Engine struct {
	Client SendGrid
	// Open opens segments (default OpenSegment).
	Open OpenFunc
	// Concurrency is the number of upload requests in flight (default 3, at most 8).
	Concurrency int
	// MaxBatchContacts and MaxBatchBytes bound one PUT /v3/marketing/contacts (defaults: SendGrid's
	// 30,000 contacts and 6,000,000 bytes).
	MaxBatchContacts int
	MaxBatchBytes    int
	// MaxImportContacts bounds one CSV import (default SendGrid's 1,000,000).
	MaxImportContacts int
	// Transfer forces a method; the default picks the one needing fewer requests.
	Transfer Transfer
	// PollInterval is the first wait between job status polls (default 500 ms). Later waits
	// grow with the job's age (a quarter of it, at most 10 s), so a job is seen finished at
	// most about 25 % after it finished, with a number of polls logarithmic in its duration.
	PollInterval time.Duration
	// SampleLimit is the number of invalid rows kept in reports (default 10).
	SampleLimit int
	// MaxTextLength is the maximum length of a Text custom field value (default 1000).
	MaxTextLength int
	// Progress, when set, is called (serially) as the run advances.
	Progress func(Progress)
	// Now is the clock (default time.Now).
	Now func() time.Time
	// SettleWindow is how long after a run a lower list count is not taken for drift (default
	// DefaultSettleWindow; negative: none).
	SettleWindow time.Duration
}

// Settling reports whether a run that finished at finished may still be settling in SendGrid
// (its changes not yet visible in list counts, searches and exports).
func (e *Engine) Settling(finished time.Time) bool {
	w := e.SettleWindow
	if w == 0 {
		w = DefaultSettleWindow
	}
	return !finished.IsZero() && w > 0 && e.now().Sub(finished) < w
}

func (e *Engine) concurrency() int {
	switch {
	case e.Concurrency <= 0:
		return 3
	case e.Concurrency > 8:
		return 8
	}
	return e.Concurrency
}

func (e *Engine) maxBatchContacts() int {
	if e.MaxBatchContacts <= 0 || e.MaxBatchContacts > sendgrid.MaxUpsertContacts {
		return sendgrid.MaxUpsertContacts
	}
	return e.MaxBatchContacts
}

func (e *Engine) maxBatchBytes() int {
	if e.MaxBatchBytes <= 0 || e.MaxBatchBytes > sendgrid.MaxUpsertBytes {
		return sendgrid.MaxUpsertBytes
	}
	return e.MaxBatchBytes
}

func (e *Engine) maxImportContacts() int {
	if e.MaxImportContacts <= 0 || e.MaxImportContacts > sendgrid.MaxImportContacts {
		return sendgrid.MaxImportContacts
	}
	return e.MaxImportContacts
}

func (e *Engine) pollInterval() time.Duration {
	if e.PollInterval <= 0 {
		return 500 * time.Millisecond
	}
	return e.PollInterval
}

// waitJob polls an async job (upsert, import, removal) until it is completed, errored or
// failed, and returns its final state.
func (e *Engine) waitJob(ctx context.Context, jobID string) (sendgrid.ImportJob, error) {
	start := time.Now()
	first := e.pollInterval()
	for {
		j, err := e.Client.ImportStatus(ctx, jobID)
		if err != nil {
			return j, err
		}
		if j.Done() {
			return j, nil
		}
		wait := max(first, time.Since(start)/4)
		if err := sleepCtx(ctx, min(wait, 10*time.Second)); err != nil {
			return j, err
		}
	}
}

// sleepCtx waits d, or until ctx ends (then it returns ctx's error).
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (e *Engine) sampleLimit() int {
	if e.SampleLimit <= 0 {
		return 10
	}
	return e.SampleLimit
}

func (e *Engine) maxText() int {
	if e.MaxTextLength <= 0 {
		return DefaultMaxTextLength
	}
	return e.MaxTextLength
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Engine) open() OpenFunc {
	if e.Open != nil {
		return e.Open
	}
	return OpenSegment
}

// progress serializes Progress callbacks.
type progress struct {
	mu sync.Mutex
	fn func(Progress)
	p  Progress
}

func (p *progress) update(f func(*Progress)) {
	if p == nil || p.fn == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	f(&p.p)
	p.fn(p.p)
}

func (r *Request) normalize() error {
	var errs ConfigErrors
	switch r.SyncMode {
	case "":
		r.SyncMode = SyncUpsert
	case SyncUpsert, SyncMirror:
	default:
		errs = append(errs, &ConfigError{Path: Path{{Name: AttrSyncMode}}, Summary: "Unknown sync mode",
			Detail: fmt.Sprintf("sync_mode must be %q or %q, not %q.", SyncUpsert, SyncMirror, r.SyncMode)})
	}
	switch r.InvalidPolicy {
	case "":
		r.InvalidPolicy = InvalidSkip
	case InvalidSkip, InvalidFail:
	default:
		errs = append(errs, &ConfigError{Path: Path{{Name: AttrInvalidPolicy}}, Summary: "Unknown invalid-profile policy",
			Detail: fmt.Sprintf("invalid_profiles must be %q or %q, not %q.", InvalidSkip, InvalidFail, r.InvalidPolicy)})
	}
	if len(r.Segments) == 0 {
		errs = append(errs, &ConfigError{Path: Path{{Name: AttrSegments}}, Summary: "No segments",
			Detail: "an export needs at least one segment."})
	}
	if strings.TrimSpace(r.ListID) == "" {
		errs = append(errs, &ConfigError{Path: Path{{Name: AttrListID}}, Summary: "No list",
			Detail: "an export needs the ID of the SendGrid list it fills."})
	}
	if r.MaxProfiles < 0 {
		errs = append(errs, &ConfigError{Path: Path{{Name: AttrMaxProfiles}}, Summary: "Negative max_profiles",
			Detail: "max_profiles must be positive (or 0 for no cap)."})
	}
	if r.APIKey == "" {
		return errors.New("export: the API key is needed to derive the snapshot key")
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// loadPrevious decodes the previous snapshot for this key and list.
func loadPrevious(data []byte, key []byte, listID string) (*snapshot.Snapshot, SnapshotState) {
	if len(data) == 0 {
		return nil, SnapshotNone
	}
	s, err := snapshot.Unmarshal(data, key)
	switch {
	case errors.Is(err, snapshot.ErrKeyMismatch):
		return nil, SnapshotKeyChanged
	case err != nil:
		return nil, SnapshotCorrupt
	case s.ListID != listID:
		return nil, SnapshotOtherList
	}
	return s, SnapshotOK
}

// Plan reads the segments, maps and validates every profile, merges duplicates, checks the caps
// and compares the result with the previous snapshot. Nothing is uploaded. Configuration
// problems are ConfigErrors; a cap is a *CapError; invalid profiles under the "fail" policy are
// an *InvalidProfilesError (the Plan is returned along with the last two).
func (e *Engine) Plan(ctx context.Context, req Request) (*Plan, error) {
	r, err := e.run(ctx, &req, false, "")
	if r == nil {
		return nil, err
	}
	return r.plan, err
}

// Apply runs the export: it computes the plan again, fails with a *FingerprintError
// (errors.Is ErrSegmentChanged) if the content differs from expectedFingerprint (when not
// empty), checks the caps, then uploads the changes, removes leavers (mirror), and returns the
// run report and the new snapshot. See Result for what to store when an error is returned too.
func (e *Engine) Apply(ctx context.Context, req Request, expectedFingerprint string) (*Result, error) {
	r, err := e.run(ctx, &req, true, expectedFingerprint)
	if r == nil || r.result == nil {
		return nil, err
	}
	return r.result, err
}

type runOutcome struct {
	plan   *Plan
	result *Result
}

// prepare resolves the mapping against SendGrid's fields, loads the previous snapshot and
// scans the segments.
func (e *Engine) prepare(ctx context.Context, req *Request, apply bool, prog *progress) (*scan, SnapshotState, error) {
	if e.Client == nil {
		return nil, "", errors.New("export: no SendGrid client")
	}
	if err := req.normalize(); err != nil {
		return nil, "", err
	}
	key := privacy.DeriveKey(req.APIKey, privacy.PurposeSnapshot)
	custom, reserved, err := e.Client.Fields(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("reading SendGrid field definitions: %w", err)
	}
	slots, cerrs := resolveSlots(&req.Mapping, custom, reserved, req.PendingFields, !apply, e.maxText())
	if len(cerrs) > 0 {
		return nil, "", cerrs
	}
	prev, state := loadPrevious(req.Previous, key, req.ListID)
	s := &scan{
		e: e, req: req, slots: slots, codec: newCodec(slots), h: newHasher(key, slots),
		inv: newInvalidReport(e.sampleLimit()), apply: apply, prog: prog,
		fields: fieldsCheck(slots), mirror: req.SyncMode == SyncMirror,
	}
	if prev != nil {
		s.prev = prev.Entries
		s.prevIdx = snapshot.NewIndex(prev.Entries)
		s.fieldsChanged = prev.Fields != s.fields
	}
	if s.mirror {
		// Mirror mode must know who is on the list. Without a usable snapshot, read the list.
		// With one, check the list's count against it: the list holds at least every confirmed
		// contact; fewer means some were removed outside the export, so read the list to put
		// them back. (More is not drift: people or other exports may add to a list, and an
		// interrupted run's uploads may land late.)
		read := state != SnapshotOK
		lagging := false
		if !read {
			n, err := e.Client.ListContactCount(ctx, req.ListID)
			if err != nil {
				return nil, "", fmt.Errorf("reading the list's contact count: %w", err)
			}
			confirmed := int64(0)
			for _, en := range s.prev {
				if en.Content != 0 && en.Content != removalPending {
					confirmed++
				}
			}
			read = n < confirmed
			if read && e.Settling(req.PreviousRunFinished) {
				// Right after a run SendGrid's count may not show it yet: not drift (yet).
				read, lagging = false, true
			}
			s.drift = read
			s.settling = lagging
		}
		if read {
			prog.update(func(p *Progress) { p.Phase = "membership" })
			m, err := e.listMembers(ctx, req.ListID, s.h, apply)
			if err != nil {
				return nil, "", fmt.Errorf("reading the list's members from SendGrid: %w", err)
			}
			s.members = m
		}
	}
	if err := s.run(ctx); err != nil {
		s.csv.abort()
		return nil, "", err
	}
	return s, state, nil
}

func (e *Engine) run(ctx context.Context, req *Request, apply bool, expected string) (*runOutcome, error) {
	started := e.now()
	prog := &progress{fn: e.Progress}
	s, state, err := e.prepare(ctx, req, apply, prog)
	if err != nil {
		return nil, err
	}
	defer s.csv.abort()
	key := privacy.DeriveKey(req.APIKey, privacy.PurposeSnapshot)
	fpKey := privacy.DeriveKey(req.APIKey, privacy.PurposeFingerprint)

	plan := &Plan{
		Rows: s.rows, Selected: s.selected, Profiles: int64(len(s.cur)), Duplicates: s.dups,
		Invalid: s.inv, Segments: s.perSeg, Snapshot: state, ScanDuration: e.now().Sub(started),
	}
	plan.Fingerprint = fingerprint(fpKey, s.cur)
	plan.Settling = s.settling
	out := &runOutcome{plan: plan}

	if req.InvalidPolicy == InvalidFail && s.inv.Total > 0 {
		return out, &InvalidProfilesError{Invalid: s.inv}
	}
	if apply && expected != "" && expected != plan.Fingerprint {
		return out, &FingerprintError{Planned: expected, Current: plan.Fingerprint}
	}

	// Compare with the previous snapshot (and with the list, when it was read).
	if s.members == nil {
		dc, pending := diffPending(s.prev, s.cur)
		if s.fieldsChanged {
			dc.Update += dc.Unchanged
			dc.Unchanged = 0
		}
		plan.ToAdd, plan.ToUpdate, plan.Unchanged = dc.Add, dc.Update, dc.Unchanged
		if s.mirror {
			plan.ToRemove = dc.Remove - pending
		}
	} else {
		plan.MembershipRead, plan.Drift = true, s.drift
		for _, c := range s.cur {
			switch pc, inPrev := s.prevIdx.Find(c.Email); {
			case !s.members.has(c.Email):
				plan.ToAdd++
			case inPrev && pc == c.Content && !s.fieldsChanged:
				plan.Unchanged++
			default:
				plan.ToUpdate++
			}
		}
		for _, m := range s.members.entries {
			if s.leaver(m.Email) {
				plan.ToRemove++
			}
		}
	}

	// Caps, before anything is uploaded.
	if req.MaxProfiles > 0 && plan.Profiles > req.MaxProfiles {
		return out, &CapError{Path: Path{{Name: AttrMaxProfiles}}, Which: "max_profiles", Limit: req.MaxProfiles, Wanted: plan.Profiles,
			Detail: "The segments select more distinct profiles than max_profiles allows: narrow the segments or raise max_profiles."}
	}
	{
		total, _, err := e.Client.ContactCount(ctx)
		if err != nil {
			return out, fmt.Errorf("reading the account's contact count: %w", err)
		}
		plan.AccountContacts = total
		// Contacts sent by an interrupted run without confirmation may not exist yet: count
		// them as new (an upper bound).
		plan.ProjectedContacts = total + plan.ToAdd + s.unsureInCur
		if req.ConnectionCap > 0 && plan.ProjectedContacts > req.ConnectionCap && s.members == nil && state != SnapshotOK {
			// Without a snapshot every profile counts as new; read the list to count those
			// already on it before refusing.
			prog.update(func(p *Progress) { p.Phase = "membership" })
			m, err := e.listMembers(ctx, req.ListID, s.h, false)
			if err != nil {
				return out, fmt.Errorf("reading the list's members from SendGrid: %w", err)
			}
			inCur := int64(0)
			for _, c := range s.cur {
				if m.has(c.Email) {
					inCur++
				}
			}
			plan.MembershipRead = true
			plan.ToAdd, plan.ToUpdate = int64(len(s.cur))-inCur, inCur
			plan.ProjectedContacts = total + plan.ToAdd
		}
		if req.ConnectionCap > 0 && plan.ProjectedContacts > req.ConnectionCap {
			return out, &CapError{Which: "connection_cap", Limit: req.ConnectionCap, Wanted: plan.ProjectedContacts,
				Detail: fmt.Sprintf("The account holds %d contacts and the export would add %d; the connection's profile cap is %d. Narrow the segments, remove contacts from SendGrid, or raise the cap.",
					total, plan.ToAdd, req.ConnectionCap)}
		}
	}
	up := e.chooseMethod(s)
	plan.Method, plan.Requests, plan.jsonBytes = up.method, up.requests, s.jsonBytes
	if !apply {
		return out, nil
	}

	res := &Result{Plan: plan}
	out.result = res
	rep := &res.Report
	rep.StartedAt = started
	rep.Invalid = s.inv
	rep.SkippedInvalid = s.inv.Total
	rep.Duplicates = s.dups
	rep.ScanDuration = plan.ScanDuration

	a := &applier{e: e, s: s, req: req, rep: rep, prog: prog, up: up}
	a.base = s.prev
	if s.members != nil {
		// The list was read: the new snapshot starts from the contacts really on it.
		a.base = make([]snapshot.Entry, 0, len(s.prev))
		for _, p := range s.prev {
			if s.members.has(p.Email) {
				a.base = append(a.base, p)
			}
		}
	}
	if s.fieldsChanged {
		// Content hashes of contacts not re-uploaded now must not look current next time.
		stale := make([]snapshot.Entry, len(a.base))
		for i, p := range a.base {
			stale[i] = snapshot.Entry{Email: p.Email}
		}
		a.base = stale
	}
	upStart := e.now()
	runErr := a.run(ctx)
	rep.UploadDuration = e.now().Sub(upStart)
	rep.FinishedAt = e.now()

	next := &snapshot.Snapshot{ListID: req.ListID, Fields: s.fields,
		Entries: a.next()}
	data, err := next.Marshal(key)
	if err != nil {
		return out, fmt.Errorf("encoding the snapshot: %w", err)
	}
	res.Snapshot = data
	res.Contacts = int64(len(next.Entries))
	rep.Status = a.status()
	prog.update(func(p *Progress) { p.Phase = "done" })
	if runErr != nil {
		return out, runErr
	}
	if rep.Status == StatusPartial || rep.Status == StatusFailed {
		return out, &RunError{Status: rep.Status, Problems: rep.Problems}
	}
	return out, nil
}

// diffPending compares the snapshot with the exported contacts and counts the leavers whose
// removal SendGrid accepted in an earlier run (removalPending): they are not changes to make;
// the next run that looks the list up checks them.
func diffPending(prev, cur []snapshot.Entry) (snapshot.DiffCounts, int64) {
	pending := int64(0)
	dc := snapshot.Diff(prev, cur, func(c snapshot.Change, en snapshot.Entry) {
		if c == snapshot.Removed && en.Content == removalPending {
			pending++
		}
	})
	return dc, pending
}

// RunError is returned by Apply (with a Result) when some changes were not confirmed.
type RunError struct {
	Status   Status
	Problems []string
}

func (e *RunError) Error() string {
	msg := "export " + string(e.Status) + ": some changes were not confirmed by SendGrid and will be retried by the next run"
	if len(e.Problems) > 0 {
		msg += ": " + strings.Join(e.Problems, "; ")
	}
	return msg
}
