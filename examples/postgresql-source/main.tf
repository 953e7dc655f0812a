# Export a segment selected by a SQL query that runs inside PostgreSQL.
#
# The source URL names user, host, port and database, never a password: the source string is
# kept in Terraform state. The password comes from libpq's environment:
#
#   export PGPASSWORD=...          # or a ~/.pgpass file (PGPASSFILE)
#   export SENDGRID_API_KEY=...    # marketing.read (Marketing: Full Access), user.username.read, user.account.read (User Account: Read)
#   export SENDGRIDAUDIENCE_ACTOR=ops@example.com
#   terraform init && terraform plan

terraform {
  required_version = ">= 1.5"
  required_providers {
    sendgridaudience = {
      source = "sendgridaudience/sendgridaudience"
    }
  }
}

variable "postgres_url" {
  description = "PostgreSQL URL without password: postgres://USER@HOST:PORT/DATABASE?sslmode=verify-full"
  type        = string
  default     = "postgres://exporter@warehouse.example.net:5432/crm?sslmode=verify-full"
}

variable "list_id" {
  description = "ID of the SendGrid contact list to export to."
  type        = string
  default     = "3f0c6f5e-8b1e-4a9e-9b8e-2f1f6b7d9a10"
}

provider "sendgridaudience" {
  # Alternatively the password can come from the provider configuration, e.g. a sensitive
  # variable: database_password = var.database_password. It is not written to state either.
}

resource "sendgridaudience_connection" "marketing" {
  display_name         = "SendGrid (marketing)"
  administrators       = ["ops@example.com"]
  data_privacy_consent = true
}

resource "sendgridaudience_list_binding" "newsletter" {
  list_id = var.list_id
}

# The query runs where the data lives: only the selected rows and columns cross the network.
# Column names are what data_matching refers to; alias them in SQL when they differ.
# PostgreSQL types map to boolean -> bool, smallint/integer/bigint -> int,
# real/double precision/numeric -> double, date/timestamp/timestamptz -> timestamp, anything
# else -> string. A NULL is NULL: it is left out of the upload (SendGrid keeps what it holds).
data "sendgridaudience_segment" "newsletter" {
  name   = "newsletter subscribers"
  source = var.postgres_url
  query  = <<-SQL
    SELECT c.email,
           c.given_name  AS first_name,
           c.family_name AS last_name,
           c.country_code AS country,
           c.region      AS state_province_region,
           c.city,
           c.postcode    AS postal_code,
           c.lifetime_value
      FROM crm.customers c
     WHERE c.newsletter_opt_in
       AND c.deleted_at IS NULL
  SQL
  # A CEL filter can further narrow any source; here it works on the query's result columns.
  filter = "lifetime_value == null || lifetime_value >= 0.0"
}

resource "sendgridaudience_export" "newsletter" {
  name                = "postgres-subscribers"
  sendgrid_connection = sendgridaudience_connection.marketing
  list_id             = sendgridaudience_list_binding.newsletter.list_id
  segments            = [data.sendgridaudience_segment.newsletter]

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
  description = "Profiles the query and filter select, and the result's columns with their types."
  value = {
    profiles = data.sendgridaudience_segment.newsletter.profile_count
    columns  = [for c in data.sendgridaudience_segment.newsletter.columns : "${c.name}:${c.type}"]
  }
}

# The run report. (The plan shows what a run will do in the export's `changes`; an output of
# `changes` would show as changed outside Terraform in the plan after every run, because the
# refresh clears it.)
output "last_run" {
  value = sendgridaudience_export.newsletter.last_run
}
