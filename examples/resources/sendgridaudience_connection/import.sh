# A connection is imported by its id, the UUID recorded in the state that created it.
# The refresh after import fills the SendGrid account identity (user_id, username, granted_scopes,
# key_fingerprint). display_name, administrators, contributors, data_privacy_consent and
# profile_cap come from the configuration on the next apply, which records consent again; that
# apply needs an administrator as the provider's actor.
terraform import sendgridaudience_connection.marketing 5b0c3a8e-8a3f-4d43-9f0e-2f1c7d3b9a61
