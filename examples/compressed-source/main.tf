# Export a segment of a gzip-compressed CSV file to a SendGrid contact list.
#
# customers.csv.gz beside this file holds 20 synthetic profiles, written by
#   go run ./internal/synth/cmd/synthprofiles -n 20 -seed 2 -format csv -out - | gzip -9n > examples/compressed-source/customers.csv.gz
# The file is decompressed while it is read, never written out: customers.csv.gz reads as
# customers.csv would (its header row types lifetime_value:double and marketing_opt_in:bool).
# The same works for .zst (Zstandard) and for JSON Lines: customers.jsonl.gz, customers.ndjson.zst,
# or any name with a csv: or jsonl: prefix (csv:export.txt.gz).
#
#   export SENDGRID_API_KEY=...    # marketing.read (Marketing: Full Access), user.username.read, user.account.read (User Account: Read)
#   export SENDGRIDAUDIENCE_ACTOR=ops@example.com
#   terraform init && terraform plan -var list_id=<your list ID>

terraform {
  required_version = ">= 1.5"
  required_providers {
    sendgridaudience = {
      source = "sendgridaudience/sendgridaudience"
    }
  }
}

variable "list_id" {
  description = "ID of the SendGrid contact list to export to."
  type        = string
  default     = "3f0c6f5e-8b1e-4a9e-9b8e-2f1f6b7d9a10"
}

variable "profiles_file" {
  description = "Compressed profile file: .csv.gz, .csv.zst, .jsonl.gz, .jsonl.zst (or a csv:/jsonl: prefix)."
  type        = string
  default     = "customers.csv.gz"
}

provider "sendgridaudience" {}

resource "sendgridaudience_connection" "marketing" {
  display_name         = "SendGrid (compressed exports)"
  administrators       = ["ops@example.com"]
  data_privacy_consent = true
}

resource "sendgridaudience_list_binding" "newsletter" {
  list_id = var.list_id
}

data "sendgridaudience_segment" "paying" {
  name   = "paying customers"
  source = var.profiles_file
  filter = "plan in [\"pro\", \"enterprise\"] && marketing_opt_in"
}

resource "sendgridaudience_export" "enterprise" {
  name                = "compressed-paying-customers"
  sendgrid_connection = sendgridaudience_connection.marketing
  list_id             = sendgridaudience_list_binding.newsletter.list_id
  segments            = [data.sendgridaudience_segment.paying]

  data_matching = {
    email      = "email"
    first_name = "first_name"
    last_name  = "last_name"
    country    = "country"
    city       = "city"
  }
}

output "segment" {
  description = "Profiles the filter selects, profiles in the file, and its columns with their types."
  value = {
    profiles = data.sendgridaudience_segment.paying.profile_count
    scanned  = data.sendgridaudience_segment.paying.source_count
    columns  = [for c in data.sendgridaudience_segment.paying.columns : "${c.name}:${c.type}"]
  }
}

# The run report. (The plan shows what a run will do in the export's `changes`; an output of
# `changes` would show as changed outside Terraform in the plan after every run, because the
# refresh clears it.)
output "last_run" {
  value = sendgridaudience_export.enterprise.last_run
}
