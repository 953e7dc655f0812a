package export

import (
	"context"
	"strings"
	"testing"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/segment"
)

// invalidPlan plans the profiles and returns the validation report.
func invalidPlan(t *testing.T, ps []prof) (*InvalidReport, string) {
	t.Helper()
	v := newTestEnv(t, emulatorConfig())
	path := v.file("p.csv", ps)
	plan, err := v.eng.Plan(context.Background(), v.request(segment.Spec{Name: "p", Source: path}))
	if err != nil {
		t.Fatal(err)
	}
	return plan.Invalid, path
}

func TestNumberErrorsSayWhatIsAccepted(t *testing.T) {
	ps := genProfiles(0, 3)
	ps[1].Score = "1,234.50"
	inv, _ := invalidPlan(t, ps)
	if inv.Total != 1 || len(inv.First) != 1 {
		t.Fatalf("invalid = %d, samples %v; want 1", inv.Total, inv.First)
	}
	got := inv.First[0].String()
	for _, want := range []string{`custom_fields["score"] not_a_number`, `SendGrid field "score" is a Number`,
		"1234.5", "thousands separators", "currency", "[1*** (8 chars)]"} {
		if !strings.Contains(got, want) {
			t.Errorf("sample %q does not contain %q", got, want)
		}
	}
	if strings.Contains(got, "1,234") {
		t.Errorf("sample %q shows the value", got)
	}
}

func TestEveryInvalidFieldOfARowIsReported(t *testing.T) {
	ps := genProfiles(0, 5)
	ps[1].First = strings.Repeat("x", 51)
	ps[1].Score = "12abc"
	ps[1].Signup = "tomorrow"
	ps[3].Email = "not-an-email"
	ps[3].Score = "$12"
	ps[4].Score = "n/a"
	inv, path := invalidPlan(t, ps)
	if inv.Total != 3 {
		t.Fatalf("invalid = %d, want 3 (a row counts once)", inv.Total)
	}
	want := map[string]int64{"first_name: too_long": 1, `custom_fields["score"]: not_a_number`: 3,
		`custom_fields["signup"]: not_a_date`: 1, "email: invalid": 1}
	if len(inv.ByReason) != len(want) {
		t.Errorf("by reason = %v, want %v", inv.ByReason, want)
	}
	for k, n := range want {
		if inv.ByReason[k] != n {
			t.Errorf("by reason %q = %d, want %d (all: %v)", k, inv.ByReason[k], n, inv.ByReason)
		}
	}
	if len(inv.First) != 3 {
		t.Fatalf("samples = %v, want one per invalid row", inv.First)
	}
	rows := []struct {
		line   string
		fields []string
	}{
		{" line 3: ", []string{"first_name too_long (51 characters, at most 50) [x*** (51 chars)]",
			`custom_fields["score"] not_a_number (SendGrid field "score" is a Number: `, `custom_fields["signup"] not_a_date (SendGrid field "signup" is a Date: `}},
		{" line 5: ", []string{"email invalid [", `custom_fields["score"] not_a_number (`}},
		{" line 6: ", []string{`custom_fields["score"] not_a_number (`}},
	}
	for i, r := range rows {
		got := inv.First[i].String()
		if !strings.HasPrefix(got, "segment p, "+path+r.line) {
			t.Errorf("sample %d = %q, want it at%s", i, got, r.line)
		}
		last := 0
		for _, f := range r.fields {
			at := strings.Index(got, f)
			if at < last {
				t.Errorf("sample %d = %q: %q missing or out of order", i, got, f)
				continue
			}
			last = at
		}
		for _, secret := range []string{"12abc", "tomorrow", "not-an-email", "$12", "n/a"} {
			if strings.Contains(got, secret) {
				t.Errorf("sample %d = %q shows a value", i, got)
			}
		}
	}
	if n := len(inv.First[0].More); n != 2 {
		t.Errorf("first sample: %d more fields, want 2", n)
	}
}
