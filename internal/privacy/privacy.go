// Package privacy holds the few primitives that keep secrets and personal data out of state,
// plans, logs and error messages: keyed hashing with keys derived from the SendGrid API key,
// a non-reversible key fingerprint, and masking of values shown to people. Scrub (scrub.go) is
// the one path for messages that may quote profile data (expression engine, database driver
// and file reader errors): it masks the row's values, quoted text, email addresses and long
// digit runs wherever they appear, and bounds the message's length.
package privacy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Purposes separate the keys derived from one API key, so that a hash made for one use can never
// be compared with a hash made for another.
const (
	PurposeSnapshot    = "sendgridaudience/snapshot/v1"
	PurposeFingerprint = "sendgridaudience/segment-fingerprint/v1"
	purposeKeyID       = "sendgridaudience/key-id/v1"
)

// DeriveKey returns a 32-byte key for purpose, derived from the API key with HMAC-SHA-256.
// Whoever holds only the derived key (or hashes made with it) cannot recover the API key, and
// whoever holds no API key cannot test a guessed email against a keyed hash.
func DeriveKey(apiKey, purpose string) []byte {
	m := hmac.New(sha256.New, []byte(apiKey))
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// KeyFingerprint identifies an API key without revealing it: "sha256:" and the first 16 hex
// digits of an HMAC of a fixed label under the key. Equal keys give equal fingerprints.
func KeyFingerprint(apiKey string) string {
	if apiKey == "" {
		return ""
	}
	return "sha256:" + hex.EncodeToString(DeriveKey(apiKey, purposeKeyID))[:16]
}

// MaskEmail shows the shape of an address without the address: the first character of the
// local part and of the domain, and the top-level domain. "jane.doe@example.com" becomes
// "j***@e***.com". Anything that is not an address is masked with MaskValue.
func MaskEmail(s string) string {
	s = strings.TrimSpace(s)
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return MaskValue(s)
	}
	local, domain := s[:at], s[at+1:]
	tld := ""
	if dot := strings.LastIndexByte(domain, '.'); dot > 0 && dot < len(domain)-1 && len(domain)-dot <= 8 &&
		strings.IndexFunc(domain[dot+1:], func(r rune) bool { return !unicode.IsLetter(r) }) < 0 {
		tld = domain[dot:]
	}
	return firstRune(local) + "***@" + firstRune(domain) + "***" + tld
}

// MaskValue shows only the first character and the length of a value: "Jane" becomes
// "J*** (4 chars)". An empty value stays "(empty)".
func MaskValue(s string) string {
	if s == "" {
		return "(empty)"
	}
	n := utf8.RuneCountInString(s)
	if n == 1 {
		return "* (1 char)"
	}
	return firstRune(s) + "*** (" + itoa(n) + " chars)"
}

func firstRune(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError || size == 0 {
		return "?"
	}
	if !unicode.IsGraphic(r) || unicode.Is(unicode.Cf, r) {
		return "?" // control, format (bidirectional overrides) or other invisible characters
	}
	return s[:size]
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// MaskQuoted masks the quoted parts ('...' or "...") of a message from a database or an
// expression engine, except those that occur in known (the query or filter the user wrote,
// compared ignoring case): such messages may quote a data value, as in
// `invalid input syntax for type integer: "jane@example.com"`, but also table and column
// names, which are worth showing.
func MaskQuoted(msg, known string) string {
	lowerKnown := strings.ToLower(known)
	var b strings.Builder
	for i := 0; i < len(msg); {
		c := msg[i]
		if c != '"' && c != '\'' {
			b.WriteByte(c)
			i++
			continue
		}
		j := strings.IndexByte(msg[i+1:], c)
		if j < 0 {
			b.WriteString(msg[i:])
			break
		}
		inner := msg[i+1 : i+1+j]
		b.WriteByte(c)
		if inner == "" || strings.Contains(known, inner) || strings.Contains(lowerKnown, strings.ToLower(inner)) {
			b.WriteString(inner)
		} else {
			b.WriteString(MaskValue(inner))
		}
		b.WriteByte(c)
		i += j + 2
	}
	return b.String()
}
