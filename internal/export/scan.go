package export

import (
	"context"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/export/snapshot"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/privacy"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/profile"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/radix"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/segment"
)

// SegmentError is a segment that could not be opened or read (Index in Request.Segments).
type SegmentError struct {
	Index int
	Name  string
	Err   error
}

func (e *SegmentError) Error() string {
	return fmt.Sprintf("segment %q: %v", e.Name, e.Err)
}

func (e *SegmentError) Unwrap() error { return e.Err }

// scan reads every segment once: it maps and validates each selected row, merges duplicate
// emails (the first valid occurrence wins: segments in the order given, rows in source order),
// and keeps, per exported contact, only its two hashes (cur). With apply set it also keeps the
// records of contacts that must be uploaded (spool).
type scan struct {
	e     *Engine
	req   *Request
	slots []slot
	codec *codec
	h     *hasher
	fpKey []byte // key of the segments' content fingerprints
	inv   *InvalidReport
	apply bool
	prog  *progress

	fields        [8]byte
	prev          []snapshot.Entry // usable previous snapshot, sorted (nil when none)
	prevIdx       *snapshot.Index  // lookups in prev, one per row in an apply
	fieldsChanged bool
	mirror        bool
	// members is the list's membership when it was read from SendGrid before the scan (no
	// usable snapshot, or the list's count disagrees with the snapshot): a contact counts as
	// unchanged only if it is also on the list.
	members *members
	drift   bool

	seen u64set
	cur  []snapshot.Entry // exported contacts; sorted by email hash after run

	rows, selected, dups int64
	unsureInCur          int64 // exported contacts the snapshot marks as sent without confirmation
	settling             bool  // the list count was low within the settle window (not drift)
	perSeg               []SegmentCount

	// Contacts to upload: count, and the PUT batches they need (simulated with the batching
	// rule, so Plan and Apply agree on the method).
	changed    int64
	jsonBytes  int64
	batchSim   batchSim
	spool      spool
	trackKnown bool
	// known maps email hashes in prev to emails seen in the sources but not exported (filtered
	// out, or invalid): leavers whose email is known can be looked up by search.
	known map[uint64]string

	rec, tmp []byte

	// stream is set for an apply without a usable snapshot (see onRow). Otherwise rows24 holds
	// every valid row's hashes and JSON size in source order, and (apply) cand the records of
	// the rows the snapshot does not have as they are, with their positions in candSeq.
	stream  bool
	rows24  []planRow
	cand    spool
	candSeq []uint32

	// csv compresses the CSV import files while the scan runs (apply, when a CSV import is
	// possible); csvLine is scratch space.
	csv     *csvBuilder
	csvLine []byte
}

// openedSegment is a segment opened for the scan, with its columns bound to the slots.
type openedSegment struct {
	seg  Segment
	name string
	idx  []int
}

func (s *scan) run(ctx context.Context) error {
	segs, err := s.openSegments(ctx)
	defer func() {
		for _, o := range segs {
			_ = o.seg.Close()
		}
	}()
	if err != nil {
		return err
	}
	s.stream = s.apply && len(s.prev) == 0
	s.trackKnown = s.apply && s.mirror && len(s.prev) > 0
	if s.trackKnown {
		s.known = map[uint64]string{}
	}
	s.batchSim = newBatchSim(s.req.ListID, s.e.maxBatchContacts(), s.e.maxBatchBytes())
	if s.stream && s.e.Transfer != TransferPUT {
		// Every exported contact is uploaded; the CSV files are compressed while reading, and
		// dropped if the JSON upsert turns out to need fewer requests.
		if names, _, ok := s.codec.csvHeader(); ok {
			s.csv = newCSVBuilder(csvHeaderLine(names), s.e.maxImportContacts())
		}
	}
	s.prog.update(func(p *Progress) { p.Phase = "scan" })
	for i, o := range segs {
		if err := s.scanSegment(ctx, i, o); err != nil {
			return err
		}
	}
	s.seen = u64set{}
	if s.stream {
		s.cur = snapshot.Sort(s.cur)
	} else {
		s.resolve()
	}
	for eh := range s.known {
		if _, ok := snapshot.Find(s.cur, eh); ok {
			delete(s.known, eh)
		}
	}
	s.prog.update(func(p *Progress) { p.Rows = s.rows })
	return nil
}

// openSegments opens every segment and binds its columns to the slots. The segments opened
// are returned, to be closed, also with an error.
func (s *scan) openSegments(ctx context.Context) ([]openedSegment, error) {
	open := s.e.open()
	segs := make([]openedSegment, 0, len(s.req.Segments))
	var cerrs ConfigErrors
	for i, spec := range s.req.Segments {
		name := spec.Name
		if name == "" {
			name = "segments[" + strconv.Itoa(i) + "]"
		}
		seg, err := open(ctx, spec)
		if err != nil {
			return segs, &SegmentError{Index: i, Name: name, Err: err}
		}
		pcols := seg.Columns()
		cols := make([]Column, len(pcols))
		for j, c := range pcols {
			cols[j] = Column{Name: c.Name, Type: string(c.Type)}
		}
		idx, errs := bindColumns(s.slots, cols, name)
		cerrs = append(cerrs, errs...)
		segs = append(segs, openedSegment{seg: seg, name: name, idx: idx})
	}
	if len(cerrs) > 0 {
		return segs, cerrs
	}
	return segs, nil
}

// scanSegment reads one segment, checking its content against the preview's fingerprint when
// one is given.
func (s *scan) scanSegment(ctx context.Context, i int, o openedSegment) error {
	sc := SegmentCount{Name: o.name}
	var fp *segment.Fingerprinter
	if i < len(s.req.SegmentFingerprints) && s.req.SegmentFingerprints[i] != "" {
		fp = segment.NewFingerprinter(s.fpKey, o.seg.Columns())
	}
	err := o.seg.ScanAll(ctx, func(row *profile.Row, selected bool) error {
		if fp != nil && selected {
			fp.Add(row)
		}
		return s.onRow(&sc, o.name, o.idx, row, selected)
	})
	s.perSeg = append(s.perSeg, sc)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &SegmentError{Index: i, Name: o.name, Err: err}
	}
	if fp != nil && fp.Sum() != s.req.SegmentFingerprints[i] {
		return &SegmentChangedError{Index: i, Name: o.name}
	}
	return nil
}

func slotLabel(sl *slot) string {
	if sl.custom {
		return "custom_fields[" + strconv.Quote(sl.name) + "]"
	}
	return sl.name
}

func (s *scan) invalid(seg string, pos profile.Pos, field string, r Reason, masked, detail string) {
	s.inv.add(InvalidRow{Segment: seg, Pos: pos.String(), Field: field, Reason: r, Masked: masked, Detail: detail})
}

// noteKnown remembers the email of a row present in the sources but not exported, when its
// hash is in the previous snapshot (a possible leaver).
func (s *scan) noteKnown(email string) {
	eh := s.h.email(email)
	if _, ok := s.prevIdx.Find(eh); ok {
		s.known[eh] = email
	}
}

// checkText applies a text slot's length limit and, for identifiers, SendGrid's rules.
func checkText(sl *slot, str string) (Reason, string) {
	if sl.maxLen > 0 && len(str) > sl.maxLen {
		if n := utf8.RuneCountInString(str); n > sl.maxLen {
			return ReasonTooLong, fmt.Sprintf("%d characters, at most %d", n, sl.maxLen)
		}
	}
	if sl.check != nil && str != "" {
		return sl.check(str)
	}
	return "", ""
}

func rawText(v any) string {
	t, _ := textValue(v)
	if t == "" && v != nil {
		return fmt.Sprint(v)
	}
	return t
}

// appendValues validates a row's values after the email and appends them to its record; false
// when one is invalid (reported).
func (s *scan) appendValues(rec []byte, seg string, row *profile.Row, idx []int) ([]byte, bool) {
	for i := 1; i < len(s.slots); i++ {
		sl := &s.slots[i]
		v := row.Values[idx[i]]
		var str string
		var r Reason
		s.tmp = s.tmp[:0]
		switch sl.typ {
		case FieldNumber:
			s.tmp, r = appendNumber(s.tmp, v)
		case FieldDate:
			s.tmp, r = appendDate(s.tmp, v)
		default:
			str, r = textValue(v)
		}
		detail := ""
		if r == "" {
			r, detail = checkText(sl, str)
		}
		if r != "" {
			s.invalid(seg, row.Pos, slotLabel(sl), r, privacy.MaskValue(rawText(v)), invalidDetail(sl, r, detail))
			return rec, false
		}
		if sl.typ == FieldNumber || sl.typ == FieldDate {
			rec = appendValueBytes(rec, s.tmp)
		} else {
			rec = appendValue(rec, str)
		}
	}
	return rec, true
}

// invalidDetail explains a reason about a typed custom field.
func invalidDetail(sl *slot, r Reason, detail string) string {
	switch r {
	case ReasonNotNumber:
		return "SendGrid field " + strconv.Quote(sl.name) + " is a Number"
	case ReasonNotDate:
		return "SendGrid field " + strconv.Quote(sl.name) + " is a Date: use YYYY-MM-DD, RFC 3339 or MM/DD/YYYY"
	}
	return detail
}

func (s *scan) onRow(sc *SegmentCount, seg string, idx []int, row *profile.Row, selected bool) error {
	s.rows++
	sc.Rows++
	if s.rows&0xffff == 0 {
		rows := s.rows
		s.prog.update(func(p *Progress) { p.Rows = rows })
	}
	rawEmail := row.Values[idx[0]]
	emailText, r := textValue(rawEmail)
	email := ""
	if r == "" {
		email, r = NormalizeEmail(emailText)
	} else {
		r = ReasonEmailInvalid
	}
	if !selected {
		if s.trackKnown && r == "" {
			s.noteKnown(email)
		}
		return nil
	}
	s.selected++
	sc.Selected++
	if r != "" {
		detail := ""
		if r == ReasonEmailTooLong {
			detail = fmt.Sprintf("%d characters, at most %d", len(emailText), MaxEmailLength)
		}
		s.invalid(seg, row.Pos, "email", r, privacy.MaskEmail(rawText(rawEmail)), detail)
		return nil
	}
	if len(row.Invalid) > 0 {
		// A value against its column's type: the row is invalid, the column keeps its type.
		iv, pos := row.Invalid[0], row.Pos
		if iv.Line > 0 {
			pos.Line = iv.Line
		}
		s.invalid(seg, pos, "column "+strconv.Quote(iv.Name), ReasonColumnType, iv.Masked, iv.Msg)
		if s.trackKnown {
			s.noteKnown(email)
		}
		return nil
	}
	rec, ok := s.appendValues(appendValue(s.rec[:0], email), seg, row, idx)
	s.rec = rec
	if !ok {
		if s.trackKnown {
			s.noteKnown(email)
		}
		return nil
	}
	sc.Valid++
	eh := s.h.email(email)
	ch := s.h.content(rec)
	if !s.stream {
		// Keep the row's hashes in source order; duplicates and changes are resolved after
		// the scan by sorting (see resolve), without a set or a lookup per row. An apply also
		// keeps the record, to upload it if it turns out changed.
		jl := s.codec.jsonLen(rec)
		seq := uint32(len(s.rows24))
		s.rows24 = append(s.rows24, planRow{eh: eh, ch: ch, seq: seq, jl: uint32(jl)})
		if s.apply && !s.unchanged(eh, ch) {
			// A candidate: changed unless a duplicate (which resolve finds out).
			s.cand.add(snapshot.Entry{Email: eh, Content: ch}, jl, rec)
			s.candSeq = append(s.candSeq, seq)
		}
		return nil
	}
	// Streaming (an apply without a usable snapshot: every exported contact is uploaded):
	// duplicates are dropped with a set as rows arrive, so the upload files can be built,
	// and compressed, during the scan.
	if !s.seen.add(eh) {
		s.dups++
		return nil
	}
	s.cur = append(s.cur, snapshot.Entry{Email: eh, Content: ch})
	s.addChanged(snapshot.Entry{Email: eh, Content: ch}, s.codec.jsonLen(rec), rec)
	return nil
}

// leaver reports whether a member of the list (read from SendGrid) must be removed in mirror
// mode: it is not exported, and either the snapshot records it as the export's, or there is no
// usable snapshot to tell the export's contacts from others (then the list is made equal to
// the segments).
func (s *scan) leaver(eh uint64) bool {
	if _, ok := snapshot.Find(s.cur, eh); ok {
		return false
	}
	if s.prev == nil {
		return true
	}
	_, ours := s.prevIdx.Find(eh)
	return ours
}

// unchanged reports whether the snapshot (and the list, when read) already has this content.
func (s *scan) unchanged(eh, ch uint64) bool {
	if s.fieldsChanged {
		return false
	}
	pc, ok := s.prevIdx.Find(eh)
	return ok && pc == ch && (s.members == nil || s.members.has(eh))
}

// addChanged records a contact to upload: its size for the batch count, and in an apply its
// record (and CSV line, when a CSV import is being prepared).
func (s *scan) addChanged(en snapshot.Entry, jl int, rec []byte) {
	s.changed++
	s.batchSim.add(jl)
	s.jsonBytes += int64(jl)
	if s.apply {
		s.spool.add(en, jl, rec)
		if s.csv != nil {
			s.csvLine = s.codec.appendCSV(s.csvLine[:0], rec)
			s.csv.add(s.csvLine)
		}
	}
}

// planRow is a valid row as Plan keeps it: 24 bytes.
type planRow struct {
	eh, ch uint64
	seq    uint32 // position among valid rows, in source order
	jl     uint32 // serialized JSON size
}

// resolve settles the rows kept in source order: a stable sort by email hash puts each
// email's rows together in source order, so the first of each group is the winner (the rule
// the streaming scan applies with a set); the winners merged with the previous snapshot (and
// the list's members, when read) give the changes. The changed winners, back in source order,
// give the PUT batches; in an apply their records are copied from the candidates into the
// upload spool (and the CSV files are built, when the CSV import will be used).
func (s *scan) resolve() {
	rows := s.rows24
	s.rows24 = nil
	radix.Sort(rows, 64, func(r *planRow) uint64 { return r.eh }) // stable: equal hashes keep source order
	cur := make([]snapshot.Entry, 0, len(rows))
	var changed []seqLen // changed winners
	pi := 0
	for i := 0; i < len(rows); {
		r := rows[i]
		j := i + 1
		for j < len(rows) && rows[j].eh == r.eh {
			j++
		}
		s.dups += int64(j - i - 1)
		i = j
		cur = append(cur, snapshot.Entry{Email: r.eh, Content: r.ch})
		for pi < len(s.prev) && s.prev[pi].Email < r.eh {
			pi++
		}
		if pi < len(s.prev) && s.prev[pi].Email == r.eh && (s.members == nil || s.members.has(r.eh)) {
			pc := s.prev[pi].Content
			if pc == r.ch && !s.fieldsChanged {
				continue
			}
			if pc == 0 {
				s.unsureInCur++
			}
		}
		changed = append(changed, seqLen{r.seq, r.jl})
	}
	s.cur = cur
	radix.Sort(changed, 32, func(v *seqLen) uint64 { return uint64(v.seq) })
	if !s.apply {
		for _, c := range changed {
			s.changed++
			s.jsonBytes += int64(c.jl)
			s.batchSim.add(int(c.jl))
		}
		return
	}
	// Decide the method now, so that the CSV files are built only when they will be used.
	sim := s.batchSim
	for _, c := range changed {
		sim.add(int(c.jl))
	}
	if s.e.chooseMethodFor(s.codec, int64(len(changed)), sim.batches()).method == "csv" {
		if names, _, ok := s.codec.csvHeader(); ok {
			s.csv = newCSVBuilder(csvHeaderLine(names), s.e.maxImportContacts())
		}
	}
	// Every changed winner is a candidate; candidates and changed winners are both in source
	// order.
	i, k := 0, 0
	s.cand.each(func(en snapshot.Entry, jl int, rec []byte) bool {
		if k < len(changed) && changed[k].seq == s.candSeq[i] {
			s.addChanged(en, jl, rec)
			k++
		}
		i++
		return k < len(changed)
	})
	s.cand, s.candSeq = spool{}, nil
}

type seqLen struct{ seq, jl uint32 }

// snapshotBase is what the new snapshot starts from before the upload's confirmations: the
// previous snapshot, only the contacts really on the list when the list was read, and with
// content hashes cleared when the fields changed (contacts not uploaded again now must not look
// current next time).
func (s *scan) snapshotBase() []snapshot.Entry {
	base := s.prev
	if s.members != nil {
		base = make([]snapshot.Entry, 0, len(s.prev))
		for _, p := range s.prev {
			if s.members.has(p.Email) {
				base = append(base, p)
			}
		}
	}
	if s.fieldsChanged {
		stale := make([]snapshot.Entry, len(base))
		for i, p := range base {
			stale[i] = snapshot.Entry{Email: p.Email}
		}
		base = stale
	}
	return base
}
