#!/usr/bin/env bash
# `make bench`: the benchmarks, measured in one run on this machine, printed as one table.
#   - profile sources: read + filter 100,000 and 1,000,000 profiles from CSV, JSON Lines, SQLite
#     PostgreSQL and MySQL (throwaway PostgreSQL and MariaDB servers on loopback), with
#     throughput, allocations and peak heap; also Parquet and gzipped CSV;
#   - the export engine against the in-process emulator: plan phase and upload phase separately,
#     the raw transfer baseline (the same contacts pre-serialized and PUT with the same client),
#     a 1 % incremental run, request counts and peak heap, at 100,000 and 1,000,000 profiles;
#   - end to end: terraform plan + apply of 100,000 profiles through the built provider against
#     the emulator command (and 1,000,000 with BENCH_E2E_PROFILES=1000000).
# Each benchmark runs more than once and the table keeps the fastest run (the machine is shared).
# Raw output goes to .bench/; the table is printed at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export GOFLAGS=${GOFLAGS:--buildvcs=false}
out="$root/.bench"
mkdir -p "$out"
bash scripts/tools.sh terraform >/dev/null

echo "== profile sources (read + filter)"
bash scripts/postgres.sh bash scripts/mariadb.sh go test -run '^$' -bench 'BenchmarkSegmentReadFilter' -benchtime 1x -count 2 -timeout 60m ./internal/segment/ | tee "$out/sources.txt"

echo "== export engine (plan, upload, baseline, 1 % change)"
go test -run '^$' -bench 'BenchmarkPlan|BenchmarkUpload$|BenchmarkIncremental1pct' -benchtime 1x -count 3 -timeout 60m ./internal/export/ | tee "$out/engine.txt"

echo "== end to end: terraform plan + apply"
SENDGRIDAUDIENCE_DRILL_CLI="$root/.tools/bin/terraform" SENDGRIDAUDIENCE_DRILL_LOAD=${BENCH_E2E_PROFILES:-100000} \
  go test -run 'TestLoadEndToEnd' -count=1 -timeout 60m -v ./internal/drill/ | tee "$out/e2e.txt"

echo
echo "== results"
cat "$out/sources.txt" "$out/engine.txt" "$out/e2e.txt" | go run scripts/benchtable.go | tee "$out/table.txt"
