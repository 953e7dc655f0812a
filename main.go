// Command terraform-provider-sendgridaudience is a Terraform and OpenTofu provider that exports
// segments of customer profiles to SendGrid Marketing Campaigns contact lists.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/sendgridaudience/terraform-provider-sendgridaudience/internal/provider"
)

// version is set at build time by goreleaser (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "start the provider with support for debuggers like delve")
	flag.Parse()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/sendgridaudience/sendgridaudience",
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}
