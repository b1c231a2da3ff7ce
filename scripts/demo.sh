#!/usr/bin/env bash
# `make demo`: index the fixture corpus and search it.
set -euo pipefail
cd "$(dirname "$0")/.."
ENGRAM=.build/release/engram
INDEX=Indexes/demo.sqlite

echo "== engram index fixtures/docs --index $INDEX"
$ENGRAM index fixtures/docs --index "$INDEX"
echo
for q in "why is the sea higher twice a day" "exponential backoff when a request fails" \
         "how plants turn light into sugar" "undo a bad rebase"; do
  echo "== engram search \"$q\" -n 3"
  $ENGRAM search "$q" --index "$INDEX" -n 3
  echo
done
echo "== short-term memory: a search, then a terse follow-up ranked with it (--explain shows how)"
$ENGRAM memory clear --index "$INDEX" --profile demo >/dev/null
$ENGRAM search "why the moon makes the sea rise and fall twice a day" --index "$INDEX" --profile demo -n 1 \
  --at 2026-01-05T10:00:00Z >/dev/null
$ENGRAM search "neap tides" --index "$INDEX" --profile demo -n 3 --explain --at 2026-01-05T10:01:00Z
echo
echo "== engram status"
$ENGRAM status --index "$INDEX"
