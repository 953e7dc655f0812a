# A scheduled refresh: CI runs `terraform apply` every night (see
# .github/workflows/nightly-export.yml). Each run reads the segment again and uploads only what
# changed since the last run. An on-demand run (workflow_dispatch) sets TF_VAR_run_trigger to a
# new value, which makes a full run: every profile is sent again even if nothing changed.

terraform {
  required_version = ">= 1.5"
  required_providers {
    sendgridaudience = {
      source = "sendgridaudience/sendgridaudience"
    }
  }

  # Scheduled runs need state that outlives the CI job: a remote backend with locking, readable
  # only by the people and jobs allowed to see the export's counts and reports. The workflow
  # passes bucket, key, region and the lock table with -backend-config.
  backend "s3" {
    encrypt = true
  }
}

variable "list_id" {
  description = "ID of the SendGrid contact list to export to."
  type        = string
  default     = "3f0c6f5e-8b1e-4a9e-9b8e-2f1f6b7d9a10"
}

variable "run_trigger" {
  description = "Changing it forces a full run. Nightly runs pass the previous value back, so only on-demand runs change it."
  type        = string
  default     = ""
}

# API key from SENDGRID_API_KEY, actor from SENDGRIDAUDIENCE_ACTOR (CI secrets and variables).
provider "sendgridaudience" {}

resource "sendgridaudience_connection" "marketing" {
  display_name   = "SendGrid (marketing)"
  administrators = ["ops@example.com"]
  # The nightly job runs as a contributor: it may run the export, not change the connection.
  contributors         = ["ci-nightly@example.com"]
  data_privacy_consent = true
}

resource "sendgridaudience_list_binding" "newsletter" {
  list_id = var.list_id
}

# The warehouse; the password comes from PGPASSWORD (a CI secret), never from the URL.
data "sendgridaudience_segment" "newsletter" {
  name   = "newsletter subscribers"
  source = "postgres://exporter@warehouse.example.net:5432/crm?sslmode=verify-full"
  query  = "SELECT email, first_name, last_name, country FROM marketing.newsletter_subscribers"
}

resource "sendgridaudience_export" "newsletter" {
  name                = "nightly-newsletter"
  sendgrid_connection = sendgridaudience_connection.marketing
  list_id             = sendgridaudience_list_binding.newsletter.list_id
  segments            = [data.sendgridaudience_segment.newsletter]

  data_matching = {
    email      = "email"
    first_name = "first_name"
    last_name  = "last_name"
    country    = "country"
  }

  sync_mode   = "mirror"
  run_trigger = var.run_trigger

  # A run that does not finish in time stops; what SendGrid confirmed is kept in state and the
  # next run continues from there.
  timeouts = {
    create = "2h"
    update = "2h"
  }
}

output "run_trigger" {
  description = "The run_trigger of the last apply; the nightly job passes it back unchanged."
  value       = sendgridaudience_export.newsletter.run_trigger
}

output "last_run" {
  description = "Status, counts and SendGrid job IDs of the last run."
  value       = sendgridaudience_export.newsletter.last_run
}
