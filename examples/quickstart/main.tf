# Quickstart: export the opted-in customers of a CSV file to a SendGrid contact list.
#
# The CSV file (customers.csv beside this file: 14 synthetic profiles) needs a header row with
# these columns; the `:double` and `:bool` suffixes type a column, all others are strings:
#   email                   the contact's address (required; an invalid one makes the row invalid)
#   first_name, last_name   at most 50 characters each
#   country, state_province_region, city, postal_code
#   lifetime_value:double   filled into the SendGrid Number custom field lifetime_value
#   marketing_opt_in:bool   the segment's filter keeps the rows where it is true
# In the sample, two opted-in rows are invalid on purpose (an address without a top-level domain,
# a first name over 50 characters): the plan reports them, masked, and the export skips them.
#
# Against real SendGrid:
#   export SENDGRID_API_KEY=...                 # a key with marketing.read (Marketing: Full Access),
#                                               # user.username.read and user.account.read (User Account: Read Access)
#   export SENDGRIDAUDIENCE_ACTOR=ops@example.com
#   terraform init && terraform plan -var list_id=<your list ID>
#
# `make demo` runs this configuration against the local SendGrid emulator instead.

terraform {
  required_version = ">= 1.5"
  required_providers {
    sendgridaudience = {
      source = "sendgridaudience/sendgridaudience"
    }
  }
}

variable "list_id" {
  description = "ID of the SendGrid contact list to export to (Marketing > Contacts > Lists, or the API)."
  type        = string
}

variable "profiles_file" {
  description = "CSV file of customer profiles, with a header row naming the columns listed at the top of this file."
  type        = string
  default     = "customers.csv"
}

variable "administrators" {
  description = "Who may change the connection; the provider's actor must be one of them or a contributor."
  type        = list(string)
  default     = ["ops@example.com"]
}

variable "run_trigger" {
  description = "Change to run the export again with unchanged data (an on-demand run)."
  type        = string
  default     = null
}

# The API key comes from SENDGRID_API_KEY, the actor from SENDGRIDAUDIENCE_ACTOR.
provider "sendgridaudience" {}

resource "sendgridaudience_connection" "marketing" {
  display_name         = "Marketing SendGrid"
  administrators       = var.administrators
  data_privacy_consent = true
}

resource "sendgridaudience_list_binding" "newsletter" {
  list_id = var.list_id
}

resource "sendgridaudience_custom_field" "lifetime_value" {
  name = "lifetime_value"
  type = "Number"
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
  managed_custom_fields = [sendgridaudience_custom_field.lifetime_value]

  sync_mode        = "mirror"
  invalid_profiles = "skip"
  run_trigger      = var.run_trigger
}

output "segment" {
  description = "What the segment holds: counts, columns and types, fingerprint (never a profile value)."
  value = {
    profiles = data.sendgridaudience_segment.opted_in.profile_count
    scanned  = data.sendgridaudience_segment.opted_in.source_count
    columns  = [for c in data.sendgridaudience_segment.opted_in.columns : "${c.name}:${c.type}"]
  }
}

output "validation" {
  description = "Invalid profiles by reason, with the first rows (masked)."
  value       = sendgridaudience_export.newsletter.validation
}

output "last_run" {
  description = "The run report."
  value       = sendgridaudience_export.newsletter.last_run
}

# The list's contact_count is left out: the export itself changes it, so an output of it would
# show as changed outside Terraform in every plan after a run. Read it with
# `terraform state show sendgridaudience_list_binding.newsletter`.
output "list" {
  description = "The list the export writes to."
  value = {
    id   = sendgridaudience_list_binding.newsletter.list_id
    name = sendgridaudience_list_binding.newsletter.name
  }
}
