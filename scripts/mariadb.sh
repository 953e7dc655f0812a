#!/usr/bin/env bash
# Runs a command against a throwaway MariaDB server on loopback, then stops and deletes it.
#   scripts/mariadb.sh <command...>
# The command sees SENDGRIDAUDIENCE_TEST_MYSQL_DSN (mysql://root@127.0.0.1:PORT/sgtest, no
# password: the server's root logs in from loopback without one). Installs Debian's
# mariadb-server package when missing; the server runs as the mysql user (created when missing)
# with its data, socket and log in a temporary directory.
set -euo pipefail

find_bin() { command -v "$1" 2>/dev/null || { [ -x "/usr/sbin/$1" ] && echo "/usr/sbin/$1"; } || true; }
mysqld=$(find_bin mariadbd)
installdb=$(find_bin mariadb-install-db)
if [ -z "$mysqld" ] || [ -z "$installdb" ]; then
  echo "mariadb: installing Debian's mariadb-server package"
  export DEBIAN_FRONTEND=noninteractive
  # A policy-rc.d that answers 101 keeps the package from starting a server of its own on
  # port 3306 (the machine's, left running); one already there is left as it is.
  policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get update -qq >/dev/null
  apt-get install -y -qq mariadb-server >/dev/null
  if [ -n "$policy" ]; then rm -f "$policy"; trap - EXIT; fi
  mysqld=$(find_bin mariadbd)
  installdb=$(find_bin mariadb-install-db)
fi
client=$(find_bin mariadb)

dir=$(mktemp -d /tmp/sgaudience-mariadb.XXXXXX)
chmod 755 "$dir"
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=${MARIADBTEST_PORT:-}
if [ -z "$port" ]; then
  port=$(( 20000 + RANDOM % 20000 ))
  while listening "$port"; do port=$(( 20000 + RANDOM % 20000 )); done
fi
user=$(id -un)
if [ "$(id -u)" = 0 ]; then
  id mysql >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent mysql
  user=mysql
fi
chown "$user" "$dir"

pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

"$installdb" --no-defaults --user="$user" --datadir="$dir/data" --auth-root-authentication-method=normal \
  --skip-test-db >"$dir/install.log" 2>&1 || { cat "$dir/install.log"; exit 1; }
"$mysqld" --no-defaults --user="$user" --datadir="$dir/data" --socket="$dir/mysqld.sock" \
  --pid-file="$dir/mysqld.pid" --log-error="$dir/server.log" --bind-address=127.0.0.1 --port="$port" \
  --skip-name-resolve --innodb-buffer-pool-size=64M --innodb-flush-log-at-trx-commit=0 \
  --innodb-doublewrite=0 --skip-log-bin >"$dir/stderr.log" 2>&1 &
pid=$!
for _ in $(seq 300); do
  if "$client" --no-defaults -uroot --protocol=socket --socket="$dir/mysqld.sock" -e 'SELECT 1' >/dev/null 2>&1; then
    break
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "mariadb: the server did not start:"; cat "$dir/server.log"; exit 1
  fi
  sleep 0.1
done
# root logs in over TCP from loopback without a password; the tests' database is sgtest.
"$client" --no-defaults -uroot --protocol=socket --socket="$dir/mysqld.sock" -e "
  CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';
  GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
  CREATE DATABASE sgtest;"
echo "mariadb: $("$mysqld" --version | sed 's/^.*Ver //') on 127.0.0.1:$port (data in $dir)"

export SENDGRIDAUDIENCE_TEST_MYSQL_DSN="mysql://root@127.0.0.1:$port/sgtest"
"$@"
