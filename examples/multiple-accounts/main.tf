# Two SendGrid accounts: one provider alias each. Here the global account receives customers
# outside the EU, and an EU data-residency account (region = "eu") receives EU customers.
#
# Each API key comes from its own sensitive variable or environment variable, never from a .tf
# file; neither reaches state. Set them with TF_VAR_sendgrid_api_key_global and
# TF_VAR_sendgrid_api_key_eu (or a secrets manager).
#
# Give every resource of one account the same provider: the connection (whose key check
# identifies the account), the list binding, the segments and the export.

terraform {
  required_version = ">= 1.5"
  required_providers {
    sendgridaudience = {
      source = "sendgridaudience/sendgridaudience"
    }
  }
}

variable "sendgrid_api_key_global" {
  description = "API key of the global SendGrid account."
  type        = string
  sensitive   = true
}

variable "sendgrid_api_key_eu" {
  description = "API key of the EU data-residency SendGrid account."
  type        = string
  sensitive   = true
}

variable "global_list_id" {
  type    = string
  default = "3f0c6f5e-8b1e-4a9e-9b8e-2f1f6b7d9a10"
}

variable "eu_list_id" {
  type    = string
  default = "7a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
}

locals {
  eu_countries = ["AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"]
  # A CEL list literal: ["AT", "BE", ...]
  eu_countries_cel = jsonencode(local.eu_countries)
}

# The default provider: SendGrid's global host (https://api.sendgrid.com).
provider "sendgridaudience" {
  api_key = var.sendgrid_api_key_global
}

# The EU account: https://api.eu.sendgrid.com. The actor (who runs Terraform) comes from
# SENDGRIDAUDIENCE_ACTOR for both providers, or set actor in each block.
provider "sendgridaudience" {
  alias   = "eu"
  region  = "eu"
  api_key = var.sendgrid_api_key_eu
}

# --- Global account ---------------------------------------------------------------------------

resource "sendgridaudience_connection" "global" {
  display_name         = "SendGrid (global)"
  administrators       = ["ops@example.com"]
  data_privacy_consent = true
  profile_cap          = 200000
}

resource "sendgridaudience_list_binding" "global_newsletter" {
  list_id = var.global_list_id
}

data "sendgridaudience_segment" "outside_eu" {
  name   = "customers outside the EU"
  source = "${path.module}/customers.csv"
  filter = "marketing_opt_in == true && !(country in ${local.eu_countries_cel})"
}

resource "sendgridaudience_export" "global_newsletter" {
  name                = "newsletter-global"
  sendgrid_connection = sendgridaudience_connection.global
  list_id             = sendgridaudience_list_binding.global_newsletter.list_id
  segments            = [data.sendgridaudience_segment.outside_eu]

  data_matching = {
    email      = "email"
    first_name = "first_name"
    last_name  = "last_name"
    country    = "country"
  }
}

# --- EU account -------------------------------------------------------------------------------

resource "sendgridaudience_connection" "eu" {
  provider = sendgridaudience.eu

  display_name         = "SendGrid (EU data residency)"
  administrators       = ["ops@example.com", "dpo@example.com"]
  data_privacy_consent = true
  profile_cap          = 100000
}

resource "sendgridaudience_list_binding" "eu_newsletter" {
  provider = sendgridaudience.eu

  list_id = var.eu_list_id
}

data "sendgridaudience_segment" "in_eu" {
  provider = sendgridaudience.eu

  name   = "customers in the EU"
  source = "${path.module}/customers.csv"
  filter = "marketing_opt_in == true && country in ${local.eu_countries_cel}"
}

resource "sendgridaudience_export" "eu_newsletter" {
  provider = sendgridaudience.eu

  name                = "newsletter-eu"
  sendgrid_connection = sendgridaudience_connection.eu
  list_id             = sendgridaudience_list_binding.eu_newsletter.list_id
  segments            = [data.sendgridaudience_segment.in_eu]

  data_matching = {
    email      = "email"
    first_name = "first_name"
    last_name  = "last_name"
    country    = "country"
  }
}

output "accounts" {
  description = "The SendGrid account each connection was verified against."
  value = {
    global = sendgridaudience_connection.global.username
    eu     = sendgridaudience_connection.eu.username
  }
}
