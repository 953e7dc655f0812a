package segment

import (
	"context"
	"strings"
	"testing"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/profile"
)

// A JSON Lines column of booleans with one "yes". The column stays bool; the
// row with "yes" is handed on as selected with its invalid value (never filtered out, so an
// export reports it); a filter on the column selects the other rows.
func TestValueAgainstItsColumnsTypeIsHandedOnInvalid(t *testing.T) {
	p := writeFile(t, "customers.jsonl", `{"email":"user1@example.com","opt-in":true}`+"\n"+
		`{"email":"user2@example.com","opt-in":false}`+"\n"+
		`{"email":"user3@example.com","opt-in":"yes"}`+"\n"+
		`{"email":"user4@example.com","opt-in":true}`+"\n")
	s, err := Open(context.Background(), Spec{Name: "opted-in", Source: p, Filter: `profile["opt-in"] == true`})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	if got := s.Columns()[1]; got.Type != profile.TypeBool {
		t.Fatalf("column %+v, want bool", got)
	}
	var selected, invalid []string
	err = s.ScanAll(context.Background(), func(r *profile.Row, sel bool) error {
		email, _ := r.Values[0].(string)
		if sel {
			selected = append(selected, email)
		}
		for _, iv := range r.Invalid {
			invalid = append(invalid, DescribeInvalid(r.Pos, iv))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(selected, " ") != "user1@example.com user3@example.com user4@example.com" {
		t.Errorf("selected %v; want the two true rows and the invalid one", selected)
	}
	want := `customers.jsonl line 3, column "opt-in": the value is a string, but the column is bool (y*** (3 chars))`
	if len(invalid) != 1 || !strings.HasSuffix(invalid[0], want) {
		t.Errorf("invalid values %q; want one ending %q", invalid, want)
	}

	sum, err := Preview(context.Background(), Spec{Name: "all", Source: p}, nil)
	if err != nil || sum.Invalid != 1 || !strings.HasSuffix(sum.FirstInvalid, want) {
		t.Errorf("preview: %+v, %v; want one invalid row described", sum, err)
	}
}
