// Package export is the export engine: it reads segments of customer profiles, maps them to
// SendGrid contact fields, validates every value, merges duplicates, checks the profile caps,
// compares the result with a compact snapshot of what the previous run confirmed, and uploads
// only the changes to a SendGrid list. It knows nothing about Terraform; the provider's
// sendgridaudience_export resource calls it.
//
// # Use
//
//	eng := &export.Engine{Client: client}            // *sendgrid.Client
//	req := export.Request{Segments: specs, Mapping: m, SyncMode: export.SyncMirror,
//	    InvalidPolicy: export.InvalidSkip, MaxProfiles: 100000, ConnectionCap: 100000,
//	    ListID: listID, APIKey: key, Previous: snapshotFromState, PendingFields: pending}
//	plan, err := eng.Plan(ctx, req)                  // terraform plan: counts, fingerprint
//	res, err := eng.Apply(ctx, req, export.Expected{Fingerprint: plan.Fingerprint}) // terraform apply
//	// whenever res != nil, store res.Snapshot (even with err != nil) and res.Report
//
// Plan uploads nothing. Apply reads the segments again and fails with a *FingerprintError
// (errors.Is(err, ErrSegmentChanged): "segment changed since plan; run plan again") before
// uploading anything when the content differs from the planned fingerprint.
//
// # Flow
//
// Plan and Apply run the same stages in one direction (engine.go, type run); each stage has its
// own type and hands the next only its result:
//
//  1. start: check the request, derive the snapshot and fingerprint keys from the API key once,
//     resolve the mapping against SendGrid's fields (slots), load the previous snapshot into the
//     baseline; check the list's membership when the run needs it (checkMembership: an apply
//     without a usable snapshot, a mirror list whose count shows drift), which may add the
//     list's members to the baseline; a mirror run also checks a sample of its contacts on the
//     list after the read (drift.go) and reads again against the members when some are missing;
//  2. read (reader, read.go): read and validate every segment; each valid row goes to the diff
//     as a contact with its keyed hashes, each excluded row's email too; invalid rows go to the
//     validation report;
//  3. diff (differ, diff.go): compare the contacts with the baseline; the changed ones go to
//     the batch plan, and the result (changes) holds the exported contacts and what is needed
//     to find the leavers;
//  4. batch plan (outbox, batch.go): the PUT batches the changes need and the upload method,
//     chosen once; in an apply the records to upload (and the CSV files, compressed during
//     the read when every contact is uploaded); summarize, checkCaps and chooseMethod report it;
//  5. the removal guard (guard.go): a mirror run that would remove too many of the contacts it
//     may remove, or whose segments select nobody, fails with a *RemovalError unless allowed;
//  6. Apply only: upload (applier, upload.go) receives the outbox and, in mirror mode, the
//     changes to find leavers; before uploading it looks up the contacts new to the export on
//     the list (ownership.go); it reports the outcome SendGrid confirmed, and the new snapshot
//     is the baseline advanced by that outcome, with the contacts found on the list before the
//     export first sent them recorded as adopted: an export removes only what it added, unless
//     the request claims the whole list (ScopeList).
//
// # Errors
//
// Configuration problems are ConfigErrors, each a *ConfigError with the Attribute to blame
// (its kind — a reserved field's mapping, a custom field's mapping, a segment, the list ID...
// — and the field's name or the segment's index; the provider turns it into an attribute path),
// the Problem (a ConfigProblem) and the names that explain it (segment, column, field, types,
// a did-you-mean Suggestion); the provider words it. A segment that cannot be
// opened or read is a *SegmentError (its Index) wrapping the segment's error. A cap is a
// *CapError naming its Cap; invalid profiles under InvalidFail are an *InvalidProfilesError;
// both are found before anything is uploaded. A run in which SendGrid
// did not confirm every change returns its Result together with a *RunError (status partial
// or failed), or with the context's error when it was interrupted.
//
// # Mapping and validation
//
// Email is required; first_name, last_name, country, state_province_region, city and
// postal_code are optional reserved fields; custom fields are named by their SendGrid name
// (matched ignoring case, as SendGrid keeps names unique ignoring case) and sent by field ID.
// A custom field missing in SendGrid is accepted by Plan when listed in PendingFields (it is
// defined in the same configuration); Apply needs it to exist.
//
// Every value is checked before anything is sent (see NormalizeEmail for the email rule):
// reserved fields' maximum lengths in characters (first_name, last_name, country,
// state_province_region 50; city 60; email 254; postal_code has no documented maximum), Text
// custom fields at most MaxTextLength characters (default 1000), valid UTF-8 without NUL. A
// Number field takes a finite number or a decimal string (sent as a JSON number); a Date
// field takes a timestamp or a string in the forms SendGrid accepts for dates — YYYY-MM-DD,
// RFC 3339 date-time, MM/DD/YYYY — and is sent as MM/DD/YYYY (the UTC date of a timestamp).
// NULL and empty values are left out of the upload: SendGrid keeps what it holds (the export
// never clears a field), in JSON upserts and CSV imports alike.
//
// An invalid profile is skipped and reported (InvalidSkip) or fails the plan (InvalidFail).
// Every value of a profile is checked, so that one plan shows all that is wrong with it. The
// report counts each invalid profile once (Total) and, per "<field>: <reason>", the profiles
// with that refused value — a profile with several invalid fields is counted under each of
// them — and keeps the first SampleLimit rows with their position (file and line, or row) and
// every refused field in the order email, column types, reserved fields, custom fields by name,
// each with its reason and the value masked by internal/privacy (never a full email or value).
// Only sampled rows have their values masked and explained.
//
// # Duplicates
//
// Emails are compared after normalization (trimmed, lower-cased). The first valid occurrence
// wins entirely: segments in the order given, and within a segment rows in source order. Later
// rows with the same email are counted as duplicates and ignored, even when they carry values
// the first lacks (values are never merged across rows). Invalid rows take no part: an invalid
// first occurrence does not hide a valid later one.
//
// # Caps
//
// Before any upload: the distinct profiles must not exceed MaxProfiles, and the account's
// contact count (ContactCount) plus the contacts this run adds must not exceed ConnectionCap.
// Contacts the snapshot shows on the list are updates, not additions; without a usable
// snapshot, when the estimate exceeds the cap, the list's members are read from SendGrid to
// count those already there. Profiles that exist in the account but not on the list count as
// additions (an upper bound). A run that adds no contact (only updates or removals) passes the
// connection's cap even when the account already holds more. Exceeding either cap is a
// *CapError and nothing is uploaded.
//
// # Snapshot and change detection
//
// The snapshot (package snapshot) holds, per contact on the list, an 8-byte keyed hash of the
// email and an 8-byte keyed hash of the uploaded content, with keys derived from
// privacy.DeriveKey(secret, privacy.PurposeSnapshot), the secret being Request.RecordKey when set
// (it survives a rotated API key) and the API key otherwise; a header carries the format version, a
// key check value, a hash of the field IDs and the list ID. About 14 bytes per contact; no
// personal data. Comparing the exported contacts with it gives the contacts to add, to update,
// to remove (mirror) and unchanged; an unchanged segment plans no change and uploads nothing.
// A mapping change changes every content hash; a field re-created under a new ID changes the
// field check: both re-upload every contact.
//
// A snapshot written under another API key (key check mismatch), for another list, or
// unreadable, is not used: every contact is uploaded again, and in mirror mode the list's
// members are read back from SendGrid through a contacts export, and members not in the
// segments are removed.
//
// In mirror mode each run also compares the list's contact count with the snapshot (one GET).
// The list must hold at least every confirmed contact; fewer means members were removed
// outside the export (drift), and the list's members are read through a contacts export
// before the scan: exported contacts missing from the list are uploaded again (Plan.Drift
// reports it). More members than the snapshot is not drift — people or other exports may add
// to a list — and mirror mode removes only contacts the snapshot records as the export's
// (except without a usable snapshot, as above, when it cannot tell them apart). The check is by
// count: a removal offset by additions outside the export goes unnoticed until the counts
// differ. Without drift no export is made. SendGrid applies changes asynchronously and its list
// counts lag them by minutes: within Engine.SettleWindow (DefaultSettleWindow, 15 minutes) of the
// previous run (Request.PreviousRunFinished) a lower count is taken for that lag (Plan.Settling),
// not for drift, and nothing is read; a later plan checks again.
//
// # Upload
//
// Only the changes are uploaded. The JSON upsert (PUT /v3/marketing/contacts) batches are cut
// as large as SendGrid allows: contacts are serialized one by one into the body, and the batch
// is cut before it would exceed 30,000 contacts or 6,000,000 bytes. The CSV import (PUT
// /v3/marketing/contacts/imports, then the gzip-compressed file to its upload URI) takes up
// to 1,000,000 contacts in two requests. Rule: the CSV import is used when it needs strictly
// fewer requests than the JSON upserts — three or more upsert batches — and every mapped
// field's ID is known; otherwise the JSON upsert. Engine.Transfer forces one.
//
// Up to Concurrency (default 3) upload requests are in flight; the client paces them by
// SendGrid's rate-limit headers and retries transient failures. Every upsert and import job is
// polled to its end with backoff.
//
// An upsert with one contact SendGrid refuses is answered 400 and applies nothing. The refused
// contacts are isolated — by the error's field references (contacts[i]…) when every error names
// a contact of the request, otherwise by splitting the batch in halves, at most 64 extra requests
// per batch — and the rest is sent again. Refused contacts are counted in Report.Errored,
// listed masked in Report.Rejected, not recorded (the run ends partial), and sent again by the
// next run.
//
// The format of a job's errors file is not documented. The rows it names by email are excluded
// from the snapshot and the job's other contacts confirmed only when every errored row
// (errored_count) is named by the email of one of its contacts; otherwise (rows by number only,
// fewer rows than errors) none of the job's contacts is confirmed.
//
// In mirror mode the contacts that left the segments are removed from the list (never
// deleted). Those whose email the sources still show (filtered out, or invalid) are found by
// searching by email, 100 per request — except addresses over 100 characters, which SendGrid
// cannot search (one would fail the whole search) — the others through a contacts export of the
// list. Removals go in batches whose URL stays under 8,000 characters. A 404 means the list or
// one of the contacts does not exist: the list is checked (a deleted list fails the removals),
// and otherwise the batch is split until the missing contacts are found; they are off the list
// already, and the others are removed. SendGrid documents no status for removal jobs, so they
// are not polled: an accepted removal (202) is recorded as pending (below).
//
// Starting a contacts export (POST) or a CSV import (PUT) is not repeated after an ambiguous
// failure. For an export, the account's export jobs are listed and a pending or ready one of the
// list created since the request is used, else one more is started; an import whose start failed
// is left (nothing is applied without its file) and its contacts are sent by the next run.
//
// # Exactly-once effect
//
// The snapshot advances only for what SendGrid confirmed: contacts of jobs that completed, and
// of jobs that errored minus the rows their errors file names (when it names all); removals
// SendGrid accepted, as pending (below), and leavers found off the list.
// Contacts whose upload or removal was attempted without a known outcome (an interrupted
// request, a job that failed or could not be followed, rows rejected in a job after a repeated
// request) are kept in the snapshot with content hash 0: the next run uploads them again if
// they are still exported, and checks the list for them (removing them in mirror mode) if not.
// A removal SendGrid accepted stays in the snapshot with content hash 1 (pending): not counted
// as on the list, not planned as a change, and checked by the next apply — by email search, or
// in a contacts export (read for that when the email is not known) — which drops it when the
// contact is off the list and removes it again otherwise. A removal job that failed in SendGrid
// is thus repaired by the next apply.
// An interrupted, cancelled or partly failed run therefore returns a partial snapshot and a
// report, and the next run converges: the list's members equal the segments.
//
// # Destroy
//
// RemoveAll takes the contacts an export's snapshot records off the list (found through a
// contacts export, by email hash), leaving other members and never deleting contacts. Removal
// requests are handled as in a run (404s split, jobs not polled).
//
// # Memory
//
// Plan keeps no rows: per valid row its two hashes and its JSON size (24 bytes, in source
// order); after the scan a stable radix sort by email hash groups duplicates (the first of
// each group in source order wins, the same rule Apply applies with a set while streaming),
// and a merge with the snapshot gives the changes. About 130 bytes of heap per profile at
// 1,000,000 profiles, garbage included. Apply additionally keeps the normalized values of the
// contacts to upload (about their size plus 20 bytes each) between the scan and the upload,
// because the fingerprint must match before the first request; when a CSV import is possible
// the file is compressed on another goroutine during the scan.
package export
