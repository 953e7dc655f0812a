# A custom field is imported by its SendGrid field ID (field_id), not its name, e.g. from
# GET /v3/marketing/field_definitions; the import fails when the account has no field with that
# ID. SendGrid's reserved fields (IDs starting with _rf) cannot be imported; map them in an
# export's data_matching instead.
terraform import sendgridaudience_custom_field.loyalty_tier e1_T
