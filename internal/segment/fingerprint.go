package segment

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"math"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/profile"
)

// Summary describes a segment without showing any profile.
type Summary struct {
	Count       int64            // profiles the segment selects
	Scanned     int64            // profiles the source holds (read to count)
	Columns     []profile.Column // the source's columns and types
	Fingerprint string           // keyed fingerprint of the selected profiles; "" without a key
	// Invalid counts the rows with a value that does not fit its column's type (counted in
	// Count: see Segment.ScanAll); FirstInvalid describes the first (position, column, masked value).
	Invalid      int64
	FirstInvalid string
	// SourceVersion identifies a remote object's version (ETag, S3 version ID, size) as its
	// store reported it before the read; "" for other sources.
	SourceVersion string
}

// Preview opens the segment, reads it once and returns its summary. With a key (for example
// privacy.DeriveKey(apiKey, privacy.PurposeFingerprint)) the summary carries a fingerprint of
// the selected profiles' content in source order: equal content gives equal fingerprints, any
// change of a selected value, of the selection or of the order changes it, and without the
// key it reveals nothing about the values. With a nil or empty key Fingerprint is "".
func Preview(ctx context.Context, spec Spec, key []byte) (Summary, error) {
	s, err := Open(ctx, spec)
	if err != nil {
		return Summary{}, err
	}
	defer func() { _ = s.Close() }()
	sum := Summary{Columns: s.Columns(), SourceVersion: s.SourceVersion()}
	fp := NewFingerprinter(key, sum.Columns)
	err = s.ScanAll(ctx, func(r *profile.Row, selected bool) error {
		sum.Scanned++
		if selected {
			sum.Count++
			fp.Add(r)
		}
		if len(r.Invalid) > 0 {
			if sum.Invalid++; sum.Invalid == 1 {
				sum.FirstInvalid = DescribeInvalid(r.Pos, r.Invalid[0])
			}
		}
		return nil
	})
	if err != nil {
		return Summary{}, err
	}
	sum.Fingerprint = fp.Sum()
	return sum, nil
}

// Fingerprinter computes the keyed fingerprint of a sequence of rows: the hex HMAC-SHA-256,
// under the key, of a canonical encoding of the columns (names and types) followed by each
// row's values. The encoding is unambiguous: every value carries a type tag, strings a length
// prefix; doubles are encoded by their IEEE 754 bits (with -0 as 0 and one NaN); timestamps as
// UTC seconds and nanoseconds. Positions (file, line) are not part of it.
//
// A nil Fingerprinter, or one made with an empty key, accepts rows and returns "".
type Fingerprinter struct {
	mac hash.Hash
	buf []byte
}

const fingerprintVersion = "sendgridaudience/segment-content/v1\n"

// NewFingerprinter starts a fingerprint of rows with the given columns.
func NewFingerprinter(key []byte, cols []profile.Column) *Fingerprinter {
	if len(key) == 0 {
		return nil
	}
	f := &Fingerprinter{mac: hmac.New(sha256.New, key), buf: make([]byte, 0, 8<<10)}
	f.buf = append(f.buf, fingerprintVersion...)
	f.buf = binary.AppendUvarint(f.buf, uint64(len(cols)))
	for _, c := range cols {
		f.appendString(c.Name)
		f.appendString(string(c.Type))
	}
	return f
}

func (f *Fingerprinter) appendString(s string) {
	f.buf = binary.AppendUvarint(f.buf, uint64(len(s)))
	f.buf = append(f.buf, s...)
}

// Add adds a row's values.
func (f *Fingerprinter) Add(r *profile.Row) {
	if f == nil {
		return
	}
	f.buf = append(f.buf, 'R')
	for _, v := range r.Values {
		switch x := v.(type) {
		case nil:
			f.buf = append(f.buf, 'n')
		case string:
			f.buf = append(f.buf, 's')
			f.appendString(x)
		case int64:
			f.buf = append(f.buf, 'i')
			f.buf = binary.BigEndian.AppendUint64(f.buf, uint64(x))
		case float64:
			if x == 0 {
				x = 0 // -0 and 0 are equal
			}
			bits := math.Float64bits(x)
			if math.IsNaN(x) {
				bits = 0x7FF8000000000001
			}
			f.buf = append(f.buf, 'd')
			f.buf = binary.BigEndian.AppendUint64(f.buf, bits)
		case bool:
			b := byte('f')
			if x {
				b = 't'
			}
			f.buf = append(f.buf, 'b', b)
		case time.Time:
			u := x.UTC()
			f.buf = append(f.buf, 't')
			f.buf = binary.BigEndian.AppendUint64(f.buf, uint64(u.Unix()))
			f.buf = binary.BigEndian.AppendUint32(f.buf, uint32(u.Nanosecond()))
		default:
			// Sources produce only the types above; anything else is encoded as unknown.
			f.buf = append(f.buf, '?')
		}
	}
	if len(f.buf) >= 4<<10 {
		f.flush()
	}
}

func (f *Fingerprinter) flush() {
	_, _ = f.mac.Write(f.buf)
	f.buf = f.buf[:0]
}

// Sum returns the fingerprint (64 hex digits), or "" for a nil Fingerprinter.
func (f *Fingerprinter) Sum() string {
	if f == nil {
		return ""
	}
	f.flush()
	return hex.EncodeToString(f.mac.Sum(nil))
}
