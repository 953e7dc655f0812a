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
