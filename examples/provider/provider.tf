# The API key comes from the SENDGRID_API_KEY environment variable (or a sensitive variable);
# never write a key into a .tf file. It is not stored in state.
provider "sendgridaudience" {
  # SendGrid's global host; use region = "eu" for EU data residency, or api_url for a local
  # emulator (http:// is accepted only for loopback addresses).
  region = "global"

  # Who runs Terraform, matched against connections' administrators and contributors.
  # Usually set per person or CI job through SENDGRIDAUDIENCE_ACTOR instead.
  actor = "ops@example.com"
}

# Several SendGrid accounts: one provider alias each.
variable "sendgrid_eu_api_key" {
  description = "API key of the EU-resident SendGrid account."
  type        = string
  sensitive   = true
}

provider "sendgridaudience" {
  alias   = "eu"
  region  = "eu"
  api_key = var.sendgrid_eu_api_key
  actor   = "ops@example.com"
}
