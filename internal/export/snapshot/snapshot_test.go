package snapshot

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"slices"
	"testing"
)

var (
	testKey  = bytes.Repeat([]byte{7}, 32)
	otherKey = bytes.Repeat([]byte{9}, 32)
)

func randomEntries(n int, seed uint64) []Entry {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	es := make([]Entry, n)
	for i := range es {
		es[i] = Entry{Email: r.Uint64(), Content: r.Uint64()}
	}
	return Sort(es)
}

func TestRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 17, 1000, 100000} {
		s := &Snapshot{ListID: "7f1c2a9e-0000-4000-8000-000000000001", Fields: [8]byte{1, 2, 3}, Entries: randomEntries(n, uint64(n))}
		data, err := s.Marshal(testKey)
		if err != nil {
			t.Fatal(err)
		}
		if n >= 1000 {
			per := float64(len(data)) / float64(n)
			if per > 16 {
				t.Errorf("n=%d: %.2f bytes per contact, want <= 16", n, per)
			}
		}
		got, err := Unmarshal(data, testKey)
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if got.ListID != s.ListID || got.Fields != s.Fields || !slices.Equal(got.Entries, s.Entries) {
			t.Fatalf("n=%d: round trip differs", n)
		}
		h, err := ReadHeader(data)
		if err != nil || h.Count != n || h.ListID != s.ListID || h.Version != Version {
			t.Fatalf("header = %+v, %v", h, err)
		}
	}
}

func TestExtremeHashes(t *testing.T) {
	s := &Snapshot{ListID: "l", Entries: []Entry{{0, 1}, {1, 2}, {1 << 63, 3}, {^uint64(0) - 1, 4}, {^uint64(0), 5}}}
	data, err := s.Marshal(testKey)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Unmarshal(data, testKey)
	if err != nil || !slices.Equal(got.Entries, s.Entries) {
		t.Fatalf("got %v, %v", got, err)
	}
}

func TestKeyMismatch(t *testing.T) {
	s := &Snapshot{ListID: "list-a", Entries: randomEntries(10, 1)}
	data, _ := s.Marshal(testKey)
	got, err := Unmarshal(data, otherKey)
	if !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("err = %v, want ErrKeyMismatch", err)
	}
	if got == nil || got.ListID != "list-a" || len(got.Entries) != 0 {
		t.Fatalf("mismatch result = %+v", got)
	}
}

func TestCorruption(t *testing.T) {
	s := &Snapshot{ListID: "list-a", Entries: randomEntries(50, 2)}
	data, _ := s.Marshal(testKey)
	for i := range data {
		bad := slices.Clone(data)
		bad[i] ^= 0x10
		if _, err := Unmarshal(bad, testKey); err == nil {
			t.Fatalf("flipping byte %d went unnoticed", i)
		}
	}
	for _, cut := range []int{0, 3, 10, len(data) - 1} {
		if _, err := Unmarshal(data[:cut], testKey); err == nil {
			t.Fatalf("truncation to %d went unnoticed", cut)
		}
	}
	if _, err := Unmarshal([]byte("not a snapshot at all, really"), testKey); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("err = %v", err)
	}
}

func TestMarshalRejectsUnsorted(t *testing.T) {
	s := &Snapshot{Entries: []Entry{{5, 0}, {3, 0}}}
	if _, err := s.Marshal(testKey); err == nil {
		t.Fatal("unsorted entries accepted")
	}
	s = &Snapshot{Entries: []Entry{{5, 0}, {5, 1}}}
	if _, err := s.Marshal(testKey); err == nil {
		t.Fatal("duplicate entries accepted")
	}
}

func TestDiffAndAdvance(t *testing.T) {
	prev := []Entry{{1, 10}, {2, 20}, {3, 30}, {5, 50}}
	cur := []Entry{{2, 20}, {3, 31}, {4, 40}, {6, 60}}
	var seen []string
	c := Diff(prev, cur, func(ch Change, e Entry) { seen = append(seen, ch.String()) })
	if c != (DiffCounts{Add: 2, Update: 1, Remove: 2, Unchanged: 1}) {
		t.Fatalf("counts = %+v", c)
	}
	if want := []string{"remove", "unchanged", "update", "add", "remove", "add"}; !slices.Equal(seen, want) {
		t.Fatalf("order = %v, want %v", seen, want)
	}
	// Confirm the update of 3, the add of 6 and the removal of 1; 4 and 5 stay unconfirmed.
	got := Advance(prev, []Entry{{6, 60}, {3, 31}}, []uint64{1})
	want := []Entry{{2, 20}, {3, 31}, {5, 50}, {6, 60}}
	if !slices.Equal(got, want) {
		t.Fatalf("Advance = %v, want %v", got, want)
	}
	if !slices.Equal(prev, []Entry{{1, 10}, {2, 20}, {3, 30}, {5, 50}}) {
		t.Fatal("Advance modified prev")
	}
	// With everything confirmed the result equals cur.
	if got := Advance(prev, cur, []uint64{1, 5}); !slices.Equal(got, cur) {
		t.Fatalf("full Advance = %v", got)
	}
}

func TestSortKeepsFirst(t *testing.T) {
	got := Sort([]Entry{{3, 1}, {1, 1}, {3, 2}, {1, 2}})
	if !slices.Equal(got, []Entry{{1, 1}, {3, 1}}) {
		t.Fatalf("Sort = %v", got)
	}
}

func FuzzUnmarshal(f *testing.F) {
	for _, n := range []int{0, 1, 5, 40} {
		data, _ := (&Snapshot{ListID: "x", Entries: randomEntries(n, uint64(n))}).Marshal(testKey)
		f.Add(data)
	}
	f.Add([]byte("SGAS"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Unmarshal(data, testKey)
		if err != nil {
			return
		}
		if Validate(s.Entries) != nil {
			t.Fatal("decoded entries not sorted/unique")
		}
		again, err := s.Marshal(testKey)
		if err != nil {
			t.Fatal(err)
		}
		s2, err := Unmarshal(again, testKey)
		if err != nil || !slices.Equal(s2.Entries, s.Entries) {
			t.Fatal("re-encoding differs")
		}
	})
}

func TestFindAndLargeSort(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	raw := make([]Entry, 0, 51000)
	for i := 0; i < 50000; i++ {
		raw = append(raw, Entry{Email: r.Uint64() >> uint(r.IntN(3)*20), Content: uint64(i)})
	}
	// Repeat some emails later with other contents: Sort keeps the first.
	for i := 0; i < 1000; i++ {
		raw = append(raw, Entry{Email: raw[i*7].Email, Content: 1 << 40})
	}
	first := map[uint64]uint64{}
	for _, e := range raw {
		if _, ok := first[e.Email]; !ok {
			first[e.Email] = e.Content
		}
	}
	sorted := Sort(slices.Clone(raw))
	if Validate(sorted) != nil || len(sorted) != len(first) {
		t.Fatalf("sorted %d entries, %d distinct", len(sorted), len(first))
	}
	for _, e := range sorted {
		if first[e.Email] != e.Content {
			t.Fatal("Sort did not keep the first of equal entries")
		}
	}
	for email, content := range first {
		if c, ok := Find(sorted, email); !ok || c != content {
			t.Fatalf("Find(%x) = %d, %v", email, c, ok)
		}
		if _, ok := Find(sorted, email+1); ok && first[email+1] == 0 {
			if _, really := first[email+1]; !really {
				t.Fatalf("Find(%x) found a missing hash", email+1)
			}
		}
	}
	for _, probe := range []uint64{0, 1, ^uint64(0)} {
		_, want := first[probe]
		if _, ok := Find(sorted, probe); ok != want {
			t.Fatalf("Find(%x) = %v", probe, ok)
		}
	}
	if _, ok := Find(nil, 3); ok {
		t.Fatal("found in nil")
	}
}

func TestIndexFind(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 15, 16, 17, 1000, 100000} {
		for _, skewed := range []bool{false, true} {
			raw := make([]Entry, n)
			for i := range raw {
				e := r.Uint64()
				if skewed && i%2 == 0 {
					e >>= 40 // many hashes in the first bucket
				}
				raw[i] = Entry{Email: e, Content: uint64(i)}
			}
			entries := Sort(raw)
			x := NewIndex(entries)
			if x.Len() != len(entries) {
				t.Fatalf("n=%d: Len %d", n, x.Len())
			}
			for _, en := range entries {
				if c, ok := x.Find(en.Email); !ok || c != en.Content {
					t.Fatalf("n=%d skewed=%v: Find(%x) = %d, %v", n, skewed, en.Email, c, ok)
				}
				for _, probe := range []uint64{en.Email - 1, en.Email + 1} {
					_, want := Find(entries, probe)
					if _, got := x.Find(probe); got != want {
						t.Fatalf("n=%d skewed=%v: Find(%x) = %v, want %v", n, skewed, probe, got, want)
					}
				}
			}
			for _, probe := range []uint64{0, 1, ^uint64(0), ^uint64(0) - 1} {
				_, want := Find(entries, probe)
				if _, got := x.Find(probe); got != want {
					t.Fatalf("n=%d skewed=%v: Find(%x) = %v, want %v", n, skewed, probe, got, want)
				}
			}
		}
	}
	var nilIndex *Index
	if _, ok := nilIndex.Find(1); ok || nilIndex.Len() != 0 {
		t.Fatal("nil index found an entry")
	}
}

func TestAdoptedRoundTrip(t *testing.T) {
	for _, n := range []int{1, 5, 1000} {
		es := randomEntries(n, uint64(n)+5)
		var adopted []uint64
		for i := 0; i < n; i += 3 {
			adopted = append(adopted, es[i].Email)
		}
		s := &Snapshot{ListID: "l", Entries: es, Adopted: adopted}
		data, err := s.Marshal(testKey)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Unmarshal(data, testKey)
		if err != nil || !slices.Equal(got.Entries, es) || !slices.Equal(got.Adopted, adopted) {
			t.Fatalf("n=%d: %v, adopted %d of %d", n, err, len(got.Adopted), len(adopted))
		}
		if !got.Adopts(es[0].Email) || (n > 1 && got.Adopts(es[1].Email)) {
			t.Errorf("n=%d: Adopts wrong", n)
		}
	}
}

func TestAdoptedMustBeEntries(t *testing.T) {
	es := randomEntries(3, 1)
	for _, adopted := range [][]uint64{{es[0].Email + 1}, {es[1].Email, es[0].Email}, {es[0].Email, es[0].Email}} {
		if _, err := (&Snapshot{ListID: "l", Entries: es, Adopted: adopted}).Marshal(testKey); err == nil {
			t.Errorf("adopted %v accepted", adopted)
		}
	}
}

// A version 1 snapshot (no adopted set) is still read: every contact counts as added by the
// export, as version 1 assumed.
func TestReadsVersion1(t *testing.T) {
	es := randomEntries(50, 3)
	s := &Snapshot{ListID: "list-1", Fields: [8]byte{4}, Entries: es}
	v2, err := s.Marshal(testKey)
	if err != nil {
		t.Fatal(err)
	}
	// Version 1 is version 2 without the adopted set's count (one zero byte after the list ID).
	at := 22 + 1 + len(s.ListID)
	if v2[at] != 0 {
		t.Fatalf("layout: byte %d is %d", at, v2[at])
	}
	body := append(append([]byte{}, v2[:at]...), v2[at+1:len(v2)-4]...)
	body[4] = 1
	v1 := binary.LittleEndian.AppendUint32(body, crc32.ChecksumIEEE(body))
	got, err := Unmarshal(v1, testKey)
	if err != nil || !slices.Equal(got.Entries, es) || got.ListID != "list-1" || len(got.Adopted) != 0 {
		t.Fatalf("version 1: %v", err)
	}
	if h, err := ReadHeader(v1); err != nil || h.Version != 1 || h.Count != 50 {
		t.Fatalf("version 1 header: %+v %v", h, err)
	}
}
