# A list binding is imported by the SendGrid list ID (Marketing > Contacts > Lists, or the
# sendgridaudience_list data source); the import fails when the provider's account has no such
# list. The imported binding binds by list_id, never deletes the list on destroy, and reads the
# list's name and contact count from SendGrid.
terraform import sendgridaudience_list_binding.vip 0b7b2f9c-4a1e-4c8e-9d6a-2f5e8c1b3a7d
