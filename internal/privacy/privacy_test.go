package privacy

import (
	"strings"
	"testing"
)

func TestMaskEmail(t *testing.T) {
	for in, want := range map[string]string{
		"jane.doe@example.com":  "j***@e***.com",
		" Bob@Mail.Example.ORG": "B***@M***.ORG",
		"no-at-sign":            "n*** (10 chars)",
		"@example.com":          "@*** (12 chars)",
		"x@":                    "x*** (2 chars)",
		"":                      "(empty)",
	} {
		if got := MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
		if in != "" && len(in) > 3 && strings.Contains(MaskEmail(in), strings.TrimSpace(in)) {
			t.Errorf("MaskEmail(%q) reveals the value", in)
		}
	}
}

func TestMaskValue(t *testing.T) {
	for in, want := range map[string]string{"Jane": "J*** (4 chars)", "é": "* (1 char)", "Zoë": "Z*** (3 chars)"} {
		if got := MaskValue(in); got != want {
			t.Errorf("MaskValue(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDerivedKeysAndFingerprints(t *testing.T) {
	a, b := "SG.test-key-a", "SG.test-key-b"
	if string(DeriveKey(a, PurposeSnapshot)) == string(DeriveKey(a, PurposeFingerprint)) {
		t.Fatal("purposes must give different keys")
	}
	if string(DeriveKey(a, PurposeSnapshot)) == string(DeriveKey(b, PurposeSnapshot)) {
		t.Fatal("different API keys must give different keys")
	}
	fa := KeyFingerprint(a)
	if fa != KeyFingerprint(a) || fa == KeyFingerprint(b) || !strings.HasPrefix(fa, "sha256:") || len(fa) != 23 {
		t.Fatalf("unexpected fingerprint %q", fa)
	}
	if strings.Contains(fa, "test-key") || KeyFingerprint("") != "" {
		t.Fatal("fingerprint must not reveal the key; empty key has no fingerprint")
	}
}

func TestMaskShowsNoControlCharacters(t *testing.T) {
	for _, in := range []string{"\x1b[31mred@example.com", "\u202etxt.exe@example.com", "a@b.\x1b[2J", "\x00x"} {
		for _, m := range []string{MaskEmail(in), MaskValue(in)} {
			for _, r := range m {
				if r < 0x20 || r == 0x7f || r == '\u202e' {
					t.Fatalf("mask of %q holds %U", in, r)
				}
			}
		}
	}
}

func TestMaskQuoted(t *testing.T) {
	q := `SELECT email FROM "Customers" WHERE plan = 'pro'`
	got := MaskQuoted(`invalid input syntax for type integer: "jane.doe@example.com" in relation "customers" for 'pro'`, q)
	want := `invalid input syntax for type integer: "j*** (20 chars)" in relation "customers" for 'pro'`
	if got != want {
		t.Fatalf("MaskQuoted = %q, want %q", got, want)
	}
	if got := MaskQuoted(`unterminated "quote`, ""); got != `unterminated "quote` {
		t.Fatalf("an unterminated quote is left as is, got %q", got)
	}
}
