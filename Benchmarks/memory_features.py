#!/usr/bin/env python3
"""Can anything the engine sees tell a continuation from a collision? Reads the per-session raw scores
of `engram eval sessions DIR --details FILE` and prints, per collection:

1. AUC of guard features for drilldown vs collide and for related vs collide (0.5 = no better than chance);
2. whether a guard's threshold carries over: set on five collections so that it lets through at most 8 %
   of each one's collisions and switches, the share of the sixth's drilldowns (and collisions) let through,
   for the reference chunk by rank and as a share of the index;
3. an agreement re-rank with no guard: the target's base top 100 re-scored as base + λ · (the history
   entry's own base score), relative nDCG@10 change per kind.

Only single-search sessions (drilldown, switch, collide, related) are used. With --clicks the sessions
are run with simulated opens, and the guard features are also given for the opened passages.

Usage: memory_features.py [--engram BIN] [--datasets DIR] [--work DIR] [--clicks]
"""
import argparse, collections, json, math, os, subprocess

KINDS = ("related", "collide", "switch", "drilldown")


def ndcg(ranking, qrels, k=10):
    dcg = sum(qrels.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranking[:k]))
    ideal = sorted(qrels.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def fused(s, j, alpha=0.6):
    """Min-max fusion of side j (0 = target, 1 = the history entry), exactly as the engine computes it."""
    side = s["target"] if j == 0 else s["entries"][j - 1]
    lo, hi, bm = side["cosMin"], side["cosMax"], side["bm25Max"]
    return {d: alpha * ((v[2 * j] - lo) / (hi - lo) if hi > lo else 0) + (1 - alpha) * (v[2 * j + 1] / bm if bm > 0 else 0)
            for d, v in s["docs"].items()}


def ranked(scores):
    return [d for d, _ in sorted(scores.items(), key=lambda x: (-x[1], x[0]))]


def auc(pos, neg):
    if not pos or not neg:
        return float("nan")
    return sum(1 if p > n else 0.5 if p == n else 0 for p in pos for n in neg) / (len(pos) * len(neg))


FEATURES = {
    "cosine": lambda s: s["entries"][0]["similarity"],
    "margin .5": lambda s: s["entries"][0]["similarity"] - 0.5 * s["target"]["cosMax"],
    "margin .75": lambda s: s["entries"][0]["similarity"] - 0.75 * s["target"]["cosMax"],
    "margin 1 against the 10th chunk": lambda s: s["entries"][0]["similarity"] - s["target"]["top"][9],
    # Agreement: the entry's mean cosine to the query's 10 best chunks, less the query's own.
    "agreement with the query's 10 best chunks": lambda s: s["entries"][0]["agree10"] - sum(s["target"]["top"][:10]) / 10,
    "top-20 overlap": lambda s: len(set(s["_base"][:20]) & set(ranked(fused(s, 1))[:20])),
    # How well the current query scores what the history found.
    "query on history's top 10": lambda s: sum(s["_t"][d] for d in ranked(fused(s, 1))[:10]) / 10,
    "history's top 10 in query's top 50": lambda s: len(set(ranked(fused(s, 1))[:10]) & set(s["_base"][:50])),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--engram", default=".build/release/engram")
    ap.add_argument("--datasets", default="../shared/datasets")
    ap.add_argument("--work", default="/tmp/engram-memory-features")
    ap.add_argument("--clicks", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    names = sorted(d for d in os.listdir(a.datasets) if os.path.exists(os.path.join(a.datasets, d, "sessions.jsonl")))
    data, opened = {}, {}
    for name in names:
        path = os.path.join(a.work, name + ".jsonl")
        subprocess.run([a.engram, "eval", "sessions", os.path.join(a.datasets, name), "--json", "--details", path]
                       + (["--clicks"] if a.clicks else []), check=True, capture_output=True)
        sessions = [json.loads(line) for line in open(path, encoding="utf-8")]
        data[name] = [s for s in sessions if s["kind"] in KINDS and s["entries"] and s["entries"][0].get("kind", "query") == "query"
                      and len([e for e in s["entries"] if e.get("kind", "query") == "query"]) == 1]
        if a.clicks:
            # The opened passage judged as the guard judges it: the same features, on the open entry.
            opened[name] = [dict(s, entries=[e for e in s["entries"] if e.get("kind") == "open"]) for s in data[name]]
            opened[name] = [s for s in opened[name] if s["entries"]]
        data[name] = [s for s in data[name] if len(s["entries"]) == 1]
        for s in data[name]:
            s["_t"] = fused(s, 0)
            s["_base"] = ranked(s["_t"])

    print("| feature | " + " | ".join(f"{n} dd/collide · related/collide" for n in names) + " |")
    print("|---|" + "---:|" * len(names))
    for label, f in FEATURES.items():
        cells = []
        for n in names:
            by = collections.defaultdict(list)
            for s in data[n]:
                by[s["kind"]].append(f(s))
            cells.append(f"{auc(by['drilldown'], by['collide']):.2f} · {auc(by['related'], by['collide']):.2f}")
        print(f"| {label} | " + " | ".join(cells) + " |")
    for label in ("cosine", "margin .75", "margin 1 against the 10th chunk"):
        if not opened:
            break
        f = FEATURES[label]
        cells = []
        for n in names:
            by = collections.defaultdict(list)
            for s in opened[n]:
                by[s["kind"]].append(f(s))
            cells.append(f"{auc(by['drilldown'], by['collide']):.2f} · {auc(by['related'], by['collide']):.2f}")
        print(f"| opened passage: {label} | " + " | ".join(cells) + " |")

    # Does a threshold carry over? Reference by rank (1, 10) or as a share of the index (k = share × chunks).
    def quantile(xs, q):
        xs = sorted(xs)
        pos = q * (len(xs) - 1)
        lo = int(pos)
        return xs[lo] + (xs[min(lo + 1, len(xs) - 1)] - xs[lo]) * (pos - lo)

    def reference(s, rank, share):
        k = max(1, min(200, round(share * s["target"]["chunks"]))) if share else rank
        return s["target"]["top"][min(k, len(s["target"]["top"])) - 1]

    print("\n| guard score | " + " | ".join(f"{n}: drilldown / collide let through" for n in names) + " |")
    print("|---|" + "---:|" * len(names))
    for mu, rank, share in ((0.75, 1, 0), (0.75, 10, 0), (0.75, 0, 0.001), (1, 1, 0), (1, 0, 0.001), (1, 0, 0.002)):
        score = {n: collections.defaultdict(list) for n in names}
        for n in names:
            for s in data[n]:
                score[n][s["kind"]].append(s["entries"][0]["similarity"] - mu * reference(s, rank, share))
        cells = []
        for held in names:
            threshold = max(quantile(score[n][k], 0.92) for n in names if n != held for k in ("collide", "switch"))
            through = lambda k: sum(x > threshold for x in score[held][k]) / len(score[held][k])
            cells.append(f"{through('drilldown'):.2f} / {through('collide'):.2f}")
        label = f"cos − {mu} × " + (f"the {share:g} share's chunk" if share else f"chunk {rank}")
        print(f"| {label} | " + " | ".join(cells) + " |")

    print("\n| agreement re-rank, no guard | " + " | ".join(KINDS) + " |")
    print("|---|" + "---|" * len(KINDS))
    for lam in (0.05, 0.1, 0.2):
        rel = {}
        for n in names:
            sums = collections.defaultdict(lambda: [0.0, 0.0])
            for s in data[n]:
                e, top = fused(s, 1), s["_base"][:100]
                new = ranked({d: s["_t"][d] + lam * e[d] for d in top})
                sums[s["kind"]][0] += ndcg(s["_base"], s["qrels"])
                sums[s["kind"]][1] += ndcg(new, s["qrels"])
            rel[n] = {k: (v[1] - v[0]) / v[0] * 100 if v[0] else 0.0 for k, v in sums.items()}
        cells = [" ".join(f"{rel[n][k]:+.1f}" if k in rel[n] else "—" for n in names) for k in KINDS]
        print(f"| λ {lam} ({', '.join(names)}) | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
