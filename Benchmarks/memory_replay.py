#!/usr/bin/env python3
"""Replays memory's expansion offline, from the per-session scores of `engram eval sessions DIR --details FILE`,
to try many ways of applying a remembered search in seconds rather than an engine run each.

For each single-search session (drilldown, switch, collide, related; no opens) it rebuilds the ranking with
memory as the engine does (docs/research.md): the query vector pulled towards the entry's, normalize(q + βw·e),
min-max fused with BM25(query) + βw·s·BM25(entry); w = decay × σ((cos(q, e) − c₍ₖ₎ − τ)/width), k at the guard's
share of the index. The candidate documents are those the details file holds (the target's top 200 and the
entry's top 50), so figures differ from the engine's by about a point; settings worth keeping are then run
through the engine (`memory_loo.py`).

The grid's first coordinate is how many of the query's own best documents stay first (the engine's
`--keep-first`, here kept always, as `--keep-below 1`). The script prints, per setting of the grid, drilldown
recovered and the relative change of collide and related per collection, then a leave-one-collection-out
choice over the grid under memory_loo.py's rule (targets without opens only).

With --lead it prints instead, at τ 0.10, β 4, width 0.04 with the best match kept, when to keep it: while
the guard is under a level (`--keep-below`), or when the match leads the query's runner-up by a share of its
fused score or more (`--keep-lead`) while the guard is under a higher level (`--lead-below`).

Usage: memory_replay.py [--work DIR] [--lead]   (DIR: the details files memory_features.py writes, one per collection)
"""
import argparse, collections, itertools, json, math, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from memory_features import ndcg  # noqa: E402

KINDS = ("drilldown", "collide", "switch", "related")
LIMITS = {"switch": -0.01, "collide": -0.02, "related": -0.005}


def rank(scores):
    return [d for d, _ in sorted(scores.items(), key=lambda x: (-x[1], x[0]))]


def guard_score(s, share=0.001):
    k = max(1, min(200, round(share * s["target"]["chunks"])))
    top = s["target"]["top"]
    return s["entries"][0]["similarity"] - top[min(k, len(top)) - 1]


def base_scores(s, alpha=0.6):
    t = s["target"]
    lo, hi, bm = t["cosMin"], t["cosMax"], t["bm25Max"]
    return {d: alpha * ((v[0] - lo) / (hi - lo) if hi > lo else 0) + (1 - alpha) * (v[1] / bm if bm > 0 else 0)
            for d, v in s["docs"].items()}


def expanded(s, bw, alpha=0.6):
    """The ranking with the entry at strength β·w, on both sides, as the engine expands the query."""
    t, h = s["target"], s["entries"][0]
    norm = math.sqrt(1 + 2 * bw * h["similarity"] + bw * bw)
    sem = {d: (v[0] + bw * v[2]) / norm for d, v in s["docs"].items()}
    lo, hi = (t["cosMin"] + bw * h["cosMin"]) / norm, max(sem.values())
    factor = bw * t["bm25Max"] / h["bm25Max"] if h["bm25Max"] > 0 and t["bm25Max"] > 0 else 0
    lex = {d: v[1] + factor * v[3] for d, v in s["docs"].items()}
    lm = max(lex.values()) or 1
    return rank({d: alpha * ((sem[d] - lo) / (hi - lo) if hi > lo else 0) + (1 - alpha) * lex[d] / lm for d in s["docs"]})


def load(path):
    sessions = [json.loads(line) for line in open(path, encoding="utf-8")]
    sessions = [s for s in sessions if s["kind"] in KINDS and len(s["entries"]) == 1
                and s["entries"][0].get("kind", "query") == "query"]
    for s in sessions:
        s["_g"] = guard_score(s)
        s["_base"] = rank(base_scores(s))
        s["_b"] = ndcg(s["_base"], s["qrels"])
    return sessions


def lead(s):
    """How far the query's best document leads its runner-up without memory, as a share of its fused score."""
    b, top = base_scores(s), s["_base"]
    return (b[top[0]] - b[top[1]]) / b[top[0]] if len(top) > 1 and b[top[0]] > 0 else 1


def evaluate(sessions, tau, beta, width, keep, floor=0.01, below=1.0, keep_lead=math.inf, lead_below=1.0):
    """Per kind: drilldown recovered, else the relative change. The best `keep` documents stay first while the
    entry's guard is under `below` (1: always), or, while it is under `lead_below`, when the best leads its
    runner-up by `keep_lead` or more."""
    acc = collections.defaultdict(lambda: [0.0, 0.0, 0.0])
    for s in sessions:
        g = 1 / (1 + math.exp(-(s["_g"] - tau) / width))
        w = s["entries"][0]["decay"] * g
        m = s["_b"]
        if w >= floor:
            r = expanded(s, beta * w)
            kept = s["_base"][:keep] if below >= 1 or g < below or (g < lead_below and lead(s) >= keep_lead) else []
            m = ndcg(kept + [d for d in r if d not in kept], s["qrels"])
        a = acc[s["kind"]]
        a[0] += s["_b"]
        a[1] += m
        a[2] += s["ndcg"].get("full_query") or 0
    return {k: ((m - b) / (f - b) if f > b else 0) if k == "drilldown" else ((m - b) / b if b else 0)
            for k, (b, m, f) in acc.items()}


def shortfall(f):
    t = max(0.0, (0.20 - f["drilldown"]) / 0.20)
    for kind, limit in LIMITS.items():
        if kind in f and f[kind] < limit:
            t += (limit - f[kind]) / -limit
    return t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default="/tmp/engram-memory-features")
    ap.add_argument("--lead", action="store_true", help="the keep-below × keep-lead grid")
    a = ap.parse_args()
    names = sorted(f[:-6] for f in os.listdir(a.work) if f.endswith(".jsonl"))
    if not names:
        sys.exit(f"memory_replay: no details files in {a.work} (run memory_features.py first)")
    data = {n: load(os.path.join(a.work, n + ".jsonl")) for n in names}
    if a.lead:
        print("| kept below, lead, lead below | " + " | ".join(names) + " |")
        print("|---|" + "---|" * len(names))
        grid = list(itertools.product((0.5, 0.7, 0.9, 1.0), (0.1, 0.15, 0.2, math.inf), (1.0,)))
        grid += [(0.5, keep_lead, lead_below) for keep_lead in (0.1, 0.15) for lead_below in (0.8, 0.9)]
        for below, keep_lead, lead_below in grid:
            F = {n: evaluate(data[n], 0.10, 4, 0.04, 1, below=below, keep_lead=keep_lead, lead_below=lead_below) for n in names}
            print(f"| {below}, {keep_lead}, {lead_below} | " + " | ".join(f"{F[n]['drilldown'] * 100:.0f} co{F[n].get('collide', 0) * 100:+.1f}"
                                                           for n in names) + " |")
        return
    grid = list(itertools.product((0, 1), (0.10, 0.11, 0.12, 0.13, 0.14, 0.15, 0.16, 0.18), (3, 4, 5, 6, 8), (0.03, 0.04, 0.05, 0.07)))
    F = {g: {n: evaluate(data[n], g[1], g[2], g[3], g[0]) for n in names} for g in grid}
    print("| keep, τ, β, width | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for g in sorted(grid, key=lambda g: sum(shortfall(F[g][n]) for n in names))[:25]:
        print(f"| {g} | " + " | ".join(f"{F[g][n]['drilldown'] * 100:.0f} co{F[g][n].get('collide', 0) * 100:+.1f} "
                                      f"re{F[g][n].get('related', 0) * 100:+.1f}" for n in names) + " |")
    print("\n| held out | chosen on the other five (keep, τ, β, width) | drilldown | collide | related | switch |")
    print("|---|---|---:|---:|---:|---:|")
    for held in names:
        train = [n for n in names if n != held]
        g = min(grid, key=lambda g: (round(sum(shortfall(F[g][n]) for n in train), 6), -min(F[g][n]["drilldown"] for n in train)))
        f = F[g][held]
        print(f"| {held} | {g} | {f['drilldown'] * 100:.1f} % | {f.get('collide', 0) * 100:+.1f} % | "
              f"{f.get('related', 0) * 100:+.1f} % | {f.get('switch', 0) * 100:+.1f} % |")


if __name__ == "__main__":
    main()
