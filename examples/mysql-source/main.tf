# Export a segment selected by a SQL query that runs inside MySQL or MariaDB.
#
# The source URL names user, host, port and database, never a password: the source string is
# kept in Terraform state. The password comes from the environment, as for the mysql client:
#
#   export MYSQL_PWD=...           # or the provider's database_password
#   export SENDGRID_API_KEY=...    # marketing.read (Marketing: Full Access), user.username.read, user.account.read (User Account: Read)
#   export SENDGRIDAUDIENCE_ACTOR=ops@example.com
#   terraform init && terraform plan
#
# seed.sql creates the customers table this query reads, with synthetic rows, for a try on a
# scratch database.

terraform {
  required_version = ">= 1.5"
  required_providers {
    sendgridaudience = {
      source = "sendgridaudience/sendgridaudience"
    }
  }
}

variable "mysql_url" {
  description = "MySQL or MariaDB URL without password: mysql://USER@HOST:PORT/DATABASE?tls=true"
  type        = string
  default     = "mysql://exporter@shop-db.example.net:3306/crm?tls=true"
}

variable "list_id" {
  description = "ID of the SendGrid contact list to export to."
  type        = string
  default     = "6c1f2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f"
}

provider "sendgridaudience" {
  # Alternatively the password can come from the provider configuration, e.g. a sensitive
  # variable: database_password = var.database_password. It is not written to state either.
}

resource "sendgridaudience_connection" "shop" {
  display_name         = "SendGrid (shop)"
  administrators       = ["ops@example.com"]
  data_privacy_consent = true
}

resource "sendgridaudience_list_binding" "customers" {
  list_id = var.list_id
}

# The query runs where the data lives, in a READ ONLY transaction: only the selected rows and
# columns cross the network. It must be one SELECT, WITH or VALUES statement without INTO.
# MySQL types map to TINYINT/SMALLINT/INT/BIGINT/YEAR/BIT -> int (BOOLEAN is TINYINT(1), so an
# int 0 or 1), FLOAT/DOUBLE/DECIMAL -> double, DATE/DATETIME/TIMESTAMP -> timestamp (UTC),
# anything else -> string. A NULL is NULL: it is left out of the upload.
data "sendgridaudience_segment" "customers" {
  name   = "shop newsletter"
  source = var.mysql_url
  query  = <<-SQL
    SELECT c.email,
           c.given_name     AS first_name,
           c.family_name    AS last_name,
           c.country_code   AS country,
           c.region         AS state_province_region,
           c.city,
           c.postcode       AS postal_code,
           c.lifetime_value,
           c.vip
      FROM customers c
     WHERE c.newsletter_opt_in
       AND c.deleted_at IS NULL
  SQL
  # The filter works on the query's result columns: vip is a BOOLEAN, so an int.
  filter = "vip == 1 || lifetime_value == null || lifetime_value >= 50.0"
}

resource "sendgridaudience_export" "customers" {
  name                = "mysql-shop-newsletter"
  sendgrid_connection = sendgridaudience_connection.shop
  list_id             = sendgridaudience_list_binding.customers.list_id
  segments            = [data.sendgridaudience_segment.customers]

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
    profiles = data.sendgridaudience_segment.customers.profile_count
    columns  = [for c in data.sendgridaudience_segment.customers.columns : "${c.name}:${c.type}"]
  }
}

# The run report. (The plan shows what a run will do in the export's `changes`; an output of
# `changes` would show as changed outside Terraform in the plan after every run, because the
# refresh clears it.)
output "last_run" {
  value = sendgridaudience_export.customers.last_run
}
