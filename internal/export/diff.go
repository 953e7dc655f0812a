package export

import (
	"slices"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/export/snapshot"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/radix"
)

// baseline is what the exported contacts are compared with: the usable previous snapshot (nil
// when none) and, when they were read from SendGrid, the list's members.
type baseline struct {
	prev    []snapshot.Entry // sorted
	prevIdx *snapshot.Index  // lookups in prev
	// resendAll is set when every exported contact is sent again: the mapped fields' IDs differ
	// from the snapshot's, or the request asks for it (Request.Resend).
	resendAll bool
	// adopted are the snapshot's contacts the export found on the list before it first sent
	// them (snapshot.Snapshot.Adopted); scope says whether the export removes only the contacts
	// it added (ScopeAdded) or any member (ScopeList).
	adopted []uint64
	scope   ListScope
	// confirmed counts the snapshot's contacts confirmed on the list (confirmedCount).
	confirmed int64
	// members is the list's membership when it was read from SendGrid before the scan (no
	// usable snapshot, or the list's count disagrees with the snapshot): a contact counts as
	// unchanged only if it is also on the list.
	members  *members
	drift    bool // the list's count showed members removed outside the export
	settling bool // the list's count was low within the settle window (not drift)
}

// adopts reports whether the export found the contact on the list before it first sent it.
func (b *baseline) adopts(eh uint64) bool {
	_, ok := slices.BinarySearch(b.adopted, eh)
	return ok
}

// removable reports whether a contact of the snapshot that left the segments is the export's to
// remove: it added it, or it claims the whole list.
func (b *baseline) removable(eh uint64) bool {
	return b.scope == ScopeList || !b.adopts(eh)
}

// unchanged reports whether the snapshot (and the list, when read) already has this content.
func (b *baseline) unchanged(eh, ch uint64) bool {
	if b.resendAll {
		return false
	}
	pc, ok := b.prevIdx.Find(eh)
	return ok && pc == ch && (b.members == nil || b.members.has(eh))
}

// snapshotBase is what the new snapshot starts from before the upload's confirmations: the
// previous snapshot, only the contacts really on the list when the list was read, and with
// content hashes cleared when the fields changed (contacts not uploaded again now must not look
// current next time).
func (b *baseline) snapshotBase() []snapshot.Entry {
	base := b.prev
	if b.members != nil {
		base = make([]snapshot.Entry, 0, len(b.prev))
		for _, p := range b.prev {
			if b.members.has(p.Email) {
				base = append(base, p)
			}
		}
	}
	if b.resendAll {
		stale := make([]snapshot.Entry, len(base))
		for i, p := range base {
			stale[i] = snapshot.Entry{Email: p.Email}
		}
		base = stale
	}
	return base
}

// changes is the diff stage's result: the exported contacts and what the uploader needs to find
// the leavers.
type changes struct {
	base *baseline
	cur  []snapshot.Entry // exported contacts, sorted by email hash
	dups int64            // valid rows whose email appeared earlier
	// unsureInCur counts exported contacts the snapshot marks as sent without confirmation.
	unsureInCur int64
	// known maps email hashes in the snapshot to emails seen in the sources but not exported
	// (filtered out, or invalid): leavers whose email is known can be looked up by search.
	known map[uint64]string
	// sample maps email hashes to emails of exported contacts the snapshot records as confirmed
	// on the list, to check that they still are (drift).
	sample map[uint64]string
}

// leaver reports whether a member of the list (read from SendGrid) must be removed in mirror
// mode: it is not exported, and the export added it (the snapshot records it and did not find
// it on the list before), or the export claims the whole list (ScopeList: then the list is made
// equal to the segments).
func (c *changes) leaver(eh uint64) bool {
	if _, ok := snapshot.Find(c.cur, eh); ok {
		return false
	}
	if c.base.scope == ScopeList {
		return true
	}
	_, ours := c.base.prevIdx.Find(eh)
	return ours && !c.base.adopts(eh)
}

// notAdded reports whether a member of the list is one the export did not add: not in the
// snapshot, or found on the list before the export first sent it.
func (c *changes) notAdded(eh uint64) bool {
	_, inPrev := c.base.prevIdx.Find(eh)
	return !inPrev || c.base.adopts(eh)
}

// adoptedMembers returns, when the list's members were read, the exported contacts that were
// already on the list and that the export had not added: the export adopts them (they stay on
// the list when they leave the segments). Sorted.
func (c *changes) adoptedMembers() []uint64 {
	m := c.base.members
	if m == nil {
		return nil
	}
	var out []uint64
	for _, en := range c.cur {
		if m.has(en.Email) && c.notAdded(en.Email) {
			out = append(out, en.Email)
		}
	}
	return out
}

// differ is the diff stage: as the reader's sink it compares each contact with the baseline,
// and feeds the contacts to upload to the batch plan (out).
//
// With stream set (an apply without a usable snapshot: every exported contact is uploaded),
// duplicates are dropped with a set as rows arrive and every contact goes to the batch plan at
// once, so the upload files can be built, and compressed, during the scan. Otherwise rows holds
// every valid row's hashes and JSON size in source order (24 bytes a row), and in an apply cand
// the records of the rows the snapshot does not have as they are, with their positions in
// candSeq; finish resolves them.
type differ struct {
	base  *baseline
	h     *hasher
	out   *outbox
	apply bool // keep the records of the contacts to upload
	// stream: see above. trackKnown: remember the emails of excluded rows the snapshot has.
	stream, trackKnown bool
	// sampleMod, when not 0, selects the drift sample: exported contacts confirmed in the
	// snapshot whose email hash is a multiple of it (see driftSample).
	sampleMod uint64

	seen  u64set
	res   changes
	known map[uint64]string

	rows    []planRow
	cand    spool
	candSeq []uint32
}

func (d *differ) excluded(email string) {
	if !d.trackKnown {
		return
	}
	eh := d.h.email(email)
	if _, ok := d.base.prevIdx.Find(eh); ok {
		if d.known == nil {
			d.known = map[uint64]string{}
		}
		d.known[eh] = email
	}
}

func (d *differ) contact(eh, ch uint64, jl int, rec []byte) {
	if d.sampleMod != 0 && eh%d.sampleMod == 0 {
		d.addSample(eh, rec)
	}
	if !d.stream {
		// Keep the row's hashes in source order; duplicates and changes are resolved after
		// the scan by sorting (see resolve), without a set or a lookup per row. An apply also
		// keeps the record, to upload it if it turns out changed.
		seq := uint32(len(d.rows))
		d.rows = append(d.rows, planRow{eh: eh, ch: ch, seq: seq, jl: uint32(jl)})
		if d.apply && !d.base.unchanged(eh, ch) {
			// A candidate: changed unless a duplicate (which resolve finds out).
			d.cand.add(snapshot.Entry{Email: eh, Content: ch}, jl, rec)
			d.candSeq = append(d.candSeq, seq)
		}
		return
	}
	if !d.seen.add(eh) {
		d.res.dups++
		return
	}
	en := snapshot.Entry{Email: eh, Content: ch}
	d.res.cur = append(d.res.cur, en)
	d.out.count(jl)
	d.out.keep(en, jl, rec)
}

// finish completes the diff after the scan and returns the changes.
func (d *differ) finish() *changes {
	d.seen = u64set{}
	if d.stream {
		d.res.cur = snapshot.Sort(d.res.cur)
	} else {
		d.resolve()
	}
	for eh := range d.known {
		if _, ok := snapshot.Find(d.res.cur, eh); ok {
			delete(d.known, eh)
		}
	}
	d.res.base, d.res.known = d.base, d.known
	return &d.res
}

// planRow is a valid row as Plan keeps it: 24 bytes.
type planRow struct {
	eh, ch uint64
	seq    uint32 // position among valid rows, in source order
	jl     uint32 // serialized JSON size
}

type seqLen struct{ seq, jl uint32 }

// resolve settles the rows kept in source order: a stable sort by email hash puts each
// email's rows together in source order, so the first of each group is the winner (the rule
// the streaming diff applies with a set); the winners merged with the previous snapshot (and
// the list's members, when read) give the changes. The changed winners, back in source order,
// go to the batch plan; in an apply, once the method is chosen, with their records.
func (d *differ) resolve() {
	rows := d.rows
	d.rows = nil
	radix.Sort(rows, 64, func(r *planRow) uint64 { return r.eh }) // stable: equal hashes keep source order
	cur := make([]snapshot.Entry, 0, len(rows))
	var changed []seqLen // changed winners
	prev, members := d.base.prev, d.base.members
	pi := 0
	for i := 0; i < len(rows); {
		r := rows[i]
		j := i + 1
		for j < len(rows) && rows[j].eh == r.eh {
			j++
		}
		d.res.dups += int64(j - i - 1)
		i = j
		cur = append(cur, snapshot.Entry{Email: r.eh, Content: r.ch})
		for pi < len(prev) && prev[pi].Email < r.eh {
			pi++
		}
		if pi < len(prev) && prev[pi].Email == r.eh && (members == nil || members.has(r.eh)) {
			pc := prev[pi].Content
			if pc == r.ch && !d.base.resendAll {
				continue
			}
			if pc == 0 {
				d.res.unsureInCur++
			}
		}
		changed = append(changed, seqLen{r.seq, r.jl})
	}
	d.res.cur = cur
	radix.Sort(changed, 32, func(v *seqLen) uint64 { return uint64(v.seq) })
	for _, c := range changed {
		d.out.count(int(c.jl))
	}
	if d.apply {
		d.keepChanged(changed)
	}
}

// keepChanged hands the records of the changed winners to the batch plan: every changed winner
// is a candidate, and candidates and changed winners are both in source order.
func (d *differ) keepChanged(changed []seqLen) {
	d.out.prepare() // the method is known now: the CSV files are built only when they are used
	i, k := 0, 0
	d.cand.each(func(en snapshot.Entry, jl int, rec []byte) bool {
		if k < len(changed) && changed[k].seq == d.candSeq[i] {
			d.out.keep(en, jl, rec)
			k++
		}
		i++
		return k < len(changed)
	})
	d.cand, d.candSeq = spool{}, nil
}

// diffCounts are the plan's change counts; removeNotAdded counts the removals of contacts the
// export did not add (only with ScopeList).
type diffCounts struct {
	add, update, remove, unchanged, removeNotAdded int64
	// removable counts the contacts on the list the export may remove (mirror mode): those it
	// put there, or every member when it claims the list.
	removable int64
}

// count counts the changes: against the previous snapshot, or against the list when it was
// read. Leavers count only in mirror mode.
func (c *changes) count(mode SyncMode) diffCounts {
	b := c.base
	var n diffCounts
	if b.members == nil {
		dc := snapshot.Diff(b.prev, c.cur, func(ch snapshot.Change, en snapshot.Entry) {
			// A leaver whose removal SendGrid accepted in an earlier run (removalPending) is no
			// change to make: the next run that looks the list up checks it.
			if mode != SyncMirror || ch != snapshot.Removed || en.Content == removalPending || !b.removable(en.Email) {
				return
			}
			n.remove++
			if b.adopts(en.Email) {
				n.removeNotAdded++
			}
		})
		if b.resendAll {
			dc.Update += dc.Unchanged
			dc.Unchanged = 0
		}
		n.add, n.update, n.unchanged = dc.Add, dc.Update, dc.Unchanged
		if mode == SyncMirror {
			for _, en := range b.prev {
				if en.Content != 0 && en.Content != removalPending && b.removable(en.Email) {
					n.removable++
				}
			}
		}
		return n
	}
	for _, en := range c.cur {
		switch pc, inPrev := b.prevIdx.Find(en.Email); {
		case !b.members.has(en.Email):
			n.add++
		case inPrev && pc == en.Content && !b.resendAll:
			n.unchanged++
		default:
			n.update++
		}
	}
	if mode != SyncMirror {
		return n
	}
	for _, m := range b.members.entries {
		if b.scope == ScopeList || !c.notAdded(m.Email) {
			n.removable++
		}
		if c.leaver(m.Email) {
			n.remove++
			if c.notAdded(m.Email) {
				n.removeNotAdded++
			}
		}
	}
	return n
}

// listLeavers returns, when the list's members were read, those to remove in mirror mode (and
// true); false when the list was not read.
func (c *changes) listLeavers() ([]member, bool) {
	m := c.base.members
	if m == nil {
		return nil, false
	}
	var out []member
	for _, en := range m.entries {
		if c.leaver(en.Email) {
			out = append(out, m.ref(en.Email))
		}
	}
	return out, true
}

// eachLeaver calls fn for each contact of the previous snapshot no longer exported that the
// export may remove (see baseline.removable), those whose removal is pending included, with its
// email when the sources still show it (filtered out, or invalid), else "".
func (c *changes) eachLeaver(fn func(eh uint64, email string)) {
	snapshot.Diff(c.base.prev, c.cur, func(ch snapshot.Change, en snapshot.Entry) {
		if ch == snapshot.Removed && c.base.removable(en.Email) {
			fn(en.Email, c.known[en.Email])
		}
	})
}
