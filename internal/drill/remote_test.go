package drill

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/s3fake"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/synth"
)

const s3Object = "s3://" + s3fake.Bucket + "/exports/customers.csv.gz"

// awsEnv is the environment of a run that reaches the store with its key ID and the given
// secret and session token, kept apart from the machine's own AWS configuration.
func awsEnv(secret, token string) []string { return s3fake.EnvList(s3fake.KeyID, secret, token) }

// putCanaries puts the synthetic data set with the canary rows in the store, gzipped, as
// s3Object, and returns the object's size.
func putCanaries(t *testing.T, store *s3fake.Server, opts synth.Options) int {
	t.Helper()
	path := filepath.Join(t.TempDir(), "customers.csv")
	writeDataWithCanaries(t, path, opts)
	gz := s3fake.GzipFile(t, path)
	store.Put(t, strings.TrimPrefix(s3Object, "s3://"+s3fake.Bucket+"/"), gz)
	return len(gz)
}

// TestSecretsStayOutOfS3Runs exports a segment read from a gzipped CSV object in an
// S3-compatible store on loopback, with AWS credentials (a session token too) in the
// environment and TF_LOG=TRACE: an apply, an incremental plan saved to a file and its apply,
// then failing plans (a wrong secret, invalid profiles with invalid_profiles = "fail", the
// connection cut mid-read). Neither the secret access key, the session token, the API key nor
// any profile value of the object may appear in state, plans, logs or output.
func TestSecretsStayOutOfS3Runs(t *testing.T) {
	cli := requireCLI(t)
	t.Parallel()
	release := caseSlot()
	defer release()

	emu, listID := newExportEmulator(t, emulator.Config{})
	store := s3fake.New(t)
	token := "drill-session-token-" + strings.TrimPrefix(newKey("sts"), "SG.drill-sts.")
	wrongSecret := "drill-wrong-secret-" + strings.TrimPrefix(newKey("aws"), "SG.drill-aws.")
	n := newNeedles(t, editedData)
	n.add(newNeedles(t, baseData))
	n.secrets["the API key"] = emu.Key
	n.secrets["the secret access key"] = s3fake.Secret
	n.secrets["the session token"] = token
	n.secrets["a wrong secret access key"] = wrongSecret
	provider := fmt.Sprintf("provider \"sendgridaudience\" {\n  s3_endpoint       = %q\n  s3_region         = %q\n  s3_use_path_style = true\n}", store.URL, s3fake.Region)
	hcl := segmentExportConfig(provider, fmt.Sprintf("%q", s3Object), "", "", "", "")
	a := artifacts{}

	dir := t.TempDir()
	traceLog := filepath.Join(dir, "export-trace.log")
	ws := cli.newWorkspace(t, hcl, map[string]any{"list_id": listID}, emu.providerEnv(append(awsEnv(s3fake.Secret, token), "TF_LOG=TRACE", "TF_LOG_PATH="+traceLog)...)...)
	ws.secrets = append(ws.secrets, s3fake.Secret, token)
	putCanaries(t, store, baseData)
	ws.mustRun(nil, applyArgs...)
	if c, ok := emu.Contact(emu.Key, "quenby.zaltzmann.9000001@example.net"); !ok || c["first_name"] != "Quenby" {
		t.Fatalf("the canary profile was not exported from the object; the scan would prove nothing")
	}
	size := putCanaries(t, store, editedData)
	ws.mustRun([]int{0}, "plan", "-input=false", "-no-color", "-out=change.tfplan")
	a["plan JSON (show -json change.tfplan)"] = ws.mustRun(nil, "show", "-json", "change.tfplan").Stdout
	a.planFile(t, "saved plan file", ws.path("change.tfplan"))
	ws.mustRun(nil, "apply", "-input=false", "-no-color", "change.tfplan")
	_, a["state JSON (show -json)"] = ws.showState()
	a.file(t, "terraform.tfstate", ws.path("terraform.tfstate"))
	if !strings.Contains(a["state JSON (show -json)"], `"source_version"`) {
		t.Fatalf("state lacks the segment's source_version; the object was not read as an S3 object")
	}

	withKey := emu.providerEnv()
	failing := []failingPlan{
		{name: "wrong secret access key", hcl: hcl, env: append(withKey, awsEnv(wrongSecret, token)...),
			wantWord: "secret access key does not match"},
		{name: "invalid profiles in the object", hcl: segmentExportConfig(provider, fmt.Sprintf("%q", s3Object), "", "", "", failInvalid),
			env: append(withKey, awsEnv(s3fake.Secret, token)...), wantWord: "invalid profile"},
	}
	for i, f := range failing {
		f.run(t, cli, listID, filepath.Join(dir, fmt.Sprintf("failing-%d-trace.log", i)), a, emu.Key, s3fake.Secret, token, wrongSecret)
	}
	store.CutAt.Store(int64(size / 2))
	cut := failingPlan{name: "connection cut mid-read", hcl: hcl, env: append(withKey, awsEnv(s3fake.Secret, token)...),
		wantWord: "reading the object failed"}
	cut.run(t, cli, listID, filepath.Join(dir, "cut-trace.log"), a, emu.Key, s3fake.Secret, token)
	store.CutAt.Store(0)

	a.file(t, "TRACE log of the export runs", traceLog)
	for j, o := range ws.outputs {
		a[fmt.Sprintf("output %d of the export runs", j)] = o
	}
	if len(a["TRACE log of the export runs"]) < 100_000 {
		t.Fatalf("the TRACE log holds %d bytes; TF_LOG=TRACE did not take effect", len(a["TRACE log of the export runs"]))
	}
	a.check(t, n)
}
