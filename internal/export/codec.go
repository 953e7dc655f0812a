package export

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"sort"
	"unicode/utf8"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/export/snapshot"
)

// A record is one validated, normalized contact in compact form: for each slot, in slot order,
// uvarint(len(value)+1) and the value bytes, or a single 0 byte when the value is absent (NULL or
// empty: the field is left out of the upload). Slot 0 is always the email. Values are already in
// the form SendGrid receives: normalized email, text, canonical number text, MM/DD/YYYY date.

func appendValue(rec []byte, v string) []byte {
	if v == "" {
		return append(rec, 0)
	}
	rec = binary.AppendUvarint(rec, uint64(len(v))+1)
	return append(rec, v...)
}

func appendValueBytes(rec, v []byte) []byte {
	if len(v) == 0 {
		return append(rec, 0)
	}
	rec = binary.AppendUvarint(rec, uint64(len(v))+1)
	return append(rec, v...)
}

// recordIter walks a record's values.
type recordIter struct {
	rec []byte
	p   int
}

func (it *recordIter) next() (v []byte, present bool) {
	n, m := binary.Uvarint(it.rec[it.p:])
	it.p += m
	if n == 0 {
		return nil, false
	}
	v = it.rec[it.p : it.p+int(n-1)]
	it.p += int(n - 1)
	return v, true
}

// codec turns records into request bodies for one resolved set of slots.
type codec struct {
	slots       []slot
	firstCustom int // index of the first custom slot (len(slots) when none)
	// keys[i] is `"name":` for reserved slots and `"id":` for custom ones.
	keys [][]byte
}

func newCodec(slots []slot) *codec {
	c := &codec{slots: slots, firstCustom: len(slots), keys: make([][]byte, len(slots))}
	for i, s := range slots {
		if s.custom && i < c.firstCustom {
			c.firstCustom = i
		}
		name := s.name
		if s.custom {
			name = s.id
		}
		k := appendJSONString(nil, name)
		c.keys[i] = append(k, ':')
	}
	return c
}

// appendJSON appends the contact as a JSON object in SendGrid's upsert shape:
// {"email":…,"first_name":…,…,"custom_fields":{"<field id>":"text"|number,…}}. Absent values are
// left out.
func (c *codec) appendJSON(dst, rec []byte) []byte {
	it := recordIter{rec: rec}
	dst = append(dst, '{')
	first := true
	openCustom := false
	for i := range c.slots {
		v, ok := it.next()
		if !ok {
			continue
		}
		if i >= c.firstCustom && !openCustom {
			if !first {
				dst = append(dst, ',')
			}
			dst = append(dst, `"custom_fields":{`...)
			openCustom = true
			first = true
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, c.keys[i]...)
		if c.slots[i].typ == FieldNumber && c.slots[i].custom {
			dst = append(dst, v...)
		} else {
			dst = appendJSONBytes(dst, v)
		}
	}
	if openCustom {
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// jsonLen returns len(c.appendJSON(nil, rec)) without building it.
func (c *codec) jsonLen(rec []byte) int {
	it := recordIter{rec: rec}
	n := 2 // {}
	members := 0
	openCustom := false
	for i := range c.slots {
		v, ok := it.next()
		if !ok {
			continue
		}
		if i >= c.firstCustom && !openCustom {
			if members > 0 {
				n++
			}
			n += len(`"custom_fields":{`) + 1
			openCustom = true
			members = 0
		}
		if members > 0 {
			n++
		}
		members++
		n += len(c.keys[i])
		if c.slots[i].typ == FieldNumber && c.slots[i].custom {
			n += len(v)
		} else {
			n += jsonStringLen(v)
		}
	}
	return n
}

// jsonStringLen is len(appendJSONBytes(nil, v)).
func jsonStringLen(v []byte) int {
	n := 2
	for i := 0; i < len(v); {
		b := v[i]
		if b < utf8.RuneSelf {
			switch {
			case b >= 0x20 && b != '"' && b != '\\':
				n++
			case b == '"', b == '\\', b == '\n', b == '\r', b == '\t':
				n += 2
			default:
				n += 6
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(v[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			n += 6
		case r == '\u2028' || r == '\u2029':
			n += 6
		default:
			n += size
		}
		i += size
	}
	return n
}

// csvHeader returns the CSV column names and the field mappings (field IDs) for an import.
// ok is false when a reserved field's ID is unknown (the CSV import cannot be used).
func (c *codec) csvHeader() (names, ids []string, ok bool) {
	for _, s := range c.slots {
		if s.id == "" {
			return nil, nil, false
		}
		names = append(names, s.name)
		ids = append(ids, s.id)
	}
	return names, ids, true
}

// csvPossible reports whether every mapped field has, or will have (pending), an ID.
func (c *codec) csvPossible() bool {
	for _, s := range c.slots {
		if s.id == "" && !s.pending {
			return false
		}
	}
	return true
}

// appendCSV appends the record as one RFC 4180 CSV line (CRLF-free: LF line ends, as
// encoding/csv writes by default). Absent values are empty cells.
func (c *codec) appendCSV(dst, rec []byte) []byte {
	it := recordIter{rec: rec}
	for i := range c.slots {
		if i > 0 {
			dst = append(dst, ',')
		}
		v, _ := it.next()
		dst = appendCSVField(dst, v)
	}
	return append(dst, '\n')
}

func appendCSVField(dst, v []byte) []byte {
	quote := false
	for _, b := range v {
		if b == '"' || b == ',' || b == '\n' || b == '\r' {
			quote = true
			break
		}
	}
	if len(v) > 0 && (v[0] == ' ' || v[0] == '\t' || v[len(v)-1] == ' ' || v[len(v)-1] == '\t') {
		quote = true
	}
	if !quote {
		return append(dst, v...)
	}
	dst = append(dst, '"')
	for _, b := range v {
		if b == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, b)
	}
	return append(dst, '"')
}

func csvHeaderLine(names []string) []byte {
	var dst []byte
	for i, n := range names {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendCSVField(dst, []byte(n))
	}
	return append(dst, '\n')
}

const hexDigits = "0123456789abcdef"

func appendJSONString(dst []byte, s string) []byte {
	return appendJSONBytes(dst, []byte(s))
}

// appendJSONBytes appends v (valid UTF-8, as validation guarantees) as a JSON string.
func appendJSONBytes(dst, v []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(v); {
		b := v[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, v[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(v[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, v[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, v[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, v[start:]...)
	return append(dst, '"')
}

// hasher computes the keyed hashes kept in snapshots and fingerprints.
//
//	email hash   = HMAC-SHA-256(K_e, normalized email)[:8]
//	content hash = HMAC-SHA-256(K_c, record)[:8]
//
// with K = privacy.DeriveKey(secret, privacy.PurposeSnapshot) (secret: Request.RecordKey, or the
// API key), K_e = HMAC(K, "email/v1") and
// K_c = HMAC(K, "content/v1" || for each slot: name, 0, type, 0). The content key depends on the
// mapped field names and types (not on field IDs, which a pending field does not have yet), so
// a change of mapping changes every content hash.
type hasher struct {
	ek, ck []byte
	em, cm hash.Hash
	sum    [sha256.Size]byte
	buf    []byte
}

func subKey(key []byte, parts ...string) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

func newHasher(key []byte, slots []slot) *hasher {
	parts := []string{"content/v1"}
	for _, s := range slots {
		kind := "reserved"
		if s.custom {
			kind = "custom"
		}
		parts = append(parts, kind, s.name, string(s.typ))
	}
	ek, ck := subKey(key, "email/v1"), subKey(key, parts...)
	return &hasher{ek: ek, ck: ck, em: hmac.New(sha256.New, ek), cm: hmac.New(sha256.New, ck)}
}

// clone returns an independent hasher with the same keys (a hasher is not safe for concurrent use).
func (h *hasher) clone() *hasher {
	return &hasher{ek: h.ek, ck: h.ck, em: hmac.New(sha256.New, h.ek), cm: hmac.New(sha256.New, h.ck)}
}

func (h *hasher) email(e string) uint64 {
	h.buf = append(h.buf[:0], e...)
	h.em.Reset()
	h.em.Write(h.buf)
	return binary.LittleEndian.Uint64(h.em.Sum(h.sum[:0]))
}

func (h *hasher) content(rec []byte) uint64 {
	h.cm.Reset()
	h.cm.Write(rec)
	return binary.LittleEndian.Uint64(h.cm.Sum(h.sum[:0]))
}

// fieldsCheck identifies the field IDs the content is uploaded under (see snapshot.Snapshot.Fields).
func fieldsCheck(slots []slot) [8]byte {
	pairs := make([]string, 0, len(slots))
	for _, s := range slots {
		pairs = append(pairs, s.name+"\x00"+s.id)
	}
	sort.Strings(pairs)
	h := sha256.New()
	h.Write([]byte("sendgridaudience/fields/v1"))
	for _, p := range pairs {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	var out [8]byte
	copy(out[:], h.Sum(nil))
	return out
}

// fingerprint is a keyed hash of the export's content: every exported contact's email and
// content hash, in email-hash order. It changes when a profile is added, dropped or changed,
// or when the mapping changes. Format: "v1:" and 32 hex digits.
func fingerprint(key []byte, entries []snapshot.Entry) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("sendgridaudience/export-content/v1"))
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(len(entries)))
	m.Write(b[:8])
	buf := make([]byte, 0, 16*1024)
	for _, e := range entries {
		binary.LittleEndian.PutUint64(b[:8], e.Email)
		binary.LittleEndian.PutUint64(b[8:], e.Content)
		buf = append(buf, b[:]...)
		if len(buf) == cap(buf) {
			m.Write(buf)
			buf = buf[:0]
		}
	}
	m.Write(buf)
	return "v1:" + hex.EncodeToString(m.Sum(nil)[:16])
}
