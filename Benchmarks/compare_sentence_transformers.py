#!/usr/bin/env python3
"""Engram's native encoder against sentence-transformers on the same passages, same run.

Embeds `title + " " + text` of the first N documents of a BEIR corpus, alternating the two
engines for several rounds (torch threads = 2, batch 32), checks that the vectors agree and
prints the median throughput of each and their ratio. Benchmark-only: the product never uses Python.
"""
import argparse, json, statistics, subprocess, sys, time

def passages(path, limit):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if len(out) >= limit:
                break
            d = json.loads(line)
            out.append(d.get("title", "") + " " + d.get("text", ""))
    return out

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--engram", default=".build/release/engram")
    ap.add_argument("--model", required=True)
    ap.add_argument("--corpus", default="../shared/datasets/scifact/corpus.jsonl")
    ap.add_argument("--limit", type=int, default=512)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()

    import numpy as np, torch
    from sentence_transformers import SentenceTransformer
    torch.set_num_threads(2)
    texts = passages(a.corpus, a.limit)
    st = SentenceTransformer(a.model, device="cpu")
    st.max_seq_length = 256
    tokens = sum(len(st.tokenizer(t, truncation=True, max_length=256)["input_ids"]) for t in texts)

    # Identical outputs: every passage's vector from both engines.
    proc = subprocess.run([a.engram, "embed", "--json", "--model", a.model], input="\n".join(texts) + "\n",
                          capture_output=True, text=True, check=True)
    native = np.array([json.loads(l)["embedding"] for l in proc.stdout.splitlines()], dtype=np.float32)
    ref = st.encode(texts, batch_size=32, normalize_embeddings=True)
    cos = (native * ref).sum(1) / (np.linalg.norm(native, axis=1) * np.linalg.norm(ref, axis=1))
    print(f"agreement: min cosine {cos.min():.7f}, max |diff| {np.abs(native - ref).max():.2e} over {len(texts)} passages")

    engram_tps, st_tps = [], []
    for r in range(a.rounds):
        out = subprocess.run([a.engram, "bench", "embed", "--json", "--rounds", "1", "--limit", str(a.limit),
                              "--corpus", a.corpus, "--model", a.model], capture_output=True, text=True, check=True)
        e = json.loads(out.stdout)
        engram_tps.append(e["tokens_per_s"])
        t0 = time.perf_counter()
        st.encode(texts, batch_size=32)
        dt = time.perf_counter() - t0
        st_tps.append(tokens / dt)
        print(f"round {r + 1}: engram {e['tokens_per_s']:.0f} tokens/s ({e['passages_per_s']:.1f} passages/s, "
              f"peak RSS {e['peak_rss_mb']:.0f} MB) | sentence-transformers {tokens / dt:.0f} tokens/s "
              f"({len(texts) / dt:.1f} passages/s)", flush=True)
    me, ms = statistics.median(engram_tps), statistics.median(st_tps)
    print(f"median: engram {me:.0f} tokens/s, sentence-transformers {ms:.0f} tokens/s, ratio {me / ms:.2f}x")

if __name__ == "__main__":
    sys.exit(main())
