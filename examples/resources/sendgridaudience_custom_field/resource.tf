resource "sendgridaudience_custom_field" "loyalty_tier" {
  name = "loyalty_tier"
  type = "Text"
}

resource "sendgridaudience_custom_field" "average_order_value" {
  name = "average_order_value"
  type = "Number"
}

resource "sendgridaudience_custom_field" "first_order_date" {
  name = "first_order_date"
  type = "Date"
}

# Uploads address custom fields by ID.
output "loyalty_tier_field_id" {
  value = sendgridaudience_custom_field.loyalty_tier.field_id
}
