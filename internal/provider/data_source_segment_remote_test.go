package provider

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/s3fake"
	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/synth"
)

// TestAccSegmentDataSourceS3 previews a gzipped CSV object in an S3-compatible store on
// loopback (credentials from the environment, endpoint and path style from the provider):
// the same count and fingerprint as the file on disk, the object's version, no credential in
// state; a wrong access key and a missing object fail with the bucket and key named.
func TestAccSegmentDataSourceS3(t *testing.T) {
	env, _, _ := testAccNewSharedEnv(t, "") // reads no SendGrid data
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "customers.csv")
	opts := synth.Options{Count: 300, Seed: 19}
	g, err := synth.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.WriteFile(context.Background(), csvPath, synth.CSV); err != nil {
		t.Fatal(err)
	}
	gz := s3fake.GzipFile(t, csvPath)
	store := s3fake.New(t)
	store.Put(t, "exports/customers.csv.gz", gz)
	store.Env(t)

	provider := strings.Replace(env.ProviderConfig(testAccAdmin), "provider \"sendgridaudience\" {\n",
		fmt.Sprintf("provider \"sendgridaudience\" {\n  s3_endpoint = %q\n  s3_region = %q\n  s3_use_path_style = true\n", store.URL, s3fake.Region), 1)
	config := func(name, source string) string {
		return provider + fmt.Sprintf(`
data "sendgridaudience_segment" %q {
  name   = "opted-in"
  source = %q
  filter = "marketing_opt_in == true"
}
`, name, source)
	}
	same := statecheck.CompareValuePairs("data.sendgridaudience_segment.local", tfjsonpath.New("fingerprint"),
		"data.sendgridaudience_segment.s3", tfjsonpath.New("fingerprint"), compare.ValuesSame())
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config("local", csvPath) + strings.Replace(config("s3", "s3://profiles/exports/customers.csv.gz"), provider, "", 1),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.CompareValuePairs("data.sendgridaudience_segment.local", tfjsonpath.New("profile_count"),
						"data.sendgridaudience_segment.s3", tfjsonpath.New("profile_count"), compare.ValuesSame()),
					same,
					statecheck.ExpectKnownValue("data.sendgridaudience_segment.s3", tfjsonpath.New("source_count"), knownvalue.Int64Exact(int64(opts.Count))),
					statecheck.ExpectKnownValue("data.sendgridaudience_segment.s3", tfjsonpath.New("source_version"),
						knownvalue.StringRegexp(regexp.MustCompile(fmt.Sprintf(`^etag="[0-9a-f]+" .*size=%d$`, len(gz))))),
					statecheck.ExpectKnownValue("data.sendgridaudience_segment.local", tfjsonpath.New("source_version"), knownvalue.Null()),
				},
				Check: func(s *terraform.State) error {
					n := 0
					for _, rs := range s.RootModule().Resources {
						for _, v := range rs.Primary.Attributes {
							n++
							for _, secret := range []string{s3fake.Secret, s3fake.KeyID} {
								if strings.Contains(v, secret) {
									return fmt.Errorf("state holds an S3 credential")
								}
							}
						}
					}
					if n == 0 {
						return fmt.Errorf("no state attributes to check")
					}
					return nil
				},
			},
			{
				Config:      config("s3", "s3://profiles/exports/missing.csv"),
				ExpectError: allWordsRe("Cannot read the segment's source", "the object does not exist", `bucket "profiles"`, `key "exports/missing.csv"`),
			},
			{
				Config:      config("s3", "https://profiles.s3.amazonaws.com/customers.csv?X-Amz-Credential=AKIA&X-Amz-Signature=abc"),
				ExpectError: allWordsRe("holds a credential", "X-Amz-"),
			},
			{
				PreConfig:   func() { s3fake.SetEnv(t, "AKIAWRONGKEY00000000", s3fake.Secret) },
				Config:      config("s3", "s3://profiles/exports/customers.csv.gz"),
				ExpectError: allWordsRe("InvalidAccessKeyId", "AWS_ACCESS_KEY_ID"),
			},
			{
				PreConfig: func() { store.Env(t) },
				Config:    config("s3", "s3://profiles/exports/customers.csv.gz"),
			},
		},
	})
}

func TestCheckS3Endpoint(t *testing.T) {
	for raw, want := range map[string]string{
		"https://minio.example.com:9000":       "",
		"http://127.0.0.1:9000":                "",
		"http://minio.example.com:9000":        "unencrypted",
		"https://key:secret@minio.example.com": "must not hold a user name",
		"minio.example.com":                    "absolute URL",
	} {
		got := checkS3Endpoint(raw)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("checkS3Endpoint(%q) = %q; want %q", raw, got, want)
		}
		if strings.Contains(got, "secret") {
			t.Errorf("checkS3Endpoint(%q) repeats the credential", raw)
		}
	}
}
