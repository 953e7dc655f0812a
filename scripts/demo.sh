#!/usr/bin/env bash
# `make demo`: the product end to end on this machine, with nothing but Go installed.
#   1. builds the provider, the SendGrid emulator and the synthetic-profile generator (and a
#      Terraform CLI when none is on PATH);
#   2. starts the emulator on loopback with an account and a "Newsletter" list;
#   3. generates 5,000 synthetic customer profiles (deterministic; some invalid rows);
#   4. runs terraform init, plan (showing the change preview) and apply on examples/quickstart;
#   5. prints the run report and the list as the emulator holds it;
#   6. edits 2 % of the profiles, plans and applies again: an incremental run;
#   7. stops the emulator.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work="$root/.demo"
export GOFLAGS=${GOFLAGS:--buildvcs=false}

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

rm -rf "$work"
mkdir -p "$work/bin"

step "Building the provider, the SendGrid emulator and the profile generator"
# Any Terraform >= 1.5 or OpenTofu already on PATH will do (Terraform preferred); otherwise the
# one `make tools` builds (Terraform only: the demo does not need OpenTofu).
cli_ok() { # path: prints the path when it runs and is Terraform >= 1.5 or OpenTofu
  local v
  v=$(TF_CLI_CONFIG_FILE= "$1" version 2>/dev/null | grep -m1 -E '^(Terraform|OpenTofu) v') || return 1
  case "$v" in
    OpenTofu\ v*) echo "$1" ;;
    Terraform\ v1.[5-9].*|Terraform\ v1.[1-9][0-9].*|Terraform\ v[2-9].*) echo "$1" ;;
    *) return 1 ;;
  esac
}
tf=""
for candidate in "$(command -v terraform || true)" "$(command -v tofu || true)" "$root/.tools/bin/terraform"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ] && tf=$(cli_ok "$candidate"); then break; fi
  tf=""
done
if [ -z "$tf" ]; then
  bash "$root/scripts/tools.sh" terraform
  tf="$root/.tools/bin/terraform"
fi
echo "CLI: $tf ($(TF_CLI_CONFIG_FILE= "$tf" version 2>/dev/null | head -n1))"
version=0.1.0
os_arch="$(go env GOOS)_$(go env GOARCH)"
# One mirror serves both CLIs: Terraform resolves the provider under registry.terraform.io,
# OpenTofu under registry.opentofu.org.
plugin_dir="$work/mirror/registry.terraform.io/sendgridaudience/sendgridaudience/$version/$os_arch"
tofu_dir="$work/mirror/registry.opentofu.org/sendgridaudience/sendgridaudience/$version/$os_arch"
mkdir -p "$plugin_dir" "$tofu_dir"
(cd "$root" && go build -ldflags "-X main.version=$version" -o "$plugin_dir/terraform-provider-sendgridaudience_v$version" .)
cp "$plugin_dir/terraform-provider-sendgridaudience_v$version" "$tofu_dir/"
(cd "$root" && go build -o "$work/bin/sendgrid-emulator" ./internal/emulator/cmd/sendgrid-emulator)
(cd "$root" && go build -o "$work/bin/synthprofiles" ./internal/synth/cmd/synthprofiles)
cat > "$work/cli.tfrc" <<CFG
provider_installation {
  filesystem_mirror {
    path    = "$work/mirror"
    include = ["sendgridaudience/sendgridaudience"]
  }
  direct {
    exclude = ["sendgridaudience/sendgridaudience"]
  }
}
CFG
export TF_CLI_CONFIG_FILE="$work/cli.tfrc"
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1

step "Starting the SendGrid emulator on loopback"
key="SG.demo-key-for-the-local-emulator"
"$work/bin/sendgrid-emulator" -addr 127.0.0.1:0 -url-file "$work/emulator.url" -key "$key" \
  -seed-list Newsletter -state "$work/emulator-state.json" > "$work/emulator.log" 2>&1 &
emulator_pid=$!
cleanup() {
  kill "$emulator_pid" 2>/dev/null && wait "$emulator_pid" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 100); do
  [ -s "$work/emulator.url" ] && grep -q 'id=' "$work/emulator.log" && break
  sleep 0.1
done
url=$(cat "$work/emulator.url")
list_id=$(sed -n 's/.*list "Newsletter" id=\([0-9a-f-]*\).*/\1/p' "$work/emulator.log" | head -n1)
echo "emulator: $url   list \"Newsletter\": $list_id"

step "Generating 5,000 synthetic customer profiles (2 % invalid, 1 % repeated emails)"
cp -r "$root/examples/quickstart" "$work/quickstart"
cd "$work/quickstart"
"$work/bin/synthprofiles" -n 5000 -seed 42 -invalid 0.02 -duplicates 0.01 -out customers.csv
head -n 3 customers.csv | cut -c1-120

export SENDGRID_API_URL="$url" SENDGRID_API_KEY="$key" SENDGRIDAUDIENCE_ACTOR="ops@example.com"
export TF_VAR_list_id="$list_id"
# This emulator shows a job's contacts at once (no -consistency-lag), so the provider need not
# allow for SendGrid's minutes of lag after a run (the settle window).
export SENDGRIDAUDIENCE_SETTLE_WINDOW=0

show_list() {
  sleep 1.2 # the emulator saves its state at most once a second
  "$work/bin/sendgrid-emulator" -state "$work/emulator-state.json" -key "$key" -print-list "$list_id" -unmask | awk 'NR <= 12'
}

step "terraform init"
"$tf" init -input=false -no-color | grep -E 'Installing|Installed|initialized' || true

step "terraform plan: the change preview, before any contact leaves"
"$tf" plan -input=false -no-color -out=first.tfplan | sed -nE '/(Terraform|OpenTofu) will perform/,$p'

step "terraform apply: the first upload"
"$tf" apply -input=false -no-color first.tfplan | grep -vE '^\s*$' | tail -n 8
step "The run report"
"$tf" output -no-color last_run
"$tf" output -no-color validation
step "The SendGrid list, as the emulator holds it (synthetic addresses)"
show_list

step "Editing 2 % of the profiles"
"$work/bin/synthprofiles" -n 5000 -seed 42 -invalid 0.02 -duplicates 0.01 -edit-percent 2 -out customers.csv

step "terraform plan: only the edited profiles"
"$tf" plan -input=false -no-color -out=second.tfplan | sed -nE '/(Terraform|OpenTofu) will perform/,$p'

step "terraform apply: the incremental upload"
"$tf" apply -input=false -no-color second.tfplan | grep -vE '^\s*$' | tail -n 8
"$tf" output -no-color last_run
step "The SendGrid list after the incremental run"
show_list

step "terraform plan with nothing changed"
"$tf" plan -input=false -no-color > "$work/third-plan.txt"
if grep -qE '^Plan: ' "$work/third-plan.txt"; then
  echo "unexpected: the plan changes resources"; grep -E '^Plan: ' "$work/third-plan.txt"; exit 1
fi
# No resource changes.
grep -qE '^No changes|without changing any real infrastructure' "$work/third-plan.txt"
echo "No changes: the export has nothing to send."
step "Done. The demo's files are in .demo/; the emulator is stopped."
