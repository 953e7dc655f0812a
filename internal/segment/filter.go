package segment

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/ext"
	"cel.dev/cel-go/interpreter"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/didyoumean"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/privacy"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/profile"
)

// profileVar is the name of the map that holds every column.
const profileVar = "profile"

// filter is a compiled filter and the activation it evaluates rows with.
type filter struct {
	spec Spec
	prg  cel.Program
	act  *activation
	refs []int // columns the expression references, for the NULL hint of evaluation errors
	// watchCtx says whether an evaluation watches the context (ContextEval, which costs a few
	// allocations per row): for filters whose estimated cost may be more than cheapCost.
	watchCtx bool
}

// activation resolves the filter's variables from the current row without copying it.
type activation struct {
	cols    []profile.Column
	index   map[string]int // variable name -> column
	mapName string         // "profile" when the map is declared, else ""
	row     *profile.Row
	m       map[string]any // the profile map, rebuilt for each row that uses it
	mBuilt  bool
}

var _ interpreter.Activation = (*activation)(nil)

func (a *activation) ResolveName(name string) (any, bool) {
	if i, ok := a.index[name]; ok {
		v := a.row.Values[i]
		if v == nil {
			return types.NullValue, true
		}
		return v, true
	}
	if name == a.mapName && a.mapName != "" {
		if !a.mBuilt {
			if a.m == nil {
				a.m = make(map[string]any, len(a.cols))
			}
			for i, c := range a.cols {
				a.m[c.Name] = a.row.Values[i]
			}
			a.mBuilt = true
		}
		return a.m, true
	}
	return nil, false
}

func (a *activation) Parent() interpreter.Activation { return nil }

var reserved = map[string]bool{
	"true": true, "false": true, "null": true, "in": true, "as": true, "break": true, "const": true,
	"continue": true, "else": true, "for": true, "function": true, "if": true, "import": true,
	"let": true, "loop": true, "package": true, "namespace": true, "return": true, "var": true,
	"void": true, "while": true,
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// IsIdentifier reports whether a column name can be used as a CEL variable in a filter.
// Other columns are reached through the profile map: profile["first name"].
func IsIdentifier(name string) bool { return identRE.MatchString(name) && !reserved[name] }

func celType(t profile.Type) *cel.Type {
	switch t {
	case profile.TypeInt:
		return cel.NullableType(cel.IntType)
	case profile.TypeDouble:
		return cel.NullableType(cel.DoubleType)
	case profile.TypeBool:
		return cel.NullableType(cel.BoolType)
	case profile.TypeTimestamp:
		return cel.TimestampType // timestamps are nullable in CEL already
	}
	return cel.NullableType(cel.StringType)
}

func baseEnvOptions() []cel.EnvOption {
	return []cel.EnvOption{
		cel.CrossTypeNumericComparisons(true),
		ext.Strings(),
	}
}

// newEnv declares the columns as variables (see the package documentation).
func newEnv(cols []profile.Column) (*cel.Env, *activation, error) {
	act := &activation{cols: cols, index: make(map[string]int, len(cols))}
	opts := baseEnvOptions()
	for i, c := range cols {
		if !IsIdentifier(c.Name) {
			continue
		}
		act.index[c.Name] = i
		opts = append(opts, cel.Variable(c.Name, celType(c.Type)))
	}
	if _, taken := act.index[profileVar]; !taken {
		act.mapName = profileVar
		opts = append(opts, cel.Variable(profileVar, cel.MapType(cel.StringType, cel.DynType)))
	}
	env, err := cel.NewEnv(opts...)
	return env, act, err
}

// parseFilter checks the filter's syntax only.
func parseFilter(spec Spec) error {
	env, err := cel.NewEnv(baseEnvOptions()...)
	if err != nil {
		return &Error{Segment: spec.Name, Attribute: "filter", Msg: "cannot set up CEL: " + err.Error()}
	}
	_, iss := env.ParseSource(common.NewStringSource(spec.Filter, "filter"))
	if iss.Err() != nil {
		return issuesError(spec, iss, filterContext{})
	}
	return nil
}

// compileFilter parses and type-checks the filter against cols and prepares its program.
func compileFilter(spec Spec, cols []profile.Column) (*filter, error) {
	env, act, err := newEnv(cols)
	if err != nil {
		return nil, &Error{Segment: spec.Name, Attribute: "filter", Msg: "cannot declare the columns to CEL: " + err.Error()}
	}
	src := common.NewStringSource(spec.Filter, "filter")
	parsed, iss := env.ParseSource(src)
	if iss.Err() != nil {
		return nil, issuesError(spec, iss, filterContext{cols: cols})
	}
	ast, iss := env.Check(parsed)
	if iss.Err() != nil {
		return nil, issuesError(spec, iss, filterContext{cols: cols, mapName: act.mapName, parsed: parsed.NativeRep()})
	}
	if err := checkMapComparisons(spec, ast, cols, act.mapName); err != nil {
		return nil, err
	}
	out := ast.OutputType()
	if !out.IsExactType(cel.BoolType) && !out.IsExactType(cel.NullableType(cel.BoolType)) && !out.IsExactType(cel.DynType) {
		hint := boolHint(ast.NativeRep().Expr(), cols, act.mapName, "true")
		if hint == "" {
			hint = "write a condition, such as country == \"US\" && lifetime_value > 100.0"
		}
		return nil, &Error{Segment: spec.Name, Attribute: "filter", Hint: hint,
			Msg: fmt.Sprintf("filter:1:1: the filter must evaluate to a bool, but it evaluates to %s\n | %s\n | ^", typeName(out), firstLine(spec.Filter))}
	}
	est, err := env.EstimateCost(ast, newCostEstimator(cols, act.mapName))
	if err != nil {
		return nil, &Error{Segment: spec.Name, Attribute: "filter", Msg: "the filter's cost cannot be estimated: " + privacy.Scrub(err.Error(), spec.Filter),
			Hint: "simplify the filter"}
	}
	if est.Max > MaxEstimatedCost {
		return nil, costError(spec, est.Max)
	}
	popts := []cel.ProgramOption{cel.EvalOptions(cel.OptOptimize), cel.InterruptCheckFrequency(interruptEvery)}
	if est.Max > MaxRowCost {
		// The estimate is an upper bound: only a filter that might pass the per-row limit pays
		// for tracking its cost (which slows every evaluation).
		popts = append(popts, cel.CostLimit(MaxRowCost))
	}
	prg, err := env.Program(ast, popts...)
	if err != nil {
		return nil, &Error{Segment: spec.Name, Attribute: "filter", Msg: "the filter cannot be prepared: " + privacy.Scrub(err.Error(), spec.Filter)}
	}
	f := &filter{spec: spec, prg: prg, act: act, watchCtx: est.Max > cheapCost}
	seen := map[int]bool{}
	for _, r := range ast.NativeRep().ReferenceMap() {
		if i, ok := act.index[r.Name]; ok && !seen[i] {
			seen[i] = true
			f.refs = append(f.refs, i)
		}
		if r.Name == act.mapName && act.mapName != "" {
			for i := range cols {
				if !seen[i] {
					seen[i] = true
					f.refs = append(f.refs, i)
				}
			}
		}
	}
	sort.Ints(f.refs)
	return f, nil
}

func typeName(t *cel.Type) string {
	s := t.String()
	if strings.HasPrefix(s, "wrapper(") {
		return "nullable " + strings.TrimSuffix(strings.TrimPrefix(s, "wrapper("), ")")
	}
	return s
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

var wrapperRE = regexp.MustCompile(`wrapper\((\w+)\)`)

var (
	undeclaredRE = regexp.MustCompile(`undeclared reference to '([^']*)'`)
	overloadRE   = regexp.MustCompile(`no matching overload for '([^']*)' applied to '\((.*)\)'`)
)

// arithmetic are CEL's arithmetic operators.
var arithmetic = map[string]bool{"_+_": true, "_-_": true, "_*_": true, "_/_": true, "_%_": true, "-_": true}

// filterContext is what issuesError knows besides the issues: the columns (nil when the
// filter is only parsed), the profile map's name, and the parsed expression when the filter
// parsed.
type filterContext struct {
	cols    []profile.Column
	mapName string
	parsed  *celast.AST
}

// issuesError formats CEL's issues: "filter:LINE:COL: message", the line of the filter and a
// caret, for each issue; the hint says what to write instead where the mistake is a known one
// (SQL habits, a comparison of a column with a value of another type) and suggests column
// names for unknown references.
func issuesError(spec Spec, iss *cel.Issues, fc filterContext) error {
	src := common.NewStringSource(spec.Filter, "filter")
	var msgs, hints []string
	syntax := false
	for _, e := range iss.Errors() {
		msgs = append(msgs, wrapperRE.ReplaceAllString(strings.TrimPrefix(e.ToDisplayString(src), "ERROR: "), "$1"))
		syntax = syntax || strings.HasPrefix(e.Message, "Syntax error")
		if h := fc.hint(e); h != "" && !slices.Contains(hints, h) {
			hints = append(hints, h)
		}
	}
	if syntax {
		hints = append(syntaxHints(spec.Filter, fc.cols), hints...)
	}
	e := &Error{Segment: spec.Name, Attribute: "filter", Msg: strings.Join(msgs, "\n")}
	if len(hints) > 0 {
		e.Hint = strings.Join(hints, "; ")
	} else if fc.cols != nil {
		e.Hint = "the columns are " + columnList(fc.cols)
	}
	return e
}

// hint explains one type-check issue: an unknown name, or operands of the wrong types.
func (fc filterContext) hint(e *cel.Error) string {
	var at celast.NavigableExpr
	if fc.parsed != nil {
		at = findExpr(celast.NavigateAST(fc.parsed), e.ExprID)
	}
	if m := undeclaredRE.FindStringSubmatch(e.Message); m != nil && fc.cols != nil {
		if h := nameHint(m[1], at, fc.cols, fc.mapName); h != "" {
			return h
		}
		return suggest(m[1], fc.cols)
	}
	m := overloadRE.FindStringSubmatch(e.Message)
	if m == nil {
		return ""
	}
	if at != nil && at.Kind() == celast.CallKind && m[1] == "!_" && len(at.AsCall().Args()) == 1 {
		if h := boolHint(at.AsCall().Args()[0], fc.cols, fc.mapName, "false"); h != "" {
			return h
		}
	}
	if at != nil && at.Kind() == celast.CallKind && !arithmetic[m[1]] {
		argTypes := strings.Split(wrapperRE.ReplaceAllString(m[2], "nullable $1"), ", ")
		if h := mismatchHint(at.AsCall(), fc.cols, fc.mapName, argTypes); h != "" {
			return h
		}
	}
	if arithmetic[m[1]] {
		return "check the operand types: CEL does not mix int and double in arithmetic (write 1.0, or convert with double(x) or int(x))"
	}
	return "check the operand types: CEL compares strings only with strings and numbers with numbers; convert with string(x), int(x) or double(x)"
}

// findExpr returns the expression with the given ID, or nil.
func findExpr(e celast.NavigableExpr, id int64) celast.NavigableExpr {
	if e.ID() == id {
		return e
	}
	for _, c := range e.Children() {
		if f := findExpr(c, id); f != nil {
			return f
		}
	}
	return nil
}

// maxListedColumns bounds how many columns a message lists.
const maxListedColumns = 20

// columnList lists the first maxListedColumns columns and says how many more there are.
func columnList(cols []profile.Column) string {
	parts := make([]string, 0, min(len(cols), maxListedColumns)+1)
	for _, c := range cols[:min(len(cols), maxListedColumns)] {
		if IsIdentifier(c.Name) {
			parts = append(parts, c.Name+" ("+string(c.Type)+")")
		} else {
			parts = append(parts, fmt.Sprintf("profile[%q] (%s)", c.Name, c.Type))
		}
	}
	if more := len(cols) - maxListedColumns; more > 0 {
		parts = append(parts, fmt.Sprintf("and %d more", more))
	}
	return strings.Join(parts, ", ")
}

// suggest names the column closest to an unknown name.
func suggest(name string, cols []profile.Column) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	if best := didyoumean.Closest(name, names); best != "" {
		ref := best
		if !IsIdentifier(best) {
			ref = fmt.Sprintf("profile[%q]", best)
		}
		return fmt.Sprintf("%q is not a column; did you mean %s?", name, ref)
	}
	return fmt.Sprintf("%q is neither a column nor a CEL function; the columns are %s", name, columnList(cols))
}

// eval evaluates the filter on a row. It stops when ctx is done (returning ctx.Err()) or the
// row's cost passes MaxRowCost.
func (f *filter) eval(ctx context.Context, r *profile.Row) (bool, error) {
	f.act.row = r
	f.act.mBuilt = false
	var (
		out ref.Val
		err error
	)
	if f.watchCtx {
		out, _, err = f.prg.ContextEval(ctx, f.act)
	} else {
		out, _, err = f.prg.Eval(f.act)
	}
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return false, f.evalError(r, f.describe(err, r))
	}
	switch v := out.(type) {
	case types.Bool:
		return bool(v), nil
	case types.Null:
		return false, nil
	}
	return false, f.evalError(r, fmt.Sprintf("the filter evaluated to a %s, not a bool", typeOf(out)))
}

// describe says what went wrong in an evaluation without quoting the data: CEL's messages
// quote keys, indexes and regular expressions that may come from the row, so known kinds of
// failure get a message of their own, and the rest pass through privacy.Scrub with the row's
// values.
func (f *filter) describe(err error, r *profile.Row) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "cost limit exceeded"):
		return fmt.Sprintf("the filter went past the cost limit of %s CEL cost units on this row", groupDigits(MaxRowCost))
	case strings.Contains(msg, "no such key"):
		return "a map has no such key (the key is not shown: it may come from the data)"
	case strings.Contains(msg, "index out of"), strings.Contains(msg, "invalid index"):
		return "a list index is out of range (the index is not shown: it may come from the data)"
	case strings.Contains(msg, "regexp"), strings.Contains(msg, "regex"):
		return "a regular expression is not valid (it is not shown: it may be built from the data)"
	}
	return privacy.ScrubKeeping(msg, f.spec.Filter, celWords, rowStrings(r)...)
}

// celWords are words of CEL's messages that are never data: type names, and the 3339 of
// "RFC 3339". Scrub leaves them alone where they stand whole.
var celWords = []string{"string", "int", "uint", "double", "bool", "bytes", "list", "map", "null_type", "type",
	"google.protobuf.Timestamp", "google.protobuf.Duration", "3339"}

// rowStrings returns the row's values as text, for masking.
func rowStrings(r *profile.Row) []string {
	out := make([]string, 0, len(r.Values))
	for _, v := range r.Values {
		switch x := v.(type) {
		case nil:
		case string:
			out = append(out, x)
		case time.Time:
			out = append(out, x.Format(time.RFC3339Nano), x.String())
		default:
			out = append(out, fmt.Sprint(x))
		}
	}
	return out
}

func typeOf(v ref.Val) string {
	if v == nil || v.Type() == nil {
		return "value"
	}
	return v.Type().TypeName()
}

func (f *filter) evalError(r *profile.Row, msg string) error {
	e := &Error{Segment: f.spec.Name, Attribute: "filter", Pos: r.Pos, Msg: "evaluating the filter failed: " + msg}
	var nulls []string
	for _, i := range f.refs {
		if r.Values[i] == nil {
			nulls = append(nulls, f.act.cols[i].Name)
		}
	}
	if len(nulls) > 0 {
		guard := nulls[0]
		if !IsIdentifier(guard) {
			guard = fmt.Sprintf("profile[%q]", guard)
		}
		e.Hint = fmt.Sprintf("on this row %s NULL; test for NULL before using a value, for example %s != null && ...",
			describeNulls(nulls), guard)
	} else {
		e.Hint = "make the filter work for every row's values (guard conversions such as int(x) and divisions by zero)"
	}
	return e
}

func describeNulls(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	if len(q) == 1 {
		return "column " + q[0] + " is"
	}
	return "columns " + strings.Join(q, ", ") + " are"
}
