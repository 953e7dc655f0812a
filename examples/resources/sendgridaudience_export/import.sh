# An export is imported by "<list_id>/<name>": the ID of its SendGrid list and the export's name;
# the import fails when the provider's account has no such list.
# State holds no snapshot of earlier runs after an import, so the first apply is a full run: every
# profile of the segments is sent once more (in mirror mode the list's members are read back from
# SendGrid and those not in the segments are removed).
terraform import sendgridaudience_export.newsletter 3f0c6f5e-8b1e-4a9e-9b8e-2f1f6b7d9a10/opted-in
