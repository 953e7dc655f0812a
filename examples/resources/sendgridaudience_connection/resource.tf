resource "sendgridaudience_connection" "marketing" {
  display_name = "SendGrid (marketing)"

  # Only administrators may create, change or remove the connection; contributors may run
  # exports through it. Names are compared with the provider's `actor`, ignoring case.
  administrators = ["ops@example.com", "ci-deploy@example.com"]
  contributors   = ["analyst@example.com"]

  # Must be true: read the consent text on this page first.
  data_privacy_consent = true

  # The number of contacts your SendGrid contract allows.
  profile_cap = 100000
}

output "sendgrid_account" {
  value = "${sendgridaudience_connection.marketing.username} (${sendgridaudience_connection.marketing.user_id})"
}
