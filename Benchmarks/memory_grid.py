#!/usr/bin/env python3
"""Short-term memory settings on every collection's sessions: drilldown recovered, related,
switch/collide/stale relative change, fresh vs buried lift, and the naive concatenation anchor.

Usage: memory_grid.py [--engram BIN] [--datasets DIR] SETTING...
A SETTING is a space-separated list of `engram eval sessions` flags, e.g. "--tau 0.7 --beta 2".
"""
import argparse, json, os, subprocess, sys

KINDS = ["drilldown", "fresh", "buried", "stale", "switch", "collide", "related"]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--engram", default=".build/release/engram")
    ap.add_argument("--datasets", default="../shared/datasets")
    ap.add_argument("settings", nargs="*", default=[""])
    a = ap.parse_args()
    names = sorted(d for d in os.listdir(a.datasets) if os.path.exists(os.path.join(a.datasets, d, "sessions.jsonl")))
    for setting in a.settings:
        rows = {}
        for name in names:
            out = subprocess.run([a.engram, "eval", "sessions", os.path.join(a.datasets, name), "--json"] + setting.split(),
                                 capture_output=True, text=True, check=True).stdout
            rows[name] = json.loads(out)["kinds"]
        print(f"\n### setting: {setting or '(defaults)'}\n")
        print("| collection | drilldown rec. | fresh / buried lift | related Δ | switch Δ | collide Δ | stale Δ | concat dd rec. | concat switch / collide / buried Δ |")
        print("|---|---:|---|---:|---:|---:|---:|---:|---|")
        dd, worst_switch, worst_collide = [], 0, 0
        for name, k in rows.items():
            def rel(kind, key="relative_change"):
                return k[kind][key] if kind in k else None
            def concat_rel(kind):
                x = k[kind]
                return (x["ndcg@10_concat"] - x["ndcg@10_baseline"]) / x["ndcg@10_baseline"] if x["ndcg@10_baseline"] else 0
            dd.append(k["drilldown"]["recovered"])
            worst_switch = min(worst_switch, rel("switch"))
            worst_collide = min(worst_collide, rel("collide") or 0)
            lift = lambda kind: k[kind]["ndcg@10_memory"] - k[kind]["ndcg@10_baseline"]
            related = f"{rel('related') * 100:+.1f} %" if "related" in k else "—"
            conc_dd = (k["drilldown"]["ndcg@10_concat"] - k["drilldown"]["ndcg@10_baseline"]) / max(1e-9, k["drilldown"]["ndcg@10_full_query"] - k["drilldown"]["ndcg@10_baseline"])
            print(f"| {name} | {k['drilldown']['recovered'] * 100:+.1f} % | {lift('fresh'):+.3f} / {lift('buried'):+.3f} | {related} | "
                  f"{rel('switch') * 100:+.1f} % | {(rel('collide') or 0) * 100:+.1f} % | {rel('stale') * 100:+.1f} % | {conc_dd * 100:+.1f} % | "
                  f"{concat_rel('switch') * 100:+.0f} % / {concat_rel('collide') * 100:+.0f} % / {concat_rel('buried') * 100:+.0f} % |")
        print(f"\nmean drilldown recovered {sum(dd) / len(dd) * 100:.1f} %, worst switch {worst_switch * 100:+.2f} %, worst collide {worst_collide * 100:+.2f} %")
        sys.stdout.flush()

if __name__ == "__main__":
    main()
