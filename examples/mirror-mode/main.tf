# Mirror mode: the list holds exactly the segment. Contacts that leave the segment (filtered
# out, deleted from the source, or now invalid) are removed from the list — removed from the
# list only, never deleted from SendGrid: they stay in the account and on its other lists.
#
# The export removes only contacts it added: members the list already had, or that people and
# other exports add, stay. Set claim_list = true to make the list equal to the segment instead
# (then every other member is removed, and the plan warns how many the export did not add).

terraform {
  required_version = ">= 1.5"
  required_providers {
    sendgridaudience = {
      source = "sendgridaudience/sendgridaudience"
    }
  }
}

variable "list_name" {
  description = "Name of the SendGrid list this configuration creates and owns."
  type        = string
  default     = "Trial users (mirrored)"
}

provider "sendgridaudience" {}

resource "sendgridaudience_connection" "marketing" {
  display_name         = "SendGrid (marketing)"
  administrators       = ["ops@example.com"]
  data_privacy_consent = true
}

# A list of its own: created by this configuration, and deleted (its contacts kept) when the
# configuration is destroyed.
resource "sendgridaudience_list_binding" "trial_users" {
  create                 = true
  name                   = var.list_name
  delete_list_on_destroy = true
}

data "sendgridaudience_segment" "trial_users" {
  name   = "trial users"
  source = "${path.module}/customers.csv"
  filter = "plan == \"trial\" && marketing_opt_in == true"
}

resource "sendgridaudience_export" "trial_users" {
  name                = "trial-users"
  sendgrid_connection = sendgridaudience_connection.marketing
  list_id             = sendgridaudience_list_binding.trial_users.list_id
  segments            = [data.sendgridaudience_segment.trial_users]

  data_matching = {
    email      = "email"
    first_name = "first_name"
  }

  sync_mode = "mirror"

  # Destroying the export leaves the list as it is ("keep", the default). The list binding above
  # deletes the list itself on destroy; without it, contacts would stay on the list.
  on_destroy = "keep"
}

# The plan shows in the export's changes.to_remove how many contacts the run takes off the list.
# (No output of changes: the refresh clears it, so the plan after every run would show it as
# changed outside Terraform.) last_run.removed says how many the last run removed.
output "last_run" {
  value = sendgridaudience_export.trial_users.last_run
}
