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
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/wait"
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

// ListScope says which members of the list an export may remove (mirror mode, and RemoveAll).
type ListScope string

// List scopes.
const (
	// ScopeAdded removes only contacts the export added: members that were on the list before
	// the export first sent them (people or other exports added them) stay.
	ScopeAdded ListScope = "added"
	// ScopeList claims the whole list: every member not in the segments is removed.
	ScopeList ListScope = "list"
)

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
	Segments  []segment.Spec
	Mapping   Mapping
	SyncMode  SyncMode  // default upsert
	ListScope ListScope // default ScopeAdded
	// Resend sends every exported contact again (an on-demand full run), while the snapshot
	// still tells which contacts the export added and which left the segments.
	Resend        bool
	InvalidPolicy InvalidPolicy // default skip
	// RemovalGuard limits the removals of a mirror run (see RemovalGuard and RemovalError).
	RemovalGuard RemovalGuard
	// MaxProfiles caps the distinct profiles exported (0: no cap).
	MaxProfiles int64
	// ConnectionCap caps the contacts the SendGrid account holds after the export (0: no cap).
	ConnectionCap int64
	ListID        string
	// APIKey is used only to derive the keys of the snapshot and fingerprint hashes.
	APIKey string
	// RecordKey, when set, is the secret the snapshot's keys are derived from instead of
	// APIKey, so that the snapshot stays usable when the API key is rotated. Like the API key it
	// never reaches the snapshot. Changing it makes the previous snapshot unusable
	// (SnapshotKeyChanged), as a new API key does without it.
	RecordKey string
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
	// ToRemoveNotAdded counts, among ToRemove, members the export did not add (ScopeList only:
	// otherwise the export removes only contacts it added).
	ToRemoveNotAdded int64
	// Removable counts (mirror mode) the contacts on the list the export may remove: those it
	// put there, or every member when it claims the list. The removal guard compares ToRemove
	// with it.
	Removable int64

	SnapshotState SnapshotState
	// MembershipRead is true when the list's members were read from SendGrid (a contacts export):
	// the snapshot could not be used, or (Drift) the list's contact count disagreed with it
	// because members were added or removed outside the export. ToAdd/ToUpdate/ToRemove then
	// come from the list itself: in mirror mode the list ends up equal to the segments.
	MembershipRead bool
	Drift          bool
	// Settling is true when the list's count differed from the snapshot's in a way that makes a
	// mirror plan read the list (lower; or higher for an export that claims the list) within the
	// settle window of the previous run: taken for SendGrid's lag, and the list is not read
	// (checked again later).
	Settling bool
	// RecentRun is true when the previous run finished within the settle window: SendGrid may not
	// show the contacts it sent in searches yet, and the apply defers the removal of those it does
	// not find (Report.Deferred).
	RecentRun bool
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
	Phase          string // "scan", "membership", "upload", "remove", "settle", "done"
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
	// Sleep waits d or until ctx ends (default: a timer). Tests with a simulated clock replace it.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Settling reports whether a run that finished at finished may still be settling in SendGrid
// (its changes not yet visible in list counts, searches and exports).
func (e *Engine) Settling(finished time.Time) bool {
	return e.settleLeft(finished) > 0
}

// settleLeft is how much of the settle window after a run that finished at finished is left
// (0 or less: none, or finished unknown).
func (e *Engine) settleLeft(finished time.Time) time.Duration {
	w := e.SettleWindow
	if w == 0 {
		w = DefaultSettleWindow
	}
	if finished.IsZero() || w <= 0 {
		return 0
	}
	return w - e.now().Sub(finished)
}

func (e *Engine) sleep(ctx context.Context, d time.Duration) error {
	if e.Sleep != nil {
		return e.Sleep(ctx, d)
	}
	return wait.Sleep(ctx, d)
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
		pause := max(first, time.Since(start)/4)
		if err := wait.Sleep(ctx, min(pause, 10*time.Second)); err != nil {
			return j, err
		}
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

// normalize fills the defaults and checks what the engine cannot run without. (The values the
// provider's schema restricts, such as the sync mode and the policy, are only defaulted here.)
func (r *Request) normalize() error {
	if r.SyncMode == "" {
		r.SyncMode = SyncUpsert
	}
	if r.InvalidPolicy == "" {
		r.InvalidPolicy = InvalidSkip
	}
	if r.ListScope == "" {
		r.ListScope = ScopeAdded
	}
	if r.ListScope != ScopeAdded && r.ListScope != ScopeList {
		return fmt.Errorf("export: unknown list scope %q", r.ListScope)
	}
	if r.SyncMode != SyncUpsert && r.SyncMode != SyncMirror {
		return fmt.Errorf("export: unknown sync mode %q", r.SyncMode)
	}
	if r.InvalidPolicy != InvalidSkip && r.InvalidPolicy != InvalidFail {
		return fmt.Errorf("export: unknown invalid-profile policy %q", r.InvalidPolicy)
	}
	var errs ConfigErrors
	if len(r.Segments) == 0 {
		errs = append(errs, &ConfigError{Attr: Attribute{Kind: AttrSegments}, Problem: ProblemNoSegments})
	}
	if strings.TrimSpace(r.ListID) == "" {
		errs = append(errs, &ConfigError{Attr: Attribute{Kind: AttrListID}, Problem: ProblemNoList})
	}
	if r.MaxProfiles < 0 {
		errs = append(errs, &ConfigError{Attr: Attribute{Kind: AttrMaxProfiles}, Problem: ProblemNegativeCap})
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

// snapshotKey is the key of the snapshot's hashes and key check: derived from RecordKey when
// set, else from APIKey.
func (r *Request) snapshotKey() []byte {
	secret := r.APIKey
	if r.RecordKey != "" {
		secret = r.RecordKey
	}
	return privacy.DeriveKey(secret, privacy.PurposeSnapshot)
}

// CheckSnapshot says whether req.Previous can be used by the export of req.ListID under the
// request's keys (SnapshotNone when there is none).
func CheckSnapshot(req Request) SnapshotState {
	_, st := loadPrevious(req.Previous, req.snapshotKey(), req.ListID)
	return st
}

// Plan reads the segments, maps and validates every profile, merges duplicates, checks the caps
// and compares the result with the previous snapshot. Nothing is uploaded. Configuration
// problems are ConfigErrors; removals beyond the removal guard are a *RemovalError; a cap is a
// *CapError; invalid profiles under the "fail" policy are an *InvalidProfilesError (the Plan is
// returned along with the last three).
//
// The stages: read and validate the segments into the diff against the snapshot and the list,
// which feeds the batch plan (read), count the result (summarize), count the changes (diff),
// check the caps and choose the upload method.
func (e *Engine) Plan(ctx context.Context, req Request) (*Plan, error) {
	r, err := e.start(ctx, &req, req.PendingFields)
	if err != nil {
		return nil, err
	}
	defer r.abort()
	if err := r.readChecked(ctx); err != nil {
		return nil, err
	}
	plan := r.summarize()
	if err := r.checkInvalid(); err != nil {
		return plan, err
	}
	r.diff(plan)
	if err := r.checkRemovals(plan); err != nil {
		return plan, err
	}
	if err := r.checkCaps(ctx, plan); err != nil {
		return plan, err
	}
	r.chooseMethod(plan)
	return plan, nil
}

// Expected is what a plan showed, which Apply must find again before it sends anything.
type Expected struct {
	// Fingerprint is the plan's Fingerprint of the content; "" skips the check.
	Fingerprint string
	// Selection is the plan's counts of what the segments select; nil skips the check. It is
	// the check when the fingerprint is not at hand (an export's first apply).
	Selection *Selection
}

// Selection is what the segments select, as a plan counts it.
type Selection struct {
	Selected, Profiles, Duplicates, Invalid int64
}

// SelectionOf returns p's counts of what the segments select.
func SelectionOf(p *Plan) Selection {
	s := Selection{Selected: p.Selected, Profiles: p.Profiles, Duplicates: p.Duplicates}
	if p.Invalid != nil {
		s.Invalid = p.Invalid.Total
	}
	return s
}

// check returns a *FingerprintError when plan differs from what was expected.
func (x Expected) check(plan *Plan) error {
	if x.Fingerprint != "" && x.Fingerprint != plan.Fingerprint {
		return &FingerprintError{Planned: x.Fingerprint, Current: plan.Fingerprint}
	}
	if x.Selection != nil && *x.Selection != SelectionOf(plan) {
		return &FingerprintError{Planned: x.Selection.String(), Current: SelectionOf(plan).String()}
	}
	return nil
}

func (s Selection) String() string {
	return fmt.Sprintf("%d profiles of %d rows, %d duplicate, %d invalid", s.Profiles, s.Selected, s.Duplicates, s.Invalid)
}

// Apply runs the export: it computes the plan again, fails with a *FingerprintError
// (errors.Is ErrSegmentChanged) if the content differs from what the plan showed (want),
// checks the removal guard and the caps, then uploads the changes, removes leavers (mirror), and returns the
// run report and the new snapshot. See Result for what to store when an error is returned too.
//
// The stages are Plan's, with the records of the contacts to upload kept in the batch plan,
// then the upload of the changes (applier) and the new snapshot made of what SendGrid confirmed.
func (e *Engine) Apply(ctx context.Context, req Request, want Expected) (*Result, error) {
	r, err := e.start(ctx, &req, nil) // pending fields must exist by now
	if err != nil {
		return nil, err
	}
	defer r.abort()
	r.apply = true
	if err := r.readChecked(ctx); err != nil {
		return nil, err
	}
	plan := r.summarize()
	if err := r.checkInvalid(); err != nil {
		return nil, err
	}
	if err := want.check(plan); err != nil {
		return nil, err
	}
	r.diff(plan)
	if err := r.checkRemovals(plan); err != nil {
		return nil, err
	}
	if err := r.checkCaps(ctx, plan); err != nil {
		return nil, err
	}
	up := r.chooseMethod(plan)
	return r.upload(ctx, plan, up)
}

// run is one Plan or Apply: the request, the keys derived from its API key, the resolved
// mapping, the baseline, and each stage's result as the run advances.
type run struct {
	e       *Engine
	req     *Request
	started time.Time
	prog    *progress
	keys    runKeys
	state   SnapshotState
	apply   bool // keep the records of the contacts to upload

	slots  []slot
	codec  *codec
	h      *hasher
	fields [8]byte
	base   *baseline

	inv    *InvalidReport
	counts readCounts // read
	ch     *changes   // diff
	out    *outbox    // batch plan
}

// runKeys are the keys derived from the API key, once per run.
type runKeys struct {
	snapshot    []byte // snapshot hashes and key check
	fingerprint []byte // content fingerprints
}

// start checks the request, resolves the mapping against SendGrid's fields (accepting the
// pending fields given) and loads the previous snapshot.
func (e *Engine) start(ctx context.Context, req *Request, pending []PendingField) (*run, error) {
	if e.Client == nil {
		return nil, errors.New("export: no SendGrid client")
	}
	if err := req.normalize(); err != nil {
		return nil, err
	}
	r := &run{e: e, req: req, started: e.now(), prog: &progress{fn: e.Progress}}
	r.keys = runKeys{
		snapshot:    req.snapshotKey(),
		fingerprint: privacy.DeriveKey(req.APIKey, privacy.PurposeFingerprint),
	}
	custom, reserved, err := e.Client.Fields(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading SendGrid field definitions: %w", err)
	}
	slots, cerrs := resolveSlots(&req.Mapping, custom, reserved, pending, e.maxText())
	if len(cerrs) > 0 {
		return nil, cerrs
	}
	r.slots, r.codec, r.h, r.fields = slots, newCodec(slots), newHasher(r.keys.snapshot, slots), fieldsCheck(slots)
	r.inv = newInvalidReport(e.sampleLimit())
	prev, state := loadPrevious(req.Previous, r.keys.snapshot, req.ListID)
	r.state = state
	r.base = &baseline{scope: req.ListScope}
	if prev != nil {
		r.base.prev = prev.Entries
		r.base.prevIdx = snapshot.NewIndex(prev.Entries)
		r.base.resendAll = prev.Fields != r.fields || req.Resend
		r.base.confirmed = confirmedCount(prev.Entries)
		r.base.adopted = prev.Adopted
	}
	return r, nil
}

// abort drops what the batch plan prepared for an upload that does not happen.
func (r *run) abort() { r.out.abort() }

// readChecked reads the segments (read), then, in mirror mode, checks a sample of the export's
// contacts on the list (sampleDrift): when some are missing although the list's count did not
// show it, the list's members are read and the segments read again against them.
func (r *run) readChecked(ctx context.Context) error {
	if err := r.read(ctx); err != nil {
		return err
	}
	drift, err := r.sampleDrift(ctx)
	if err != nil || !drift {
		return err
	}
	r.out.abort()
	r.base.drift = true
	if err := r.readMembers(ctx); err != nil {
		return err
	}
	r.inv = newInvalidReport(r.e.sampleLimit())
	return r.read(ctx)
}

// read checks the list's membership when the run needs it, then reads the segments through the
// diff into the batch plan.
func (r *run) read(ctx context.Context) error {
	mirror := r.req.SyncMode == SyncMirror
	if err := r.checkMembership(ctx); err != nil {
		return err
	}
	e := r.e
	r.out = &outbox{
		sim:    newBatchSim(r.req.ListID, e.maxBatchContacts(), e.maxBatchBytes()),
		choose: func(n int64, put int) uploadPlan { return e.chooseMethodFor(r.codec, n, put) },
		codec:  r.codec, maxImport: e.maxImportContacts(),
	}
	d := &differ{base: r.base, h: r.h, out: r.out, apply: r.apply, sampleMod: r.sampleMod(),
		stream: r.apply && len(r.base.prev) == 0, trackKnown: r.apply && mirror && len(r.base.prev) > 0}
	if d.stream && e.Transfer != TransferPUT {
		// Every exported contact is uploaded; the CSV files are compressed while reading, and
		// dropped if the JSON upsert turns out to need fewer requests.
		r.out.buildCSV()
	}
	rd := &reader{
		open: e.open(), specs: r.req.Segments, fingerprints: r.req.SegmentFingerprints,
		slots: r.slots, codec: r.codec, h: r.h, fpKey: r.keys.fingerprint, inv: r.inv, prog: r.prog, sink: d,
	}
	counts, err := rd.read(ctx)
	if err != nil {
		return err
	}
	r.counts, r.ch = counts, d.finish()
	return nil
}

// checkMembership reads the list's members when the run must know who is on the list. Without
// a usable snapshot (in every mode): the members the export finds on the list are not its own
// (it adopts them and never removes them, unless it claims the list), so they must be told from
// those it adds; an empty list needs no read. In mirror mode, when the list's count shows
// drift: with a snapshot the list holds at least every confirmed contact; fewer means some were
// removed outside the export, so the list is read to put them back. (More is drift only for an
// export that claims the whole list: otherwise people or other exports may add to a list, and
// an interrupted run's uploads may land late.)
func (r *run) checkMembership(ctx context.Context) error {
	b := r.base
	if b.members != nil || (r.state == SnapshotOK && r.req.SyncMode != SyncMirror) {
		return nil
	}
	if r.state != SnapshotOK && !r.apply && r.req.ListScope == ScopeAdded {
		// Without a usable snapshot an export that removes only what it added removes nothing,
		// and every profile is sent: the plan needs no list read. (The apply reads it to tell
		// the members it finds there from those it adds. SendGrid shows recent changes in
		// exports minutes later, so a plan that read the list could count differently from the
		// apply's own planning.)
		return nil
	}
	n, err := r.e.Client.ListContactCount(ctx, r.req.ListID)
	if err != nil {
		return fmt.Errorf("reading the list's contact count: %w", err)
	}
	read := n > 0
	if r.state == SnapshotOK {
		// An export that claims the whole list also reads it when it has more members than the
		// export confirmed: people or other exports added some, which it removes.
		want := b.confirmed
		read = n < want || (r.req.ListScope == ScopeList && n > want)
		if read && r.e.Settling(r.req.PreviousRunFinished) {
			// Right after a run SendGrid's count may not show it yet: not drift (yet).
			read, b.settling = false, true
		}
		b.drift = read
	}
	if !read {
		if r.state != SnapshotOK {
			b.members = &members{} // the list is empty
		}
		return nil
	}
	return r.readMembers(ctx)
}

// readMembers reads the list's members into the baseline (with their contact IDs in an apply).
func (r *run) readMembers(ctx context.Context) error {
	r.prog.update(func(p *Progress) { p.Phase = "membership" })
	list := r.e.listMembers
	if r.apply {
		list = r.e.listMemberRefs
	}
	m, err := list(ctx, r.req.ListID, r.h)
	if err != nil {
		return fmt.Errorf("reading the list's members from SendGrid: %w", err)
	}
	r.base.members = m
	return nil
}

// confirmedCount counts the snapshot's contacts confirmed on the list.
func confirmedCount(entries []snapshot.Entry) int64 {
	n := int64(0)
	for _, en := range entries {
		if en.Content != 0 && en.Content != removalPending {
			n++
		}
	}
	return n
}

// summarize makes the plan's counts and fingerprint from the read and the diff.
func (r *run) summarize() *Plan {
	return &Plan{
		Fingerprint: fingerprint(r.keys.fingerprint, r.ch.cur),
		Rows:        r.counts.rows, Selected: r.counts.selected, Profiles: int64(len(r.ch.cur)), Duplicates: r.ch.dups,
		Invalid: r.inv, Segments: r.counts.perSeg, SnapshotState: r.state, Settling: r.base.settling,
		RecentRun:    r.e.Settling(r.req.PreviousRunFinished),
		ScanDuration: r.e.now().Sub(r.started),
	}
}

// checkInvalid fails under InvalidFail when some profiles are invalid.
func (r *run) checkInvalid() error {
	if r.req.InvalidPolicy == InvalidFail && r.inv.Total > 0 {
		return &InvalidProfilesError{Invalid: r.inv}
	}
	return nil
}

// diff counts the changes: against the previous snapshot, or against the list when it was read.
func (r *run) diff(plan *Plan) {
	n := r.ch.count(r.req.SyncMode)
	plan.ToAdd, plan.ToUpdate, plan.ToRemove, plan.Unchanged = n.add, n.update, n.remove, n.unchanged
	plan.ToRemoveNotAdded, plan.Removable = n.removeNotAdded, n.removable
	if r.base.members != nil {
		plan.MembershipRead, plan.Drift = true, r.base.drift
	}
}

// checkCaps checks max_profiles and the connection's cap before anything is uploaded.
func (r *run) checkCaps(ctx context.Context, plan *Plan) error {
	req := r.req
	if req.MaxProfiles > 0 && plan.Profiles > req.MaxProfiles {
		return &CapError{Cap: CapMaxProfiles, Limit: req.MaxProfiles, Wanted: plan.Profiles}
	}
	total, _, err := r.e.Client.ContactCount(ctx)
	if err != nil {
		return fmt.Errorf("reading the account's contact count: %w", err)
	}
	plan.AccountContacts = total
	// Contacts sent by an interrupted run without confirmation may not exist yet: count
	// them as new (an upper bound).
	plan.ProjectedContacts = total + plan.ToAdd + r.ch.unsureInCur
	if overCap(req, plan) && r.base.members == nil && r.state != SnapshotOK {
		if err := r.countListed(ctx, plan); err != nil {
			return err
		}
	}
	if overCap(req, plan) {
		return &CapError{Cap: CapConnection, Limit: req.ConnectionCap, Wanted: plan.ProjectedContacts,
			AccountContacts: total, Adding: plan.ProjectedContacts - total}
	}
	return nil
}

// overCap reports whether the run adds contacts to the account and the account would then hold
// more than the connection's cap. A run that adds none (only updates or removals) is never
// refused, even when the account already holds more than the cap: it does not make it worse.
func overCap(req *Request, plan *Plan) bool {
	return req.ConnectionCap > 0 && plan.ProjectedContacts > plan.AccountContacts && plan.ProjectedContacts > req.ConnectionCap
}

// countListed reads the list to count the exported contacts already on it: without a snapshot
// every profile counts as new, which may exceed the connection's cap wrongly.
func (r *run) countListed(ctx context.Context, plan *Plan) error {
	r.prog.update(func(p *Progress) { p.Phase = "membership" })
	m, err := r.e.listMembers(ctx, r.req.ListID, r.h)
	if err != nil {
		return fmt.Errorf("reading the list's members from SendGrid: %w", err)
	}
	inCur := int64(0)
	for _, c := range r.ch.cur {
		if m.has(c.Email) {
			inCur++
		}
	}
	plan.MembershipRead = true
	plan.ToAdd, plan.ToUpdate = int64(len(r.ch.cur))-inCur, inCur
	plan.ProjectedContacts = plan.AccountContacts + plan.ToAdd
	return nil
}

// chooseMethod reports the upload method the batch plan chose.
func (r *run) chooseMethod(plan *Plan) uploadPlan {
	up := r.out.method()
	plan.Method, plan.Requests, plan.jsonBytes = up.method, up.requests, r.out.bytes()
	return up
}

// upload hands the changes to the uploader (applier), which sends them and removes leavers
// (mirror), then encodes the new snapshot from what SendGrid confirmed.
func (r *run) upload(ctx context.Context, plan *Plan, up uploadPlan) (*Result, error) {
	res := &Result{Plan: plan}
	rep := &res.Report
	rep.StartedAt = r.started
	rep.Invalid = r.inv
	rep.SkippedInvalid = r.inv.Total
	rep.Duplicates = r.ch.dups
	rep.ScanDuration = plan.ScanDuration

	a := &applier{e: r.e, listID: r.req.ListID, h: r.h, codec: r.codec, rep: rep, prog: r.prog,
		out: r.out, up: up, prevIdx: r.base.prevIdx, settling: r.e.Settling(r.req.PreviousRunFinished),
		lookUpNew: r.base.members == nil}
	if r.req.SyncMode == SyncMirror {
		a.gone = r.ch
	}
	upStart := r.e.now()
	runErr := a.run(ctx)
	rep.UploadDuration = r.e.now().Sub(upStart)
	rep.FinishedAt = r.e.now()

	entries := a.outcome().next(r.base.snapshotBase())
	next := &snapshot.Snapshot{ListID: r.req.ListID, Fields: r.fields, Entries: entries,
		Adopted: nextAdopted(entries, r.base.adopted, r.ch.adoptedMembers(), a.adopted)}
	data, err := next.Marshal(r.keys.snapshot)
	if err != nil {
		return nil, fmt.Errorf("encoding the snapshot: %w", err)
	}
	res.Snapshot = data
	res.Contacts = int64(len(next.Entries))
	rep.Status = a.status()
	r.prog.update(func(p *Progress) { p.Phase = "done" })
	if runErr != nil {
		return res, runErr
	}
	if rep.Status == StatusPartial || rep.Status == StatusFailed {
		return res, &RunError{Status: rep.Status, Problems: rep.Problems, Rejected: rep.Rejected}
	}
	return res, nil
}

// RunError is returned by Apply (with a Result) when some changes were not confirmed.
type RunError struct {
	Status   Status
	Problems []string
	// Rejected are the first contacts SendGrid refused in an upsert (masked): unlike a
	// transient failure, sending them again fails again until their data is fixed.
	Rejected []InvalidRow
}

func (e *RunError) Error() string {
	msg := "export " + string(e.Status) + ": some changes were not confirmed by SendGrid and will be retried by the next run"
	if len(e.Problems) > 0 {
		msg += ": " + strings.Join(e.Problems, "; ")
	}
	if len(e.Rejected) > 0 {
		refused := make([]string, len(e.Rejected))
		for i, r := range e.Rejected {
			refused[i] = r.Masked + " (" + r.Field + ": " + r.Detail + ")"
		}
		msg += ". SendGrid refuses these contacts again on every run until their data is fixed in the source " +
			"(addresses masked; find them in the segments by these): " + strings.Join(refused, "; ")
	}
	return msg
}
