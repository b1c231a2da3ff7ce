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
$ENGRAM search "the Moon's gravity stretches the oceans into two tidal bulges" --index "$INDEX" --profile demo -n 1 \
  --at 2026-01-05T10:00:00Z >/dev/null
$ENGRAM search "tidal bulges" --index "$INDEX" --profile demo -n 5 --explain --at 2026-01-05T10:01:00Z
echo
echo "== personalized ranking report of that session"
$ENGRAM report --index "$INDEX" --profile demo --at 2026-01-05T10:02:00Z -n 5 -o Indexes/demo-report.html
echo "report: $(pwd)/Indexes/demo-report.html"
echo
echo "== engram status"
$ENGRAM status --index "$INDEX"
