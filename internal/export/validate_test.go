package export

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/segment"
)

func TestNormalizeEmail(t *testing.T) {
	long := strings.Repeat("a", 64)
	for in, want := range map[string]struct {
		out string
		r   Reason
	}{
		"user@example.com":             {"user@example.com", ""},
		"  User.Name+tag@Example.COM ": {"user.name+tag@example.com", ""},
		"o'brien@example.org":          {"o'brien@example.org", ""},
		long + "@example.com":          {long + "@example.com", ""},
		long + "a@example.com":         {"", ReasonEmailInvalid}, // local part > 64
		"a@xn--bcher-kva.example":      {"a@xn--bcher-kva.example", ""},
		"":                             {"", ReasonEmailMissing},
		"   ":                          {"", ReasonEmailMissing},
		"no-at.example.com":            {"", ReasonEmailInvalid},
		"two@@example.com":             {"", ReasonEmailInvalid},
		"a@b@example.com":              {"", ReasonEmailInvalid},
		"@example.com":                 {"", ReasonEmailInvalid},
		"user@":                        {"", ReasonEmailInvalid},
		"user@localhost":               {"", ReasonEmailInvalid}, // no dot in the domain
		"user@example.c":               {"", ReasonEmailInvalid}, // one-letter TLD
		"user@192.168.0.1":             {"", ReasonEmailInvalid},
		"user@-example.com":            {"", ReasonEmailInvalid},
		"user@example..com":            {"", ReasonEmailInvalid},
		".user@example.com":            {"", ReasonEmailInvalid},
		"us..er@example.com":           {"", ReasonEmailInvalid},
		"us er@example.com":            {"", ReasonEmailInvalid},
		"user\x00@example.com":         {"", ReasonEmailInvalid},
		"usér@example.com":             {"", ReasonEmailInvalid},
		"\"quoted\"@example.com":       {"", ReasonEmailInvalid},
		"user@exa_mple.com":            {"", ReasonEmailInvalid},
		strings.Repeat("a", 60) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + ".com": {"", ReasonEmailTooLong},
	} {
		out, r := NormalizeEmail(in)
		if out != want.out || r != want.r {
			t.Errorf("NormalizeEmail(%q) = %q, %q; want %q, %q", in, out, r, want.out, want.r)
		}
	}
}

// The engine and the emulator (which enforces SendGrid's rules on what it receives) must agree:
// every address the engine accepts, SendGrid accepts too.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"user@example.com", " A@B.CO ", "a..b@c.de", "x@y", "ü@example.com", "a@b.c-d.com", "a+b@[1.2.3.4]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, r := NormalizeEmail(s)
		if r != "" {
			if out != "" {
				t.Fatal("invalid address with output")
			}
			return
		}
		if out != strings.ToLower(strings.TrimSpace(s)) || len(out) > MaxEmailLength {
			t.Fatalf("normalization of %q gave %q", s, out)
		}
		if !emulator.ValidEmail(out) {
			t.Fatalf("engine accepts %q, SendGrid (emulator) refuses it", out)
		}
		again, r2 := NormalizeEmail(out)
		if again != out || r2 != "" {
			t.Fatal("not idempotent")
		}
	})
}

func TestValueConversions(t *testing.T) {
	ts := time.Date(2024, 3, 9, 23, 30, 0, 0, time.FixedZone("X", -5*3600))
	nums := []struct {
		in   any
		want string
		r    Reason
	}{
		{int64(42), "42", ""}, {3.5, "3.5", ""}, {float64(1e20), "1e+20", ""}, {" -7 ", "-7", ""}, {"2.50", "2.5", ""},
		{"1e3", "1000", ""}, {".5", "0.5", ""}, {"", "", ""}, {nil, "", ""},
		{"0x10", "", ReasonNotNumber}, {"1_000", "", ReasonNotNumber}, {"NaN", "", ReasonNotNumber}, {"Inf", "", ReasonNotNumber},
		{math.NaN(), "", ReasonNotNumber}, {math.Inf(1), "", ReasonNotNumber}, {true, "", ReasonNotNumber}, {"12abc", "", ReasonNotNumber},
		{"1e999", "", ReasonNotNumber}, {ts, "", ReasonNotNumber},
	}
	for _, c := range nums {
		got, r := numberValue(c.in)
		if got != c.want || r != c.r {
			t.Errorf("numberValue(%v) = %q, %q; want %q, %q", c.in, got, r, c.want, c.r)
		}
	}
	dates := []struct {
		in   any
		want string
		r    Reason
	}{
		{"2024-03-09", "03/09/2024", ""}, {"03/09/2024", "03/09/2024", ""}, {"3/9/2024", "03/09/2024", ""},
		{"2024-03-09T23:30:00-05:00", "03/10/2024", ""}, {ts, "03/10/2024", ""}, {"", "", ""},
		{"09.03.2024", "", ReasonNotDate}, {"2024-13-01", "", ReasonNotDate}, {"31/12/2024", "", ReasonNotDate},
		{int64(20240309), "", ReasonNotDate}, {"tomorrow", "", ReasonNotDate},
	}
	for _, c := range dates {
		got, r := dateValue(c.in)
		if got != c.want || r != c.r {
			t.Errorf("dateValue(%v) = %q, %q; want %q, %q", c.in, got, r, c.want, c.r)
		}
	}
	texts := []struct {
		in   any
		want string
		r    Reason
	}{
		{"Zoë", "Zoë", ""}, {int64(7), "7", ""}, {2.0, "2", ""}, {true, "true", ""}, {ts, "2024-03-10T04:30:00Z", ""},
		{"bad\xffutf8", "", ReasonNotText}, {"nul\x00", "", ReasonNotText}, {math.NaN(), "", ReasonNotText},
	}
	for _, c := range texts {
		got, r := textValue(c.in)
		if got != c.want || r != c.r {
			t.Errorf("textValue(%v) = %q, %q; want %q, %q", c.in, got, r, c.want, c.r)
		}
	}
}

func FuzzJSONContact(f *testing.F) {
	f.Add("Zoë \"Z\" \\ \n\t\u2028", "12.5")
	f.Add("\x01\x1f", "-0")
	f.Fuzz(func(t *testing.T, text, num string) {
		if !utf8.ValidString(text) {
			return
		}
		n, r := numberValue(num)
		if r != "" || n == "" {
			n = "1"
		}
		slots := []slot{{name: "email"}, {name: "first_name", typ: FieldText}, {name: "t", custom: true, id: "e1_T", typ: FieldText},
			{name: "n", custom: true, id: "e2_N", typ: FieldNumber}}
		c := newCodec(slots)
		rec := appendValue(nil, "user@example.com")
		rec = appendValue(rec, text)
		rec = appendValue(rec, text)
		rec = appendValue(rec, n)
		out := c.appendJSON(nil, rec)
		if c.jsonLen(rec) != len(out) {
			t.Fatalf("jsonLen = %d, serialized %d bytes", c.jsonLen(rec), len(out))
		}
		var got struct {
			Email        string         `json:"email"`
			FirstName    string         `json:"first_name"`
			CustomFields map[string]any `json:"custom_fields"`
		}
		if err := jsonUnmarshal(out, &got); err != nil {
			t.Fatalf("invalid JSON %q: %v", out, err)
		}
		if got.Email != "user@example.com" || got.FirstName != text || (text != "" && got.CustomFields["e1_T"] != text) {
			t.Fatalf("round trip of %q gave %+v", text, got)
		}
		if _, ok := got.CustomFields["e2_N"].(float64); !ok {
			t.Fatalf("number %q not a JSON number in %s", n, out)
		}
	})
}

func TestMappingErrors(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	path := v.file("p.csv", genProfiles(0, 5))
	req := v.request(segment.Spec{Name: "p", Source: path})
	req.Mapping.FirstName = "frist_name"
	req.Mapping.Custom["tire"] = "tier"
	req.Mapping.Custom["loyalty_points"] = "score"
	req.Mapping.Custom["first_name"] = "first_name"
	_, err := v.eng.Plan(context.Background(), req)
	var ces ConfigErrors
	if !errors.As(err, &ces) {
		t.Fatalf("err = %v", err)
	}
	want := map[string]ConfigError{
		"tire":           {Problem: ProblemUnknownField, Suggestion: "tier"},
		"loyalty_points": {Problem: ProblemUnknownField},
		"first_name":     {Problem: ProblemReservedAsCustom},
	}
	for _, ce := range ces {
		if w, ok := want[ce.Attr.Name]; ok && ce.Attr.Kind == AttrCustomField && ce.Problem == w.Problem &&
			ce.Suggestion == w.Suggestion {
			delete(want, ce.Attr.Name)
		}
	}
	if len(want) > 0 {
		t.Fatalf("missing errors %v in %v", want, err)
	}

	// Field definitions are fixed; now the column.
	req.Mapping = fullMapping()
	req.Mapping.FirstName = "frist_name"
	_, err = v.eng.Plan(context.Background(), req)
	if !errors.As(err, &ces) || len(ces) != 1 || ces[0].Attr != (Attribute{Kind: AttrMapping, Name: "first_name"}) ||
		ces[0].Problem != ProblemUnknownColumn || ces[0].Column != "frist_name" || ces[0].Suggestion != "first_name" {
		t.Fatalf("err = %v", err)
	}

	// A pending custom field (defined in the same configuration) is accepted at plan time,
	// and must exist at apply time.
	req.Mapping = fullMapping()
	req.Mapping.Custom["vip"] = "tier"
	req.PendingFields = []PendingField{{Name: "vip", Type: FieldText}}
	plan, err := v.eng.Plan(context.Background(), req)
	if err != nil || plan.ToAdd != 5 {
		t.Fatalf("pending field: %v", err)
	}
	if _, err := v.eng.Apply(context.Background(), req, Expected{Fingerprint: plan.Fingerprint}); !errors.As(err, &ces) ||
		ces[0].Attr != (Attribute{Kind: AttrCustomField, Name: "vip"}) {
		t.Fatalf("apply without the field: %v", err)
	}
	id := v.emu.SeedField(v.key, "vip", "Text")
	res, err := v.eng.Apply(context.Background(), req, Expected{Fingerprint: plan.Fingerprint})
	if err != nil || res.Report.Requested != 5 {
		t.Fatalf("apply once created: %v", err)
	}
	c, _ := v.emu.Contact(v.key, "user000001@example.com")
	if c["custom_fields"].(map[string]any)[id] != "silver" {
		t.Fatalf("vip = %v", c["custom_fields"])
	}

	// Email must be mapped, to a text column.
	req.Mapping.Email = ""
	if _, err := v.eng.Plan(context.Background(), req); !errors.As(err, &ces) || ces[0].Attr != (Attribute{Kind: AttrMapping, Name: "email"}) ||
		ces[0].Problem != ProblemEmailUnmapped {
		t.Fatalf("no email: %v", err)
	}
}

func TestIncompatibleColumnType(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	path := v.dir + "/typed.csv"
	writeFile(t, path, "email,score:bool,signup:int\nuser1@example.com,true,3\n")
	req := Request{Segments: []segment.Spec{{Name: "t", Source: path}}, ListID: v.listID, APIKey: v.key,
		Mapping: Mapping{Email: "email", Custom: map[string]string{"score": "score", "signup": "signup"}}}
	_, err := v.eng.Plan(context.Background(), req)
	var ces ConfigErrors
	if !errors.As(err, &ces) || len(ces) != 2 || ces[0].Problem != ProblemColumnType || ces[0].ColumnType != "bool" ||
		ces[0].Field != "score" || ces[0].FieldType != FieldNumber {
		t.Fatalf("err = %v", err)
	}
}

func TestU64Set(t *testing.T) {
	var s u64set
	ref := map[uint64]bool{}
	for i := uint64(0); i < 20000; i++ {
		k := (i * 0x9e3779b97f4a7c15) >> (i % 3 * 7) // uniform-ish, some collisions of low bits
		if i%1000 == 0 {
			k = 0
		}
		if got, want := s.add(k), !ref[k]; got != want {
			t.Fatalf("add(%x) = %v, want %v", k, got, want)
		}
		ref[k] = true
	}
	for k := range ref {
		if s.add(k) {
			t.Fatalf("%x lost", k)
		}
	}
}
