package export

import (
	"context"
	"slices"
	"testing"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/export/snapshot"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/profile"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/segment"
)

// Each stage of the engine tested alone: reader, differ, outbox (batch plan), outcome.

// memSegment is a segment held in memory: rows of (email, first_name), a selected flag each.
type memSegment struct {
	rows     [][2]any
	selected []bool
}

func (m *memSegment) Columns() []profile.Column {
	return []profile.Column{{Name: "email", Type: profile.TypeString}, {Name: "first_name", Type: profile.TypeString}}
}

func (m *memSegment) ScanAll(_ context.Context, fn func(*profile.Row, bool) error) error {
	for i, r := range m.rows {
		row := &profile.Row{Pos: profile.Pos{File: "mem.csv", Line: int64(i + 2)}, Values: []any{r[0], r[1]}}
		if err := fn(row, m.selected[i]); err != nil {
			return err
		}
	}
	return nil
}

func (m *memSegment) Close() error { return nil }

// recordingSink records what the reader hands on.
type recordingSink struct {
	contacts       []snapshot.Entry
	sizes          []int
	excludedEmails []string
}

func (s *recordingSink) contact(eh, ch uint64, jl int, _ []byte) {
	s.contacts = append(s.contacts, snapshot.Entry{Email: eh, Content: ch})
	s.sizes = append(s.sizes, jl)
}

func (s *recordingSink) excluded(email string) { s.excludedEmails = append(s.excludedEmails, email) }

func testSlots(t *testing.T) []slot {
	t.Helper()
	slots, errs := resolveSlots(&Mapping{Email: "email", FirstName: "first_name"}, nil, nil, nil, DefaultMaxTextLength)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return slots
}

func TestReaderHandsOnValidContactsAndExcludedEmails(t *testing.T) {
	slots := testSlots(t)
	h := newHasher([]byte("snapshot key"), slots)
	seg := &memSegment{
		rows: [][2]any{
			{" A@Example.com ", "Ann"},           // valid
			{"not-an-email", "Bob"},              // invalid email: reported, not excluded
			{"c@example.com", "Cy"},              // filtered out: excluded
			{"d@example.com", string([]byte{0})}, // invalid value: reported and excluded
			{"a@example.com", "Again"},           // duplicate: handed on (the diff merges)
		},
		selected: []bool{true, true, false, true, true},
	}
	sink := &recordingSink{}
	inv := newInvalidReport(10)
	rd := &reader{
		open:  func(context.Context, segment.Spec) (Segment, error) { return seg, nil },
		specs: []segment.Spec{{Name: "s"}}, slots: slots, codec: newCodec(slots), h: h,
		fpKey: []byte("fp"), inv: inv, prog: &progress{}, sink: sink,
	}
	n, err := rd.read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n.rows != 5 || n.selected != 4 || len(n.perSeg) != 1 || n.perSeg[0].Valid != 2 {
		t.Errorf("counts = %+v", n)
	}
	if inv.Total != 2 {
		t.Errorf("invalid = %d, want 2", inv.Total)
	}
	a := h.email("a@example.com")
	if len(sink.contacts) != 2 || sink.contacts[0].Email != a || sink.contacts[1].Email != a ||
		sink.contacts[0].Content == sink.contacts[1].Content {
		t.Errorf("contacts = %v, want a@ twice with different content", sink.contacts)
	}
	if !slices.Equal(sink.excludedEmails, []string{"c@example.com", "d@example.com"}) {
		t.Errorf("excluded = %q", sink.excludedEmails)
	}
}

// newTestOutbox is a batch plan of at most maxC contacts per PUT batch whose method choice is
// counted.
func newTestOutbox(maxC int, chosen *int) *outbox {
	return &outbox{
		sim: newBatchSim("list", maxC, 1<<20),
		choose: func(n int64, put int) uploadPlan {
			*chosen++
			return (&Engine{}).chooseMethodFor(&codec{}, n, put)
		},
		codec: &codec{},
	}
}

func TestDifferComparesWithTheSnapshot(t *testing.T) {
	e := func(eh, ch uint64) snapshot.Entry { return snapshot.Entry{Email: eh, Content: ch} }
	prev := []snapshot.Entry{e(10, 1000), e(20, 2000), e(30, 0), e(40, 4000)}
	base := &baseline{prev: prev, prevIdx: snapshot.NewIndex(prev)}
	for _, apply := range []string{"plan", "apply"} {
		t.Run(apply, func(t *testing.T) {
			chosen := 0
			out := newTestOutbox(30000, &chosen)
			d := &differ{base: base, h: newHasher([]byte("k"), nil), out: out, apply: apply == "apply"}
			d.contact(20, 2000, 7, []byte("same"))    // unchanged
			d.contact(10, 1001, 11, []byte("upd"))    // updated
			d.contact(50, 5000, 13, []byte("new"))    // added
			d.contact(10, 1002, 17, []byte("dup"))    // duplicate of the first 10: ignored
			d.contact(30, 3000, 19, []byte("unsure")) // sent without confirmation before
			ch := d.finish()
			if ch.dups != 1 || ch.unsureInCur != 1 {
				t.Errorf("dups %d unsure %d", ch.dups, ch.unsureInCur)
			}
			want := []snapshot.Entry{e(10, 1001), e(20, 2000), e(30, 3000), e(50, 5000)}
			if !slices.Equal(ch.cur, want) {
				t.Errorf("cur = %v, want %v", ch.cur, want)
			}
			n := ch.count(SyncMirror)
			if n != (diffCounts{add: 1, update: 2, remove: 1, unchanged: 1, removable: 3}) {
				t.Errorf("counts = %+v", n)
			}
			if out.n != 3 || out.jsonBytes != 11+13+19 {
				t.Errorf("batch plan: %d contacts, %d bytes", out.n, out.jsonBytes)
			}
			var kept []snapshot.Entry
			out.drain(func(en snapshot.Entry, _ int, _ []byte) bool { kept = append(kept, en); return true })
			if apply == "apply" && !slices.Equal(kept, []snapshot.Entry{e(10, 1001), e(50, 5000), e(30, 3000)}) {
				t.Errorf("kept = %v, want the changed contacts in source order", kept)
			}
			if apply == "plan" && len(kept) != 0 {
				t.Errorf("plan kept records: %v", kept)
			}
			var leavers []uint64
			ch.eachLeaver(func(eh uint64, _ string) { leavers = append(leavers, eh) })
			if !slices.Equal(leavers, []uint64{40}) {
				t.Errorf("leavers = %v", leavers)
			}
		})
	}
}

func TestDifferStreamsWithoutSnapshot(t *testing.T) {
	chosen := 0
	out := newTestOutbox(2, &chosen)
	d := &differ{base: &baseline{}, out: out, apply: true, stream: true}
	for _, eh := range []uint64{3, 1, 3, 2} {
		d.contact(eh, eh*10, 5, []byte{byte(eh)})
	}
	ch := d.finish()
	if ch.dups != 1 || len(ch.cur) != 3 || ch.cur[0].Email != 1 {
		t.Errorf("changes = %+v", ch)
	}
	if out.size() != 3 || out.sim.batches() != 2 {
		t.Errorf("outbox holds %d records in %d batches", out.size(), out.sim.batches())
	}
	if n := ch.count(SyncUpsert); n.add != 3 {
		t.Errorf("counts = %+v", n)
	}
}

func TestOutboxChoosesTheMethodOnce(t *testing.T) {
	chosen := 0
	out := newTestOutbox(1, &chosen)
	if up := out.method(); up.method != "" || chosen != 1 {
		t.Fatalf("empty plan: %+v after %d choices", up, chosen)
	}
	out = newTestOutbox(1, &chosen)
	for range 4 {
		out.count(10)
	}
	first := out.method()
	second := out.method()
	if chosen != 2 || first != second || first.method != "csv" || first.putBatches != 4 || first.requests != 2 {
		t.Errorf("method %+v then %+v after %d choices", first, second, chosen)
	}
}

func TestOutcomeAdvancesTheBase(t *testing.T) {
	e := func(eh, ch uint64) snapshot.Entry { return snapshot.Entry{Email: eh, Content: ch} }
	base := []snapshot.Entry{e(1, 100), e(2, 200), e(3, 300), e(4, 400)}
	o := outcome{confirmed: []snapshot.Entry{e(5, 500), e(1, 101)}, pending: []uint64{2}, unsure: []uint64{6}, removed: []uint64{3}}
	got := o.next(base)
	want := []snapshot.Entry{e(1, 101), e(2, removalPending), e(4, 400), e(5, 500), e(6, 0)}
	if !slices.Equal(got, want) {
		t.Errorf("next = %v, want %v", got, want)
	}
}

func TestBaselineSnapshotBase(t *testing.T) {
	prev := []snapshot.Entry{{Email: 1, Content: 10}, {Email: 2, Content: 20}}
	m := &members{entries: []snapshot.Entry{{Email: 2}}}
	m.idx = snapshot.NewIndex(m.entries)
	b := &baseline{prev: prev, prevIdx: snapshot.NewIndex(prev), members: m, resendAll: true}
	if got := b.snapshotBase(); !slices.Equal(got, []snapshot.Entry{{Email: 2}}) {
		t.Errorf("base = %v: want the listed contact with its content cleared", got)
	}
}

func TestApplierUploadsOnlyTheChangesAndReportsTheOutcome(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	slots := testSlots(t)
	c, h := newCodec(slots), newHasher([]byte("k"), slots)
	chosen := 0
	out := newTestOutbox(30000, &chosen)
	out.codec = c
	var want []snapshot.Entry
	for _, email := range []string{"a@example.com", "b@example.com"} {
		rec := appendValue(appendValue(nil, email), "Name")
		en := snapshot.Entry{Email: h.email(email), Content: h.content(rec)}
		out.count(c.jsonLen(rec))
		out.keep(en, c.jsonLen(rec), rec)
		want = append(want, en)
	}
	rep := &Report{}
	a := &applier{e: v.eng, listID: v.listID, h: h, codec: c, rep: rep, prog: &progress{}, out: out, up: out.method()}
	if err := a.run(context.Background()); err != nil {
		t.Fatal(err)
	}
	o := a.outcome()
	if !slices.Equal(snapshot.Sort(o.confirmed), snapshot.Sort(want)) || len(o.unsure)+len(o.pending)+len(o.removed) != 0 {
		t.Errorf("outcome = %+v, want both contacts confirmed", o)
	}
	if a.status() != StatusSucceeded || rep.Requested != 2 {
		t.Errorf("status %s, requested %d", a.status(), rep.Requested)
	}
	v.assertMembers([]string{"a@example.com", "b@example.com"})
}
