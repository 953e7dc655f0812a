package emulator

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"unicode/utf8"
)

// Slots of a received contact's string attributes.
const (
	rEmail = iota
	rFirst
	rLast
	rCountry
	rState
	rCity
	rPostal
	rAddr1
	rAddr2
	rExternal
	rAnonymous
	rPhone
	nRaw
)

var rawNames = [nRaw]string{"email", "first_name", "last_name", "country", "state_province_region", "city", "postal_code",
	"address_line_1", "address_line_2", "external_id", "anonymous_id", "phone_number_id"}

// rawContact is one contact as received: string attributes with a presence bit each.
type rawContact struct {
	vals   [nRaw]string
	has    uint16
	nAlt   int
	custom customVals
}

func (c *rawContact) set(slot int, v string) {
	c.vals[slot] = v
	c.has |= 1 << slot
}

func (c *rawContact) present(slot int) bool { return c.has&(1<<slot) != 0 }

type upsertIn struct {
	listIDs  []string
	contacts []rawContact
}

// decodeUpsert reads a PUT /v3/marketing/contacts body. A hand-written scanner handles the
// usual shape quickly (bodies carry up to 30,000 contacts); anything it does not expect falls
// back to encoding/json, which also produces the error message for invalid JSON.
func decodeUpsert(body []byte) (upsertIn, error) {
	if in, ok := fastUpsert(body); ok {
		return in, nil
	}
	var slow struct {
		ListIDs  []string `json:"list_ids"`
		Contacts []struct {
			Email               *string        `json:"email"`
			FirstName           *string        `json:"first_name"`
			LastName            *string        `json:"last_name"`
			Country             *string        `json:"country"`
			StateProvinceRegion *string        `json:"state_province_region"`
			City                *string        `json:"city"`
			PostalCode          *string        `json:"postal_code"`
			AddressLine1        *string        `json:"address_line_1"`
			AddressLine2        *string        `json:"address_line_2"`
			ExternalID          *string        `json:"external_id"`
			AnonymousID         *string        `json:"anonymous_id"`
			PhoneNumberID       *string        `json:"phone_number_id"`
			AlternateEmails     []string       `json:"alternate_emails"`
			CustomFields        map[string]any `json:"custom_fields"`
		} `json:"contacts"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&slow); err != nil {
		return upsertIn{}, err
	}
	in := upsertIn{listIDs: slow.ListIDs, contacts: make([]rawContact, len(slow.Contacts))}
	for i, c := range slow.Contacts {
		rc := &in.contacts[i]
		for slot, p := range [nRaw]*string{c.Email, c.FirstName, c.LastName, c.Country, c.StateProvinceRegion, c.City, c.PostalCode,
			c.AddressLine1, c.AddressLine2, c.ExternalID, c.AnonymousID, c.PhoneNumberID} {
			if p != nil {
				rc.set(slot, *p)
			}
		}
		rc.nAlt = len(c.AlternateEmails)
		for _, id := range slices.Sorted(maps.Keys(c.CustomFields)) {
			rc.custom.set(id, c.CustomFields[id])
		}
	}
	return in, nil
}

type scan struct {
	b []byte
	i int
}

func (s *scan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scan) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scan) eat(c byte) bool {
	if s.peek() == c {
		s.i++
		return true
	}
	return false
}

// str reads a JSON string. Strings without escapes are sliced directly; others are unquoted by
// encoding/json.
func (s *scan) str() (string, bool) {
	if s.peek() != '"' {
		return "", false
	}
	start := s.i
	s.i++
	escaped := false
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			if !escaped {
				raw := s.b[start+1 : s.i-1]
				if !utf8.Valid(raw) {
					return "", false
				}
				return string(raw), true
			}
			var out string
			if json.Unmarshal(s.b[start:s.i], &out) != nil {
				return "", false
			}
			return out, true
		case c == '\\':
			escaped = true
			s.i += 2
			continue
		case c < 0x20:
			return "", false
		}
		s.i++
	}
	return "", false
}

// number reads a JSON number literal.
func (s *scan) number() (json.Number, bool) {
	s.ws()
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		if c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			s.i++
			continue
		}
		break
	}
	if start == s.i {
		return "", false
	}
	if !validNumber(s.b[start:s.i]) {
		return "", false
	}
	n := json.Number(s.b[start:s.i])
	if _, err := n.Float64(); err != nil {
		return "", false
	}
	return n, true
}

// validNumber applies JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(b)
}

func (s *scan) lit(word string) bool {
	s.ws()
	if bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		s.i += len(word)
		return true
	}
	return false
}

// scalar reads a string, number, true, false or null (objects and arrays: not handled).
func (s *scan) scalar() (any, bool) {
	switch c := s.peek(); {
	case c == '"':
		return s.str()
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	case c == 't':
		return true, s.lit("true")
	case c == 'f':
		return false, s.lit("false")
	case c == 'n':
		return nil, s.lit("null")
	}
	return nil, false
}

func (s *scan) strArray() ([]string, bool) {
	if !s.eat('[') {
		return nil, false
	}
	out := []string{}
	if s.eat(']') {
		return out, true
	}
	for {
		v, ok := s.str()
		if !ok {
			return nil, false
		}
		out = append(out, v)
		if s.eat(']') {
			return out, true
		}
		if !s.eat(',') {
			return nil, false
		}
	}
}

func slotOf(k string) int {
	for i, n := range rawNames {
		if n == k {
			return i
		}
	}
	return -1
}

func (s *scan) contact(rc *rawContact) bool {
	if !s.eat('{') {
		return false
	}
	if s.eat('}') {
		return true
	}
	for {
		k, ok := s.str()
		if !ok || !s.eat(':') {
			return false
		}
		switch slot := slotOf(k); {
		case slot >= 0:
			if s.peek() == 'n' {
				if !s.lit("null") {
					return false
				}
				break
			}
			v, ok := s.str()
			if !ok {
				return false
			}
			rc.set(slot, v)
		case k == "alternate_emails":
			alt, ok := s.strArray()
			if !ok {
				return false
			}
			rc.nAlt = len(alt)
		case k == "custom_fields":
			if !s.eat('{') {
				return false
			}
			rc.custom = customVals{}
			if !s.eat('}') {
				for {
					id, ok := s.str()
					if !ok || !s.eat(':') {
						return false
					}
					v, ok := s.scalar()
					if !ok {
						return false
					}
					rc.custom.set(id, v)
					if s.eat('}') {
						break
					}
					if !s.eat(',') {
						return false
					}
				}
			}
		default:
			if _, ok := s.scalar(); !ok {
				return false
			}
		}
		if s.eat('}') {
			return true
		}
		if !s.eat(',') {
			return false
		}
	}
}

func fastUpsert(b []byte) (upsertIn, bool) {
	s := &scan{b: b}
	var in upsertIn
	if !s.eat('{') {
		return in, false
	}
	seen := 0
	for !s.eat('}') {
		if seen > 0 && !s.eat(',') {
			return in, false
		}
		seen++
		k, ok := s.str()
		if !ok || !s.eat(':') {
			return in, false
		}
		switch k {
		case "list_ids":
			if in.listIDs, ok = s.strArray(); !ok {
				return in, false
			}
		case "contacts":
			if !s.eat('[') {
				return in, false
			}
			in.contacts = make([]rawContact, 0, bytes.Count(b, []byte(`"email"`)))
			if !s.eat(']') {
				for {
					in.contacts = append(in.contacts, rawContact{})
					if !s.contact(&in.contacts[len(in.contacts)-1]) {
						return in, false
					}
					if s.eat(']') {
						break
					}
					if !s.eat(',') {
						return in, false
					}
				}
			}
		default:
			return in, false
		}
	}
	s.ws()
	return in, s.i == len(b)
}
