# Custom fields: define SendGrid custom fields in the same configuration and fill them from
# profile columns.
#
# - sendgridaudience_custom_field creates the field definitions (Text, Number or Date).
# - data_matching.custom_fields maps a SendGrid custom field *name* to a profile column.
# - managed_custom_fields lists the fields defined here, so that the first plan can check values
#   against their types before the fields exist, and the export runs after they are created.
# - A field that already exists in SendGrid (created in the UI) is mapped by its name alone.

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

provider "sendgridaudience" {}

resource "sendgridaudience_connection" "marketing" {
  display_name         = "SendGrid (marketing)"
  administrators       = ["ops@example.com"]
  data_privacy_consent = true
}

resource "sendgridaudience_list_binding" "customers" {
  list_id = var.list_id
}

# Text: any text up to 1,000 characters (numbers, booleans and timestamps are sent as text).
resource "sendgridaudience_custom_field" "subscription_plan" {
  name = "subscription_plan"
  type = "Text"
}

# Number: a number column, or a string column holding a decimal number ("1249.50").
resource "sendgridaudience_custom_field" "total_spend" {
  name = "total_spend"
  type = "Number"
}

# Date: a timestamp column, or a string in the form YYYY-MM-DD, an RFC 3339 date-time or
# MM/DD/YYYY; sent to SendGrid as MM/DD/YYYY (the UTC date).
resource "sendgridaudience_custom_field" "customer_since" {
  name = "customer_since"
  type = "Date"
}

data "sendgridaudience_segment" "customers" {
  name   = "customers"
  source = "${path.module}/customers.csv"
  filter = "marketing_opt_in == true"
}

resource "sendgridaudience_export" "customers" {
  name                = "customers"
  sendgrid_connection = sendgridaudience_connection.marketing
  list_id             = sendgridaudience_list_binding.customers.list_id
  segments            = [data.sendgridaudience_segment.customers]

  data_matching = {
    email      = "email"
    first_name = "first_name"
    last_name  = "last_name"

    # SendGrid custom field name => profile column.
    custom_fields = {
      subscription_plan = "plan"
      total_spend       = "lifetime_value"
      customer_since    = "signup_date"
    }
  }

  managed_custom_fields = [
    sendgridaudience_custom_field.subscription_plan,
    sendgridaudience_custom_field.total_spend,
    sendgridaudience_custom_field.customer_since,
  ]

  # A value that does not fit its field's type (e.g. "n/a" for a Number) makes the profile
  # invalid: "skip" leaves it out and reports it, masked, in the plan; "fail" fails the plan.
  invalid_profiles = "skip"
}

output "field_ids" {
  description = "Uploads address custom fields by these IDs."
  value = {
    subscription_plan = sendgridaudience_custom_field.subscription_plan.field_id
    total_spend       = sendgridaudience_custom_field.total_spend.field_id
    customer_since    = sendgridaudience_custom_field.customer_since.field_id
  }
}

output "validation" {
  description = "Invalid profiles by reason, with the first rows masked."
  value       = sendgridaudience_export.customers.validation
}
