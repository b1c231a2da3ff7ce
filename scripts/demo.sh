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
echo "== engram status"
$ENGRAM status --index "$INDEX"
