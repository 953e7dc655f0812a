package privacy

import (
	"strings"
	"testing"
)

func TestScrubMasksValuesAnywhere(t *testing.T) {
	const canary = "zq7canary"
	for _, tc := range []struct {
		msg, known string
		values     []string
		secrets    []string
		keep       []string
	}{
		{"no such key: user0@example.com", "", nil, []string{"user0@example.com", "user0"}, []string{"no such key: u***@e***.com"}},
		{"no such key: Jane", `profile[first_name] == "x"`, []string{"Jane", "Doe"}, []string{"Jane"}, []string{"no such key: J*** (4 chars)"}},
		{"error parsing regexp: missing closing ): `" + canary + "(`", "first_name.matches(first_name + \"(\")", []string{canary}, []string{canary}, []string{"error parsing regexp"}},
		{"value 4111111111111111 out of range", "", nil, []string{"4111111111111111"}, []string{"out of range"}},
		{`invalid input syntax for type integer: "forty"`, "SELECT age::int FROM t", nil, []string{"forty"}, []string{"(5 chars)"}},
		{`no such column: "mail"`, "SELECT mail FROM t", nil, nil, []string{`"mail"`}},
		{"key Jane and Janet", "", []string{"Jane"}, []string{"Jane and"}, []string{"Janet"}},
		{"found US here", `country == "US"`, []string{"US"}, nil, []string{"found US here"}},
	} {
		got := Scrub(tc.msg, tc.known, tc.values...)
		for _, s := range tc.secrets {
			if strings.Contains(got, s) {
				t.Errorf("Scrub(%q) = %q reveals %q", tc.msg, got, s)
			}
		}
		for _, k := range tc.keep {
			if !strings.Contains(got, k) {
				t.Errorf("Scrub(%q) = %q lacks %q", tc.msg, got, k)
			}
		}
	}
}

func TestScrubBoundsAndCleans(t *testing.T) {
	got := Scrub(strings.Repeat("\x00", 4096), "")
	if strings.ContainsRune(got, 0) {
		t.Errorf("NULs kept")
	}
	long := Scrub(strings.Repeat("column_name, ", 100000), "")
	if len(long) > MaxMessageBytes+40 || !strings.HasSuffix(long, "more bytes)") {
		t.Errorf("long message is %d bytes: ...%q", len(long), long[len(long)-40:])
	}
}

func TestScrubKeepingKeepsOnlyWholeTokens(t *testing.T) {
	msg := "type conversion error from 'string' to 'google.protobuf.Timestamp': invalid RFC 3339 timestamp \"Tim\" (Tim)"
	got := ScrubKeeping(msg, "", []string{"string", "google.protobuf.Timestamp", "3339"}, "Tim")
	if strings.Contains(got, "Tim\"") || strings.Contains(got, "(Tim)") {
		t.Errorf("ScrubKeeping = %q reveals the value", got)
	}
	for _, k := range []string{"'string'", "'google.protobuf.Timestamp'", "RFC 3339"} {
		if !strings.Contains(got, k) {
			t.Errorf("ScrubKeeping = %q lacks %q", got, k)
		}
	}
}
