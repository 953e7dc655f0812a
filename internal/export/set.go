package export

// u64set is a set of keyed hashes: open addressing with linear probing, indexed by the hash's
// own low bits (the values are uniformly distributed HMAC outputs, so they need no further
// hashing). It grows by doubling at half load.
type u64set struct {
	slots   []uint64 // 0 marks an empty slot
	n       int
	hasZero bool
}

// add inserts k and reports whether it was absent.
func (s *u64set) add(k uint64) bool {
	if k == 0 {
		added := !s.hasZero
		s.hasZero = true
		return added
	}
	if 2*(s.n+1) > len(s.slots) {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	for i := k & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case 0:
			s.slots[i] = k
			s.n++
			return true
		case k:
			return false
		}
	}
}

func (s *u64set) grow() {
	old := s.slots
	size := 2 * len(old)
	if size < 1024 {
		size = 1024
	}
	s.slots = make([]uint64, size)
	mask := uint64(size - 1)
	for _, k := range old {
		if k == 0 {
			continue
		}
		i := k & mask
		for s.slots[i] != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = k
	}
}
