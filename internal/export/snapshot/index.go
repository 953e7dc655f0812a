package snapshot

import "math/bits"

// Index looks email hashes up in entries sorted by Email with about one cache miss per lookup:
// a directory, small enough to stay in the processor's cache, gives for the top bits of an email
// hash the run of entries that start with them (about eight, in adjacent memory). Find on a
// large sorted slice instead probes far-apart places, each a cache miss, which makes lookups
// grow slower than the snapshot grows.
type Index struct {
	entries []Entry
	dir     []uint32 // dir[b]: the first entry whose top bits are >= b; len(dir) = buckets + 1
	shift   uint     // 64 - directory bits
}

// indexBucket is the average number of entries per directory bucket.
const indexBucket = 8

// NewIndex indexes entries, which must be sorted by Email (as Snapshot.Entries are).
func NewIndex(entries []Entry) *Index {
	x := &Index{entries: entries}
	if len(entries) < 2*indexBucket {
		return x // Find on a few entries is as fast
	}
	dirBits := uint(bits.Len(uint(len(entries)/indexBucket)) - 1)
	x.shift = 64 - dirBits
	x.dir = make([]uint32, 1<<dirBits+1)
	b := 0
	for i, en := range entries {
		for top := int(en.Email >> x.shift); b <= top; b++ {
			x.dir[b] = uint32(i)
		}
	}
	for ; b < len(x.dir); b++ {
		x.dir[b] = uint32(len(entries))
	}
	return x
}

// Len returns the number of entries indexed.
func (x *Index) Len() int {
	if x == nil {
		return 0
	}
	return len(x.entries)
}

// Find returns the content hash stored for an email hash.
func (x *Index) Find(email uint64) (content uint64, ok bool) {
	if x == nil {
		return 0, false
	}
	if x.dir == nil {
		return Find(x.entries, email)
	}
	b := email >> x.shift
	run := x.entries[x.dir[b]:x.dir[b+1]]
	if len(run) > 4*indexBucket {
		return Find(run, email) // only when hashes are not spread evenly
	}
	for _, en := range run {
		switch {
		case en.Email == email:
			return en.Content, true
		case en.Email > email:
			return 0, false
		}
	}
	return 0, false
}
