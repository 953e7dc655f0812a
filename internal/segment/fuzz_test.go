package segment

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/profile"
)

// FuzzFilter compiles arbitrary filters against columns of every type and evaluates those that
// compile on a few rows, NULLs included: nothing may panic, and every failure is an *Error.
func FuzzFilter(f *testing.F) {
	for _, s := range []string{
		`country == "US"`,
		`lifetime_value > 100.0 && marketing_opt_in`,
		`age >= 18 || age == null`,
		`signed_up > timestamp("2024-01-01T00:00:00Z")`,
		`profile["first name"].startsWith("A")`,
		`email.lowerAscii().endsWith("@example.com")`,
		`size(email) > 3 && email.contains("@")`,
		`[1, 2, 3].exists(x, x == age)`,
		`int(country) > 1`,
		`lifetime_value / 0.0 > 1.0`,
		`age / 0 > 1`,
		`country ==`,
		`"unterminated`,
		`a.b.c(`,
		`{"a": 1}["b"] == 1`,
		`1 + 1`,
		"country == \"US\" &&\n\tage > 3",
		`has(profile.email)`,
		`!marketing_opt_in`,
		`matches(email, "^user[0-9]+@")`,
	} {
		f.Add(s)
	}
	cols := []profile.Column{
		{Name: "email", Type: profile.TypeString},
		{Name: "country", Type: profile.TypeString},
		{Name: "age", Type: profile.TypeInt},
		{Name: "lifetime_value", Type: profile.TypeDouble},
		{Name: "marketing_opt_in", Type: profile.TypeBool},
		{Name: "signed_up", Type: profile.TypeTimestamp},
		{Name: "first name", Type: profile.TypeString},
	}
	rows := [][]any{
		{"user1@example.com", "US", int64(42), 150.5, true, time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), "Ada"},
		{nil, nil, nil, nil, nil, nil, nil},
		{"", "", int64(math.MinInt64), math.Inf(1), false, time.Unix(0, 0).UTC(), ""},
		{"x", "12", int64(0), math.NaN(), true, time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), "\u00e9"},
	}
	f.Fuzz(func(t *testing.T, expr string) {
		if len(expr) > 256 {
			return // keep evaluation cheap
		}
		spec := Spec{Name: "fuzz", Filter: expr}
		if err := parseFilter(spec); err != nil {
			mustBeFilterError(t, err)
		}
		flt, err := compileFilter(spec, cols)
		if err != nil {
			mustBeFilterError(t, err)
			return
		}
		for i, v := range rows {
			r := &profile.Row{Pos: profile.Pos{File: "f.csv", Line: int64(i + 2), Row: int64(i + 1)}, Values: v}
			if _, err := flt.eval(context.Background(), r); err != nil {
				se := mustBeFilterError(t, err)
				if se.Pos != r.Pos {
					t.Fatalf("evaluation error at %+v, want %+v", se.Pos, r.Pos)
				}
			}
		}
	})
}

func mustBeFilterError(t *testing.T, err error) *Error {
	t.Helper()
	var se *Error
	if !errors.As(err, &se) || se.Attribute != "filter" || se.Msg == "" {
		t.Fatalf("error %T %v is not a filter *Error", err, err)
	}
	return se
}
