#!/usr/bin/env bash
# The whole test suite, as `make test` runs it on a fresh machine:
#   1. unit, contract, fuzz-seed and emulator-backed tests of every package;
#   2. acceptance tests under Terraform, then under OpenTofu (real CLIs, built offline), then the
#      real-SendGrid mode's tests against an emulator in a separate process (HTTP API only);
#   3. PostgreSQL-backed tests against a throwaway server started on loopback;
#      MariaDB-backed tests (mysql:// sources) against a throwaway MariaDB server the same way;
#   4. every example under examples/ validated by both CLIs, and the getting-started guide's plan
#      excerpts compared with the quickstart's real output;
#   5. repository habits: golangci-lint, a tidy go.mod, docs/ as `make generate` writes them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export GOFLAGS=${GOFLAGS:--buildvcs=false}

bash scripts/tools.sh all
bin="$root/.tools/bin"
export PATH="$bin:$PATH"
# OpenTofu's warning about a missing CLI config file breaks the test harness's version parsing.
if [ -z "${TF_CLI_CONFIG_FILE:-}" ] || [ ! -e "$TF_CLI_CONFIG_FILE" ]; then
  export TF_CLI_CONFIG_FILE="$root/.tools/empty.tfrc"
  : > "$TF_CLI_CONFIG_FILE"
fi
if [ ! -x "$bin/gotestsum" ]; then
  GOBIN="$bin" go install gotest.tools/gotestsum@v1.13.0
fi
gts() { "$bin/gotestsum" --format pkgname-and-test-fails --format-hide-empty-pkg --hide-summary=skipped -- "$@"; }

# Every phase runs even when an earlier one fails, so one run shows every problem; the script
# fails at the end if any phase failed.
summary=()
failed=0
phase() { # name, then the command
  local name=$1; shift
  echo
  echo "=== $name"
  local start=$SECONDS
  if "$@"; then
    summary+=("ok    $name ($((SECONDS - start)) s)")
  else
    summary+=("FAIL  $name ($((SECONDS - start)) s)")
    failed=$((failed + 1))
  fi
}

unset TF_ACC SENDGRIDAUDIENCE_TEST_PG_DSN SENDGRIDAUDIENCE_DRILL_CLI SENDGRIDAUDIENCE_DRILL_LOAD SENDGRIDAUDIENCE_ACC_SENDGRID SENDGRIDAUDIENCE_ACC_API_URL # `make testacc-sendgrid` runs against real SendGrid
unset SENDGRIDAUDIENCE_TEST_MYSQL_DSN # set by scripts/mariadb.sh for the MariaDB phase only
phase "unit tests" gts -count=1 ./...

# Repository habits: lint clean, go.mod tidy, and docs/ and examples/ exactly as `make generate`
# writes them (a schema or template change without regenerated docs fails here).
if [ ! -x "$bin/golangci-lint" ]; then
  GOBIN="$bin" go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@${GOLANGCI_LINT_VERSION:-v2.15.0}"
fi
phase "golangci-lint" "$bin/golangci-lint" run ./...
phase "go.mod tidy" go mod tidy -diff
generated_current() {
  (cd tools && go generate ./...) >/dev/null || return 1
  local changed
  changed=$(git status --porcelain -- docs examples)
  if [ -n "$changed" ]; then
    echo "docs/ or examples/ differ from what make generate writes; run make generate and commit:"
    echo "$changed"
    git --no-pager diff --stat -- docs examples
    return 1
  fi
}
phase "generated docs current" generated_current

acc() { # cli path, extra env...
  local cli=$1; shift
  env TF_ACC=1 TF_ACC_TERRAFORM_PATH="$cli" "$@" "$bin/gotestsum" --format testname -- -count=1 -run '^TestAcc' -timeout 30m ./internal/provider/...
}
tf_version=$("$bin/terraform" version | head -n1)
tofu_version=$("$bin/tofu" version | head -n1)
phase "acceptance tests under $tf_version" acc "$bin/terraform"
phase "acceptance tests under $tofu_version" acc "$bin/tofu" TF_ACC_PROVIDER_HOST=registry.opentofu.org TF_ACC_PROVIDER_NAMESPACE=hashicorp

# The getting-started guide's plan excerpts are the quickstart's real output under Terraform
# (internal/docscheck): a change to what a plan shows fails here until the excerpts are rewritten.
phase "getting-started guide's plan excerpts under $tf_version" env TF_ACC=1 TF_ACC_TERRAFORM_PATH="$bin/terraform" \
  "$bin/gotestsum" --format testname -- -count=1 -run '^TestGettingStartedPlanExcerpts$' ./internal/docscheck/

# The tests `make testacc-sendgrid` runs against a real account, run here against the emulator
# started as a separate process (scripts/sendgrid-stand-in.sh): the tests reach it only through
# its HTTP API, as they reach SendGrid, so none of them relies on something only the emulator
# has. One at a time, as against SendGrid: they share one scratch list.
phase "real-SendGrid acceptance tests against a stand-in emulator, under $tf_version" \
  bash scripts/sendgrid-stand-in.sh env TF_ACC=1 TF_ACC_TERRAFORM_PATH="$bin/terraform" \
  "$bin/gotestsum" --format testname -- -count=1 -parallel 1 -run '^TestAcc' -timeout 20m ./internal/provider/...

phase "PostgreSQL-backed tests" bash scripts/postgres.sh "$bin/gotestsum" --format testname -- -count=1 -run 'Postgres' ./internal/...

# mysql:// sources against Debian's MariaDB, installed when missing (scripts/mariadb.sh); the
# provider's MySQL acceptance tests under Terraform as well.
phase "MariaDB-backed tests" bash scripts/mariadb.sh env TF_ACC=1 TF_ACC_TERRAFORM_PATH="$bin/terraform" \
  "$bin/gotestsum" --format testname -- -count=1 -run 'MySQL' ./internal/...

phase "examples validated under both CLIs" bash scripts/validate-examples.sh

# Reliability drill (internal/drill): faults during apply, bad input at plan time, secrets in
# state/plans/TRACE logs, driving each real CLI; both runs append their figures to one report.
drill_report="$root/.tools/reliability-drill.md"
rm -f "$drill_report"
phase "reliability drill under $tf_version" env SENDGRIDAUDIENCE_DRILL_CLI="$bin/terraform" SENDGRIDAUDIENCE_DRILL_REPORT="$drill_report" "$bin/gotestsum" --format testname -- -count=1 -timeout 20m ./internal/drill/...
phase "reliability drill under $tofu_version" env SENDGRIDAUDIENCE_DRILL_CLI="$bin/tofu" SENDGRIDAUDIENCE_DRILL_REPORT="$drill_report" "$bin/gotestsum" --format testname -- -count=1 -timeout 20m ./internal/drill/...
[ -f "$drill_report" ] && cat "$drill_report"

echo
echo "=== summary"
printf '%s\n' "${summary[@]}"
phases=${#summary[@]}
echo "phases: $((phases - failed)) passed, $failed failed"
[ "$failed" = 0 ]
