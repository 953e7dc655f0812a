package export

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/export/snapshot"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/privacy"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
)

// applier is the uploader: it receives the changes (the batch plan's records and method, and in
// mirror mode what it needs to find the leavers), uploads them, removes the leavers, and reports
// what SendGrid confirmed (outcome).
type applier struct {
	e       *Engine
	listID  string
	h       *hasher // email hashes of the contacts SendGrid names
	codec   *codec  // serializes the records
	rep     *Report
	prog    *progress
	out     *outbox // the contacts to upload
	up      uploadPlan
	gone    *changes        // mirror mode: the exported contacts and the baseline, to find leavers
	prevIdx *snapshot.Index // the previous snapshot, to tell removals of earlier runs
	// settling is set when the previous run finished within the engine's settle window: its
	// contacts may not show in searches and contacts exports yet.
	settling bool
	// lookUpNew is set when the list's members were not read before the scan: the contacts new
	// to the export are looked up before the upload, and those already on the list are adopted.
	lookUpNew bool
	adopted   []uint64

	mu        sync.Mutex
	confirmed []snapshot.Entry // uploads SendGrid confirmed
	// unsure holds contacts whose upload or removal may or may not have been applied (a request
	// or job whose outcome is unknown). They go into the snapshot with content hash 0, which
	// matches no content: the next run uploads them again if they are still exported, and
	// checks the list for them (and removes them) if they are not.
	unsure        []uint64
	removedHashes []uint64 // leavers confirmed off the list
	// pendingRemoval holds leavers whose removal SendGrid accepted (202) but did not confirm:
	// removal jobs have no documented status. They stay in the snapshot with content hash
	// removalPending until a later run finds them off the list.
	pendingRemoval []uint64
	todo           int64 // changes to make (uploads + removals)
	done           int64 // changes confirmed
	problems       map[string]int64
	problemOrder   []string
}

func (a *applier) problem(msg string, n int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.problems == nil {
		a.problems = map[string]int64{}
	}
	if _, ok := a.problems[msg]; !ok {
		a.problemOrder = append(a.problemOrder, msg)
	}
	a.problems[msg] += n
}

func (a *applier) status() Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.rep.Problems = a.rep.Problems[:0]
	for _, m := range a.problemOrder {
		a.rep.Problems = append(a.rep.Problems, fmt.Sprintf("%s (%d)", m, a.problems[m]))
	}
	switch {
	case a.todo == 0:
		return StatusNoChanges
	case a.done >= a.todo:
		return StatusSucceeded
	case a.done > 0:
		return StatusPartial
	}
	return StatusFailed
}

func (a *applier) addJob(id string) {
	if id == "" {
		return
	}
	a.mu.Lock()
	a.rep.JobIDs = append(a.rep.JobIDs, id)
	a.mu.Unlock()
}

func (a *applier) run(ctx context.Context) error {
	a.todo = int64(a.out.size())
	var removals *removalSet
	if a.gone != nil {
		var err error
		removals, err = a.planRemovals(ctx)
		if err != nil {
			return err
		}
		a.todo += int64(removals.total())
		a.rep.Deferred = int64(len(removals.deferred))
	}
	if a.lookUpNew && a.out.size() > 0 {
		var err error
		if a.adopted, err = a.findAdopted(ctx); err != nil {
			return err
		}
	}
	if a.out.size() > 0 {
		a.rep.Method = a.up.method
		var err error
		if a.up.method == "csv" {
			err = a.uploadCSV(ctx)
		} else {
			err = a.uploadPUT(ctx)
		}
		if err != nil {
			return err
		}
	}
	if removals != nil && removals.total()+len(removals.verified) > 0 {
		return a.remove(ctx, removals)
	}
	return nil
}

// scrubMessage removes anything that looks like an email address from a SendGrid message.
func scrubMessage(m string) string {
	if !strings.Contains(m, "@") {
		return m
	}
	f := strings.Fields(m)
	for i, w := range f {
		if strings.Contains(w, "@") {
			f[i] = privacy.MaskEmail(strings.Trim(w, `"'<>(),;:`))
		}
	}
	return strings.Join(f, " ")
}

func errMessage(err error) string {
	var ae *sendgrid.APIError
	if errors.As(err, &ae) {
		return scrubMessage(ae.Error())
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return "interrupted: " + err.Error()
	}
	return scrubMessage(err.Error())
}

// settle records a finished job for the contacts in entries: completed confirms all, errored
// all but the rows in the job's errors file, failed none.
func (a *applier) settle(ctx context.Context, jobID string, entries []snapshot.Entry, eh func(string) uint64) {
	job, err := a.e.waitJob(ctx, jobID)
	if err != nil {
		a.problem("job "+jobID+" not confirmed: "+errMessage(err), int64(len(entries)))
		a.count(0, 0, int64(len(entries)))
		a.markUnsure(entries)
		return
	}
	a.prog.update(func(p *Progress) { p.JobsDone++ })
	switch job.Status {
	case sendgrid.JobCompleted:
		a.confirm(entries)
		a.count(job.Created, job.Updated, 0)
	case sendgrid.JobErrored:
		rows, err := a.e.Client.ImportErrors(ctx, job.ErrorsURL)
		if err != nil {
			// Without the rows we cannot tell which contacts failed: confirm none, so the next
			// run sends them all again (an upsert is idempotent).
			a.problem("job "+jobID+" errored and its errors file could not be read: "+errMessage(err), int64(len(entries)))
			a.count(job.Created, job.Updated, int64(len(entries)))
			a.markUnsure(entries)
			return
		}
		bad := make(map[uint64]struct{}, len(rows))
		identified := true // every row names a contact of this job
		for _, r := range rows {
			email, reason := NormalizeEmail(r.Email)
			if reason != "" {
				email = strings.ToLower(strings.TrimSpace(r.Email))
			}
			if email == "" {
				identified = false
			} else {
				bad[eh(email)] = struct{}{}
			}
			msg := scrubMessage(r.Message)
			if msg == "" {
				msg = "rejected by SendGrid"
			}
			a.problem("SendGrid rejected contact: "+msg, 1)
		}
		ok := make([]snapshot.Entry, 0, len(entries))
		var rejected []snapshot.Entry
		for _, e := range entries {
			if _, isBad := bad[e.Email]; !isBad {
				ok = append(ok, e)
			} else {
				rejected = append(rejected, e)
			}
		}
		// A rejected row was not applied by this job, but an earlier attempt of the same request
		// (repeated after a broken connection) may have applied it: unsure.
		a.markUnsure(rejected)
		errored := int64(len(entries) - len(ok))
		if !identified || int64(len(rejected)) < job.Errored {
			// The errors file's format is not documented: unless every errored row is named by
			// the email of one of the job's contacts, any contact may have failed. Confirm none;
			// the next run sends them again (an upsert is idempotent).
			ok = nil
			errored = int64(len(entries))
			a.problem("job "+jobID+" errored and its errors file does not name every rejected contact; none of its contacts is confirmed", errored)
			a.markUnsure(entries)
		}
		a.confirm(ok)
		a.count(job.Created, job.Updated, errored)
	default:
		a.problem("job "+jobID+" "+job.Status, int64(len(entries)))
		a.count(0, 0, int64(len(entries)))
		// Nothing of this job was applied, but an earlier attempt of the same request may have
		// been: unsure.
		a.markUnsure(entries)
	}
}

func (a *applier) markUnsure(entries []snapshot.Entry) {
	a.mu.Lock()
	for _, e := range entries {
		a.unsure = append(a.unsure, e.Email)
	}
	a.mu.Unlock()
}

func (a *applier) markUnsureHashes(hs []uint64) {
	a.mu.Lock()
	a.unsure = append(a.unsure, hs...)
	a.mu.Unlock()
}

// outcome is what SendGrid confirmed in a run: the uploads confirmed, the removals accepted
// (pending) and confirmed, and the contacts whose upload or removal has no known outcome.
type outcome struct {
	confirmed []snapshot.Entry
	pending   []uint64
	unsure    []uint64
	removed   []uint64
}

// outcome returns what SendGrid confirmed; call it once the run is over.
func (a *applier) outcome() outcome {
	a.mu.Lock()
	defer a.mu.Unlock()
	return outcome{confirmed: a.confirmed, pending: a.pendingRemoval, unsure: a.unsure, removed: a.removedHashes}
}

// next returns the entries of the new snapshot: base (what the previous snapshot holds of the
// list) with the confirmed uploads and removals applied, accepted removals marked
// removalPending, and unsure contacts marked with content hash 0.
func (o outcome) next(base []snapshot.Entry) []snapshot.Entry {
	set := make([]snapshot.Entry, 0, len(o.confirmed)+len(o.unsure)+len(o.pending))
	set = append(set, o.confirmed...)
	for _, h := range o.pending {
		set = append(set, snapshot.Entry{Email: h, Content: removalPending})
	}
	for _, h := range o.unsure {
		set = append(set, snapshot.Entry{Email: h})
	}
	return snapshot.Advance(base, set, o.removed)
}

func (a *applier) confirm(entries []snapshot.Entry) {
	a.mu.Lock()
	a.confirmed = append(a.confirmed, entries...)
	a.done += int64(len(entries))
	n := a.done
	a.mu.Unlock()
	a.prog.update(func(p *Progress) { p.ConfirmedSoFar = n })
}

func (a *applier) count(created, updated, errored int64) {
	a.mu.Lock()
	a.rep.Created += created
	a.rep.Updated += updated
	a.rep.Errored += errored
	a.mu.Unlock()
}

type putBatch struct {
	body    []byte
	entries []snapshot.Entry
	offs    []int // start of each contact's JSON in body
}

// part returns the batch's contacts as a putPart (slices of body).
func (b putBatch) part() putPart {
	p := putPart{recs: make([][]byte, len(b.offs)), entries: b.entries, raw: b.body}
	for i, o := range b.offs {
		end := len(b.body) - len(bodySuffix)
		if i+1 < len(b.offs) {
			end = b.offs[i+1] - 1 // before the comma
		}
		p.recs[i] = b.body[o:end]
	}
	return p
}

// uploadPUT sends the spooled contacts as JSON upserts, Concurrency requests in flight, each
// job polled to its end in the background.
func (a *applier) uploadPUT(ctx context.Context) error {
	e := a.e
	total := a.up.putBatches
	a.prog.update(func(p *Progress) {
		p.Phase = "upload"
		p.BatchesTotal, p.ContactsTotal, p.JobsTotal = total, int64(a.out.size()), total
	})

	maxB := e.maxBatchBytes()
	pool := &sync.Pool{New: func() any { b := make([]byte, 0, maxB); return &b }}
	batches := make(chan putBatch, 1)
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go a.serializeBatches(ctx, pool, batches)

	var wg, jobs sync.WaitGroup
	waiters := make(chan struct{}, 16)
	for range e.concurrency() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				budget := isolateBudget
				a.upsertPart(ctx, b.part(), &budget, func(jobID string, entries []snapshot.Entry) {
					a.sent(jobID, entries)
					jobs.Add(1)
					waiters <- struct{}{}
					go func() {
						defer jobs.Done()
						defer func() { <-waiters }()
						a.settle(ctx, jobID, entries, a.h.clone().email)
					}()
				})
				body := b.body[:0]
				pool.Put(&body)
			}
		}()
	}
	wg.Wait()
	jobs.Wait()
	return parent.Err()
}

// sent records an upsert SendGrid accepted as a job.
func (a *applier) sent(jobID string, entries []snapshot.Entry) {
	n := int64(len(entries))
	a.addJob(jobID)
	a.mu.Lock()
	a.rep.Requested += n
	a.mu.Unlock()
	a.prog.update(func(p *Progress) { p.BatchesSent++; p.ContactsSent += n })
}

// serializeBatches serializes the spooled records into upsert bodies, cut at the limits, and
// sends them on batches (closed at the end). Records are released as they are serialized: the
// upload holds little more than the bodies in flight.
func (a *applier) serializeBatches(ctx context.Context, pool *sync.Pool, batches chan<- putBatch) {
	defer close(batches)
	maxC, maxB := a.e.maxBatchContacts(), a.e.maxBatchBytes()
	prefix := bodyPrefix(a.listID)
	n := a.out.size()
	var cur putBatch
	start := func() {
		bp, _ := pool.Get().(*[]byte)
		if bp == nil {
			b := make([]byte, 0, maxB)
			bp = &b
		}
		cur = putBatch{body: append((*bp)[:0], prefix...), entries: make([]snapshot.Entry, 0, min(maxC, n)),
			offs: make([]int, 0, min(maxC, n))}
	}
	emit := func() bool {
		cur.body = append(cur.body, bodySuffix...)
		select {
		case batches <- cur:
			return true
		case <-ctx.Done():
			return false
		}
	}
	start()
	ok := true
	a.out.drain(func(en snapshot.Entry, jsonLen int, rec []byte) bool {
		if !fits(len(cur.entries), len(cur.body), jsonLen, maxC, maxB) {
			if ok = emit(); !ok {
				return false
			}
			start()
		}
		if len(cur.entries) > 0 {
			cur.body = append(cur.body, ',')
		}
		cur.offs = append(cur.offs, len(cur.body))
		cur.body = a.codec.appendJSON(cur.body, rec)
		cur.entries = append(cur.entries, en)
		return true
	})
	if ok && len(cur.entries) > 0 {
		emit()
	}
}

// uploadCSV sends the spooled contacts as gzip-compressed CSV imports of up to
// MaxImportContacts contacts each: the files the batch plan compressed, each started as an import
// (PUT /v3/marketing/contacts/imports), uploaded to its upload URI, and its job polled to its end.
func (a *applier) uploadCSV(ctx context.Context) error {
	e := a.e
	_, ids, _ := a.codec.csvHeader()
	a.prog.update(func(p *Progress) {
		p.Phase = "upload"
		p.BatchesTotal, p.ContactsTotal, p.JobsTotal = a.up.csvChunks, int64(a.out.size()), a.up.csvChunks
	})
	bodies, entries, err := a.out.csvFiles()
	if err != nil {
		return err
	}
	var jobs sync.WaitGroup
	defer jobs.Wait()
	for i, body := range bodies {
		if ctx.Err() != nil {
			break
		}
		ents := entries[i]
		n := int64(len(ents))
		imp, err := e.Client.StartCSVImport(ctx, []string{a.listID}, ids)
		if err != nil {
			a.problem("CSV import not started: "+errMessage(err), n)
			a.count(0, 0, n)
			continue
		}
		if err := e.Client.UploadCSV(ctx, imp, body); err != nil {
			a.problem("CSV file not uploaded: "+errMessage(err), n)
			a.count(0, 0, n)
			a.markUnsure(ents)
			continue
		}
		bodies[i] = nil
		a.addJob(imp.JobID)
		a.mu.Lock()
		a.rep.Requested += n
		a.mu.Unlock()
		a.prog.update(func(p *Progress) { p.BatchesSent++; p.ContactsSent += n })
		jobs.Add(1)
		go func() {
			defer jobs.Done()
			a.settle(ctx, imp.JobID, ents, a.h.clone().email)
		}()
	}
	jobs.Wait()
	return ctx.Err()
}

// removalSet is the leavers to take off the list.
type removalSet struct {
	ids    []string // contact IDs
	hashes []uint64 // their email hashes (parallel to ids)
	gone   []uint64 // leavers already off the list (confirmed without a request)
	// verified are accepted removals of earlier runs (removalPending) found off the list: no
	// change to make, only the snapshot to update.
	verified []uint64
	// deferred are leavers not found while the previous run may still be settling: SendGrid may
	// not show a contact that run added yet. They stay in the snapshot as they are, and the next
	// run looks for them again.
	deferred []uint64
}

// goneOrVerified records a leaver not found on the list.
func (r *removalSet) goneOrVerified(a *applier, h uint64) {
	if a.prevIdx != nil {
		if c, ok := a.prevIdx.Find(h); ok && c == removalPending {
			r.verified = append(r.verified, h)
			return
		}
	}
	if a.settling {
		r.deferred = append(r.deferred, h)
		return
	}
	r.gone = append(r.gone, h)
}

func (r *removalSet) total() int { return len(r.ids) + len(r.gone) }

// planRemovals finds the contact IDs of the contacts that left the segments. With a usable
// snapshot the leavers are the snapshot's contacts no longer exported: those whose email the
// sources still show (filtered out, or invalid) are looked up by email search, 100 per request;
// the others (deleted from the sources) are found in a contacts export of the list. When the
// list was read before the scan, its members not exported are the leavers.
func (a *applier) planRemovals(ctx context.Context) (*removalSet, error) {
	l := &leavers{a: a, rs: &removalSet{}}
	if listed, ok := a.gone.listLeavers(); ok {
		for _, m := range listed {
			l.add(m)
		}
	} else if err := l.fromSnapshot(ctx); err != nil {
		return nil, err
	}
	if err := a.searchLeavers(ctx, l.rs, l.emails, l.emailHashes); err != nil {
		return nil, err
	}
	l.rs.sortByID()
	return l.rs, nil
}

// leavers collects the contacts to remove: by contact ID when known, else by email to search.
type leavers struct {
	a           *applier
	rs          *removalSet
	emails      []string
	emailHashes []uint64
}

// add takes a member of the list to remove.
func (l *leavers) add(m member) {
	switch {
	case m.id != "":
		l.rs.ids = append(l.rs.ids, m.id)
		l.rs.hashes = append(l.rs.hashes, m.eh)
	case searchable(m.email):
		l.addEmail(m.email, m.eh)
	default:
		l.a.problem("a contact of the list has neither a contact ID in the export nor a searchable email; not removed", 1)
		l.a.markUnsureHashes([]uint64{m.eh})
	}
}

func (l *leavers) addEmail(email string, eh uint64) {
	l.emails = append(l.emails, email)
	l.emailHashes = append(l.emailHashes, eh)
}

// fromSnapshot takes the snapshot's contacts no longer exported: by email when the sources
// still show it, else found in a contacts export of the list.
func (l *leavers) fromSnapshot(ctx context.Context) error {
	unknown := map[uint64]struct{}{}
	l.a.gone.eachLeaver(func(eh uint64, email string) {
		if searchable(email) {
			l.addEmail(email, eh)
			return
		}
		// Deleted from the sources, or an address SendGrid cannot search (over
		// sendgrid.MaxSearchEmailLength characters): found in a contacts export.
		unknown[eh] = struct{}{}
	})
	if len(unknown) == 0 {
		return nil
	}
	l.a.prog.update(func(p *Progress) { p.Phase = "membership" })
	found := map[uint64]bool{}
	err := l.a.e.eachMember(ctx, l.a.listID, l.a.h, func(m member) error {
		if _, ok := unknown[m.eh]; ok && !found[m.eh] {
			found[m.eh] = true
			l.add(m)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading the list's members from SendGrid: %w", err)
	}
	for h := range unknown {
		if !found[h] {
			l.rs.goneOrVerified(l.a, h) // not on the list any more
		}
	}
	return nil
}

// sortByID orders the removals by contact ID: request batches are then deterministic.
func (rs *removalSet) sortByID() {
	idx := make([]int, len(rs.ids))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(x, y int) bool { return rs.ids[idx[x]] < rs.ids[idx[y]] })
	ids, hs := make([]string, len(idx)), make([]uint64, len(idx))
	for i, k := range idx {
		ids[i], hs[i] = rs.ids[k], rs.hashes[k]
	}
	rs.ids, rs.hashes = ids, hs
}

// searchLeavers looks leavers up by email, 100 per request: those on the list are to be
// removed, the others are gone.
func (a *applier) searchLeavers(ctx context.Context, rs *removalSet, emails []string, emailHashes []uint64) error {
	return a.e.searchOnList(ctx, a.listID, emails, func(k int, id string, on bool) {
		if !on {
			rs.goneOrVerified(a, emailHashes[k])
			return
		}
		rs.ids = append(rs.ids, id)
		rs.hashes = append(rs.hashes, emailHashes[k])
	})
}

// searchable reports whether POST /v3/marketing/contacts/search/emails takes the address: at
// most sendgrid.MaxSearchEmailLength characters (spec: emails.items maxLength 100); one longer
// address would fail the whole search with 400.
func searchable(email string) bool {
	return email != "" && utf8.RuneCountInString(email) <= sendgrid.MaxSearchEmailLength
}

// urlLength is implemented by *sendgrid.Client.
type urlLengther interface {
	RemoveListContactsURLLength(listID string, contactIDs []string) int
}

// removeURLLength is the URL length of a removal request; without the client's own count it
// assumes a 100-character base URL.
func (a *applier) removeURLLength(ids []string) int {
	if ul, ok := a.e.Client.(urlLengther); ok {
		return ul.RemoveListContactsURLLength(a.listID, ids)
	}
	return 100 + len("/v3/marketing/lists/") + len(a.listID) + len("/contacts?contact_ids=") + len(url.QueryEscape(strings.Join(ids, ",")))
}

// remove takes the leavers off the list in URL-safe batches (< sendgrid.MaxURLLength
// characters). A removal SendGrid accepts is not followed (see removeBatch).
func (a *applier) remove(ctx context.Context, rs *removalSet) error {
	a.mu.Lock()
	a.removedHashes = append(a.removedHashes, rs.gone...)
	a.removedHashes = append(a.removedHashes, rs.verified...)
	a.done += int64(len(rs.gone))
	a.mu.Unlock()
	if len(rs.ids) == 0 {
		return nil
	}
	// Cut batches: grow while the URL stays under the limit.
	var cuts [][2]int
	start := 0
	budget := sendgrid.MaxURLLength
	base := a.removeURLLength(nil)
	length := base
	for i, id := range rs.ids {
		add := len(url.QueryEscape(id))
		if i > start {
			add += len(url.QueryEscape(","))
		}
		if i > start && length+add > budget {
			cuts = append(cuts, [2]int{start, i})
			start, length = i, base
			add = len(url.QueryEscape(id))
		}
		length += add
	}
	cuts = append(cuts, [2]int{start, len(rs.ids)})
	total := int64(len(rs.ids))
	a.prog.update(func(p *Progress) { p.Phase = "remove"; p.RemovalsTotal = total })
	var jobs sync.WaitGroup
	sem := make(chan struct{}, a.e.concurrency())
	for _, c := range cuts {
		ids, hs := rs.ids[c[0]:c[1]], rs.hashes[c[0]:c[1]]
		if a.removeURLLength(ids) > budget {
			return fmt.Errorf("internal error: removal batch URL too long")
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			jobs.Wait()
			return ctx.Err()
		}
		jobs.Add(1)
		go func() {
			defer jobs.Done()
			defer func() { <-sem }()
			a.removeBatch(ctx, ids, hs)
		}()
	}
	jobs.Wait()
	return ctx.Err()
}

// removalPending is the content hash of a contact whose removal from the list SendGrid accepted
// without confirming it. It matches no content (an exported contact is uploaded again), it is
// not counted as confirmed on the list, and the next run that looks the contact up (by email
// search, or in a contacts export it reads anyway) removes it again if it is still there.
const removalPending uint64 = 1

// removeBatch removes contacts from the list (DELETE /v3/marketing/lists/{id}/contacts). SendGrid
// answers 202 with a job whose status it does not document (GET
// /v3/marketing/contacts/imports/{id} is documented for import, upsert and delete jobs only):
// the removal is recorded as accepted (removalPending) and not followed. A 404 means the list
// or one of the contacts does not exist: the list is checked; if it exists, the batch is split
// until the missing contacts (deleted in SendGrid) are found, which are recorded as gone, and
// the others are removed.
func (a *applier) removeBatch(ctx context.Context, ids []string, hs []uint64) {
	n := int64(len(ids))
	jobID, err := a.e.Client.RemoveListContacts(ctx, a.listID, ids)
	if err == nil {
		a.addJob(jobID)
		a.mu.Lock()
		a.pendingRemoval = append(a.pendingRemoval, hs...)
		a.done += n
		a.rep.Removed += n
		done := a.rep.Removed
		a.mu.Unlock()
		a.prog.update(func(p *Progress) { p.RemovalsDone = done })
		return
	}
	if !sendgrid.IsNotFound(err) || ctx.Err() != nil {
		a.problem("removal not confirmed: "+errMessage(err), n)
		a.markUnsureHashes(hs)
		return
	}
	if _, lerr := a.e.Client.ListContactCount(ctx, a.listID); lerr != nil {
		msg := "removal not confirmed: " + errMessage(lerr)
		if sendgrid.IsNotFound(lerr) {
			msg = "removal failed: the list no longer exists in SendGrid"
		}
		a.problem(msg, n)
		a.markUnsureHashes(hs)
		return
	}
	if len(ids) == 1 {
		// The contact no longer exists (deleted in SendGrid): it is off the list.
		a.mu.Lock()
		a.removedHashes = append(a.removedHashes, hs...)
		a.done++
		a.mu.Unlock()
		return
	}
	k := len(ids) / 2
	a.removeBatch(ctx, ids[:k], hs[:k])
	a.removeBatch(ctx, ids[k:], hs[k:])
}
