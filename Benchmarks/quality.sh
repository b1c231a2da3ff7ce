#!/usr/bin/env bash
# Retrieval quality on every BEIR collection in ../shared/datasets: semantic, lexical and hybrid
# variants (fusion, weight, lexical scorer), as a Markdown table of nDCG@10. The first run indexes
# each collection into $ENGRAM_HOME/cache (minutes); later runs only search.
set -euo pipefail
cd "$(dirname "$0")/.."
ENGRAM=${ENGRAM:-.build/release/engram}
DATASETS=${ENGRAM_DATASETS:-../shared/datasets}
OUT=$(mktemp)
for dir in "$DATASETS"/*/; do
  [[ -f $dir/corpus.jsonl ]] || continue
  name=$(basename "$dir")
  run() { $ENGRAM eval beir "$dir" --json "$@" | python3 -c "import json,sys; [print(json.dumps({**json.loads(l), 'variant': sys.argv[1]})) for l in sys.stdin]" "$label" >> "$OUT"; }
  label="semantic";                         run --mode semantic
  label="lexical (bm25 0.9/0.4)";           run --mode lexical
  label="lexical (fts5 bm25)";              run --mode lexical --lexical fts5
  label="hybrid rrf";                       run --fusion rrf
  for a in 0.3 0.4 0.5 0.6 0.7; do
    label="hybrid minmax alpha=$a";         run --alpha $a
  done
  label="hybrid minmax 0.5, fts5 lexical";  run --lexical fts5
  echo "done: $name" >&2
done
python3 - "$OUT" <<'PY'
import json, sys, collections
rows = [json.loads(l) for l in open(sys.argv[1])]
sets = sorted({r["dataset"] for r in rows})
table = collections.defaultdict(dict)
for r in rows: table[r["variant"]][r["dataset"]] = r["ndcg@10"]
print("| variant | " + " | ".join(sets) + " | mean |")
print("|---|" + "---:|" * (len(sets) + 1))
for v, by in table.items():
    vals = [by.get(s) for s in sets]
    mean = sum(x for x in vals if x is not None) / max(1, sum(x is not None for x in vals))
    print(f"| {v} | " + " | ".join(f"{x:.4f}" if x is not None else "" for x in vals) + f" | {mean:.4f} |")
PY
rm -f "$OUT"
