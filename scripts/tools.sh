#!/usr/bin/env bash
# Builds the Terraform and OpenTofu CLIs that the acceptance tests and the demo drive, from the Go
# module proxy, into .tools/bin (git-ignored). A CLI already on PATH whose version fits is reused;
# a binary already built is kept. Prints the absolute paths it settled on.
set -euo pipefail

TERRAFORM_VERSION=${TERRAFORM_VERSION:-1.8.5}
TOFU_VERSION=${TOFU_VERSION:-1.12.6}
# OpenTofu's go.mod replaces hcl with its own fork; a wrapper module has to repeat the replace.
TOFU_HCL_REPLACE='github.com/hashicorp/hcl/v2 v2.20.1 => github.com/opentofu/hcl/v2 v2.20.2-0.20251021132045-587d123c2828'

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.tools/bin"
mkdir -p "$bin"

# An existing (even empty) CLI config file: OpenTofu's warning about a missing one breaks
# terraform-plugin-testing's version parsing.
if [ -n "${TF_CLI_CONFIG_FILE:-}" ] && [ ! -e "$TF_CLI_CONFIG_FILE" ]; then
  export TF_CLI_CONFIG_FILE="$root/.tools/empty.tfrc"
  : > "$TF_CLI_CONFIG_FILE"
fi

cli_version() { "$1" version 2>/dev/null | head -n1 | sed -E 's/^[^v]*v([0-9.]+).*/\1/'; }

ensure() { # name version build-function
  local name=$1 want=$2 build=$3 found
  if [ -x "$bin/$name" ] && [ "$(cli_version "$bin/$name")" = "$want" ]; then
    echo "$name $want: $bin/$name (already built)"; return
  fi
  if found=$(command -v "$name" 2>/dev/null) && [ "$(cli_version "$found")" = "$want" ]; then
    ln -sf "$found" "$bin/$name"; echo "$name $want: $found (from PATH)"; return
  fi
  echo "$name $want: building from the Go module proxy (several minutes on a cold cache)..."
  "$build" "$want"
  echo "$name $want: $bin/$name (built)"
}

build_terraform() {
  GOBIN="$bin" GOFLAGS=-buildvcs=false go install "github.com/hashicorp/terraform@v$1"
}

build_tofu() {
  local mod="$root/.tools/tofu-build"
  mkdir -p "$mod"
  cat > "$mod/go.mod" <<MOD
module tofubuild

go 1.24

require github.com/opentofu/opentofu v$1

replace $TOFU_HCL_REPLACE
MOD
  cat > "$mod/tools.go" <<'GO'
//go:build tools

package tofubuild

import _ "github.com/opentofu/opentofu/cmd/tofu"
GO
  (cd "$mod" && GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 || true
   cd "$mod" && GOFLAGS=-mod=mod go build -buildvcs=false -o "$bin/tofu" github.com/opentofu/opentofu/cmd/tofu)
}

case "${1:-all}" in
  terraform) ensure terraform "$TERRAFORM_VERSION" build_terraform ;;
  tofu) ensure tofu "$TOFU_VERSION" build_tofu ;;
  all) ensure terraform "$TERRAFORM_VERSION" build_terraform; ensure tofu "$TOFU_VERSION" build_tofu ;;
esac
