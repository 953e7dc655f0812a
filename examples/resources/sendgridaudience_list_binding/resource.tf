# Bind an existing list found by its exact name.
data "sendgridaudience_list" "newsletter" {
  name = "Newsletter"
}

resource "sendgridaudience_list_binding" "newsletter" {
  list_id = data.sendgridaudience_list.newsletter.id
}

# Bind an existing list by ID and keep its name managed: a rename made in the SendGrid UI shows
# in the next plan and is renamed back.
resource "sendgridaudience_list_binding" "vip" {
  list_id = "0b7b2f9c-4a1e-4c8e-9d6a-2f5e8c1b3a7d"
  name    = "VIP customers"
}

# Create a list for a campaign. Destroying the binding deletes this list (its contacts stay in
# the account, because delete_contacts_on_destroy is false).
resource "sendgridaudience_list_binding" "spring_promotion" {
  create                 = true
  name                   = "Spring promotion 2025"
  delete_list_on_destroy = true
}
