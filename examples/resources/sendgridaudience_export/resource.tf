# The connection: who may use it, consent and the contract's profile cap. Created by an
# administrator; the API key stays in the provider configuration.
resource "sendgridaudience_connection" "marketing" {
  display_name         = "SendGrid (marketing)"
  administrators       = ["ops@example.com"]
  contributors         = ["ci-nightly@example.com"]
  data_privacy_consent = true
  profile_cap          = 100000
}

# The destination list, bound by ID (checked against SendGrid while planning).
resource "sendgridaudience_list_binding" "newsletter" {
  list_id = "3f0c6f5e-8b1e-4a9e-9b8e-2f1f6b7d9a10"
}

# A segment: opted-in customers of a CSV file whose header types two columns
# (lifetime_value:double, marketing_opt_in:bool).
data "sendgridaudience_segment" "opted_in" {
  name   = "opted-in customers"
  source = "${path.module}/customers.csv"
  filter = "marketing_opt_in == true"
}

resource "sendgridaudience_export" "newsletter" {
  name                = "opted-in"
  sendgrid_connection = sendgridaudience_connection.marketing
  list_id             = sendgridaudience_list_binding.newsletter.list_id
  segments            = [data.sendgridaudience_segment.opted_in]

  # Profile column for each SendGrid contact field. Only email is required.
  data_matching = {
    email                 = "email"
    first_name            = "first_name"
    last_name             = "last_name"
    country               = "country"
    state_province_region = "state_province_region"
    city                  = "city"
    postal_code           = "postal_code"
    # SendGrid's other identifiers: map the ones another integration (SMS, an app) sets on
    # contacts of this list, or SendGrid refuses to update those contacts. Phone numbers in
    # E.164 (+14155550100); external and anonymous IDs at most 254 characters.
    # phone_number_id = "mobile_e164"
    # external_id     = "crm_id"
    # anonymous_id    = "device_id"
    # SendGrid custom field name => profile column. The field must exist in SendGrid
    # (or be a sendgridaudience_custom_field listed in managed_custom_fields).
    custom_fields = {
      lifetime_value = "lifetime_value"
    }
  }

  max_profiles     = 100000   # the plan fails, before any upload, above this
  sync_mode        = "mirror" # also remove from the list the contacts that left the segment
  invalid_profiles = "skip"   # leave invalid rows out and report them (masked) in the plan
  on_destroy       = "keep"   # destroying the export leaves the list as it is

  # Change to any new value to run the export again with unchanged data (an on-demand run).
  run_trigger = "2025-06-01"

  timeouts = {
    create = "90m"
    update = "90m"
  }
}

# What the last run did: counts only, never a profile value. (What a run will do is in the
# plan's changes; an output of changes would show as changed outside Terraform in the plan after
# every run, because the refresh clears it.)
output "newsletter_last_run" {
  value = sendgridaudience_export.newsletter.last_run
}
