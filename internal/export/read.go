package export

import (
	"context"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/privacy"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/profile"
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

// contactSink receives what the reader finds, row by row in source order: each valid
// exported row as a contact (its keyed hashes, its JSON size and its record), and the email of
// each row the sources show but do not export (filtered out, or invalid).
type contactSink interface {
	contact(eh, ch uint64, jsonLen int, rec []byte)
	excluded(email string)
}

// reader is the first stage: it reads every segment once, maps and validates each selected row
// (reporting invalid ones in inv), and hands each valid row to the sink with its keyed hashes.
// It knows nothing of the snapshot or the list.
type reader struct {
	open         OpenFunc
	specs        []segment.Spec
	fingerprints []string // per segment, the preview's fingerprint to check ("" none)
	slots        []slot
	codec        *codec
	h            *hasher
	fpKey        []byte // key of the segments' content fingerprints
	inv          *InvalidReport
	prog         *progress
	sink         contactSink

	n readCounts

	rec, tmp []byte
	labels   []string       // per slot, its name in reports
	bad      []InvalidField // the current row's refused values
}

// readCounts counts the rows read.
type readCounts struct {
	rows, selected int64
	perSeg         []SegmentCount
}

// openedSegment is a segment opened for the scan, with its columns bound to the slots.
type openedSegment struct {
	seg  Segment
	name string
	idx  []int
}

// read reads every segment into the sink and counts the rows.
func (s *reader) read(ctx context.Context) (readCounts, error) {
	segs, err := s.openSegments(ctx)
	defer func() {
		for _, o := range segs {
			_ = o.seg.Close()
		}
	}()
	if err != nil {
		return readCounts{}, err
	}
	s.labels = make([]string, len(s.slots))
	for i := range s.slots {
		s.labels[i] = slotLabel(&s.slots[i])
	}
	s.prog.update(func(p *Progress) { p.Phase = "scan" })
	for i, o := range segs {
		if err := s.scanSegment(ctx, i, o); err != nil {
			return readCounts{}, err
		}
	}
	s.prog.update(func(p *Progress) { p.Rows = s.n.rows })
	return s.n, nil
}

// openSegments opens every segment and binds its columns to the slots. The segments opened
// are returned, to be closed, also with an error.
func (s *reader) openSegments(ctx context.Context) ([]openedSegment, error) {
	segs := make([]openedSegment, 0, len(s.specs))
	var cerrs ConfigErrors
	for i, spec := range s.specs {
		name := spec.Name
		if name == "" {
			name = "segments[" + strconv.Itoa(i) + "]"
		}
		seg, err := s.open(ctx, spec)
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
func (s *reader) scanSegment(ctx context.Context, i int, o openedSegment) error {
	sc := SegmentCount{Name: o.name}
	var fp *segment.Fingerprinter
	if i < len(s.fingerprints) && s.fingerprints[i] != "" {
		fp = segment.NewFingerprinter(s.fpKey, o.seg.Columns())
	}
	err := o.seg.ScanAll(ctx, func(row *profile.Row, selected bool) error {
		if fp != nil && selected {
			fp.Add(row)
		}
		return s.onRow(&sc, o.name, o.idx, row, selected)
	})
	s.n.perSeg = append(s.n.perSeg, sc)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &SegmentError{Index: i, Name: o.name, Err: err}
	}
	if fp != nil && fp.Sum() != s.fingerprints[i] {
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

// appendValues validates a row's values after the email and appends them to its record; each
// invalid value is added to s.bad.
func (s *reader) appendValues(rec []byte, row *profile.Row, idx []int) []byte {
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
		switch {
		case r != "":
			f := InvalidField{Field: s.labels[i], Reason: r}
			if s.inv.sampling() { // masked and explained only for a sample
				f.Masked, f.Detail = privacy.MaskValue(rawText(v)), invalidDetail(sl, r, detail)
			}
			s.bad = append(s.bad, f)
		case sl.typ == FieldNumber || sl.typ == FieldDate:
			rec = appendValueBytes(rec, s.tmp)
		default:
			rec = appendValue(rec, str)
		}
	}
	return rec
}

// numberHint says what a Number field takes: what decimalSyntax and appendNumber accept.
const numberHint = "use a decimal number such as 1234.5, -12 or 1.5e3 (digits with an optional sign, " +
	"a point before the decimals and an optional exponent; no thousands separators, currency symbols or units)"

// invalidDetail explains a reason about a typed custom field.
func invalidDetail(sl *slot, r Reason, detail string) string {
	switch r {
	case ReasonNotNumber:
		return "SendGrid field " + strconv.Quote(sl.name) + " is a Number: " + numberHint
	case ReasonNotDate:
		return "SendGrid field " + strconv.Quote(sl.name) + " is a Date: use YYYY-MM-DD, RFC 3339 or MM/DD/YYYY"
	}
	return detail
}

func (s *reader) onRow(sc *SegmentCount, seg string, idx []int, row *profile.Row, selected bool) error {
	s.n.rows++
	sc.Rows++
	if s.n.rows&0xffff == 0 {
		rows := s.n.rows
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
		if r == "" {
			s.sink.excluded(email)
		}
		return nil
	}
	s.n.selected++
	sc.Selected++
	s.bad = s.bad[:0]
	if r != "" && !invalidColumn(row, idx[0]) {
		f := InvalidField{Field: "email", Reason: r}
		if s.inv.sampling() {
			f.Masked = privacy.MaskEmail(rawText(rawEmail))
			if r == ReasonEmailTooLong {
				f.Detail = fmt.Sprintf("%d characters, at most %d", len(emailText), MaxEmailLength)
			}
		}
		s.bad = append(s.bad, f)
	}
	pos := row.Pos
	for _, iv := range row.Invalid {
		// A value against its column's type: the row is invalid, the column keeps its type.
		if len(s.bad) == 0 && iv.Line > 0 {
			pos.Line = iv.Line // a CSV field may start on a later line than its row
		}
		detail := iv.Msg
		if iv.Hint != "" {
			detail += ": " + iv.Hint // e.g. how to write a number in a :double column
		}
		s.bad = append(s.bad, InvalidField{Field: "column " + strconv.Quote(iv.Name), Reason: ReasonColumnType,
			Masked: iv.Masked, Detail: detail})
	}
	s.rec = s.appendValues(appendValue(s.rec[:0], email), row, idx)
	if len(s.bad) > 0 {
		s.inv.add(seg, pos, s.bad)
		if r == "" {
			s.sink.excluded(email)
		}
		return nil
	}
	sc.Valid++
	s.sink.contact(s.h.email(email), s.h.content(s.rec), s.codec.jsonLen(s.rec), s.rec)
	return nil
}

// invalidColumn reports whether column col of the row holds a value against its type (then
// reported as such, not as a missing value).
func invalidColumn(row *profile.Row, col int) bool {
	for _, iv := range row.Invalid {
		if iv.Column == col {
			return true
		}
	}
	return false
}
