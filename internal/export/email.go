package export

import (
	"strings"
)

// Email limits SendGrid applies (RFC 5321 sizes; the contacts API's maxLength for email is 254).
const (
	MaxEmailLength     = 254
	MaxEmailLocalPart  = 64
	MaxEmailDomainPart = 253
	maxEmailLabel      = 63
)

// NormalizeEmail applies the rule SendGrid uses to identify a contact by email and checks the
// address the way the contacts API accepts it. It returns the normalized address, or a Reason
// ("" when valid).
//
// The rule:
//   - surrounding white space is trimmed and the address is lower-cased (SendGrid stores emails in
//     lower case, so "Jane@Example.com" and "jane@example.com" are one contact);
//   - exactly one "@", with a non-empty local part of at most 64 bytes and a domain of at most
//     253 bytes; at most 254 bytes in total;
//   - no white space or control characters anywhere, and ASCII only (internationalized domains
//     must be given in their xn-- form);
//   - the local part is a dot-atom: letters, digits and !#$%&'*+-/=?^_`{|}~ separated by single
//     dots, not starting or ending with a dot (quoted local parts are not accepted);
//   - the domain has at least two labels separated by dots; each label is 1-63 letters, digits or
//     hyphens, not starting or ending with a hyphen; the last label (top-level domain) is at
//     least two letters (so IP-address literals, and internationalized top-level domains in
//     their xn-- form, are refused, as SendGrid refuses them).
func NormalizeEmail(s string) (string, Reason) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ReasonEmailMissing
	}
	if len(s) > MaxEmailLength {
		return "", ReasonEmailTooLong
	}
	lower := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || c <= ' ' || c == 0x7f {
			return "", ReasonEmailInvalid
		}
		if c >= 'A' && c <= 'Z' {
			lower = false
		}
	}
	if !lower {
		s = strings.ToLower(s)
	}
	at := strings.IndexByte(s, '@')
	if at < 0 || strings.IndexByte(s[at+1:], '@') >= 0 {
		return "", ReasonEmailInvalid
	}
	local, domain := s[:at], s[at+1:]
	if len(local) == 0 || len(local) > MaxEmailLocalPart || len(domain) > MaxEmailDomainPart {
		return "", ReasonEmailInvalid
	}
	if !validLocal(local) || !validDomain(domain) {
		return "", ReasonEmailInvalid
	}
	return s, ""
}

func validLocal(l string) bool {
	if l[0] == '.' || l[len(l)-1] == '.' {
		return false
	}
	prevDot := false
	for i := 0; i < len(l); i++ {
		c := l[i]
		if c == '.' {
			if prevDot {
				return false
			}
			prevDot = true
			continue
		}
		prevDot = false
		if !atext(c) {
			return false
		}
	}
	return true
}

func atext(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

func validDomain(d string) bool {
	if d == "" {
		return false
	}
	labels := 0
	start := 0
	lastLetters := false
	lastLen := 0
	for i := 0; i <= len(d); i++ {
		if i < len(d) && d[i] != '.' {
			continue
		}
		label := d[start:i]
		if len(label) == 0 || len(label) > maxEmailLabel || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		letters := true
		for j := 0; j < len(label); j++ {
			c := label[j]
			switch {
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			case c >= '0' && c <= '9', c == '-':
				letters = false
			default:
				return false
			}
		}
		labels++
		lastLetters = letters
		lastLen = len(label)
		start = i + 1
	}
	return labels >= 2 && lastLetters && lastLen >= 2
}
