// Package didyoumean finds the likely intended name for a misspelt one: the column a mapping
// or a filter meant, the custom field a mapping meant.
package didyoumean

import "strings"

// Closest returns the candidate closest to name by edit distance (ignoring case) when it is
// close enough to be a likely typo: at most 2 edits, or a third of the name's length. Failing
// that, it returns the only candidate that contains the name ("country" → "country_code"), for
// names of 4 or more characters. Otherwise it returns "".
func Closest(name string, candidates []string) string {
	best, bestD := "", -1
	ln := strings.ToLower(name)
	for _, c := range candidates {
		d := Distance(ln, strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	limit := max(2, len([]rune(name))/3)
	if bestD >= 0 && bestD <= limit {
		return best
	}
	if len(ln) >= 4 {
		found := ""
		for _, c := range candidates {
			if strings.Contains(strings.ToLower(c), ln) {
				if found != "" {
					return ""
				}
				found = c
			}
		}
		return found
	}
	return ""
}

// Distance is the Levenshtein distance between a and b, counted in runes.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
