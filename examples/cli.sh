#!/usr/bin/env sh
# rx-abort from a shell: check the server, abort, look, wait for an outcome, watch.
# It needs a Redis: REDIS_URL (else redis://127.0.0.1:6379), and the rx-abort bin on PATH (examples/README.md
# says how; test/cli/cli.test.ts runs it against a redis-server of its own).
set -eu

rx-abort doctor || echo "doctor found a problem: each failure above says how to fix it"

rx-abort abort job-1 --reason "from examples/cli.sh" --ttl 60000
rx-abort status job-1

# No worker runs job-2 here, so nobody reports an outcome: exit code 1 after 500 ms.
rx-abort abort job-2 --wait 500 || echo "no worker acted on job-2"

# Watch job-3 in the background, abort it, then stop the watcher (Ctrl-C in a terminal).
out=$(mktemp)
rx-abort watch job-3 --json >"$out" &
watcher=$!
tries=0
until grep -q '"watching"' "$out"; do tries=$((tries + 1)); [ "$tries" -lt 200 ] || exit 1; sleep 0.05; done
rx-abort abort job-3 --mode cancel
until grep -q '"type":"abort"' "$out"; do tries=$((tries + 1)); [ "$tries" -lt 400 ] || exit 1; sleep 0.05; done
kill -TERM "$watcher"
wait "$watcher"
cat "$out"
rm -f "$out"
