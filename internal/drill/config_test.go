package drill

import (
	"fmt"
	"strings"
)

// exportAddr is the export resource every drill configuration declares.
const exportAddr = "sendgridaudience_export.newsletter"

// exportConfig is the configuration the drill applies: the quickstart's shape (connection, list
// binding, opt-in segment, every reserved field and a Number custom field, mirror mode), with
// the profile file, list and timeouts from variables. The provider reads the API key, URL and
// actor from SENDGRID_API_KEY, SENDGRID_API_URL and SENDGRIDAUDIENCE_ACTOR.
const exportConfig = requiredProviders + `
variable "list_id" {
  type = string
}

variable "profiles_file" {
  type = string
}

variable "update_timeout" {
  type    = string
  default = "3m"
}

provider "sendgridaudience" {}

resource "sendgridaudience_connection" "marketing" {
  display_name         = "Marketing SendGrid"
  administrators       = ["ops@example.com"]
  data_privacy_consent = true
}

resource "sendgridaudience_list_binding" "newsletter" {
  list_id = var.list_id
}

data "sendgridaudience_segment" "opted_in" {
  name   = "opted-in customers"
  source = var.profiles_file
  filter = "marketing_opt_in == true"
}

resource "sendgridaudience_export" "newsletter" {
  name                = "newsletter"
  sendgrid_connection = sendgridaudience_connection.marketing
  list_id             = sendgridaudience_list_binding.newsletter.list_id
  segments            = [data.sendgridaudience_segment.opted_in]

  data_matching = {
    email                 = "email"
    first_name            = "first_name"
    last_name             = "last_name"
    country               = "country"
    state_province_region = "state_province_region"
    city                  = "city"
    postal_code           = "postal_code"
    custom_fields = {
      lifetime_value = "lifetime_value"
    }
  }

  sync_mode        = "mirror"
  invalid_profiles = "skip"

  timeouts = {
    create = "3m"
    update = var.update_timeout
  }
}

output "last_run" {
  value = sendgridaudience_export.newsletter.last_run
}
`

// segmentExportConfig renders a configuration with one segment (source, query and filter as
// HCL expressions or "" for none), the given data matching body and extra export arguments.
// It is the shape every bad-input case varies.
func segmentExportConfig(providerBlock, source, query, filter, matching, extra string) string {
	var seg strings.Builder
	fmt.Fprintf(&seg, "  name   = \"customers\"\n  source = %s\n", source)
	if query != "" {
		fmt.Fprintf(&seg, "  query  = %s\n", query)
	}
	if filter != "" {
		fmt.Fprintf(&seg, "  filter = %s\n", filter)
	}
	if matching == "" {
		matching = defaultMatching
	}
	if providerBlock == "" {
		providerBlock = `provider "sendgridaudience" {}`
	}
	return requiredProviders + `
variable "list_id" {
  type = string
}

` + providerBlock + `

resource "sendgridaudience_connection" "marketing" {
  display_name         = "Marketing SendGrid"
  administrators       = ["ops@example.com"]
  data_privacy_consent = true
}

data "sendgridaudience_segment" "customers" {
` + seg.String() + `}

resource "sendgridaudience_export" "newsletter" {
  name                = "newsletter"
  sendgrid_connection = sendgridaudience_connection.marketing
  list_id             = var.list_id
  segments            = [data.sendgridaudience_segment.customers]

  data_matching = ` + matching + `
` + extra + `
}
`
}

const defaultMatching = `{
    email      = "email"
    first_name = "first_name"
    last_name  = "last_name"
    postal_code = "postal_code"
    custom_fields = {
      lifetime_value = "lifetime_value"
    }
  }`
