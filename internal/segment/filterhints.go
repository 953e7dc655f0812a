package segment

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/profile"
)

// Hints for the mistakes people who write SQL make in a CEL filter. They look at the filter's
// text or its parsed expression only, never at data.

// syntaxHints returns hints for SQL habits found in a filter that does not parse: a single =,
// <>, AND/OR/NOT, upper-case IN, IS [NOT] NULL, LIKE, a list in parentheses, a single & or |;
// and, when replacing the operators gives a filter that parses, that filter. Words inside
// string literals are not looked at; a column named like a keyword is left alone.
func syntaxHints(filter string, cols []profile.Column) []string {
	isCol := map[string]bool{}
	for _, c := range cols {
		isCol[c.Name] = true
	}
	toks := filterTokens(filter)
	var hints []string
	var fixed strings.Builder
	last := 0
	replace := func(t token, end int, with string) {
		fixed.WriteString(filter[last:t.start])
		fixed.WriteString(with)
		last = end
	}
	for i := 0; i < len(toks); i++ {
		t, next, after := toks[i], tokenAt(toks, i+1), tokenAt(toks, i+2)
		word := strings.ToUpper(t.text)
		h := ""
		switch {
		case t.text == "=":
			h = "use == to compare (a single = is not an operator in CEL)"
			replace(t, t.end, "==")
		case t.text == "<>":
			h = `use != for "not equal"`
			replace(t, t.end, "!=")
		case t.text == "&" || word == "AND" && !isCol[t.text]:
			h = "use && for AND"
			replace(t, t.end, "&&")
		case t.text == "|" || word == "OR" && !isCol[t.text]:
			h = "use || for OR"
			replace(t, t.end, "||")
		case word == "IS" && !isCol[t.text] && strings.EqualFold(next.text, "NOT") && strings.EqualFold(after.text, "NULL"):
			h = "write x != null for x IS NOT NULL"
			replace(t, after.end, "!= null")
			i += 2
		case word == "IS" && !isCol[t.text] && strings.EqualFold(next.text, "NULL"):
			h = "write x == null for x IS NULL"
			replace(t, next.end, "== null")
			i++
		case word == "NOT" && !isCol[t.text]:
			h = "use ! for NOT"
			end := t.end
			if next.text != "" {
				end = next.start
			}
			replace(t, end, "!")
		case t.text == "IN" || t.text == "In":
			h = "IN is written in lower case in CEL"
			replace(t, t.end, "in")
		case (word == "LIKE" || word == "ILIKE") && !isCol[t.text]:
			h = `instead of LIKE, use startsWith, endsWith, contains or matches (a regular expression), as in email.endsWith("@example.com")`
		case t.text == "in" && next.text == "(":
			h = `a list is written in square brackets: x in ["DE", "FR"]`
		}
		if h != "" && !slices.Contains(hints, h) {
			hints = append(hints, h)
		}
	}
	if last > 0 && len(filter) <= maxRewrite {
		fixed.WriteString(filter[last:])
		if env, err := cel.NewEnv(baseEnvOptions()...); err == nil {
			if _, iss := env.Parse(fixed.String()); iss.Err() == nil && !strings.Contains(fixed.String(), "\n") {
				hints = append(hints, "in CEL: "+fixed.String())
			}
		}
	}
	return hints
}

// maxRewrite bounds the length of a filter that syntaxHints shows rewritten.
const maxRewrite = 300

// token is a token of a filter and where it stands.
type token struct {
	text       string
	start, end int
}

func tokenAt(toks []token, i int) token {
	if i < len(toks) {
		return toks[i]
	}
	return token{}
}

// filterTokens splits a filter into identifiers, numbers, string literals (as `"`), and
// operators (==, !=, <=, >=, <>, &&, || as one token; other characters alone). White space
// and comments are dropped.
func filterTokens(s string) []token {
	var out []token
	for i := 0; i < len(s); {
		c, start := s[i], i
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case c == '/' && strings.HasPrefix(s[i:], "//"):
			for i < len(s) && s[i] != '\n' {
				i++
			}
			continue
		case c == '"' || c == '\'':
			i = skipString(s, i)
			out = append(out, token{`"`, start, i})
			continue
		case isWordByte(c):
			for i < len(s) && isWordByte(s[i]) {
				i++
			}
			if i < len(s) && (s[i] == '"' || s[i] == '\'') && i-start <= 2 && strings.Trim(strings.ToLower(s[start:i]), "rb") == "" {
				i = skipString(s, i) // r"..." and b'...' literals
				out = append(out, token{`"`, start, i})
				continue
			}
			out = append(out, token{s[start:i], start, i})
			continue
		}
		if i+1 < len(s) {
			switch two := s[i : i+2]; two {
			case "==", "!=", "<=", ">=", "<>", "&&", "||":
				out = append(out, token{two, i, i + 2})
				i += 2
				continue
			}
		}
		out = append(out, token{s[i : i+1], i, i + 1})
		i++
	}
	return out
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// skipString returns the index after the string literal starting at s[i] (a quote), triple
// quotes included; an unterminated literal runs to the end.
func skipString(s string, i int) int {
	q := s[i : i+1]
	if strings.HasPrefix(s[i:], q+q+q) {
		if end := strings.Index(s[i+3:], q+q+q); end >= 0 {
			return i + 3 + end + 3
		}
		return len(s)
	}
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case q[0]:
			return j + 1
		case '\n':
			return j
		}
	}
	return len(s)
}

// nameHint explains a name CEL does not know when it is a SQL spelling of a CEL word (NULL,
// TRUE, FALSE, NOT) or function (LOWER, UPPER, LENGTH, COALESCE), or a bare word compared with
// a string column (text without quotes).
func nameHint(name string, e celast.NavigableExpr, cols []profile.Column, mapName string) string {
	switch strings.ToLower(name) {
	case "null", "none", "nil":
		return fmt.Sprintf("CEL writes NULL as null, in lower case: x == null (not %s)", name)
	case "true", "false":
		return fmt.Sprintf("CEL writes booleans in lower case: %s", strings.ToLower(name))
	case "not":
		return "use ! for NOT: !(x)"
	case "lower", "lcase":
		return "CEL writes LOWER(x) as x.lowerAscii()"
	case "upper", "ucase":
		return "CEL writes UPPER(x) as x.upperAscii()"
	case "length", "len", "char_length":
		return "CEL writes LENGTH(x) as size(x)"
	case "coalesce", "ifnull", "nvl":
		return "CEL has no COALESCE: write x != null ? x : y"
	}
	if e == nil {
		return ""
	}
	parent, ok := e.Parent()
	if !ok || parent.Kind() != celast.CallKind {
		return ""
	}
	call := parent.AsCall()
	op, ok := comparisons[call.FunctionName()]
	if !ok || len(call.Args()) != 2 {
		return ""
	}
	for side, arg := range call.Args() {
		c, ok := columnOperand(arg, cols, mapName)
		if ok && arg.ID() != e.ID() && c.typ == profile.TypeString {
			return fmt.Sprintf("%q is not a column; to compare with the text %s, quote it: %s", name, name,
				written(c.ref, op, strconv.Quote(name), side))
		}
	}
	return ""
}

// column is a column used in a filter: its name, type, and how the filter refers to it.
type column struct {
	name, ref string
	typ       profile.Type
}

// columnOperand returns the column e refers to: a declared variable, or profile["name"].
func columnOperand(e celast.Expr, cols []profile.Column, mapName string) (column, bool) {
	name, ref := "", ""
	switch {
	case e.Kind() == celast.IdentKind:
		name, ref = e.AsIdent(), e.AsIdent()
	default:
		n, ok := mapColumn(e, mapName)
		if !ok {
			return column{}, false
		}
		name, ref = n, fmt.Sprintf("%s[%q]", mapName, n)
	}
	for _, c := range cols {
		if c.Name == name && (ref != name || IsIdentifier(name)) {
			return column{name: name, ref: ref, typ: c.Type}, true
		}
	}
	return column{}, false
}

// written renders a comparison with the column's reference and the value on their sides.
func written(colRef, op, value string, colSide int) string {
	if op == "in" {
		return colRef + " in " + value
	}
	if colSide == 0 {
		return colRef + " " + op + " " + value
	}
	return value + " " + op + " " + colRef
}

// orderings are the comparisons that order values.
var orderings = map[string]bool{"<": true, "<=": true, ">": true, ">=": true}

// mismatchHint explains a comparison CEL refused because its operands have different types,
// when one of them is a column: it names the column and its type, and shows the comparison
// written for that type. argTypes are the operands' types as CEL names them.
func mismatchHint(call celast.CallExpr, cols []profile.Column, mapName string, argTypes []string) string {
	op := comparisons[call.FunctionName()]
	if call.FunctionName() == "@in" {
		op = "in"
	}
	if op == "" || len(call.Args()) != 2 {
		return ""
	}
	for side, arg := range call.Args() {
		c, ok := columnOperand(arg, cols, mapName)
		if !ok || (op == "in" && side == 1) {
			continue
		}
		other := call.Args()[1-side]
		otherType := "a value of another type"
		if len(argTypes) == 2 {
			otherType = article(strings.TrimPrefix(argTypes[1-side], "nullable "))
			if inner, ok := strings.CutPrefix(argTypes[1-side], "list("); ok {
				otherType = "a list of " + strings.TrimSuffix(inner, ")") + " values"
			}
		}
		what := fmt.Sprintf("column %q is %s (its type in the source), but the filter compares it with %s", c.name, c.typ, otherType)
		if o, ok := columnOperand(other, cols, mapName); ok {
			return what + fmt.Sprintf(" (column %q is %s): convert one of them, for example string(%s), int(%s) or double(%s), "+
				"or give both the same type in the source", o.name, o.typ, o.ref, o.ref, o.ref)
		}
		return what + ": " + comparisonFix(c, op, side, other)
	}
	return ""
}

// comparisonFix says how to write a comparison of column c with the operand other.
func comparisonFix(c column, op string, side int, other celast.Expr) string {
	typeIt := "give the column its type in the source (in a CSV header: " + c.name + ":%s)"
	lit, isLit := literalOf(other)
	if op == "in" {
		if vals, ok := listLiterals(other); ok {
			fixed := make([]string, len(vals))
			for i, v := range vals {
				if fixed[i], ok = literalFor(c.typ, v); !ok {
					return "compare it with a list of " + string(c.typ) + " values"
				}
			}
			return "write " + written(c.ref, op, "["+strings.Join(fixed, ", ")+"]", side)
		}
		return "compare it with a list of " + string(c.typ) + " values"
	}
	if !isLit {
		return fmt.Sprintf("compare it with %s value, or convert one side (string(x), int(x), double(x))", article(string(c.typ)))
	}
	litType := literalType(lit)
	if c.typ == profile.TypeString && litType != "" {
		if orderings[op] && (litType == "int" || litType == "double") {
			return "as text it would compare letter by letter; " + fmt.Sprintf(typeIt, "double") + " to compare numbers"
		}
		fixed, _ := literalFor(c.typ, lit)
		return "write " + written(c.ref, op, fixed, side) + " to compare the text, or " + fmt.Sprintf(typeIt, litType)
	}
	if fixed, ok := literalFor(c.typ, lit); ok {
		return "write " + written(c.ref, op, fixed, side)
	}
	return fmt.Sprintf("compare it with %s value", article(string(c.typ)))
}

// article puts "a" or "an" before a type name.
func article(name string) string {
	if name != "" && strings.ContainsRune("aeiou", rune(name[0])) {
		return "an " + name
	}
	return "a " + name
}

// literalOf returns the value of a literal operand (a negated number included).
func literalOf(e celast.Expr) (ref.Val, bool) {
	switch e.Kind() {
	case celast.LiteralKind:
		return e.AsLiteral(), true
	case celast.CallKind:
		c := e.AsCall()
		if c.FunctionName() == "-_" && len(c.Args()) == 1 && c.Args()[0].Kind() == celast.LiteralKind {
			switch v := c.Args()[0].AsLiteral().(type) {
			case types.Int:
				return -v, true
			case types.Double:
				return -v, true
			}
		}
	}
	return nil, false
}

// listLiterals returns the values of a list of literals.
func listLiterals(e celast.Expr) ([]ref.Val, bool) {
	if e.Kind() != celast.ListKind {
		return nil, false
	}
	var out []ref.Val
	for _, el := range e.AsList().Elements() {
		v, ok := literalOf(el)
		if !ok {
			return nil, false
		}
		out = append(out, v)
	}
	return out, true
}

func literalType(v ref.Val) string {
	switch v.(type) {
	case types.Bool:
		return "bool"
	case types.Int, types.Uint:
		return "int"
	case types.Double:
		return "double"
	case types.String:
		return "string"
	}
	return ""
}

var dateOnly = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// literalFor writes the literal v as a literal of type t, when it has an obvious one: "true"
// for a string column, 3 for "3" on a number column, timestamp("...") for a timestamp column.
func literalFor(t profile.Type, v ref.Val) (string, bool) {
	text := ""
	switch x := v.(type) {
	case types.String:
		text = string(x)
	case types.Bool:
		text = strconv.FormatBool(bool(x))
	case types.Int:
		text = strconv.FormatInt(int64(x), 10)
	case types.Uint:
		text = strconv.FormatUint(uint64(x), 10)
	case types.Double:
		text = strconv.FormatFloat(float64(x), 'g', -1, 64)
	default:
		return "", false
	}
	switch t {
	case profile.TypeString:
		return strconv.Quote(text), true
	case profile.TypeInt:
		if _, err := strconv.ParseInt(strings.TrimSpace(text), 10, 64); err == nil {
			return strings.TrimSpace(text), true
		}
	case profile.TypeDouble:
		if f, err := strconv.ParseFloat(strings.TrimSpace(text), 64); err == nil && decimalText(text) {
			s := strconv.FormatFloat(f, 'f', -1, 64)
			if !strings.ContainsAny(s, ".eE") {
				s += ".0"
			}
			return s, true
		}
	case profile.TypeBool:
		switch strings.ToLower(strings.TrimSpace(text)) {
		case "true", "1":
			return "true", true
		case "false", "0":
			return "false", true
		}
	case profile.TypeTimestamp:
		if dateOnly.MatchString(text) {
			text += "T00:00:00Z"
		}
		if _, err := time.Parse(time.RFC3339Nano, text); err == nil {
			return "timestamp(" + strconv.Quote(text) + ")", true
		}
	}
	return "", false
}

// decimalText reports whether s is written as a plain decimal number (not Inf or NaN).
func decimalText(s string) bool {
	s = strings.TrimSpace(s)
	return s != "" && strings.Trim(s, "+-0123456789.eE") == ""
}

// boolHint explains a column used where CEL needs a bool (alone, or under !): a string column
// is compared with the text that means want ("true" or "false").
func boolHint(e celast.Expr, cols []profile.Column, mapName, want string) string {
	c, ok := columnOperand(e, cols, mapName)
	switch {
	case !ok || c.typ == profile.TypeBool:
		return ""
	case c.typ == profile.TypeString:
		return fmt.Sprintf("column %q is string (its type in the source), not bool: write %s == %q to compare the text, "+
			"or give the column its type in the source (in a CSV header: %s:bool)", c.name, c.ref, want, c.name)
	}
	return fmt.Sprintf("column %q is %s (its type in the source), not bool: compare it with %s value", c.name, c.typ, article(string(c.typ)))
}
