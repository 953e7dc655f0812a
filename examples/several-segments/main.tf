# Several segments into one SendGrid list. A profile that is in several segments is sent once.
#
# The dedupe rule: emails are compared trimmed and lower-cased, and the first valid occurrence
# wins entirely. "First" means the segments in the order of `segments`, and within a segment the
# rows in source order. Later rows with the same email are counted in validation.duplicates and
# ignored, even when they hold values the first one lacks: values are never merged across rows.
# An invalid row takes no part, so an invalid first occurrence does not hide a valid later one.
#
# So put the segment whose values you trust most first. Here the CRM wins over the web shop.

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

resource "sendgridaudience_list_binding" "newsletter" {
  list_id = var.list_id
}

# 1. VIP customers of the CRM export (the most trusted names and addresses).
data "sendgridaudience_segment" "crm_vip" {
  name   = "crm-vip"
  source = "${path.module}/crm.csv"
  filter = "tier == \"vip\" && newsletter_opt_in == true"
}

# 2. Everyone in the CRM who opted in (newsletter_opt_in:bool in the CSV header).
data "sendgridaudience_segment" "crm_opted_in" {
  name   = "crm-opted-in"
  source = "${path.module}/crm.csv"
  filter = "newsletter_opt_in == true"
}

# 3. Web shop customers who gave marketing consent at checkout. Every column the data matching
#    names must exist in every segment, so the JSON Lines objects carry the same keys.
data "sendgridaudience_segment" "webshop" {
  name   = "webshop"
  source = "${path.module}/webshop.jsonl"
  filter = "marketing_consent == true"
}

resource "sendgridaudience_export" "newsletter" {
  name                = "crm-and-webshop"
  sendgrid_connection = sendgridaudience_connection.marketing
  list_id             = sendgridaudience_list_binding.newsletter.list_id

  # Priority order: for an email in several segments, the first segment's row is exported.
  segments = [
    data.sendgridaudience_segment.crm_vip,
    data.sendgridaudience_segment.crm_opted_in,
    data.sendgridaudience_segment.webshop,
  ]

  data_matching = {
    email      = "email"
    first_name = "first_name"
    last_name  = "last_name"
    country    = "country"
  }

  # max_profiles counts distinct emails after the merge, not rows.
  max_profiles = 100000
}

output "segments" {
  description = "Rows each segment selects (before validation and the merge of repeated emails)."
  value = {
    crm_vip      = data.sendgridaudience_segment.crm_vip.profile_count
    crm_opted_in = data.sendgridaudience_segment.crm_opted_in.profile_count
    webshop      = data.sendgridaudience_segment.webshop.profile_count
  }
}

output "exported" {
  description = "Distinct valid profiles exported, and rows merged into an earlier one."
  value = {
    profiles   = sendgridaudience_export.newsletter.profile_count
    duplicates = sendgridaudience_export.newsletter.validation.duplicates
    invalid    = sendgridaudience_export.newsletter.validation.invalid
  }
}
