package segment

import (
	"context"
	"testing"
)

// A filter comparing a column with a value of another type fails when the segment is opened,
// naming the column's type, whether the column is a variable or read from the profile map.
func TestFilterOnAColumnOfAnotherTypeFails(t *testing.T) {
	p := writeFile(t, "customers.jsonl", `{"email":"user1@example.com","opt-in":true,"opt_in":true,"age":30,"ltv":1.5}`+"\n")
	tests := []struct {
		name, filter string
		want         []string
	}{
		{"map column against a string", `profile["opt-in"] == "yes"`,
			[]string{`filter:1:19: column "opt-in" is bool (its type in the source), but the filter compares it (==) with a string`, "| ..................^"}},
		{"map column against a bool", `profile["email"] != true && true`, []string{`column "email" is string`, "with a bool"}},
		{"map column ordered against a string", `profile["age"] > "30"`, []string{`column "age" is int`, "(>) with a string"}},
		{"variable against a string", `opt_in == "yes"`, []string{"no matching overload", "bool", "string"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(context.Background(), Spec{Name: "vip", Source: p, Filter: tt.filter})
			wantSegmentError(t, err, "filter", tt.want)
		})
	}
	for _, ok := range []string{`profile["opt-in"] == true`, `profile["age"] > 20.5`, `profile["ltv"] >= 1`, `profile["opt-in"] != null`, `profile["email"].endsWith("@example.com")`} {
		if _, err := Open(context.Background(), Spec{Name: "vip", Source: p, Filter: ok}); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}
