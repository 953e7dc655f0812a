resource "sendgridaudience_custom_field" "loyalty_tier" {
  name = "loyalty_tier"
  type = "Text"
}

resource "sendgridaudience_custom_field" "lifetime_value" {
  name = "lifetime_value"
  type = "Number"
}

resource "sendgridaudience_custom_field" "signup_date" {
  name = "signup_date"
  type = "Date"
}

# Uploads address custom fields by ID.
output "loyalty_tier_field_id" {
  value = sendgridaudience_custom_field.loyalty_tier.field_id
}
