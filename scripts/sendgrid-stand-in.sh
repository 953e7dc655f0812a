#!/usr/bin/env bash
# Runs a command with the acceptance tests' real-API mode pointed at a SendGrid emulator started
# as a separate process on loopback, then stops the emulator.
#   scripts/sendgrid-stand-in.sh <command...>
# The command sees what `make testacc-sendgrid` needs from a real account (SENDGRIDAUDIENCE_ACC_SENDGRID=1,
# SENDGRID_API_KEY, SENDGRIDAUDIENCE_ACC_LIST_ID) plus SENDGRIDAUDIENCE_ACC_API_URL, the emulator's
# URL. The tests then hold no handle on the emulator: they see only its HTTP API, as they would
# see SendGrid's, so a test that passes here relies on nothing only the emulator has.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

work=$(mktemp -d /tmp/sgaudience-stand-in.XXXXXX)
emulator_pid=
command_pid=
cleanup() {
  for pid in $command_pid $emulator_pid; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

(cd "$root" && go build -o "$work/sendgrid-emulator" ./internal/emulator/cmd/sendgrid-emulator)

# The key has the scopes SendGrid grants a restricted key with Marketing: Full Access and User
# Account: Read Access, in an account of its own (4242); the scratch list is the account's only list.
# SendGrid applies jobs minutes later; the emulator's consistency lag stands for that, short (2 s)
# so the suite stays fast. The provider's settle window (SENDGRIDAUDIENCE_SETTLE_WINDOW), 15 minutes
# by default for SendGrid's minutes, is shortened in proportion to 3 s, still longer than the
# lag: the tests go through the same waits (list counts behind the last run, destroys that wait
# out the window) in seconds instead of a quarter of an hour each. The jobs' errors files come
# in JSON, not the default CSV: SendGrid does not document their format.
key="SG.stand-in-for-a-real-sendgrid-key"
scopes="marketing.automation.read,marketing.read,user.account.read,user.username.read"
"$work/sendgrid-emulator" -addr 127.0.0.1:0 -url-file "$work/url" -key "$key@4242:$scopes" \
  -seed-list "Acceptance scratch list" -consistency-lag 2s -errors-file json > "$work/emulator.log" 2>&1 &
emulator_pid=$!
for _ in $(seq 1 100); do
  [ -s "$work/url" ] && break
  kill -0 "$emulator_pid" 2>/dev/null || break
  sleep 0.1
done
if [ ! -s "$work/url" ]; then
  echo "sendgrid-stand-in: the emulator did not start:" >&2
  cat "$work/emulator.log" >&2
  exit 1
fi
url=$(cat "$work/url")
list_id=$(sed -n 's/.*list "Acceptance scratch list" id=\([0-9a-f-]*\).*/\1/p' "$work/emulator.log" | head -n1)
echo "sendgrid-stand-in: emulator on $url (pid $emulator_pid), scratch list $list_id"

# In the background, so that a signal to this script stops the command and the emulator at once.
SENDGRIDAUDIENCE_ACC_SENDGRID=1 SENDGRID_API_KEY="$key" SENDGRIDAUDIENCE_ACC_LIST_ID="$list_id" \
  SENDGRIDAUDIENCE_ACC_API_URL="$url" SENDGRIDAUDIENCE_SETTLE_WINDOW=3s "$@" &
command_pid=$!
status=0
wait "$command_pid" || status=$?
command_pid=
exit "$status"
