package privacy

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxMessageBytes bounds a message that passed through Scrub.
const MaxMessageBytes = 2000

var (
	emailRE  = regexp.MustCompile(`[^\s@"'<>()\[\],;:]+@[^\s@"'<>()\[\],;:]+\.[A-Za-z]{2,}`)
	digitsRE = regexp.MustCompile(`[0-9]{4,}`)
)

// Scrub is the one path for messages that may quote profile data: errors from the expression
// engine, database drivers and file readers. Wherever they appear in msg (not only inside
// quotes), it masks
//
//   - each of values (the values of the row at hand, as text) of 2 or more characters, where
//     it stands as a whole word;
//   - every quoted part ('...' or "...");
//   - every email address;
//   - every run of 4 or more digits;
//
// except text that occurs in known (the query or filter the user wrote, compared ignoring
// case): such text came from configuration, not from the data. Emails become "j***@e***.com",
// other values "J*** (4 chars)". Control characters other than line breaks and tabs become
// '?', and the result is cut to MaxMessageBytes.
func Scrub(msg, known string, values ...string) string {
	return ScrubKeeping(msg, known, nil, values...)
}

// ScrubKeeping is Scrub, except that quoted parts, digit runs and values that are exactly one
// of keep (words of the message's author that are never data, such as type names) stay.
func ScrubKeeping(msg, known string, keep []string, values ...string) string {
	lowerKnown := strings.ToLower(known)
	isKnown := func(s string) bool {
		return s == "" || strings.Contains(known, s) || strings.Contains(lowerKnown, strings.ToLower(s))
	}
	var spans [][2]int
	add := func(a, b int) {
		if a < b && !isKnown(msg[a:b]) && !slices.Contains(keep, msg[a:b]) {
			spans = append(spans, [2]int{a, b})
		}
	}
	for _, v := range values {
		if utf8.RuneCountInString(v) < 2 || isKnown(v) {
			continue
		}
		for off := 0; ; {
			i := strings.Index(msg[off:], v)
			if i < 0 {
				break
			}
			a, b := off+i, off+i+len(v)
			if wordEdge(msg, a, b, v) {
				add(a, b)
			}
			off = a + 1
		}
	}
	for _, q := range quotedSpans(msg) {
		add(q[0], q[1])
	}
	for _, m := range emailRE.FindAllStringIndex(msg, -1) {
		add(m[0], m[1])
	}
	for _, m := range digitsRE.FindAllStringIndex(msg, -1) {
		add(m[0], m[1])
	}
	return limit(clean(replaceSpans(msg, spans)))
}

// wordEdge reports whether msg[a:b] (which is v) is not part of a longer word.
func wordEdge(msg string, a, b int, v string) bool {
	first, _ := utf8.DecodeRuneInString(v)
	last, _ := utf8.DecodeLastRuneInString(v)
	if isWord(first) && a > 0 {
		if r, _ := utf8.DecodeLastRuneInString(msg[:a]); isWord(r) {
			return false
		}
	}
	if isWord(last) && b < len(msg) {
		if r, _ := utf8.DecodeRuneInString(msg[b:]); isWord(r) {
			return false
		}
	}
	return true
}

func isWord(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// quotedSpans returns the insides of the '...' and "..." parts of msg.
func quotedSpans(msg string) [][2]int {
	var out [][2]int
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c != '"' && c != '\'' {
			continue
		}
		j := strings.IndexByte(msg[i+1:], c)
		if j < 0 {
			break
		}
		out = append(out, [2]int{i + 1, i + 1 + j})
		i += j + 1
	}
	return out
}

// replaceSpans masks the given byte ranges of msg; overlapping ranges are merged.
func replaceSpans(msg string, spans [][2]int) string {
	if len(spans) == 0 {
		return msg
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i][0] < spans[j][0] })
	var b strings.Builder
	pos := 0
	for i := 0; i < len(spans); {
		a, e := spans[i][0], spans[i][1]
		for i++; i < len(spans) && spans[i][0] < e; i++ {
			e = max(e, spans[i][1])
		}
		if a < pos {
			a = pos
		}
		b.WriteString(msg[pos:a])
		if s := msg[a:e]; strings.Contains(s, "@") {
			b.WriteString(MaskEmail(s))
		} else {
			b.WriteString(MaskValue(s))
		}
		pos = e
	}
	b.WriteString(msg[pos:])
	return b.String()
}

// clean replaces control characters other than line breaks and tabs, and invalid UTF-8.
func clean(s string) string {
	ok := true
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) && r != '\n' && r != '\t' {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) && r != '\n' && r != '\t' {
			return '?'
		}
		return r
	}, s)
}

// limit cuts s to MaxMessageBytes, on a rune boundary, saying how much was cut.
func limit(s string) string {
	if len(s) <= MaxMessageBytes {
		return s
	}
	cut := MaxMessageBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "... (" + itoa(len(s)-cut) + " more bytes)"
}
