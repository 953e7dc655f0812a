# A CSV file. Columns are strings unless the header names a type: lifetime_value:double,
# marketing_opt_in:bool, signup_date:timestamp, age:int.
data "sendgridaudience_segment" "high_value" {
  name   = "high-value customers in Germany"
  source = "${path.module}/customers.csv"
  # CEL. Guard columns that may be NULL (an empty field of a typed CSV column is NULL).
  filter = "country == \"DE\" && lifetime_value != null && lifetime_value > 500.0"
}

# A JSON Lines file; a column whose name is not a CEL identifier is read through `profile`.
data "sendgridaudience_segment" "app_signups" {
  name   = "app sign-ups"
  source = "${path.module}/signups.jsonl"
  filter = "profile[\"opt-in\"] == true"
}

# A SQLite database: the query runs inside the database.
data "sendgridaudience_segment" "crm_active" {
  name   = "active CRM contacts"
  source = "sqlite:${path.module}/crm.db"
  query  = "SELECT email, first_name, last_name, country FROM contacts WHERE status = 'active'"
}

# PostgreSQL: no password in the URL (it would reach state). The password comes from
# PGPASSWORD or ~/.pgpass.
data "sendgridaudience_segment" "warehouse_newsletter" {
  name   = "newsletter subscribers"
  source = "postgres://exporter@warehouse.example.net:5432/crm?sslmode=verify-full"
  query  = "SELECT email, first_name, last_name, country, city FROM marketing.newsletter_subscribers"
}

# Counts, columns and a keyed fingerprint; never a profile value.
output "high_value" {
  value = {
    profiles = data.sendgridaudience_segment.high_value.profile_count
    scanned  = data.sendgridaudience_segment.high_value.source_count
    columns  = [for c in data.sendgridaudience_segment.high_value.columns : "${c.name}:${c.type}"]
  }
}
