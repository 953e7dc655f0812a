package provider

import (
	"os"
	"testing"
)

// TestMain shortens the provider's settle window for the whole package, once, before any test
// (parallel ones included) starts: the emulator's list counts lag by testAccLag, not minutes.
// In real-API mode (acc_mode_test.go) the window stays the provider's default, as long as
// SendGrid's lag needs, unless SENDGRIDAUDIENCE_SETTLE_WINDOW sets it (scripts/test.sh does,
// for an emulator with a short lag standing in for SendGrid).
func TestMain(m *testing.M) {
	if mode, err := accModeFrom(os.Getenv); os.Getenv(envSettleWindow) == "" && err == nil && !mode.Real {
		_ = os.Setenv(envSettleWindow, testAccSettle.String())
	}
	os.Exit(m.Run())
}
