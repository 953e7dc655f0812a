package profile

import (
	"fmt"
	"strings"
)

// MySQL and MariaDB queries are checked before they reach the server (CheckMySQLQuery), and
// run there in a read-only session and a READ ONLY transaction (see mysql.go). The check is
// the part that stops what a read-only transaction does not: SELECT ... INTO OUTFILE and
// INTO DUMPFILE write files on the server, and DDL commits the transaction first and then
// runs outside it.
//
// The query is read token by token as the server reads it
// (https://mariadb.com/kb/en/comment-syntax/, https://mariadb.com/kb/en/string-literals/):
// '…' and "…" strings with doubled quotes and backslash escapes, `…` identifiers, # and "-- "
// comments to the end of the line, /* … */ comments. Executable comments (/*! … */ and
// /*M! … */), whose text the server runs, are refused. Whether a backslash escapes depends
// on the server's sql_mode (NO_BACKSLASH_ESCAPES), which a plan cannot know: the query is read
// both ways, and it is refused if either reading finds something to refuse.

// mysqlStatementKeywords are the words that start MySQL and MariaDB statements other than
// SELECT, WITH and VALUES which a query might be mistaken for.
var mysqlStatementKeywords = map[string]bool{
	"ALTER": true, "ANALYZE": true, "BEGIN": true, "CALL": true, "CHECK": true, "COMMIT": true,
	"CREATE": true, "DELETE": true, "DO": true, "DROP": true, "EXECUTE": true, "EXPLAIN": true,
	"FLUSH": true, "GRANT": true, "HANDLER": true, "INSERT": true, "KILL": true, "LOAD": true,
	"LOCK": true, "OPTIMIZE": true, "PREPARE": true, "RENAME": true, "REPAIR": true,
	"REPLACE": true, "RESET": true, "REVOKE": true, "ROLLBACK": true, "SAVEPOINT": true,
	"SET": true, "SHOW": true, "START": true, "TABLE": true, "TRUNCATE": true, "UNLOCK": true,
	"UPDATE": true, "USE": true, "XA": true,
}

// CheckMySQLQuery checks a MySQL or MariaDB query without connecting: it must be one SELECT,
// WITH or VALUES statement (a trailing semicolon and comments are fine), without INTO (which
// writes a file or sets variables) and without executable comments. The error is an *Error.
func CheckMySQLQuery(query string) error {
	if err := checkMySQLQuery(Pos{}, query); err != nil {
		return err
	}
	return nil
}

func checkMySQLQuery(pos Pos, query string) *Error {
	var refused, unclosed *Error
	readings, several := 0, 0
	for _, backslash := range []mysqlEscapes{mysqlBackslashEscapes, mysqlNoBackslashEscapes} {
		toks, open, err := mysqlTokens(query, backslash)
		if err == nil {
			err = checkMySQLTokens(toks)
		}
		if err != nil && refused == nil {
			refused = err
		}
		if open != nil {
			// A string this reading never closes holds the rest of the query: no code to
			// refuse there, and the server would refuse the query if it read it this way.
			unclosed = open
			continue
		}
		readings++
		if severalStatements(toks) {
			several++
		}
	}
	switch {
	case refused != nil:
	case readings == 0:
		refused = unclosed
	case several == readings:
		// The server runs one statement at most (the driver does not ask for more): this is
		// said here for a clearer message, where every reading agrees.
		refused = &Error{Msg: "the query holds more than one SQL statement, which a segment's read-only source refuses: only one statement can run",
			Hint: readOnlyHint + "; remove everything after the first ';'"}
	}
	if refused != nil {
		refused.Pos = pos
		refused.InQuery = true
	}
	return refused
}

// mysqlEscapes says whether a backslash escapes the next character in a quoted string.
type mysqlEscapes int

const (
	mysqlBackslashEscapes mysqlEscapes = iota
	mysqlNoBackslashEscapes
)

// checkMySQLTokens checks the first word of one reading of a query, and that it holds no INTO.
func checkMySQLTokens(toks []mysqlToken) *Error {
	if len(toks) == 0 {
		return &Error{Msg: "the query holds no SQL statement", Hint: readOnlyHint}
	}
	first := toks[0].text
	switch kw := strings.ToUpper(first); {
	case kw == "SELECT" || kw == "WITH" || kw == "VALUES":
	case mysqlStatementKeywords[kw]:
		return &Error{Msg: "the query is " + article(kw) + " " + kw + " statement, which a segment's read-only source refuses: only one SELECT, WITH or VALUES statement can run",
			Hint: readOnlyHint}
	default:
		return &Error{Msg: fmt.Sprintf("syntax error: the query starts with %q, not SELECT, WITH or VALUES: only one such statement can run on a segment's read-only source", truncateRunes(first, 20)),
			Hint: "check the query; " + readOnlyHint}
	}
	if kw := withStatement(toks); kw != "" {
		return &Error{Msg: "the query's WITH clause leads into " + article(kw) + " " + kw + " statement, which a segment's read-only source refuses: only a SELECT can follow WITH",
			Hint: readOnlyHint}
	}
	for _, t := range toks {
		if strings.EqualFold(t.text, "INTO") {
			return &Error{Msg: "the query holds INTO (SELECT ... INTO OUTFILE, DUMPFILE or variables), which a segment's read-only source refuses: INTO writes a file on the server or sets variables instead of returning rows",
				Hint: readOnlyHint + "; remove the INTO clause (a word INTO that names a column must be quoted as `into`)"}
		}
	}
	return nil
}

// withStatement returns the statement keyword (upper case) that follows the common table
// expressions of a WITH query when it is not a query (MySQL 8 runs WITH ... DELETE, UPDATE and
// INSERT), or "". Outside parentheses such a query reads WITH [RECURSIVE] name AS [, name AS
// ...] and then its statement; column lists and bodies are in parentheses.
func withStatement(toks []mysqlToken) string {
	var top []string
	for _, t := range toks {
		if t.depth == 0 && t.text != ";" {
			top = append(top, strings.ToUpper(t.text))
		}
	}
	if len(top) == 0 || top[0] != "WITH" {
		return ""
	}
	i := 1
	if i < len(top) && top[i] == "RECURSIVE" {
		i++
	}
	for i+1 < len(top) && top[i+1] == "AS" {
		i += 2
	}
	if i < len(top) && top[i] != "SELECT" && top[i] != "VALUES" && mysqlStatementKeywords[top[i]] {
		return top[i]
	}
	return ""
}

// severalStatements reports whether anything but semicolons follows the first semicolon.
func severalStatements(toks []mysqlToken) bool {
	for i, t := range toks {
		if t.text == ";" {
			for _, rest := range toks[i+1:] {
				if rest.text != ";" {
					return true
				}
			}
			return false
		}
	}
	return false
}

// mysqlToken is a word or a semicolon of a query, its byte offset, and how many parentheses
// enclose it.
type mysqlToken struct {
	text  string
	pos   int
	depth int
}

// mysqlStatement returns the query up to its first semicolon, as a server that reads
// backslash escapes (the default) reads it.
func mysqlStatement(query string) string {
	toks, _, _ := mysqlTokens(query, mysqlBackslashEscapes)
	for _, t := range toks {
		if t.text == ";" {
			return query[:t.pos]
		}
	}
	return query
}

// mysqlTokens returns the words (keywords and unquoted names) and semicolons of query, in
// order, skipping white space, comments, quoted strings and quoted names, numbers and
// operators. open reports a string or name that is not closed (with the tokens before it);
// the error is for what cannot be read safely: an executable comment or an unterminated
// comment.
func mysqlTokens(query string, esc mysqlEscapes) (toks []mysqlToken, open, err *Error) {
	depth := 0
	for i := 0; i < len(query); {
		c := query[i]
		switch {
		case c == '#' || c == '-' && strings.HasPrefix(query[i:], "--") && (i+2 == len(query) || query[i+2] <= ' '):
			for i < len(query) && query[i] != '\n' {
				i++
			}
		case strings.HasPrefix(query[i:], "/*"):
			if strings.HasPrefix(query[i:], "/*!") || strings.HasPrefix(query[i:], "/*M!") {
				return nil, nil, &Error{Msg: "the query holds an executable comment (/*! ... */ or /*M! ... */), whose text the server runs; a segment's read-only source refuses it",
					Hint: "write the SQL without the comment markers, or remove the comment"}
			}
			end := strings.Index(query[i+2:], "*/")
			if end < 0 {
				return nil, nil, &Error{Msg: "a /* comment in the query is not closed", Hint: "close it with */"}
			}
			i += 2 + end + 2
		case c == '\'' || c == '"' || c == '`':
			end, ok := mysqlQuoteEnd(query, i, esc)
			if !ok {
				return toks, &Error{Msg: fmt.Sprintf("a %c-quoted string or name in the query is not closed", c), Hint: "close it with " + string(c)}, nil
			}
			i = end
		case c == ';':
			toks = append(toks, mysqlToken{";", i, depth})
			i++
		case c == '(':
			depth++
			i++
		case c == ')':
			depth = max(depth-1, 0)
			i++
		case isWordByte(c):
			j := i
			for j < len(query) && (isWordByte(query[j]) || query[j] == '$') {
				j++
			}
			toks = append(toks, mysqlToken{query[i:j], i, depth})
			i = j
		default:
			i++
		}
	}
	return toks, nil, nil
}

// mysqlQuoteEnd returns the index just past the quoted text starting at s[i]: quotes are
// escaped by doubling them, and in strings (not `names`) by a backslash when esc says so.
func mysqlQuoteEnd(s string, i int, esc mysqlEscapes) (int, bool) {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch {
		case s[j] == '\\' && q != '`' && esc == mysqlBackslashEscapes:
			j++
		case s[j] == q:
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			return j + 1, true
		}
	}
	return len(s), false
}
