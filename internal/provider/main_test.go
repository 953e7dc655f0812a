package provider

import (
	"os"
	"testing"
)

// TestMain shortens the provider's settle window for the whole package, once, before any test
// (parallel ones included) starts: the emulator's list counts lag by testAccLag, not minutes.
func TestMain(m *testing.M) {
	if w := testSettleWindow(os.Getenv); w != "" {
		_ = os.Setenv(envSettleWindow, w)
	}
	os.Exit(m.Run())
}

// testSettleWindow is the settle window TestMain sets, or "" to leave it as it is: when
// SENDGRIDAUDIENCE_SETTLE_WINDOW is set (scripts/test.sh sets it for an emulator with a short lag
// standing in for SendGrid), and in real-API mode (acc_mode_test.go), where the provider keeps its
// default, as long as SendGrid's lag needs.
func testSettleWindow(getenv func(string) string) string {
	if getenv(envSettleWindow) != "" {
		return ""
	}
	if m, err := accModeFrom(getenv); err != nil || m.Real {
		return ""
	}
	return testAccSettle.String()
}

func TestSettleWindowOfTheTests(t *testing.T) {
	for _, c := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"emulator", nil, testAccSettle.String()},
		{"emulator, window set", map[string]string{envSettleWindow: "1m"}, ""},
		{"real SendGrid", map[string]string{envAccSendGrid: "1", envAPIKey: "SG.x", envAccListID: "l1"}, ""},
		{"stand-in emulator", map[string]string{envAccSendGrid: "1", envAPIKey: "SG.x", envAccListID: "l1", envSettleWindow: "3s"}, ""},
	} {
		if got := testSettleWindow(func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("%s: window = %q, want %q", c.name, got, c.want)
		}
	}
}
