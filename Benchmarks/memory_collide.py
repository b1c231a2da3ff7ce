#!/usr/bin/env python3
"""What cranfield's collisions are made of, and whether anything could tell them from continuations.

Runs `engram eval sessions DIR --json [SETTING] --details FILE` on every collection, for the default and for
a setting to compare (by default the one cranfield's fold chooses in memory_loo.py), and prints:

1. exposure: per collection, the single-search collide and drilldown sessions whose entry passes the guard
   (cos(q, e) − c₍ₖ₎ ≥ τ) at each τ given. A collection whose collisions never pass cannot show what a lower
   τ costs;
2. the collide sessions of --collection whose nDCG@10 moves under the setting, against the default, with
   each one's share of the collection's baseline;
3. sessions the engine cannot tell apart: a collide and a drilldown session with the same target text and
   the same history text (one query's short form is another's), with the change memory makes to each;
4. with --centered, the guard's AUC (drilldown against collide) with cosines taken after subtracting the
   index's mean vector (a common correction for a narrow collection, where every vector shares one
   direction), beside the plain guard's. The query and history texts are embedded offline by a numpy
   all-MiniLM-L6-v2 (checked against the golden vectors first; needs `pip install tokenizers safetensors`).

Usage: memory_collide.py [--engram BIN] [--datasets DIR] [--work DIR] [--collection NAME] [--setting S]
                         [--tau T ...] [--centered --model DIR --golden FILE --indexes DIR]
"""
import argparse, collections, hashlib, json, os, sqlite3, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from memory_features import auc  # noqa: E402
from memory_replay import guard_score as guard  # noqa: E402  (the query's k-th best chunk, k = 0.001 × chunks)

FOLD = ("--tau=0.08 --keep-below 0.5 --keep-lead 0.15 --keep-lead-below 0.9")
SHARE = 0.001  # the guard's reference share (MemoryConfig.referenceShare)


def details(engram, datasets, work, name, setting):
    """The details of one run, cached per collection, setting and engine build (a new binary runs anew)."""
    build = int(os.stat(engram).st_mtime)
    tag = hashlib.sha1(f"{setting}|{build}".encode()).hexdigest()[:12]
    path = os.path.join(work, f"{name}-{tag}.jsonl")
    if not os.path.exists(path):
        partial = path + ".part"  # renamed only once complete, so a failed run leaves nothing to reuse
        args = [engram, "eval", "sessions", os.path.join(datasets, name), "--json", "--details", partial] + setting.split()
        subprocess.run(args, capture_output=True, text=True, check=True)
        os.replace(partial, path)
    sessions = [json.loads(line) for line in open(path, encoding="utf-8")]
    return [s for s in sessions if s["kind"] in ("drilldown", "collide") and len(s["entries"]) == 1
            and s["entries"][0].get("kind", "query") == "query"]


def change(s):
    return s["ndcg"]["memory"] - s["ndcg"]["baseline"]


def centered_guards(sessions, index, model, golden):
    """The guard with every vector taken from the index's mean: cos(q − μ, e − μ) − the k-th best cos(q − μ, c − μ)."""
    import numpy as np
    from minilm_numpy import Encoder
    enc = Encoder(model)
    enc.check(golden)
    db = sqlite3.connect(f"file:{index}?mode=ro", uri=True)
    V = np.frombuffer(b"".join(r[0] for r in db.execute("SELECT vector FROM vectors ORDER BY chunk_id")), dtype=np.float32)
    V = V.reshape(-1, enc.dim)
    mu = V.mean(0)
    C = V - mu
    C /= np.linalg.norm(C, axis=1, keepdims=True)
    k = max(1, min(200, round(SHARE * len(V))))
    unit = lambda v: (v - mu) / np.linalg.norm(v - mu)
    cache = {}
    vec = lambda t: cache.setdefault(t, unit(enc.embed(t)))
    out = {}
    for s in sessions:
        q, e = vec(s["target"]["text"]), vec(s["entries"][0]["text"])
        out[s["id"]] = float(q @ e - np.sort(C @ q)[::-1][k - 1])
    return out, float(np.linalg.norm(mu))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--engram", default=".build/release/engram")
    ap.add_argument("--datasets", default="../shared/datasets")
    ap.add_argument("--work", default="/tmp/engram-memory-collide")
    ap.add_argument("--collection", default="cranfield")
    ap.add_argument("--setting", default=FOLD)
    ap.add_argument("--tau", type=float, nargs="*", default=[0.08, 0.10])
    ap.add_argument("--centered", action="store_true")
    ap.add_argument("--model", default=os.path.expanduser(os.environ.get("ENGRAM_MODEL", "~/.local/share/engram/models/all-MiniLM-L6-v2")))
    ap.add_argument("--golden", default="../shared/reference/minilm-golden.json")
    ap.add_argument("--indexes", default=os.path.join(os.environ.get("ENGRAM_HOME", os.path.expanduser("~/.local/share/engram")), "cache"))
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    names = sorted(d for d in os.listdir(a.datasets) if os.path.exists(os.path.join(a.datasets, d, "sessions.jsonl")))
    base = {n: details(a.engram, a.datasets, a.work, n, "") for n in names}

    print("| collection | " + " | ".join(f"τ {t:g}: collide / drilldown passing" for t in a.tau) + " |")
    print("|---|" + "---:|" * len(a.tau))
    for n in names:
        count = lambda kind, t: sum(1 for s in base[n] if s["kind"] == kind and guard(s) >= t)
        total = lambda kind: sum(1 for s in base[n] if s["kind"] == kind)
        print(f"| {n} | " + " | ".join(f"{count('collide', t)}/{total('collide')} · {count('drilldown', t)}/{total('drilldown')}"
                                       for t in a.tau) + " |")

    held = a.collection
    other = {s["id"]: s for s in details(a.engram, a.datasets, a.work, held, a.setting)}
    mine = {s["id"]: s for s in base[held]}
    collide_base = sum(s["ndcg"]["baseline"] for s in mine.values() if s["kind"] == "collide")
    moved = sorted((s for s in other.values() if s["kind"] == "collide" and (change(s) or change(mine[s["id"]]))), key=change)
    print(f"\n{held}: collide sessions that move (`{a.setting}` against the default; share of the baseline's "
          f"nDCG@10 sum {collide_base:.2f})\n")
    print("| target | history | guard | setting | default |")
    print("|---|---|---:|---:|---:|")
    for s in moved:
        d = mine[s["id"]]
        print(f"| {s['target']['text']} | {s['entries'][0]['text'][:70]} | {guard(s):+.3f} | "
              f"{change(s) / collide_base * 100:+.2f} % | {change(d) / collide_base * 100:+.2f} % |")
    print(f"| total | | | {sum(map(change, moved)) / collide_base * 100:+.2f} % | "
          f"{sum(change(mine[s['id']]) for s in moved) / collide_base * 100:+.2f} % |")

    print("\nSessions with the same inputs and opposite labels (target and history identical):\n")
    print("| collection | target | history | drilldown: change (setting / default) | collide: change (setting / default) |")
    print("|---|---|---|---:|---:|")
    for n in names:
        runs = {s["id"]: s for s in details(a.engram, a.datasets, a.work, n, a.setting)} if n == held else None
        by = collections.defaultdict(dict)
        for s in base[n]:
            by[(s["target"]["text"], s["entries"][0]["text"])][s["kind"]] = s
        for (target, history), kinds in sorted(by.items()):
            if len(kinds) < 2:
                continue
            cell = lambda s: f"{change(runs[s['id']]):+.3f} / {change(s):+.3f}" if runs else f"— / {change(s):+.3f}"
            print(f"| {n} | {target} | {history[:60]} | {cell(kinds['drilldown'])} | {cell(kinds['collide'])} |")

    if a.centered:
        print("\n| collection | index mean's norm | guard AUC, drilldown vs collide: plain | centred |")
        print("|---|---:|---:|---:|")
        for n in names:
            g, norm = centered_guards(base[n], os.path.join(a.indexes, f"beir-{n}.sqlite"), a.model, a.golden)
            split = lambda f: ([f(s) for s in base[n] if s["kind"] == "drilldown"], [f(s) for s in base[n] if s["kind"] == "collide"])
            print(f"| {n} | {norm:.3f} | {auc(*split(guard)):.3f} | {auc(*split(lambda s: g[s['id']])):.3f} |")


if __name__ == "__main__":
    main()
