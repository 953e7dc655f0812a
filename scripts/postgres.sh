#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL server on loopback, then stops and deletes it.
#   scripts/postgres.sh <command...>
# The command sees SENDGRIDAUDIENCE_TEST_PG_DSN (no password in it: the server trusts loopback)
# and the PG* variables libpq and pgx read. Installs Debian's postgresql package when missing.
set -euo pipefail

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
if [ -z "$pgbin" ] || [ ! -x "$pgbin/initdb" ]; then
  echo "postgres: installing Debian's postgresql package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq postgresql >/dev/null
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
fi

dir=$(mktemp -d /tmp/sgaudience-pg.XXXXXX)
port=${PGTEST_PORT:-$(( 20000 + RANDOM % 20000 ))}
run_as=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home "$dir" postgres
  chown postgres "$dir"
  run_as=(runuser -u postgres --)
fi

cleanup() {
  "${run_as[@]}" "$pgbin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

"${run_as[@]}" "$pgbin/initdb" -D "$dir/data" -U postgres -A trust --no-sync >/dev/null
"${run_as[@]}" "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-k $dir -p $port -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
echo "postgres: $("$pgbin/postgres" --version) on 127.0.0.1:$port (data in $dir)"

export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=postgres PGSSLMODE=disable
export SENDGRIDAUDIENCE_TEST_PG_DSN="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
"$@"
