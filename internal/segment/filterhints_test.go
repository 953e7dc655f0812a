package segment

import (
	"context"
	"strings"
	"testing"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/profile"
)

// TestFilterHintsForCommonMistakes: the mistakes of someone used to SQL get a hint that names
// the column, its type and what to write, never one about something else.
func TestFilterHintsForCommonMistakes(t *testing.T) {
	src := writeFile(t, "p.csv", "email,country,opt_in,age:int,ltv:double,vip:bool,signup:timestamp,zip\n"+
		"user1@example.com,DE,true,3,1.5,true,2020-01-01T00:00:00Z,10115\n")
	tests := []struct {
		filter string
		want   []string
	}{
		// A comparison with a value of another type names the column, its type and the fix.
		{`opt_in == true`, []string{"filter:1:8:", `column "opt_in" is string`, `write opt_in == "true"`, "in a CSV header: opt_in:bool"}},
		{`age == 3 || opt_in == false`, []string{"filter:1:20:", `column "opt_in" is string`, `write opt_in == "false"`}},
		{`zip == 10115`, []string{`column "zip" is string`, `write zip == "10115"`, "zip:int"}},
		{`country > 3`, []string{`column "country" is string`, "compares it with an int", "letter by letter", "country:double"}},
		{`age == "3"`, []string{`column "age" is int`, "write age == 3"}},
		{`"3" == age`, []string{`column "age" is int`, "write 3 == age"}},
		{`vip == "true"`, []string{`column "vip" is bool`, "write vip == true"}},
		{`ltv > "3"`, []string{`column "ltv" is double`, "write ltv > 3.0"}},
		{`signup >= "2020-01-01"`, []string{`column "signup" is timestamp`, `write signup >= timestamp("2020-01-01T00:00:00Z")`}},
		{`age in ["3", "4"]`, []string{`column "age" is int`, "a list of string values", "write age in [3, 4]"}},
		{`age == zip`, []string{`column "age" is int`, `(column "zip" is string)`, "int(zip)"}},
		{`profile["opt_in"] == true`, []string{`column "opt_in" is string`, `write profile["opt_in"] == "true"`}},
		{`!opt_in`, []string{`column "opt_in" is string`, "not bool", `write opt_in == "false"`}},
		{`opt_in`, []string{"must evaluate to a bool", `column "opt_in" is string`, `write opt_in == "true"`}},
		// SQL spellings.
		{`country = 'DE'`, []string{"filter:1:9: Syntax error", "use == to compare", `in CEL: country == 'DE'`}},
		{`vip = true && age > 3`, []string{"use == to compare", "in CEL: vip == true && age > 3"}},
		{`country == "DE" AND age > 3`, []string{"use && for AND", `in CEL: country == "DE" && age > 3`}},
		{`country == "DE" or vip`, []string{"use || for OR", `in CEL: country == "DE" || vip`}},
		{`NOT vip`, []string{"use ! for NOT", "in CEL: !vip"}},
		{`country == "DE" & vip`, []string{"use && for AND", `in CEL: country == "DE" && vip`}},
		{`country <> "DE"`, []string{`use != for "not equal"`, `in CEL: country != "DE"`}},
		{`country = 'DE' AND opt_in == "true"`, []string{`use == to compare (a single = is not an operator in CEL); use && for AND; in CEL: country == 'DE' && opt_in == "true"`}},
		{`country IN ["DE", "FR"]`, []string{"IN is written in lower case", `in CEL: country in ["DE", "FR"]`}},
		{`country in ("DE", "FR")`, []string{"a list is written in square brackets"}},
		{`country IS NOT NULL AND vip`, []string{"x != null for x IS NOT NULL", "in CEL: country != null && vip"}},
		{`country is null`, []string{"x == null for x IS NULL", "in CEL: country == null"}},
		{`email LIKE "%@example.com"`, []string{"instead of LIKE", "endsWith"}},
		{`country == NULL`, []string{"CEL writes NULL as null"}},
		{`vip == TRUE`, []string{"CEL writes booleans in lower case: true"}},
		{`country == DE`, []string{`"DE" is not a column`, `quote it: country == "DE"`}},
		{`LOWER(country) == "de"`, []string{"x.lowerAscii()"}},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			_, err := Open(context.Background(), Spec{Name: "vip", Source: src, Filter: tt.filter})
			se := wantSegmentError(t, err, "filter", tt.want)
			for _, wrong := range []string{"arithmetic", "did you mean", "the columns are"} {
				if strings.Contains(se.Hint, wrong) {
					t.Errorf("hint %q talks about %s", se.Hint, wrong)
				}
			}
		})
	}
	// What parses and type-checks stays accepted: single quotes, null comparisons, numbers
	// across int and double.
	for _, ok := range []string{`country == 'DE'`, `country != null && age != null && signup != null`, `ltv > 1`, `age in [3, 4]`} {
		if _, err := Open(context.Background(), Spec{Name: "vip", Source: src, Filter: ok}); err != nil {
			t.Errorf("filter %q: %v", ok, err)
		}
	}
}

// TestFilterSyntaxHintsSkipStringsAndColumns: words inside string literals, and columns named
// like SQL keywords, are not taken for SQL.
func TestFilterSyntaxHintsSkipStringsAndColumns(t *testing.T) {
	cols := []profile.Column{{Name: "and", Type: profile.TypeString}, {Name: "like", Type: profile.TypeString}}
	for _, tt := range []struct {
		filter string
		want   []string
	}{
		{`country == "a = b" &&`, nil},
		{`country == 'x AND y' || `, nil},
		{`country == "IS NULL" or`, []string{"use || for OR"}},
		{`and == "x" && like ==`, nil},
	} {
		got := syntaxHints(tt.filter, cols)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("syntaxHints(%q) = %q, want %q", tt.filter, got, tt.want)
		}
	}
}
