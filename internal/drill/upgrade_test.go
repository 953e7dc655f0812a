package drill

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/synth"
)

// upgradeFrom is the provider release whose states an upgrade must carry over: the provider as
// it was before the removal guard, the shared cap check and the account figures in changes.
const upgradeFrom = "9610f10"

// buildProviderAt builds the provider as it was at a commit (from `git archive`, so the work
// tree is not touched) and returns the directory holding its binary.
func buildProviderAt(t *testing.T, commit string) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	archive := exec.Command("sh", "-c", fmt.Sprintf("git -C %q archive %s | tar -x -C %q", root, commit, src))
	if out, err := archive.CombinedOutput(); err != nil {
		t.Skipf("the provider at %s cannot be taken from git here (a shallow clone?): %v\n%s", commit, err, out)
	}
	bin := filepath.Join(t.TempDir(), "old")
	build := exec.Command("go", "build", "-buildvcs=false", "-o", filepath.Join(bin, "terraform-provider-sendgridaudience"), ".")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the provider at %s: %v\n%s", commit, err, out)
	}
	return bin
}

// devOverrides writes a CLI configuration that runs the provider binary in dir.
func devOverrides(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "dev.tfrc")
	cfg := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"sendgridaudience/sendgridaudience\" = %q\n  }\n  direct {}\n}\n", dir)
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestUpgradeKeepsState: a state written by the provider as it was at upgradeFrom plans no
// change and sends nothing after upgrading to this provider.
func TestUpgradeKeepsState(t *testing.T) {
	cli := requireCLI(t)
	t.Parallel()
	release := caseSlot()
	defer release()

	old := buildProviderAt(t, upgradeFrom)
	emu, listID := newExportEmulator(t, emulator.Config{})
	// The provider at upgradeFrom also required marketing.send.
	emu.AddKey(emu.Key, emulator.Key{UserID: 42, Username: "drill-marketing", Scopes: append(emulator.DefaultScopes(), "marketing.send")})
	data := synth.Options{Count: 300, Seed: 41, InvalidFraction: 0.01, DuplicateFraction: 0.01}
	ws := cli.newWorkspace(t, exportConfig, map[string]any{"list_id": listID, "profiles_file": "customers.csv"}, emu.providerEnv()...)
	writeSynth(t, ws.path("customers.csv"), data, synth.CSV)

	// dev_overrides needs no init; a data directory of its own keeps the shared one untouched.
	oldEnv := []string{"TF_CLI_CONFIG_FILE=" + devOverrides(t, old), "TF_DATA_DIR=" + t.TempDir()}
	ws.env = append(ws.env, oldEnv...)
	ws.mustRun(nil, "apply", "-auto-approve", "-input=false", "-no-color")
	if miss, extra := diffCount(emu.ListMembers(emu.Key, listID), expectedMembers(t, data)); miss+extra > 0 {
		t.Fatalf("the provider at %s left the list missing %d and with %d extra contacts", upgradeFrom, miss, extra)
	}
	if st, _ := ws.showState(); st == nil || hasKey(st, "allow_mass_removal") {
		t.Fatalf("the first apply did not run the provider at %s (state: %v)", upgradeFrom, st != nil)
	}

	newEnv := []string{"TF_CLI_CONFIG_FILE=" + devOverrides(t, filepath.Join(cli.root, "bin")), "TF_DATA_DIR=" + t.TempDir()}
	ws.env = append(ws.env[:len(ws.env)-len(oldEnv)], newEnv...)
	newBin := filepath.Join(cli.root, "bin", "terraform-provider-sendgridaudience")
	if err := os.Link(filepath.Join(cli.root, "bin", "terraform-provider-sendgridaudience_v"+providerVersion), newBin); err != nil && !os.IsExist(err) {
		t.Fatal(err)
	}
	before := emu.Counters()
	if p := ws.plan(); p.Code != 0 {
		t.Fatalf("%s after upgrading from %s: exit %d, want no changes\n%s", p, upgradeFrom, p.Code, tail(p.Out(), 60))
	}
	ws.mustRun(nil, "apply", "-auto-approve", "-input=false", "-no-color")
	if sent := contactsReceived(countersDelta(before, emu.Counters())); sent != 0 {
		t.Errorf("after upgrading from %s the provider sent %d contacts, want none", upgradeFrom, sent)
	}
	if st, _ := ws.showState(); !hasKey(st, "allow_mass_removal") {
		t.Fatal("the apply after the upgrade did not run this provider")
	}
	if p := ws.plan(); p.Code != 0 {
		t.Errorf("%s after the first apply of the upgraded provider: exit %d, want no changes\n%s", p, p.Code, tail(p.Out(), 60))
	}
}

func hasKey(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}
