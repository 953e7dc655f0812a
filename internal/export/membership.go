package export

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/export/snapshot"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/wait"
)

// member is one contact on the list, read from a contacts export.
type member struct {
	eh    uint64
	id    string
	email string
}

// members is the list's membership read from a contacts export: email hashes sorted, each
// entry's Content the index of its contact in refs (apply only; Plan keeps the hashes alone).
type members struct {
	entries []snapshot.Entry
	idx     *snapshot.Index // lookups in entries
	refs    []member
}

func (m *members) has(eh uint64) bool {
	if m == nil {
		return false
	}
	_, ok := m.idx.Find(eh)
	return ok
}

func (m *members) ref(eh uint64) member {
	i, _ := m.idx.Find(eh)
	if int(i) < len(m.refs) {
		return m.refs[i]
	}
	return member{eh: eh}
}

// listMembers reads the email hashes of the list's members through a contacts export (POST
// /v3/marketing/contacts/exports, wait, download). A list whose count is 0 is not exported.
func (e *Engine) listMembers(ctx context.Context, listID string, h *hasher) (*members, error) {
	if empty, err := e.countsEmpty(ctx, listID); err != nil || empty {
		return &members{}, err
	}
	return e.collectMembers(ctx, listID, h, func(*members, member) uint64 { return 0 })
}

// listMemberRefs is listMembers keeping, for removals, the members' contact IDs (or, without
// an ID column, their emails).
func (e *Engine) listMemberRefs(ctx context.Context, listID string, h *hasher) (*members, error) {
	if empty, err := e.countsEmpty(ctx, listID); err != nil || empty {
		return &members{}, err
	}
	return e.collectMembers(ctx, listID, h, keepRef)
}

// keepRef keeps a member's contact ID (or, without one, its email) for removals.
func keepRef(m *members, mb member) uint64 {
	if mb.id != "" {
		mb.email = ""
	}
	m.refs = append(m.refs, mb)
	return uint64(len(m.refs) - 1)
}

// countsEmpty reports whether SendGrid counts the list as empty. Callers that know the list
// should hold contacts do not ask: SendGrid's counts lag its jobs by minutes, so right after a
// run a list may count 0 while holding the run's contacts.
func (e *Engine) countsEmpty(ctx context.Context, listID string) (bool, error) {
	n, err := e.Client.ListContactCount(ctx, listID)
	return err == nil && n == 0, err
}

// collectMembers reads the list's members; keep stores what a member needs beyond its email
// hash and returns the index recorded with the hash.
func (e *Engine) collectMembers(ctx context.Context, listID string, h *hasher, keep func(*members, member) uint64) (*members, error) {
	m := &members{}
	err := e.eachMember(ctx, listID, h, func(mb member) error {
		m.entries = append(m.entries, snapshot.Entry{Email: mb.eh, Content: keep(m, mb)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	m.entries = snapshot.Sort(m.entries)
	m.idx = snapshot.NewIndex(m.entries)
	return m, nil
}

// exportAttempts is how many times a contacts export that fails (as a job) is started again.
const exportAttempts = 4

// eachMember streams the members of a list from a contacts export. The export's CSV has a
// header; the email column is "email" and the contact ID column "contact_id" or "id" (any case).
// An export that fails as a job is started again (up to exportAttempts times); fn sees the
// members of one export only.
func (e *Engine) eachMember(ctx context.Context, listID string, h *hasher, fn func(member) error) error {
	var exp sendgrid.ContactsExport
	for attempt := 1; ; attempt++ {
		id, err := e.startExport(ctx, listID)
		if err != nil {
			return err
		}
		exp, err = e.Client.WaitContactsExport(ctx, id, e.pollInterval())
		if err == nil {
			break
		}
		if ctx.Err() != nil || exp.Status != sendgrid.ContactsExportFailure || attempt >= exportAttempts {
			return err
		}
	}
	for _, u := range exp.URLs {
		if err := e.readExportFile(ctx, u, h, fn); err != nil {
			return err
		}
	}
	return nil
}

// startExport starts a contacts export of the list. POST /v3/marketing/contacts/exports is not
// safe to repeat: after an ambiguous failure (the request may have been processed) the
// account's export jobs are listed (GET /v3/marketing/contacts/exports) and a pending or ready
// export of exactly this list created since shortly before the request is used; only when there
// is none is the export started again, once.
func (e *Engine) startExport(ctx context.Context, listID string) (string, error) {
	for attempt := 1; ; attempt++ {
		since := e.now().Add(-exportClockSkew)
		id, err := e.Client.StartContactsExport(ctx, []string{listID}, "csv")
		if err == nil || !ambiguousStart(err) || ctx.Err() != nil || attempt == exportStartAttempts {
			return id, err
		}
		id, lerr := e.findExport(ctx, listID, since)
		if lerr != nil {
			return "", fmt.Errorf("%w; listing export jobs to find it: %v", err, lerr)
		}
		if id != "" {
			return id, nil
		}
		if err := wait.Sleep(ctx, time.Duration(attempt)*e.pollInterval()); err != nil {
			return "", err
		}
	}
}

// exportStartAttempts bounds the starts of one contacts export after ambiguous failures; the
// export jobs are listed between them, so a start SendGrid did take is used, not repeated.
const exportStartAttempts = 3

// ambiguousStart reports whether a failed start may have started a job anyway: the request was
// sent and the connection broke, or SendGrid answered with a server error (SendGrid does not
// document whether a 5xx was processed, so assume it may have been).
func ambiguousStart(err error) bool {
	var te *sendgrid.TransportError
	if errors.As(err, &te) && te.Sent {
		return true
	}
	var ae *sendgrid.APIError
	return errors.As(err, &ae) && ae.StatusCode >= 500
}

// findExport returns the newest pending or ready contacts export of exactly listID created
// since since, or "" when there is none.
func (e *Engine) findExport(ctx context.Context, listID string, since time.Time) (string, error) {
	jobs, err := e.Client.ContactsExports(ctx)
	if err != nil {
		return "", err
	}
	var best sendgrid.ContactsExportJob
	for _, j := range jobs {
		if len(j.ListIDs) != 1 || j.ListIDs[0] != listID || j.CreatedAt.Before(since) ||
			(j.Status != sendgrid.ContactsExportPending && j.Status != sendgrid.ContactsExportReady) {
			continue
		}
		if best.ID == "" || j.CreatedAt.After(best.CreatedAt) {
			best = j
		}
	}
	return best.ID, nil
}

// exportClockSkew is how much earlier than the request an export's created_at may be and still
// be taken for the export the request started (clocks differ).
const exportClockSkew = 2 * time.Minute

func (e *Engine) readExportFile(ctx context.Context, url string, h *hasher, fn func(member) error) error {
	rc, err := e.Client.DownloadContactsExport(ctx, url)
	if err != nil {
		return err
	}
	defer func() { _ = rc.Close() }()
	cr := csv.NewReader(bufio.NewReaderSize(rc, 256<<10))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return fmt.Errorf("contacts export: %w", err)
	}
	emailCol, idCol := -1, -1
	for i, c := range head {
		c = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(c, "\ufeff")))
		switch {
		case c == "email" && emailCol < 0:
			emailCol = i
		case (c == "contact_id" || c == "id") && idCol < 0:
			idCol = i
		}
	}
	if emailCol < 0 {
		return errors.New("contacts export: the file has no email column")
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("contacts export: %w", err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if emailCol >= len(rec) {
			continue
		}
		email := strings.ToLower(strings.TrimSpace(rec[emailCol]))
		if email == "" {
			continue
		}
		mb := member{eh: h.email(email), email: email}
		if idCol >= 0 && idCol < len(rec) {
			mb.id = strings.TrimSpace(rec[idCol])
		}
		if err := fn(mb); err != nil {
			return err
		}
	}
}

// ownMembers reads the list's members for RemoveAll. The snapshot says the export put contacts
// on the list, so a count of 0 may be SendGrid's lag and the members are read anyway. When some
// contacts the snapshot records as confirmed are missing while the last run may still be
// settling (SendGrid shows new contacts in contacts exports minutes later), it waits for the
// end of the settle window and reads the list again.
func (e *Engine) ownMembers(ctx context.Context, req *Request, prev *snapshot.Snapshot) (*members, error) {
	h := newHasher(req.snapshotKey(), nil)
	for {
		m, err := e.collectMembers(ctx, req.ListID, h, keepRef)
		if err != nil {
			return nil, fmt.Errorf("reading the list's members from SendGrid: %w", err)
		}
		left := e.settleLeft(req.PreviousRunFinished)
		if left <= 0 || !missingConfirmed(req, prev, m) {
			return m, nil
		}
		if e.Progress != nil {
			e.Progress(Progress{Phase: "settle"})
		}
		if err := e.sleep(ctx, left); err != nil {
			return nil, err
		}
	}
}

// DestroyRemovals returns how many contacts RemoveAll would remove at most: those of the
// export's record that it added (every one with ScopeList) and has not already removed, counted
// without reading the list.
// It is 0 unless the state is SnapshotOK.
func DestroyRemovals(req Request) (int, SnapshotState) {
	prev, st := loadPrevious(req.Previous, req.snapshotKey(), req.ListID)
	if st != SnapshotOK {
		return 0, st
	}
	n := 0
	for _, en := range prev.Entries {
		if en.Content != removalPending && removable(&req, prev, en.Email) {
			n++
		}
	}
	return n, st
}

// removesOnDestroy reports whether RemoveAll takes a member off the list: the snapshot records
// it, and the export added it or claims the whole list.
func removesOnDestroy(req *Request, prev *snapshot.Snapshot, eh uint64) bool {
	_, ok := prev.Find(eh)
	return ok && removable(req, prev, eh)
}

// removable is removesOnDestroy for an entry of prev: the export added it or claims the list.
func removable(req *Request, prev *snapshot.Snapshot, eh uint64) bool {
	return req.ListScope == ScopeList || !prev.Adopts(eh)
}

// missingConfirmed reports whether a contact the snapshot records as confirmed on the list is
// not among the members read.
func missingConfirmed(req *Request, prev *snapshot.Snapshot, m *members) bool {
	for _, en := range prev.Entries {
		if en.Content != 0 && en.Content != removalPending && !m.has(en.Email) && removable(req, prev, en.Email) {
			return true
		}
	}
	return false
}

// searchOnList looks emails up by email search, sendgrid.MaxSearchEmails per request, and calls
// fn for each (by index) with its contact ID ("" when not found) and whether it is on the list.
// A contact found without its list IDs counts as on it: the stricter reading, which neither
// takes a contact for gone nor for someone else's.
func (e *Engine) searchOnList(ctx context.Context, listID string, emails []string, fn func(i int, id string, on bool)) error {
	for i := 0; i < len(emails); i += sendgrid.MaxSearchEmails {
		j := min(i+sendgrid.MaxSearchEmails, len(emails))
		found, err := e.Client.SearchEmails(ctx, emails[i:j])
		if err != nil {
			return fmt.Errorf("searching contacts by email: %w", err)
		}
		for k := i; k < j; k++ {
			ref, ok := found[emails[k]]
			fn(k, ref.ID, ok && (ref.ListIDs == nil || slices.Contains(ref.ListIDs, listID)))
		}
	}
	return nil
}

// RemoveAll takes the contacts the export added — those its snapshot (req.Previous) records,
// except those it found on the list before it first sent them, unless req.ListScope is
// ScopeList — off the list, for destroying an export that was asked to clean up. Contacts are
// removed from the list, never deleted; members the export did not add stay. The list's members
// are read through a contacts export and those to remove are removed in URL-safe batches. Only
// req.ListID, req.APIKey, req.RecordKey, req.ListScope, req.Previous and req.PreviousRunFinished
// are used.
// A snapshot written under another API key cannot tell the export's contacts apart: that is an
// error, and nothing is removed.
func (e *Engine) RemoveAll(ctx context.Context, req Request) (*Report, error) {
	if e.Client == nil {
		return nil, errors.New("export: no SendGrid client")
	}
	if req.APIKey == "" || strings.TrimSpace(req.ListID) == "" {
		return nil, errors.New("export: RemoveAll needs the list ID and the API key")
	}
	rep := &Report{StartedAt: e.now(), Invalid: newInvalidReport(0)}
	prev, state := loadPrevious(req.Previous, req.snapshotKey(), req.ListID)
	switch state {
	case SnapshotKeyChanged:
		return nil, errors.New("the export's snapshot was written under another API key, so the contacts it added cannot be told apart from others on the list; nothing was removed (remove them in SendGrid, or destroy without removing them)")
	case SnapshotOtherList, SnapshotCorrupt:
		return nil, fmt.Errorf("the export's snapshot is %s; nothing was removed", strings.ReplaceAll(string(state), "_", " "))
	}
	if prev.Len() == 0 {
		rep.Status, rep.FinishedAt = StatusNoChanges, e.now()
		return rep, nil
	}
	m, err := e.ownMembers(ctx, &req, prev)
	if err != nil {
		return nil, err
	}
	a := &applier{e: e, listID: req.ListID, rep: rep, prog: &progress{fn: e.Progress}}
	rs := &removalSet{}
	var emails []string
	var hashes []uint64
	for _, en := range m.entries {
		if !removesOnDestroy(&req, prev, en.Email) {
			continue
		}
		ref := m.ref(en.Email)
		switch {
		case ref.id != "":
			rs.ids = append(rs.ids, ref.id)
			rs.hashes = append(rs.hashes, en.Email)
		case searchable(ref.email):
			emails = append(emails, ref.email)
			hashes = append(hashes, en.Email)
		case ref.email != "":
			a.problem("a contact of the list has neither a contact ID in the export nor a searchable email; not removed", 1)
			a.todo++
		}
	}
	err = e.searchOnList(ctx, req.ListID, emails, func(k int, id string, _ bool) {
		if id != "" {
			rs.ids = append(rs.ids, id)
			rs.hashes = append(rs.hashes, hashes[k])
		}
	})
	if err != nil {
		return nil, err
	}
	a.todo += int64(len(rs.ids))
	runErr := a.remove(ctx, rs)
	rep.FinishedAt = e.now()
	rep.Status = a.status()
	if runErr != nil {
		return rep, runErr
	}
	if rep.Status == StatusPartial || rep.Status == StatusFailed {
		return rep, &RunError{Status: rep.Status, Problems: rep.Problems}
	}
	return rep, nil
}
