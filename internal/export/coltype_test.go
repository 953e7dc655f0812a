package export

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/segment"
)

// A JSON Lines value against its column's type ("yes" among the booleans of "opt-in") is an
// invalid profile with its line and column, handled by invalid_profiles; it does not retype the
// column, so the filter on it keeps selecting the other profiles.
func TestValueAgainstItsColumnsTypeIsAnInvalidProfile(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	var b strings.Builder
	for i := range 30 {
		optIn := `true`
		switch {
		case i == 12:
			optIn = `"yes"`
		case i%3 == 0:
			optIn = `false`
		}
		fmt.Fprintf(&b, `{"email":"user%03d@example.com","opt-in":%s}`+"\n", i, optIn)
	}
	path := filepath.Join(v.dir, "p.jsonl")
	writeFile(t, path, b.String())
	req := Request{Segments: []segment.Spec{{Name: "opted-in", Source: path, Filter: `profile["opt-in"] == true`}},
		Mapping: Mapping{Email: "email"}, ListID: v.listID, APIKey: v.key, MaxProfiles: 1000, InvalidPolicy: InvalidFail}
	_, err := v.eng.Plan(context.Background(), req)
	var ie *InvalidProfilesError
	if !errors.As(err, &ie) || ie.Invalid.Total != 1 {
		t.Fatalf("plan with invalid_profiles = fail: %v", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "line 13") || !strings.Contains(msg, `column "opt-in" wrong_type_for_column`) ||
		!strings.Contains(msg, "the column is bool") || strings.Contains(msg, "yes") {
		t.Fatalf("message does not locate the value, or shows it: %s", msg)
	}
	req.InvalidPolicy = InvalidSkip
	plan, err := v.eng.Plan(context.Background(), req)
	if err != nil || plan.Profiles != 20 || plan.Invalid.Total != 1 {
		t.Fatalf("skip: %v, %+v", err, plan)
	}
}

// A CSV value against its header's type says how to write it: "1,234" in a :double column gets
// the number format, not only "not a number".
func TestTypedCSVValueSaysHowToWriteIt(t *testing.T) {
	v := newTestEnv(t, emulatorConfig())
	path := filepath.Join(v.dir, "p.csv")
	writeFile(t, path, "email,lifetime_value:double\nuser001@example.com,12.5\nuser002@example.com,\"1,234\"\n")
	req := Request{Segments: []segment.Spec{{Name: "p", Source: path}}, Mapping: Mapping{Email: "email"},
		ListID: v.listID, APIKey: v.key, MaxProfiles: 1000, InvalidPolicy: InvalidSkip}
	plan, err := v.eng.Plan(context.Background(), req)
	if err != nil || plan.Invalid == nil || plan.Invalid.Total != 1 {
		t.Fatalf("plan: %v, %+v", err, plan)
	}
	got := plan.Invalid.First[0].String()
	if !strings.Contains(got, "no thousands separators") || strings.Contains(got, "1,234") {
		t.Fatalf("sample %q gives no number format, or shows the value", got)
	}
}
