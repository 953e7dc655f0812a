# Look a list up by its exact name. If several lists have the name, the error lists them with
# their IDs; then look it up by id.
data "sendgridaudience_list" "newsletter" {
  name = "Newsletter"
}

# Or by ID.
data "sendgridaudience_list" "vip" {
  id = "0b7b2f9c-4a1e-4c8e-9d6a-2f5e8c1b3a7d"
}

output "newsletter" {
  value = {
    id            = data.sendgridaudience_list.newsletter.id
    contact_count = data.sendgridaudience_list.newsletter.contact_count
  }
}
