package endpoint

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/oaspec"
)

func TestResolve(t *testing.T) {
	cases := []struct {
		name, apiURL, region, want, wantSetting string
	}{
		{name: "default", want: GlobalURL},
		{name: "global", region: "global", want: GlobalURL},
		{name: "eu", region: "eu", want: EUURL},
		{name: "https custom", apiURL: "https://sendgrid.internal.example/", want: "https://sendgrid.internal.example"},
		{name: "https with path", apiURL: "https://proxy.example/sendgrid/", want: "https://proxy.example/sendgrid"},
		{name: "loopback v4", apiURL: "http://127.0.0.1:8787", want: "http://127.0.0.1:8787"},
		{name: "loopback v6", apiURL: "http://[::1]:8787", want: "http://[::1]:8787"},
		{name: "localhost", apiURL: "http://localhost:8787", want: "http://localhost:8787"},
		{name: "plain http remote", apiURL: "http://api.sendgrid.com", wantSetting: "api_url"},
		{name: "plain http private", apiURL: "http://10.0.0.5:8080", wantSetting: "api_url"},
		{name: "not a url", apiURL: "api.sendgrid.com", wantSetting: "api_url"},
		{name: "ftp", apiURL: "ftp://api.sendgrid.com", wantSetting: "api_url"},
		{name: "userinfo", apiURL: "https://user:secret@api.sendgrid.com", wantSetting: "api_url"},
		{name: "query", apiURL: "https://api.sendgrid.com?x=1", wantSetting: "api_url"},
		{name: "both", apiURL: "https://api.sendgrid.com", region: "eu", wantSetting: "api_url"},
		{name: "bad region", region: "us", wantSetting: "region"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Resolve(tc.apiURL, tc.region)
			if tc.wantSetting != "" {
				var e *Error
				if !errors.As(err, &e) || e.Setting != tc.wantSetting {
					t.Fatalf("Resolve(%q, %q) = %q, %v; want an error about %s", tc.apiURL, tc.region, got, err, tc.wantSetting)
				}
				if tc.name == "userinfo" && containsSecret(e.Error()) {
					t.Fatalf("error repeats the password: %v", e)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Resolve(%q, %q) = %q, %v; want %q", tc.apiURL, tc.region, got, err, tc.want)
			}
		})
	}
}

// TestChoose covers where the host comes from when the environment supplies an api_url: a setting
// in the configuration wins over it, and region with it is refused, naming both.
func TestChoose(t *testing.T) {
	const emulator = "http://127.0.0.1:3000"
	cases := []struct {
		name, apiURL, region, env, want, wantSetting string
	}{
		{name: "environment only", env: emulator, want: emulator},
		{name: "api_url wins over environment", apiURL: "https://proxy.example/sg", env: emulator, want: "https://proxy.example/sg"},
		{name: "region global with environment", region: "global", env: emulator, wantSetting: "region"},
		{name: "region eu with environment", region: "eu", env: emulator, wantSetting: "region"},
		{name: "region without environment", region: "eu", want: EUURL},
		{name: "blank environment", region: "global", env: "  ", want: GlobalURL},
		{name: "api_url and region with environment", apiURL: "https://proxy.example", region: "eu", env: emulator, wantSetting: "api_url"},
		{name: "nothing", want: GlobalURL},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Choose(tc.apiURL, tc.region, tc.env)
			if tc.wantSetting == "" {
				if err != nil || got != tc.want {
					t.Fatalf("Choose(%q, %q, %q) = %q, %v; want %q", tc.apiURL, tc.region, tc.env, got, err, tc.want)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Setting != tc.wantSetting {
				t.Fatalf("Choose(%q, %q, %q) = %q, %v; want an error about %s", tc.apiURL, tc.region, tc.env, got, err, tc.wantSetting)
			}
			if tc.wantSetting == "region" {
				for _, want := range []string{"region = \"" + tc.region + "\"", EnvAPIURL, emulator, "unset " + EnvAPIURL, "remove region"} {
					if !strings.Contains(e.Error(), want) {
						t.Errorf("error lacks %q: %v", want, e)
					}
				}
			}
		})
	}
}

func containsSecret(s string) bool {
	for i := 0; i+6 <= len(s); i++ {
		if s[i:i+6] == "secret" || (i+6 < len(s) && s[i:i+7] == "-in-url") {
			return true
		}
	}
	return false
}

func TestErrorsNeverRepeatCredentials(t *testing.T) {
	for _, raw := range []string{
		"https://apikey:SG.secret-in-url@api.sendgrid.com/%zz",
		"ftp://apikey:SG.secret-in-url@api.sendgrid.com",
		"apikey:SG.secret-in-url@api.sendgrid.com",
	} {
		_, err := CheckURL(raw)
		if err == nil {
			t.Fatalf("%q accepted", raw)
		}
		if containsSecret(err.Error()) {
			t.Fatalf("the error for %q repeats the password: %v", raw, err)
		}
	}
}

func TestRegionNote(t *testing.T) {
	if s, d := Note("global"); s != "" || d != "" {
		t.Errorf("Note(global) = %q, %q; want none", s, d)
	}
	if s, d := Note(""); s != "" || d != "" {
		t.Errorf("Note(\"\") = %q, %q; want none", s, d)
	}
	s, d := Note("eu")
	for _, want := range []string{EUURL, GlobalURL, "data-residency", "Marketing Campaigns", "contacts, lists and custom field definitions", "never falls back"} {
		if !strings.Contains(s+" "+d, want) {
			t.Errorf("Note(eu) lacks %q: %s: %s", want, s, d)
		}
	}
}

// TestRegionNoteMatchesSendGridsServers checks the note's claim against the `servers` of
// SendGrid's OpenAPI files: the key and account files list both hosts, the Marketing Campaigns
// files only the global one. When SendGrid adds the EU host to them, this test fails and the
// note (and the provider docs) must change.
func TestRegionNoteMatchesSendGridsServers(t *testing.T) {
	dir, err := oaspec.Dir()
	if errors.Is(err, oaspec.ErrNotFound) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"tsg_scopes_v3.json":           {GlobalURL, EUURL},
		"tsg_user_v3.json":             {GlobalURL, EUURL},
		"tsg_mc_contacts_v3.json":      {GlobalURL},
		"tsg_mc_lists_v3.json":         {GlobalURL},
		"tsg_mc_custom_fields_v3.json": {GlobalURL},
	}
	for file, hosts := range want {
		raw, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct{ Servers []struct{ URL string } }
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		var got []string
		for _, s := range doc.Servers {
			got = append(got, strings.TrimRight(s.URL, "/"))
		}
		if !slices.Equal(got, hosts) {
			t.Errorf("%s servers = %v, want %v", file, got, hosts)
		}
	}
}
