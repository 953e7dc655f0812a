package provider

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/emulator"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/export"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/sendgrid"
)

// fakePrivate is private state holding one snapshot value.
type fakePrivate struct{ snapshot []byte }

func (p fakePrivate) GetKey(_ context.Context, key string) ([]byte, diag.Diagnostics) {
	if key == privateSnapshot {
		return p.snapshot, nil
	}
	return nil, nil
}

func encodedSnapshot(b []byte) []byte {
	raw, _ := json.Marshal(base64.StdEncoding.EncodeToString(b))
	return raw
}

// An unreadable snapshot in private state is reported, not taken for "no snapshot".
func TestReadSnapshotReportsUnreadableState(t *testing.T) {
	r := &exportResource{}
	for name, c := range map[string]struct {
		raw     []byte
		want    []byte
		wantErr bool
	}{
		"none":       {raw: nil},
		"ok":         {raw: encodedSnapshot([]byte("abc")), want: []byte("abc")},
		"not json":   {raw: []byte("{damaged"), wantErr: true},
		"not base64": {raw: []byte(`"%%%not base64"`), wantErr: true},
	} {
		var diags diag.Diagnostics
		got, err := r.readSnapshot(context.Background(), fakePrivate{c.raw}, &diags)
		if (err != nil) != c.wantErr || string(got) != string(c.want) {
			t.Errorf("%s: got %q, %v", name, got, err)
		}
		if c.wantErr && !errors.Is(err, errSnapshotUnreadable) {
			t.Errorf("%s: err = %v, want errSnapshotUnreadable", name, err)
		}
	}
}

// The plan says why the snapshot cannot be used and what the run does instead; a usable or
// absent snapshot gives no warning.
func TestSnapshotWarningSaysWhyAndWhatInstead(t *testing.T) {
	for _, c := range []struct {
		st      export.SnapshotState
		readErr error
		want    string
	}{
		{st: export.SnapshotNone, readErr: errSnapshotUnreadable, want: "not readable"},
		{st: export.SnapshotCorrupt, want: "damaged"},
		{st: export.SnapshotKeyChanged, want: "written under another key"},
		{st: export.SnapshotOtherList, want: "another list"},
		{st: export.SnapshotOK},
		{st: export.SnapshotNone},
	} {
		var diags diag.Diagnostics
		snapshotWarning(export.Request{ListScope: export.ScopeAdded}, c.st, c.readErr, &diags)
		if c.want == "" {
			if len(diags) != 0 {
				t.Errorf("%s: unexpected %v", c.st, diags)
			}
			continue
		}
		if len(diags) != 1 || diags[0].Severity() != diag.SeverityWarning {
			t.Fatalf("%s: diagnostics = %v", c.st, diags)
		}
		d := diags[0].Detail()
		for _, w := range []string{c.want, "sends every exported profile again", "will not remove them later"} {
			if !strings.Contains(d, w) {
				t.Errorf("%s: warning lacks %q:\n%s", c.st, w, d)
			}
		}
	}
}

// Destroying with on_destroy = "remove_from_list" fails, removing nothing, when the snapshot
// cannot be read: the export's contacts stay on the list and the error says what to do.
func TestRemoveFromListFailsOnUnreadableSnapshot(t *testing.T) {
	emu, srv := emulator.NewTestServer(t, emulator.Config{})
	c, err := sendgrid.New(sendgrid.Config{APIKey: emulator.TestKey, BaseURL: srv.URL, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	list := emu.SeedList(emulator.TestKey, "Newsletter")
	emu.SeedContact(emulator.TestKey, "a@example.com", nil, list)
	r := &exportResource{data: &providerData{client: c, apiKey: emulator.TestKey}}
	state := &exportModel{ListID: types.StringValue(list), OnDestroy: types.StringValue(destroyRemove)}
	var diags diag.Diagnostics
	r.removeFromList(context.Background(), state, fakePrivate{[]byte(`"%%%"`)}, &diags)
	if !diags.HasError() || !strings.Contains(diags[0].Detail(), "not readable") || !strings.Contains(diags[0].Detail(), "Nothing was removed") {
		t.Fatalf("diagnostics = %v", diags)
	}
	if got := emu.ListMembers(emulator.TestKey, list); len(got) != 1 {
		t.Fatalf("list holds %d members, want 1", len(got))
	}
}
