# Export the opted-in customers of a Parquet file (a warehouse export) to a SendGrid contact list.
#
# customers.parquet beside this file holds 20 synthetic profiles, written by
#   go run ./internal/synth/cmd/synthprofiles -n 20 -seed 1 -out examples/parquet-source/customers.parquet
# Its schema gives the column types: email, first_name, last_name, country,
# state_province_region, city, postal_code, plan and signup_date are STRING (string),
# lifetime_value is DOUBLE (double), marketing_opt_in is BOOLEAN (bool).
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
  description = "Parquet file of customer profiles: a .parquet file (or parquet:PATH; .parquet.gz and .parquet.zst are decompressed to a temporary file first)."
  type        = string
  default     = "customers.parquet"
}

provider "sendgridaudience" {}

resource "sendgridaudience_connection" "marketing" {
  display_name         = "SendGrid (warehouse exports)"
  administrators       = ["ops@example.com"]
  data_privacy_consent = true
}

resource "sendgridaudience_list_binding" "newsletter" {
  list_id = var.list_id
}

# The columns and their types come from the file's schema; the filter is type-checked against
# them at plan. Nested or repeated columns (structs, lists, maps) are refused naming the column:
# flatten them when writing the file.
data "sendgridaudience_segment" "opted_in" {
  name   = "opted-in warehouse customers"
  source = var.profiles_file
  filter = "marketing_opt_in && lifetime_value >= 10.0"
}

resource "sendgridaudience_export" "warehouse" {
  name                = "parquet-warehouse-customers"
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
  }
}

output "segment" {
  description = "Profiles the filter selects, profiles in the file, and the schema's columns with their types."
  value = {
    profiles = data.sendgridaudience_segment.opted_in.profile_count
    scanned  = data.sendgridaudience_segment.opted_in.source_count
    columns  = [for c in data.sendgridaudience_segment.opted_in.columns : "${c.name}:${c.type}"]
  }
}

# The run report. (The plan shows what a run will do in the export's `changes`; an output of
# `changes` would show as changed outside Terraform in the plan after every run, because the
# refresh clears it.)
output "last_run" {
  value = sendgridaudience_export.warehouse.last_run
}
