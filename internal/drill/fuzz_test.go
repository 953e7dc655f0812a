package drill

// Fuzz targets for the public parsers and validators that their own packages do not fuzz:
// the API host rules (endpoint), masking (privacy), source strings and segment specs (profile,
// segment), and the email rule of the export checked against the emulator's (SendGrid's) rule.
// The CSV and JSON Lines readers, CEL filters, the snapshot format and the email normalizer
// have fuzz targets in their own packages. Seeds run with plain go test; explore with e.g.
//
//	go test -run '^$' -fuzz FuzzEndpointResolve -fuzztime 1m ./internal/drill

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/endpoint"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/export"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/privacy"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/profile"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/segment"
)

// urlPassword returns the password of a URL as url.Parse (and so pgx and net/http) reads it.
func urlPassword(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		pw, _ := u.User.Password()
		return pw
	}
	return ""
}

// urlSecrets returns the passwords a person may have meant in a URL-like string: the one
// url.Parse reads, and the text between "scheme://user:" and the last "@" (which a URL that
// does not parse, or parses differently, may still hold).
func urlSecrets(raw string) []string {
	out := []string{urlPassword(raw)}
	if i := strings.Index(raw, "://"); i >= 0 {
		rest := raw[i+3:]
		if at := strings.LastIndexByte(rest, '@'); at > 0 {
			if _, pw, ok := strings.Cut(rest[:at], ":"); ok {
				out = append(out, pw)
			}
		}
	}
	return out
}

// repeats reports whether check's error for input repeats secret because the input holds it:
// the input with the secret replaced by other letters of the same length (so it parses the
// same way) must give an error with fewer copies of the secret. Secrets of fewer than 4
// characters, or with characters that change how a URL parses, are not judged.
func repeats(check func(string) error, input, secret string) bool {
	unreserved := func(r rune) bool {
		return r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.~", r))
	}
	if len(secret) < 4 || strings.IndexFunc(secret, func(r rune) bool { return !unreserved(r) }) >= 0 {
		return false
	}
	err := check(input)
	if err == nil || !strings.Contains(err.Error(), secret) {
		return false
	}
	other := strings.Repeat("Q", len(secret))
	if strings.Contains(secret, "Q") {
		other = strings.Repeat("Z", len(secret))
	}
	err2 := check(strings.ReplaceAll(input, secret, other))
	n2 := 0
	if err2 != nil {
		n2 = strings.Count(err2.Error(), secret)
	}
	return strings.Count(err.Error(), secret) > n2
}

// FuzzEndpointResolve: whatever api_url and region hold, Resolve never panics; what it accepts
// is https, or http to a loopback host, without credentials, query or trailing slash, and is
// accepted again unchanged; what it refuses is an *endpoint.Error that never repeats a
// password written into the URL.
func FuzzEndpointResolve(f *testing.F) {
	for _, s := range []struct{ url, region string }{
		{"", ""}, {"", "eu"}, {"", "global"}, {"", "mars"},
		{"https://api.sendgrid.com", ""}, {"https://api.sendgrid.com/", "eu"},
		{"http://127.0.0.1:8787", ""}, {"http://localhost:8787/", ""}, {"http://[::1]:8787", ""},
		{"http://sendgrid-proxy.example.net", ""}, {"http://127.0.0.1.example.net", ""},
		{"https://apikey:SG.secret-in-url@api.sendgrid.com", ""},
		{"ftp://apikey:SG.secret-in-url@api.sendgrid.com", ""},
		{"https://apikey:SG.secret-in-url@api.sendgrid.com/%zz", ""},
		{"https://api.sendgrid.com?key=SG.x", ""}, {"api.sendgrid.com", ""}, {" https://api.sendgrid.com ", ""},
		{"http://0x7f000001:8787", ""}, {"http://127.1:8787", ""}, {"HTTPS://API.SENDGRID.COM", ""},
	} {
		f.Add(s.url, s.region)
	}
	f.Fuzz(func(t *testing.T, apiURL, region string) {
		base, err := endpoint.Resolve(apiURL, region)
		if err != nil {
			var ee *endpoint.Error
			if !errors.As(err, &ee) || ee.Summary == "" || ee.Detail == "" {
				t.Fatalf("error %T %v is not an *endpoint.Error with a summary and a detail", err, err)
			}
			resolve := func(u string) error { _, err := endpoint.Resolve(u, region); return err }
			for _, pw := range urlSecrets(apiURL) {
				if repeats(resolve, apiURL, pw) {
					t.Fatalf("the error repeats the password written in api_url (%d characters)", len(pw))
				}
			}
			return
		}
		u, perr := url.Parse(base)
		if perr != nil {
			t.Fatalf("accepted %q, which does not parse: %v", base, perr)
		}
		switch {
		case u.User != nil, u.RawQuery != "", u.Fragment != "":
			t.Fatalf("accepted a base URL with credentials, query or fragment: %q", base)
		case u.Scheme == "http" && !endpoint.IsLoopback(u.Hostname()):
			t.Fatalf("accepted plain http to a non-loopback host: %q", base)
		case u.Scheme != "http" && u.Scheme != "https":
			t.Fatalf("accepted scheme %q", u.Scheme)
		case strings.HasSuffix(base, "/"):
			t.Fatalf("accepted base URL ends with a slash: %q", base)
		}
		again, err := endpoint.CheckURL(base)
		if err != nil || again != base {
			t.Fatalf("the accepted URL %q is not accepted unchanged again: %q, %v", base, again, err)
		}
	})
}

// FuzzPrivacyMask: masking never panics, keeps valid UTF-8 valid, shows at most the first
// character of a value, never the local part of an address, and no control characters (which
// could rewrite the terminal that shows a plan).
func FuzzPrivacyMask(f *testing.F) {
	for _, s := range []string{"", "a", "Jane", "jane.doe@example.com", "JANE@EXAMPLE.COM", "@example.com", "jane@", "a@b",
		"user000123@example.co.uk", "ユーザー@example.jp", "\xff\xfe@example.com", "  spaced@example.com  ", "***",
		"a@b.\x1b[2J", "\x1b[31mred@example.com", "first.last+tag@sub.example.org", "Zoë", "\u202etxt.exe@example.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		mv := privacy.MaskValue(s)
		me := privacy.MaskEmail(s)
		for _, m := range []string{mv, me} {
			if utf8.ValidString(s) && !utf8.ValidString(m) {
				t.Fatalf("masking valid UTF-8 gave invalid UTF-8: %q", m)
			}
			for _, r := range m {
				if unicode.IsControl(r) || r == '\u202e' || r == '\u202d' {
					t.Fatalf("the masked value holds control or bidirectional-override character %U", r)
				}
			}
		}
		if _, size := utf8.DecodeRuneInString(s); size < len(s) {
			rest := s[size:]
			if strings.IndexFunc(rest, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 &&
				strings.Contains(mv, rest) {
				t.Fatalf("MaskValue shows more than the first character")
			}
		}
		t2 := strings.TrimSpace(s)
		if at := strings.LastIndexByte(t2, '@'); at > 0 && at < len(t2)-1 {
			local := t2[:at]
			if _, size := utf8.DecodeRuneInString(local); size < len(local) && strings.Contains(me, local) {
				t.Fatalf("MaskEmail shows the local part")
			}
		}
	})
}

// FuzzSourceSpec: a source string never panics the checks; a PostgreSQL URL holding a password
// is always refused, and the refusal never repeats the password; what CheckSpec accepts,
// segment.Check accepts too when there is no query or filter.
func FuzzSourceSpec(f *testing.F) {
	for _, s := range []string{"customers.csv", "customers.jsonl", "data.ndjson", "sqlite:profiles.db", "profiles.db", "csv:", "jsonl:x",
		"postgres://drill@127.0.0.1:5432/profiles", "postgres://drill:hunter2-secret@127.0.0.1:5432/profiles",
		"postgresql://drill@db.example.net/profiles?password=hunter2-secret", "POSTGRES://u:Hunter2-secret@h/db",
		"postgres://drill:hunter2-secret@[::1", "postgres:///profiles?host=/tmp", "s3://bucket/customers.csv", "", "  ", "customers.txt",
		"postgres://%zz:hunter2-secret@h/db", "postgres://u@h/db?PassWord=hunter2-secret"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		kind, err := profile.CheckSpec(spec)
		serr := segment.Check(segment.Spec{Name: "fuzz", Source: spec})
		if (err == nil) != (serr == nil) {
			t.Fatalf("profile.CheckSpec and segment.Check disagree: %v / %v", err, serr)
		}
		lower := strings.ToLower(strings.TrimSpace(spec))
		isPG := strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://")
		var secrets []string
		var parsed []string // passwords a PostgreSQL driver would read
		if isPG {
			secrets = urlSecrets(strings.TrimSpace(spec))
			parsed = append(parsed, urlPassword(strings.TrimSpace(spec)))
			if u, perr := url.Parse(strings.TrimSpace(spec)); perr == nil {
				for k, vs := range u.Query() {
					if strings.EqualFold(k, "password") {
						secrets = append(secrets, vs...)
						parsed = append(parsed, vs...)
					}
				}
			}
		}
		if err == nil {
			if isPG && kind != profile.KindPostgres {
				t.Fatalf("a postgres:// source was accepted as %q", kind)
			}
			for _, pw := range parsed {
				if pw != "" {
					t.Fatalf("a PostgreSQL URL with a password was accepted")
				}
			}
			return
		}
		var pe *profile.Error
		if !errors.As(err, &pe) || pe.Msg == "" {
			t.Fatalf("error %T is not a *profile.Error with a message: %v", err, err)
		}
		checkSpec := func(s string) error { _, err := profile.CheckSpec(s); return err }
		checkSeg := func(s string) error { return segment.Check(segment.Spec{Name: "fuzz", Source: s}) }
		for _, pw := range secrets {
			if repeats(checkSpec, spec, pw) || repeats(checkSeg, spec, pw) {
				t.Fatalf("the error repeats the password of the source URL (%d characters)", len(pw))
			}
		}
	})
}

// FuzzEmailRuleAgreesWithSendGrid: every address the export's plan accepts is accepted by the
// emulator's implementation of SendGrid's rule, so a plan never promises a contact that the
// upload then loses to a row error.
func FuzzEmailRuleAgreesWithSendGrid(f *testing.F) {
	for _, s := range []string{"user000001@example.com", " User000001@Example.COM ", "first.last+tag@sub.example.org", "o'brien@example.net",
		"a@b.co", "a@b.c", "a@b", "a@@b.com", ".a@b.com", "a.@b.com", "a..b@c.com", "a@-b.com", "a@b-.com", "a@b..com",
		"a@123.com", "a@b.c0m", "a@xn--p1ai.xn--p1ai", "\"quoted\"@example.com", "user@[127.0.0.1]", strings.Repeat("a", 64) + "@example.com",
		strings.Repeat("a", 65) + "@example.com", "a@" + strings.Repeat("b", 63) + ".com", "a@" + strings.Repeat("b", 64) + ".com",
		"user\x00@example.com", "üser@example.com", "a/b=c?d^e`f{g|h}i~j!k#l$m%n&o*p@example.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		norm, reason := export.NormalizeEmail(s)
		if reason != "" {
			if norm != "" {
				t.Fatalf("a refused address still has a normalized form")
			}
			return
		}
		if norm != strings.ToLower(norm) || norm != strings.TrimSpace(norm) {
			t.Fatalf("the normalized address is not trimmed and lower-cased")
		}
		if !emulator.ValidEmail(norm) {
			t.Fatalf("the export accepts an address SendGrid refuses (%d bytes)", len(norm))
		}
		if again, r := export.NormalizeEmail(norm); r != "" || again != norm {
			t.Fatalf("normalizing is not idempotent")
		}
	})
}
