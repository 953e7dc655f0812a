package provider

import (
	"os"
	"testing"
)

// TestMain shortens the provider's settle window for the whole package, once, before any test
// (parallel ones included) starts: the emulator's list counts lag by testAccLag, not minutes.
func TestMain(m *testing.M) {
	if os.Getenv(envSettleWindow) == "" {
		_ = os.Setenv(envSettleWindow, testAccSettle.String())
	}
	os.Exit(m.Run())
}
