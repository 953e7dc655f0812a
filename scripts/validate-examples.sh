#!/usr/bin/env bash
# Runs `init` and `validate` on every example configuration under examples/ with Terraform and
# with OpenTofu, using the provider built from this checkout through a filesystem mirror, so no
# registry is contacted.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.tools/bin"
work=$(mktemp -d /tmp/sgaudience-examples.XXXXXX)
trap 'rm -rf "$work"' EXIT

version=0.0.1
os_arch="$(go env GOOS)_$(go env GOARCH)"
for host in registry.terraform.io registry.opentofu.org; do
  dir="$work/mirror/$host/sendgridaudience/sendgridaudience/$version/$os_arch"
  mkdir -p "$dir"
done
go build -o "$work/terraform-provider-sendgridaudience_v$version" "$root"
for host in registry.terraform.io registry.opentofu.org; do
  cp "$work/terraform-provider-sendgridaudience_v$version" "$work/mirror/$host/sendgridaudience/sendgridaudience/$version/$os_arch/"
done
cat > "$work/cli.tfrc" <<CFG
provider_installation {
  filesystem_mirror {
    path    = "$work/mirror"
    include = ["registry.terraform.io/sendgridaudience/sendgridaudience", "registry.opentofu.org/sendgridaudience/sendgridaudience"]
  }
}
CFG

pass=0 fail=0
for cli in terraform tofu; do
  while IFS= read -r ex; do
    name=${ex#"$root/"}
    copy="$work/$cli/$name"
    mkdir -p "$copy"
    cp -r "$ex"/. "$copy"/
    rm -rf "$copy/.terraform" "$copy/.terraform.lock.hcl"
    # Documentation snippets do not pin the provider; give them a version constraint the mirror meets.
    if ! grep -rqs 'required_providers' "$copy"/*.tf; then
      printf 'terraform {\n  required_providers {\n    sendgridaudience = { source = "sendgridaudience/sendgridaudience" }\n  }\n}\n' > "$copy/zz_required_providers.tf"
    fi
    if out=$(cd "$copy" && TF_CLI_CONFIG_FILE="$work/cli.tfrc" "$bin/$cli" init -backend=false -input=false -no-color 2>&1 \
          && TF_CLI_CONFIG_FILE="$work/cli.tfrc" "$bin/$cli" validate -no-color 2>&1); then
      pass=$((pass + 1)); echo "ok   $cli validate $name"
    else
      fail=$((fail + 1)); echo "FAIL $cli validate $name"; echo "$out" | tail -n 20
    fi
  done < <(find "$root/examples" -name '*.tf' -not -path '*/.terraform/*' -printf '%h\n' | sort -u)
done
echo "examples: $pass passed, $fail failed"
[ "$fail" = 0 ]
