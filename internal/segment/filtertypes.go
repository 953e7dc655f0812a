package segment

import (
	"fmt"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/profile"
)

// comparisons are the CEL operators whose operands checkMapComparisons looks at.
var comparisons = map[string]string{
	"_==_": "==", "_!=_": "!=", "_<_": "<", "_<=_": "<=", "_>_": ">", "_>=_": ">=",
}

// checkMapComparisons refuses a filter that compares a column read from the profile map,
// profile["name"], with a value of another type. The map's values are dynamically typed, so
// CEL's type check lets `profile["opt-in"] == true` through even when the column is a string,
// and the filter would then select nothing without a word. Numbers compare across int and
// double; null compares with anything.
func checkMapComparisons(spec Spec, checked *cel.Ast, cols []profile.Column, mapName string) error {
	if mapName == "" {
		return nil
	}
	native := checked.NativeRep()
	colType := map[string]profile.Type{}
	for _, c := range cols {
		colType[c.Name] = c.Type
	}
	var found *Error
	celast.PostOrderVisit(native.Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		if found != nil || e.Kind() != celast.CallKind {
			return
		}
		call := e.AsCall()
		op, ok := comparisons[call.FunctionName()]
		if !ok || len(call.Args()) != 2 {
			return
		}
		for side, arg := range call.Args() {
			name, ok := mapColumn(arg, mapName)
			t, known := colType[name]
			if !ok || !known {
				continue
			}
			other := call.Args()[1-side]
			ot := native.GetType(other.ID())
			if ot == nil || comparableWith(t, ot) {
				continue
			}
			loc := native.SourceInfo().GetStartLocation(e.ID())
			src := common.NewStringSource(spec.Filter, "filter")
			line, _ := src.Snippet(loc.Line())
			found = &Error{Segment: spec.Name, Attribute: "filter",
				Msg: fmt.Sprintf("filter:%d:%d: column %q is %s (its type in the source), but the filter compares it (%s) with a %s, "+
					"which no value of the column equals\n | %s\n | %s^", loc.Line(), loc.Column()+1, name, t, op, typeName(ot), line,
					strings.Repeat(".", loc.Column())),
				Hint: comparisonFix(column{name: name, ref: fmt.Sprintf("%s[%q]", mapName, name), typ: t}, op, side, other) +
					"; the sendgridaudience_segment data source lists each column's type"}
			return
		}
	}))
	if found != nil {
		return found
	}
	return nil
}

// mapColumn returns name when e is profile["name"] (the map named mapName indexed by a string
// literal).
func mapColumn(e celast.Expr, mapName string) (string, bool) {
	if e.Kind() != celast.CallKind {
		return "", false
	}
	c := e.AsCall()
	if c.FunctionName() != "_[_]" || len(c.Args()) != 2 {
		return "", false
	}
	m, key := c.Args()[0], c.Args()[1]
	if m.Kind() != celast.IdentKind || m.AsIdent() != mapName || key.Kind() != celast.LiteralKind {
		return "", false
	}
	s, ok := key.AsLiteral().(types.String)
	return string(s), ok
}

// comparableWith reports whether a column of type t can equal a value of CEL type ot (a nullable
// type has its wrapped type's kind).
func comparableWith(t profile.Type, ot *types.Type) bool {
	switch ot.Kind() {
	case types.DynKind, types.NullTypeKind, types.AnyKind, types.TypeParamKind:
		return true
	case types.BoolKind:
		return t == profile.TypeBool
	case types.IntKind, types.UintKind, types.DoubleKind:
		return t == profile.TypeInt || t == profile.TypeDouble
	case types.StringKind:
		return t == profile.TypeString
	case types.TimestampKind:
		return t == profile.TypeTimestamp
	}
	return true
}
