"""all-MiniLM-L6-v2 in numpy, for offline analysis in the benchmarks (the product never uses Python).

The forward pass of Sources/EngramEmbedding (BERT, mean pooling over every token, L2 norm), one text at a
time; `check` compares it with the golden vectors before any figure is computed from it.
Needs `pip install tokenizers safetensors` (and numpy, scipy).
"""
import json

import numpy as np
from safetensors.numpy import load_file
from scipy.special import erf
from tokenizers import Tokenizer


class Encoder:
    def __init__(self, folder):
        self.weights = load_file(f"{folder}/model.safetensors")
        config = json.load(open(f"{folder}/config.json", encoding="utf-8"))
        self.dim, self.heads, self.layers = config["hidden_size"], config["num_attention_heads"], config["num_hidden_layers"]
        self.eps = config.get("layer_norm_eps", 1e-12)
        self.tokenizer = Tokenizer.from_file(f"{folder}/tokenizer.json")
        self.tokenizer.enable_truncation(256)
        self.tokenizer.no_padding()  # the model's tokenizer.json pads to a fixed length; pooling must not see pads

    def w(self, name):
        return self.weights[name if name in self.weights else "bert." + name].astype(np.float32)

    def norm(self, x, name):
        m = x.mean(-1, keepdims=True)
        v = ((x - m) ** 2).mean(-1, keepdims=True)
        return (x - m) / np.sqrt(v + self.eps) * self.w(name + ".weight") + self.w(name + ".bias")

    def linear(self, x, name):
        return x @ self.w(name + ".weight").T + self.w(name + ".bias")

    def embed(self, text):
        ids = np.array(self.tokenizer.encode(text).ids)
        n, h, d = len(ids), self.heads, self.dim // self.heads
        x = (self.w("embeddings.word_embeddings.weight")[ids] + self.w("embeddings.position_embeddings.weight")[:n]
             + self.w("embeddings.token_type_embeddings.weight")[0])                      # [n, dim]
        x = self.norm(x, "embeddings.LayerNorm")
        for layer in range(self.layers):
            p = f"encoder.layer.{layer}."
            q, k, v = (self.linear(x, p + f"attention.self.{m}").reshape(n, h, d).transpose(1, 0, 2)
                       for m in ("query", "key", "value"))                                # [heads, n, d]
            s = q @ k.transpose(0, 2, 1) / np.sqrt(d)                                     # [heads, n, n]
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            o = (s @ v).transpose(1, 0, 2).reshape(n, self.dim)
            x = self.norm(x + self.linear(o, p + "attention.output.dense"), p + "attention.output.LayerNorm")
            u = self.linear(x, p + "intermediate.dense")
            u = 0.5 * u * (1 + erf(u / np.sqrt(2)))                                       # GELU (erf)
            x = self.norm(x + self.linear(u, p + "output.dense"), p + "output.LayerNorm")
        e = x.mean(0)
        return e / np.linalg.norm(e)

    def check(self, golden, tolerance=1e-5):
        cases = json.load(open(golden, encoding="utf-8"))["cases"]
        worst = max(float(np.abs(self.embed(c["input"]) - np.array(c["embedding"])).max()) for c in cases)
        if worst > tolerance:
            raise SystemExit(f"minilm_numpy: differs from the golden vectors by {worst:.2g} (tolerance {tolerance:g})")
