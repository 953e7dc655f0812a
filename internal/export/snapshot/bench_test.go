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
