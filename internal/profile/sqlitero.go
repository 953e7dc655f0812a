package profile

import (
	"database/sql"
	"fmt"
	"strings"

	"modernc.org/sqlite"
)

// SQLite sources are read-only three times over, so that no query can change the source or
// write a file:
//
//   - the database is opened with mode=ro and query_only=1;
//   - every connection carries an authorizer (https://www.sqlite.org/c3ref/set_authorizer.html)
//     that lets SQLite compile reads, function calls and recursive CTEs only: ATTACH, DETACH,
//     PRAGMA, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, ANALYZE, REINDEX, transactions and
//     the rest are refused when the statement is prepared, before it runs;
//   - the query must be one SELECT, WITH or VALUES statement (checkReadQuery), which refuses
//     VACUUM (VACUUM INTO writes a copy of the database) and multi-statement queries, whose
//     later statements the driver would run as well.

// sqliteDriverName is the database/sql name of the driver whose connections carry the
// read-only authorizer. It is registered by this package alone.
const sqliteDriverName = "sendgridaudience-sqlite-readonly"

func init() {
	d := &sqlite.Driver{}
	d.RegisterConnectionHook(func(c sqlite.ExecQuerierContext, _ string) error {
		r, ok := c.(sqlite.AuthorizerRegisterer)
		if !ok {
			return fmt.Errorf("the SQLite driver cannot install an authorizer")
		}
		return r.RegisterAuthorizer(readOnlyAuthorizer)
	})
	sql.Register(sqliteDriverName, d)
}

// readOnlyAuthorizer allows reading tables, calling functions and recursive CTEs, and denies
// everything else.
func readOnlyAuthorizer(action sqlite.AuthorizerActionCode, _, _, _, _ string) sqlite.AuthorizerReturnCode {
	switch action {
	case sqlite.AuthSelect, sqlite.AuthRead, sqlite.AuthFunction, sqlite.AuthRecursive:
		return sqlite.AuthorizerOK
	}
	return sqlite.AuthorizerDeny
}

// statementKeywords are the words that start SQLite statements other than SELECT, WITH and
// VALUES (https://www.sqlite.org/lang.html).
var statementKeywords = map[string]bool{
	"ALTER": true, "ANALYZE": true, "ATTACH": true, "BEGIN": true, "COMMIT": true, "CREATE": true,
	"DELETE": true, "DETACH": true, "DROP": true, "END": true, "EXPLAIN": true, "INSERT": true,
	"PRAGMA": true, "REINDEX": true, "RELEASE": true, "REPLACE": true, "ROLLBACK": true,
	"SAVEPOINT": true, "UPDATE": true, "VACUUM": true,
}

// readOnlyHint says what a refused query should be instead.
const readOnlyHint = "a segment only reads its source: write one SELECT (or WITH ... SELECT) statement that returns the profiles"

// CheckSQLiteQuery checks a SQLite query without opening the database: it must be one
// SELECT, WITH or VALUES statement (see checkReadQuery). The error is an *Error.
func CheckSQLiteQuery(query string) error {
	if err := checkReadQuery(Pos{}, query); err != nil {
		return err
	}
	return nil
}

// checkReadQuery accepts one SELECT, WITH or VALUES statement (a trailing semicolon and
// comments are fine) and refuses anything else before it reaches the database. It reads
// the query's tokens only as far as needed: comments, quoted strings and identifiers are
// skipped, so a ';' inside them does not count.
func checkReadQuery(pos Pos, query string) *Error {
	first, rest, ok := firstKeyword(query)
	if !ok {
		return &Error{Pos: pos, InQuery: true, Msg: "the query holds no SQL statement", Hint: readOnlyHint}
	}
	switch kw := strings.ToUpper(first); {
	case kw == "SELECT" || kw == "WITH" || kw == "VALUES":
	case statementKeywords[kw]:
		return &Error{Pos: pos, InQuery: true,
			Msg:  "the query is " + article(kw) + " " + kw + " statement, which a segment's read-only source refuses: only one SELECT, WITH or VALUES statement can run",
			Hint: readOnlyHint}
	default:
		return &Error{Pos: pos, InQuery: true,
			Msg:  fmt.Sprintf("syntax error: the query starts with %q, not SELECT, WITH or VALUES: only one such statement can run on a segment's read-only source", truncateRunes(first, 20)),
			Hint: "check the query; " + readOnlyHint}
	}
	if end := statementEnd(rest); end >= 0 {
		if hasCode(rest[end:]) {
			return &Error{Pos: pos, InQuery: true, Msg: "the query holds more than one SQL statement, which a segment's read-only source refuses: only one statement can run",
				Hint: readOnlyHint + "; remove everything after the first ';'"}
		}
	}
	return nil
}

// firstKeyword returns the first word of s outside comments, and what follows it.
func firstKeyword(s string) (word, rest string, ok bool) {
	i := skipSpaceAndComments(s, 0)
	j := i
	for j < len(s) && isWordByte(s[j]) {
		j++
	}
	if j == i {
		return "", s[i:], false
	}
	return s[i:j], s[j:], true
}

// hasCode reports whether s holds anything but semicolons, white space and comments.
func hasCode(s string) bool {
	for i := 0; ; {
		i = skipSpaceAndComments(s, i)
		if i >= len(s) {
			return false
		}
		if s[i] != ';' {
			return true
		}
		i++
	}
}

// statementEnd returns the index of the first ';' of s outside comments, quoted strings and
// quoted identifiers, or -1.
func statementEnd(s string) int {
	for i := 0; i < len(s); {
		i = skipSpaceAndComments(s, i)
		if i >= len(s) {
			return -1
		}
		switch c := s[i]; c {
		case ';':
			return i
		case '\'', '"', '`':
			i = skipQuoted(s, i, c)
		case '[':
			if k := strings.IndexByte(s[i:], ']'); k >= 0 {
				i += k + 1
			} else {
				return -1
			}
		default:
			i++
		}
	}
	return -1
}

// skipQuoted returns the index after the quoted token starting at s[i] (quote q, doubled to
// escape it), or len(s) if it is not closed.
func skipQuoted(s string, i int, q byte) int {
	for j := i + 1; j < len(s); j++ {
		if s[j] == q {
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(s)
}

// skipSpaceAndComments returns the index of the first byte at or after i that is not white
// space or part of a -- or /* */ comment.
func skipSpaceAndComments(s string, i int) int {
	for i < len(s) {
		switch {
		case s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f' || s[i] == '\v':
			i++
		case strings.HasPrefix(s[i:], "--"):
			k := strings.IndexByte(s[i:], '\n')
			if k < 0 {
				return len(s)
			}
			i += k + 1
		case strings.HasPrefix(s[i:], "/*"):
			k := strings.Index(s[i+2:], "*/")
			if k < 0 {
				return len(s)
			}
			i += k + 4
		default:
			return i
		}
	}
	return i
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// truncateRunes shortens s to at most n runes, marking a cut with "...".
func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "..."
}

// article is "an" before a keyword that starts with a vowel (an INSERT, an ATTACH), else "a".
func article(word string) string {
	if word != "" && strings.ContainsRune("AEIOU", rune(word[0])) {
		return "an"
	}
	return "a"
}
