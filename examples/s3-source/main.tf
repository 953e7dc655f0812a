# Export a segment read from a warehouse export in S3 (or an S3-compatible store such as MinIO):
# a gzipped CSV file, streamed; nothing is written to disk.
#
# Credentials come from the AWS SDK's usual chain, never from the source string (which is kept
# in Terraform state):
#
#   export AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=...   # or AWS_PROFILE, SSO, an instance role
#   export AWS_REGION=eu-west-1                              # the bucket's region
#   export SENDGRID_API_KEY=...    # marketing.read (Marketing: Full Access), user.username.read, user.account.read (User Account: Read)
#   export SENDGRIDAUDIENCE_ACTOR=ops@example.com
#   terraform init && terraform plan -var profiles_object=s3://BUCKET/exports/customers.csv.gz

terraform {
  required_version = ">= 1.5"
  required_providers {
    sendgridaudience = {
      source = "sendgridaudience/sendgridaudience"
    }
  }
}

variable "profiles_object" {
  description = "The profiles: s3://BUCKET/KEY or https://HOST/PATH, ending in .csv, .jsonl, .ndjson or .parquet, optionally followed by .gz or .zst."
  type        = string
  default     = "s3://example-warehouse-exports/marketing/customers.csv.gz"
}

variable "s3_endpoint" {
  description = "Endpoint of an S3-compatible store (https://minio.example.net:9000); null for AWS S3."
  type        = string
  default     = null
}

variable "list_id" {
  description = "ID of the SendGrid contact list to export to."
  type        = string
  default     = "3f0c6f5e-8b1e-4a9e-9b8e-2f1f6b7d9a10"
}

provider "sendgridaudience" {
  # For MinIO, Ceph or R2: the endpoint, and path-style addressing (endpoint/bucket/key).
  s3_endpoint       = var.s3_endpoint
  s3_use_path_style = var.s3_endpoint != null
}

resource "sendgridaudience_connection" "marketing" {
  display_name         = "SendGrid (warehouse exports)"
  administrators       = ["ops@example.com"]
  data_privacy_consent = true
}

resource "sendgridaudience_list_binding" "customers" {
  list_id = var.list_id
}

# The object is read when the data source is read (count, columns, fingerprint) and again when
# the export plans and applies; each read is pinned to the object's ETag/version, so a run never
# mixes two versions of a file that is being replaced. CSV columns are strings unless the header
# names a type (lifetime_value:double, marketing_opt_in:bool).
data "sendgridaudience_segment" "opted_in" {
  name   = "opted-in customers (warehouse export)"
  source = var.profiles_object
  filter = "marketing_opt_in == true"
}

resource "sendgridaudience_export" "warehouse" {
  name                = "s3-warehouse-customers"
  sendgrid_connection = sendgridaudience_connection.marketing
  list_id             = sendgridaudience_list_binding.customers.list_id
  segments            = [data.sendgridaudience_segment.opted_in]

  data_matching = {
    email      = "email"
    first_name = "first_name"
    last_name  = "last_name"
    country    = "country"
  }
}

output "segment" {
  description = "Profiles selected, the object's version (ETag, size) and its columns."
  value = {
    profiles       = data.sendgridaudience_segment.opted_in.profile_count
    source_version = data.sendgridaudience_segment.opted_in.source_version
    columns        = [for c in data.sendgridaudience_segment.opted_in.columns : "${c.name}:${c.type}"]
  }
}

# The run report. (The plan shows what a run will do in the export's `changes`; an output of
# `changes` would show as changed outside Terraform in the plan after every run, because the
# refresh clears it.)
output "last_run" {
  value = sendgridaudience_export.warehouse.last_run
}
