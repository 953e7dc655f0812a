package snapshot

import "testing"

func BenchmarkMarshal1M(b *testing.B) {
	s := &Snapshot{ListID: "l", Entries: randomEntries(1_000_000, 9)}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Marshal(testKey); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshal1M(b *testing.B) {
	data, _ := (&Snapshot{ListID: "l", Entries: randomEntries(1_000_000, 9)}).Marshal(testKey)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Unmarshal(data, testKey); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLookup1M compares looking up email hashes in a 1,000,000-entry snapshot with Find
// (interpolation search on the sorted entries) and with an Index. Half the lookups hit.
func BenchmarkLookup1M(b *testing.B) {
	entries := randomEntries(1_000_000, 9)
	probes := make([]uint64, 1<<16)
	for i := range probes {
		probes[i] = entries[(i*7919)%len(entries)].Email + uint64(i%2)
	}
	b.Run("Find", func(b *testing.B) {
		hits := 0
		for i := 0; i < b.N; i++ {
			if _, ok := Find(entries, probes[i&(len(probes)-1)]); ok {
				hits++
			}
		}
		if b.N > 1 && hits != (b.N+1)/2 {
			b.Fatalf("%d of %d lookups hit, want half", hits, b.N)
		}
	})
	b.Run("Index", func(b *testing.B) {
		x := NewIndex(entries)
		b.ResetTimer()
		hits := 0
		for i := 0; i < b.N; i++ {
			if _, ok := x.Find(probes[i&(len(probes)-1)]); ok {
				hits++
			}
		}
		if b.N > 1 && hits != (b.N+1)/2 {
			b.Fatalf("%d of %d lookups hit, want half", hits, b.N)
		}
	})
}
