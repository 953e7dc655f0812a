// Package snapshot holds the compact record of what an export has confirmed on a SendGrid list:
// for every contact, a keyed 8-byte hash of its email address and a keyed 8-byte hash of its
// uploaded content. It holds no personal data: without the API key the hashes cannot be tested
// against guessed addresses, and the key itself is never stored (only a truncated hash of the key
// derived from it, to notice that the API key changed).
//
// # Binary format (version 2)
//
//	offset  size  field
//	0       4     magic "SGAS"
//	4       1     version (2; version 1 is read too)
//	5       1     flags (0; reserved)
//	6       8     key check: SHA-256("sendgridaudience/snapshot-key-check/v1" || derived key)[:8]
//	14      8     fields check: the exporter's hash of the SendGrid field IDs the content was
//	              uploaded under (a field deleted and re-created gets a new ID, and every
//	              contact must be uploaded again)
//	22      var   uvarint length of the list ID, then the list ID (ASCII)
//	..      var   (version 2) the adopted set: uvarint count m, then when m > 0 a Rice parameter
//	              and the m sorted email hashes as Rice-coded gaps, padded to a whole byte (the
//	              same coding as the entries' email hashes below)
//	..      var   uvarint entry count n
//	..      1     Rice parameter k (0..63) for the email-hash gaps
//	..      var   email hashes, sorted ascending and unique, as gaps from the previous hash
//	              (the first from 0), Rice-coded with parameter k: the quotient gap>>k in unary
//	              (q one-bits, then a zero-bit), then the k low bits; bits are packed LSB-first
//	              and padded to a whole byte
//	..      8*n   content hashes, little-endian, in the order of the email hashes
//	end-4   4     CRC-32 (IEEE) of everything before it
//
// Sorted, uniformly distributed 64-bit hashes have gaps near 2^64/n, so Rice coding stores each
// email hash in about log2(2^64/n)+2 bits: 46 bits for a million contacts. A snapshot therefore
// takes about 14 bytes per contact (at most 16 plus a few header bytes); general-purpose
// compressors gain nothing on hash values and are not used.
package snapshot

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/bits"
	"slices"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/radix"
)

// Version is the format version written by Marshal. Version 1 (without the adopted set) is
// read as a snapshot whose contacts the export all added.
const Version = 2

const (
	magic        = "SGAS"
	keyCheckSalt = "sendgridaudience/snapshot-key-check/v1"
	maxListIDLen = 1024
)

var (
	// ErrKeyMismatch means the snapshot was written under another API key (its key check value
	// differs from the one derived from the current key). Its hashes cannot be compared with
	// new ones; the caller must fall back to a full reconciliation.
	ErrKeyMismatch = errors.New("snapshot: written under a different API key")
	// ErrCorrupt means the bytes are not a snapshot or were damaged.
	ErrCorrupt = errors.New("snapshot: corrupt or not a snapshot")
	// ErrVersion means the snapshot was written by a newer format version.
	ErrVersion = errors.New("snapshot: unsupported format version")
)

// Entry is one confirmed contact: keyed hashes of its normalized email and of its content.
type Entry struct {
	Email   uint64
	Content uint64
}

// Snapshot is the set of contacts an export has confirmed on one list.
type Snapshot struct {
	ListID string
	// Fields identifies the field definitions the content hashes were uploaded under.
	Fields [8]byte
	// Entries are sorted by Email, without duplicate Email values.
	Entries []Entry
	// Adopted are the email hashes of entries that were already members of the list when the
	// export first sent them: the export did not add them, so it does not remove them. Sorted,
	// unique, each the Email of an entry.
	Adopted []uint64
}

// Adopts reports whether the export found the contact on the list before it first sent it.
func (s *Snapshot) Adopts(email uint64) bool {
	if s == nil {
		return false
	}
	_, ok := slices.BinarySearch(s.Adopted, email)
	return ok
}

// Header is what can be read from a snapshot without the key.
type Header struct {
	Version  int
	KeyCheck [8]byte
	Fields   [8]byte
	ListID   string
	Count    int
}

// KeyCheck returns the truncated hash of a derived snapshot key stored in the header.
func KeyCheck(key []byte) [8]byte {
	h := sha256.New()
	h.Write([]byte(keyCheckSalt))
	h.Write(key)
	var out [8]byte
	copy(out[:], h.Sum(nil))
	return out
}

// Len returns the number of entries.
func (s *Snapshot) Len() int {
	if s == nil {
		return 0
	}
	return len(s.Entries)
}

// Find returns the content hash stored for an email hash.
func (s *Snapshot) Find(email uint64) (content uint64, ok bool) {
	if s == nil {
		return 0, false
	}
	return Find(s.Entries, email)
}

// Find looks an email hash up in entries sorted by Email. Email hashes are uniformly
// distributed, so it interpolates (a few probes on average) and falls back to bisection.
func Find(entries []Entry, email uint64) (content uint64, ok bool) {
	lo, hi := 0, len(entries)-1
	for probes := 0; lo <= hi; probes++ {
		a, b := entries[lo].Email, entries[hi].Email
		if email < a || email > b {
			return 0, false
		}
		var mid int
		if probes < 4 && b > a {
			// Position estimate within [lo, hi], computed without overflow.
			f := float64(email-a) / float64(b-a)
			mid = lo + int(f*float64(hi-lo))
			if mid < lo {
				mid = lo
			} else if mid > hi {
				mid = hi
			}
		} else {
			mid = int(uint(lo+hi) >> 1)
		}
		switch m := entries[mid].Email; {
		case m == email:
			return entries[mid].Content, true
		case m < email:
			lo = mid + 1
		default:
			hi = mid - 1
		}
	}
	return 0, false
}

// Sort orders entries by Email and drops later entries repeating an Email already present
// (the sort is stable: the first of equal entries is kept). It returns the shortened slice.
func Sort(entries []Entry) []Entry {
	if len(entries) < 256 {
		slices.SortStableFunc(entries, func(a, b Entry) int {
			switch {
			case a.Email < b.Email:
				return -1
			case a.Email > b.Email:
				return 1
			}
			return 0
		})
	} else {
		radix.Sort(entries, 64, func(e *Entry) uint64 { return e.Email })
	}
	return slices.CompactFunc(entries, func(a, b Entry) bool { return a.Email == b.Email })
}

// Validate reports whether entries are sorted by Email without duplicates.
func Validate(entries []Entry) error {
	for i := 1; i < len(entries); i++ {
		if entries[i-1].Email >= entries[i].Email {
			return fmt.Errorf("snapshot: entries not sorted or not unique at index %d", i)
		}
	}
	return nil
}

// Marshal encodes the snapshot for the given derived key (privacy.DeriveKey(apiKey,
// privacy.PurposeSnapshot)). Entries must be sorted and unique (see Sort).
func (s *Snapshot) Marshal(key []byte) ([]byte, error) {
	if len(key) == 0 {
		return nil, errors.New("snapshot: empty key")
	}
	if len(s.ListID) > maxListIDLen {
		return nil, errors.New("snapshot: list ID too long")
	}
	if err := Validate(s.Entries); err != nil {
		return nil, err
	}
	if err := s.validateAdopted(); err != nil {
		return nil, err
	}
	n := len(s.Entries)
	out := make([]byte, 0, 32+len(s.ListID)+n*15+len(s.Adopted)*8)
	out = append(out, magic...)
	out = append(out, Version, 0)
	kc := KeyCheck(key)
	out = append(out, kc[:]...)
	out = append(out, s.Fields[:]...)
	out = binary.AppendUvarint(out, uint64(len(s.ListID)))
	out = append(out, s.ListID...)
	out = binary.AppendUvarint(out, uint64(len(s.Adopted)))
	if len(s.Adopted) > 0 {
		out = appendHashes(out, len(s.Adopted), func(i int) uint64 { return s.Adopted[i] })
	}
	out = binary.AppendUvarint(out, uint64(n))
	out = appendHashes(out, n, func(i int) uint64 { return s.Entries[i].Email })
	for _, e := range s.Entries {
		out = binary.LittleEndian.AppendUint64(out, e.Content)
	}
	out = binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(out))
	return out, nil
}

// validateAdopted checks that the adopted set is sorted, unique and a subset of the entries.
func (s *Snapshot) validateAdopted() error {
	for i, h := range s.Adopted {
		if i > 0 && s.Adopted[i-1] >= h {
			return fmt.Errorf("snapshot: adopted set not sorted or not unique at index %d", i)
		}
		if _, ok := Find(s.Entries, h); !ok {
			return fmt.Errorf("snapshot: adopted hash %d is not an entry", i)
		}
	}
	return nil
}

// appendHashes appends n sorted, unique hashes (at(i)): a Rice parameter, then the gaps
// Rice-coded and padded to a whole byte.
func appendHashes(out []byte, n int, at func(int) uint64) []byte {
	k := riceParam(n)
	out = append(out, byte(k))
	w := bitWriter{buf: out}
	var prev uint64
	for i := 0; i < n; i++ {
		gap := at(i) - prev
		prev = at(i)
		w.writeUnary(gap >> k)
		w.writeBits(gap&(1<<k-1), k)
	}
	return w.flush()
}

// ReadHeader decodes the header without the key (for diagnostics and list checks).
func ReadHeader(data []byte) (Header, error) {
	h, _, _, err := readHeader(data)
	return h, err
}

// readHeader decodes the header and (version 2) the adopted set, and returns the offset of the
// entries' Rice parameter.
func readHeader(data []byte) (Header, []uint64, int, error) {
	var h Header
	if len(data) < 4+2+8+8+1+1+1+4 || !bytes.Equal(data[:4], []byte(magic)) {
		return h, nil, 0, ErrCorrupt
	}
	body := data[:len(data)-4]
	if crc32.ChecksumIEEE(body) != binary.LittleEndian.Uint32(data[len(data)-4:]) {
		return h, nil, 0, ErrCorrupt
	}
	h.Version = int(data[4])
	if h.Version != Version && h.Version != 1 {
		if h.Version > Version {
			return h, nil, 0, ErrVersion
		}
		return h, nil, 0, ErrCorrupt
	}
	copy(h.KeyCheck[:], data[6:14])
	copy(h.Fields[:], data[14:22])
	p := 22
	l, m := binary.Uvarint(body[p:])
	if m <= 0 || l > maxListIDLen || uint64(len(body)-p-m) < l {
		return h, nil, 0, ErrCorrupt
	}
	p += m
	h.ListID = string(body[p : p+int(l)])
	p += int(l)
	var adopted []uint64
	if h.Version >= 2 {
		m, w := binary.Uvarint(body[p:])
		if w <= 0 || m > uint64(len(body)) {
			return h, nil, 0, ErrCorrupt
		}
		p += w
		if m > 0 {
			var used int
			var ok bool
			adopted, used, ok = decodeHashes(body[p:], int(m))
			if !ok {
				return h, nil, 0, ErrCorrupt
			}
			p += used
		}
	}
	c, m := binary.Uvarint(body[p:])
	if m <= 0 || c > uint64(len(body)) { // every entry takes at least 8 bytes
		return h, nil, 0, ErrCorrupt
	}
	h.Count = int(c)
	p += m
	return h, adopted, p, nil
}

// Unmarshal decodes a snapshot written under key. With a snapshot written under another key it
// returns the header's list ID in the snapshot and ErrKeyMismatch.
func Unmarshal(data []byte, key []byte) (*Snapshot, error) {
	h, adopted, p, err := readHeader(data)
	if err != nil {
		return nil, err
	}
	if h.KeyCheck != KeyCheck(key) {
		return &Snapshot{ListID: h.ListID, Fields: h.Fields}, ErrKeyMismatch
	}
	body := data[:len(data)-4]
	n := h.Count
	if len(body)-p < 8*n+1 {
		return nil, ErrCorrupt
	}
	contents := body[len(body)-8*n:]
	emails, used, ok := decodeHashes(body[p:len(body)-8*n], n)
	if !ok || p+used != len(body)-8*n {
		return nil, ErrCorrupt
	}
	entries := make([]Entry, n)
	for i, e := range emails {
		entries[i] = Entry{Email: e, Content: binary.LittleEndian.Uint64(contents[8*i:])}
	}
	s := &Snapshot{ListID: h.ListID, Fields: h.Fields, Entries: entries, Adopted: adopted}
	if s.validateAdopted() != nil {
		return nil, ErrCorrupt
	}
	return s, nil
}

// decodeHashes reads what appendHashes wrote for n hashes from the start of buf, and returns
// them with the bytes used. Hashes must be strictly increasing; the padding must be zero.
func decodeHashes(buf []byte, n int) ([]uint64, int, bool) {
	if len(buf) < 1 || buf[0] > 63 {
		return nil, 0, false
	}
	k := uint(buf[0])
	r := bitReader{buf: buf[1:]}
	out := make([]uint64, n)
	var prev uint64
	for i := range out {
		q, ok := r.readUnary()
		if !ok || (k > 0 && q >= 1<<(64-k)) {
			return nil, 0, false
		}
		low, ok := r.readBits(k)
		if !ok {
			return nil, 0, false
		}
		gap := q<<k | low
		if i > 0 && gap == 0 {
			return nil, 0, false
		}
		v := prev + gap
		if v < prev {
			return nil, 0, false
		}
		prev = v
		out[i] = v
	}
	used := int((r.pos + 7) / 8)
	r.buf = r.buf[:used]
	if !r.paddingOK() {
		return nil, 0, false
	}
	return out, 1 + used, true
}

// riceParam picks k near log2 of the mean gap between n uniformly spread 64-bit values.
func riceParam(n int) uint {
	if n <= 1 {
		return 63
	}
	// mean gap = 2^64 / n; k = floor(log2(mean gap)) - 0 keeps the unary part short (mean 1-2 bits).
	k := 64 - bits.Len64(uint64(n))
	if k < 0 {
		k = 0
	}
	if k > 63 {
		k = 63
	}
	return uint(k)
}

type bitWriter struct {
	buf  []byte
	acc  uint64
	nacc uint
}

func (w *bitWriter) writeBits(v uint64, n uint) {
	for n > 0 {
		take := min(n, 64-w.nacc)
		var part uint64
		if take == 64 {
			part = v
		} else {
			part = v & (1<<take - 1)
		}
		w.acc |= part << w.nacc
		w.nacc += take
		n -= take
		if take < 64 {
			v >>= take
		} else {
			v = 0
		}
		for w.nacc >= 8 {
			w.buf = append(w.buf, byte(w.acc))
			w.acc >>= 8
			w.nacc -= 8
		}
	}
}

func (w *bitWriter) writeUnary(q uint64) {
	for q >= 32 {
		w.writeBits(1<<32-1, 32)
		q -= 32
	}
	w.writeBits(1<<q-1, uint(q)) // q one-bits
	w.writeBits(0, 1)
}

func (w *bitWriter) flush() []byte {
	if w.nacc > 0 {
		w.buf = append(w.buf, byte(w.acc))
		w.acc, w.nacc = 0, 0
	}
	return w.buf
}

type bitReader struct {
	buf []byte
	pos uint // bit position
}

func (r *bitReader) bit() (uint64, bool) {
	if r.pos>>3 >= uint(len(r.buf)) {
		return 0, false
	}
	b := uint64(r.buf[r.pos>>3]>>(r.pos&7)) & 1
	r.pos++
	return b, true
}

func (r *bitReader) readUnary() (uint64, bool) {
	var q uint64
	for {
		// Fast path: count ones in the current byte.
		if r.pos&7 == 0 && r.pos>>3 < uint(len(r.buf)) && r.buf[r.pos>>3] == 0xff {
			q += 8
			r.pos += 8
			if q > 1<<40 {
				return 0, false
			}
			continue
		}
		b, ok := r.bit()
		if !ok {
			return 0, false
		}
		if b == 0 {
			return q, true
		}
		q++
	}
}

func (r *bitReader) readBits(n uint) (uint64, bool) {
	var v uint64
	var got uint
	for got < n {
		idx := r.pos >> 3
		if idx >= uint(len(r.buf)) {
			return 0, false
		}
		off := r.pos & 7
		avail := 8 - off
		take := min(avail, n-got)
		chunk := uint64(r.buf[idx]>>off) & (1<<take - 1)
		v |= chunk << got
		got += take
		r.pos += take
	}
	return v, true
}

// paddingOK checks that the reader stopped within the last byte and the padding bits are zero.
func (r *bitReader) paddingOK() bool {
	total := uint(len(r.buf)) * 8
	if total-r.pos >= 8 {
		return false
	}
	for r.pos < total {
		b, _ := r.bit()
		if b != 0 {
			return false
		}
	}
	return true
}

// Change classifies an email hash when comparing two entry sets.
type Change uint8

// The kinds of change Diff reports.
const (
	Unchanged Change = iota
	Added
	Updated
	Removed
)

// String names the change.
func (c Change) String() string {
	switch c {
	case Added:
		return "add"
	case Updated:
		return "update"
	case Removed:
		return "remove"
	}
	return "unchanged"
}

// DiffCounts counts the changes between two entry sets.
type DiffCounts struct {
	Add, Update, Remove, Unchanged int64
}

// Diff walks two entry sets sorted by Email and calls fn (when not nil) for every email hash in
// either: Added (only in cur), Updated (content differs), Removed (only in prev), Unchanged.
// For Removed the entry passed is prev's; otherwise cur's.
func Diff(prev, cur []Entry, fn func(Change, Entry)) DiffCounts {
	var c DiffCounts
	i, j := 0, 0
	for i < len(prev) || j < len(cur) {
		switch {
		case j >= len(cur) || (i < len(prev) && prev[i].Email < cur[j].Email):
			c.Remove++
			if fn != nil {
				fn(Removed, prev[i])
			}
			i++
		case i >= len(prev) || cur[j].Email < prev[i].Email:
			c.Add++
			if fn != nil {
				fn(Added, cur[j])
			}
			j++
		default:
			if prev[i].Content != cur[j].Content {
				c.Update++
				if fn != nil {
					fn(Updated, cur[j])
				}
			} else {
				c.Unchanged++
				if fn != nil {
					fn(Unchanged, cur[j])
				}
			}
			i++
			j++
		}
	}
	return c
}

// Advance returns prev with the confirmed changes applied: entries in set replace or add the
// entry with the same Email, and email hashes in del are dropped. set and del need not be
// sorted; prev must be. The result is sorted and unique; prev is not modified.
func Advance(prev []Entry, set []Entry, del []uint64) []Entry {
	set = Sort(slices.Clone(set))
	del = slices.Clone(del)
	slices.Sort(del)
	del = slices.Compact(del)
	out := make([]Entry, 0, len(prev)+len(set))
	i, j, d := 0, 0, 0
	deleted := func(h uint64) bool {
		for d < len(del) && del[d] < h {
			d++
		}
		return d < len(del) && del[d] == h
	}
	for i < len(prev) || j < len(set) {
		var e Entry
		switch {
		case j >= len(set) || (i < len(prev) && prev[i].Email < set[j].Email):
			e = prev[i]
			i++
		case i >= len(prev) || set[j].Email < prev[i].Email:
			e = set[j]
			j++
		default:
			e = set[j]
			i++
			j++
		}
		if !deleted(e.Email) {
			out = append(out, e)
		}
	}
	return out
}
