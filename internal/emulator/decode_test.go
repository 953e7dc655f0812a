package emulator

import (
	"bytes"
	"encoding/json"
	"net/mail"
	"reflect"
	"strings"
	"testing"
)

// FuzzDecodeUpsert checks that the fast scanner, whenever it accepts a body, reads it exactly as
// encoding/json does.
func FuzzDecodeUpsert(f *testing.F) {
	for _, s := range []string{
		`{"list_ids":["a","b"],"contacts":[{"email":"user000001@example.com","first_name":"A\u00e9","custom_fields":{"e1_N":3.5,"e2_T":"x","e3_T":null}}]}`,
		`{"contacts":[{"email":"a@example.com","external_id":"x","alternate_emails":["b@example.com"],"unknown":true}]}`,
		`{"contacts":[]}`,
		`{"contacts":[{"email":"a\"b@example.com","city":"\\"}]}`,
		`{"contacts":[{"email":null}]} `,
		`{"contacts":[{"email":"x","custom_fields":{"e1_N":-1e3}}],"list_ids":[]}`,
		`{"contacts":[{"email":"x"}]`,
		`[1]`,
		`{"contacts":[{"email":"x","custom_fields":{"a":+1,"b":01,"c":1.,"d":-}}]}`,
		`{"contacts":[{"email":"x","custom_fields":{"a":0.5e-3,"b":-0}}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, ok := fastUpsert(body)
		if !ok {
			return
		}
		var ref struct {
			ListIDs  []string                     `json:"list_ids"`
			Contacts []map[string]json.RawMessage `json:"contacts"`
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&ref); err != nil || dec.More() {
			t.Fatalf("the fast scanner accepted a body encoding/json rejects (%v): %q", err, body)
		}
		if len(ref.Contacts) != len(fast.contacts) || !reflect.DeepEqual(nilIfEmpty(ref.ListIDs), nilIfEmpty(fast.listIDs)) {
			t.Fatalf("shape differs for %q: %d/%d contacts, lists %q/%q", body, len(ref.Contacts), len(fast.contacts), ref.ListIDs, fast.listIDs)
		}
		for i, m := range ref.Contacts {
			rc := fast.contacts[i]
			for slot, name := range rawNames {
				raw, ok := m[name]
				var want *string
				if ok && string(raw) != "null" {
					var s string
					if err := json.Unmarshal(raw, &s); err != nil {
						t.Fatalf("fast scanner took a non-string %s: %q", name, body)
					}
					want = &s
				}
				if (want != nil) != rc.present(slot) || (want != nil && *want != rc.vals[slot]) {
					t.Fatalf("contact %d %s differs for %q", i, name, body)
				}
			}
			if raw, ok := m["custom_fields"]; ok {
				var cf map[string]any
				d := json.NewDecoder(bytes.NewReader(raw))
				d.UseNumber()
				if err := d.Decode(&cf); err != nil || !reflect.DeepEqual(cf, rc.custom.byID()) || len(rc.custom) != len(cf) {
					t.Fatalf("custom fields differ for %q: %v vs %v", body, cf, rc.custom)
				}
			}
		}
	})
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// FuzzValidEmail checks that every address the emulator accepts is a plain address to
// net/mail as well, has one @ and no spaces, and that lower-casing keeps it valid.
func FuzzValidEmail(f *testing.F) {
	for _, s := range []string{"user000001@example.com", "a.b+c@sub.example.org", "o'hara@example.net", "bad@", "@bad.com", "a@b.c", "x@y..com", "é@example.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidEmail(s) {
			return
		}
		if strings.Count(s, "@") != 1 || strings.ContainsAny(s, " \t\r\n") || len(s) > 254 {
			t.Fatalf("accepted %q", s)
		}
		a, err := mail.ParseAddress(s)
		if err != nil || a.Address != s {
			t.Fatalf("accepted %q, which net/mail reads as %v (%v)", s, a, err)
		}
		if !ValidEmail(strings.ToLower(s)) {
			t.Fatalf("lower-cased %q is invalid", s)
		}
	})
}
