#!/usr/bin/python3
"""PyTorch (eager, CPU) twin of verbo's embedding benchmark (scripts/bench.sh embed).

An independent implementation of verbo's embedder: the Llama decoder of train_torch.py (imported: RMSNorm, RoPE,
attention, SwiGLU, read by Hugging Face names) run bidirectionally with a key-padding mask, then either mean pooling
or NV-Embed's latent attention layer written as the reference LatentAttentionModel of nvidia/NV-Embed-v2
(modeling_nvembed.py: PreNorm + cross-attention with keys and values from the latents, PreNorm + GEGLU feed-forward,
both residual, then the masked mean), then L2 normalisation. The pooling's tensors load by the reference's own
state-dict names (latent_attention_model.*), so a name or layout mismatch fails loudly.

Usage: embed_torch.py --dir DIR --parity                 compare with verbo's embeddings (DIR/parity-*.bin)
       embed_torch.py --dir DIR --json FILE [--batch 16] [--warmup 1] [--passes 3] [--threads N]
DIR is what `EmbedBench setup` wrote (model-{mean,latent_attention}/, texts-{short,long,short_by_length}.bin).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_torch import Block, RMSNorm, read_safetensors  # noqa: E402

POOLINGS = ("mean", "latent_attention")
SETS = ("short", "long", "short_by_length")


class LlamaEncoder(nn.Module):
    """The decoder's blocks without the LM head; bidirectional attention, padded keys masked out."""

    def __init__(self, cfg):
        super().__init__()
        c, h = cfg["hidden_size"], cfg["num_attention_heads"]
        self.embed_tokens = nn.Embedding(cfg["vocab_size"], c)
        self.layers = nn.ModuleList([Block(c, h, cfg["num_key_value_heads"], cfg["intermediate_size"],
                                           cfg["rms_norm_eps"]) for _ in range(cfg["num_hidden_layers"])])
        self.norm = RMSNorm(c, cfg["rms_norm_eps"])
        d = c // h
        inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, d, 2).float() / d))
        ang = torch.outer(torch.arange(cfg["max_position_embeddings"]).float(), inv)
        emb = torch.cat((ang, ang), dim=-1)
        self.register_buffer("cos", emb.cos(), persistent=False)
        self.register_buffer("sin", emb.sin(), persistent=False)

    def forward(self, idx, keep):
        # idx [B, T]; keep [B, T] bool, True at real tokens
        t = idx.shape[1]
        mask = torch.zeros(keep.shape, dtype=torch.float32).masked_fill(~keep, -1e9)[:, None, None, :]  # [B,1,1,T]
        x = self.embed_tokens(idx)
        for blk in self.layers:
            x = blk(x, self.cos[:t], self.sin[:t], mask)
        return self.norm(x)                                                   # [B, T, C]


class PreNorm(nn.Module):
    def __init__(self, dim, fn, context_dim=None):
        super().__init__()
        self.fn = fn
        self.norm = nn.LayerNorm(dim)
        self.norm_context = nn.LayerNorm(context_dim) if context_dim is not None else None

    def forward(self, x, **kw):
        x = self.norm(x)
        if self.norm_context is not None:
            kw["context"] = self.norm_context(kw["context"])
        return self.fn(x, **kw)


class GEGLU(nn.Module):
    def forward(self, x):
        x, gates = x.chunk(2, dim=-1)
        return x * F.gelu(gates)


class FeedForward(nn.Module):
    def __init__(self, dim, mult):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, dim * mult * 2), GEGLU(), nn.Linear(dim * mult, dim))

    def forward(self, x):
        return self.net(x)


class Attention(nn.Module):
    def __init__(self, query_dim, context_dim, heads, dim_head):
        super().__init__()
        inner = dim_head * heads
        self.heads = heads
        self.to_q = nn.Linear(query_dim, inner, bias=False)
        self.to_kv = nn.Linear(context_dim, inner * 2, bias=False)
        self.to_out = nn.Linear(inner, query_dim, bias=False)

    def forward(self, x, context):
        # x [B, T, C]; context [r, C] (the latents are the same for every text: computed once, not repeated B times)
        b, t, _ = x.shape
        h = self.heads
        q = self.to_q(x).view(b, t, h, -1).transpose(1, 2)                   # [B, H, T, Dh]
        k, v = self.to_kv(context).chunk(2, dim=-1)                           # [r, I] each
        k = k.view(-1, h, q.shape[-1]).transpose(0, 1)                        # [H, r, Dh]
        v = v.view(-1, h, q.shape[-1]).transpose(0, 1)
        # the reference's attention (scaled_dot_product_attention, no mask; written out: Debian's torch 1.13 has no SDPA)
        p = torch.softmax((q @ k.transpose(-2, -1)) * q.shape[-1] ** -0.5, dim=-1)   # [B, H, T, r]
        out = p @ v                                                           # [B, H, T, Dh]
        return self.to_out(out.transpose(1, 2).reshape(b, t, -1))


class LatentAttentionModel(nn.Module):
    def __init__(self, c, latents, heads, dim_head, mult):
        super().__init__()
        self.cross_attend_blocks = nn.ModuleList([
            PreNorm(c, Attention(c, c, heads, dim_head), context_dim=c),
            PreNorm(c, FeedForward(c, mult)),
        ])
        self.latents = nn.Parameter(torch.randn(latents, c))

    def forward(self, hiddens, pool_mask):
        cross_attn, cross_ff = self.cross_attend_blocks
        hiddens = cross_attn(hiddens, context=self.latents) + hiddens
        hiddens = cross_ff(hiddens) + hiddens
        m = pool_mask.unsqueeze(-1).float()                                   # [B, T, 1]
        return (hiddens * m).sum(1) / m.sum(1)                                # [B, C]


class Embedder(nn.Module):
    def __init__(self, d):
        super().__init__()
        cfg = json.load(open(os.path.join(d, "config.json")))
        ecfg = json.load(open(os.path.join(d, "embedding_config.json")))
        assert ecfg["attention"] == "bidirectional", ecfg["attention"]
        self.encoder = LlamaEncoder(cfg)
        state = {k[len("model."):] if k.startswith("model.") else k: v
                 for k, v in read_safetensors(os.path.join(d, "model.safetensors")).items()}
        state.pop("lm_head.weight", None)
        missing, unexpected = self.encoder.load_state_dict(state, strict=False)
        assert not missing and not unexpected, (missing, unexpected)
        self.pooling = ecfg["pooling"]
        if self.pooling == "latent_attention":
            self.latent_attention_model = LatentAttentionModel(cfg["hidden_size"], ecfg["num_latents"],
                                                               ecfg["num_heads"], ecfg["head_dim"], ecfg["ffn_mult"])
            pool = read_safetensors(os.path.join(d, "pooling.safetensors"))
            missing, unexpected = self.load_state_dict(pool, strict=False)
            assert not unexpected and not [m for m in missing if m.startswith("latent_")], (missing, unexpected)
        elif self.pooling != "mean":
            raise SystemExit(f"pooling {self.pooling} not in this twin")

    @torch.no_grad()
    def forward(self, idx, lengths):
        keep = torch.arange(idx.shape[1])[None, :] < lengths[:, None]         # [B, T]
        h = self.encoder(idx, keep)
        if self.pooling == "mean":
            m = keep.unsqueeze(-1).float()
            pooled = (h * m).sum(1) / m.sum(1)
        else:
            pooled = self.latent_attention_model(h, keep)
        return F.normalize(pooled, p=2, dim=-1)                               # [B, C]


def read_texts(path):
    raw = np.fromfile(path, dtype="<i4")
    n, pos, out = int(raw[0]), 1, []
    for _ in range(n):
        k = int(raw[pos])
        out.append(raw[pos + 1:pos + 1 + k].astype(np.int64))
        pos += 1 + k
    return out


def batches(texts, batch):
    """Right-padded batches in order, as EmbeddingModel.encode forms them."""
    out = []
    for i in range(0, len(texts), batch):
        chunk = texts[i:i + batch]
        t = max(len(x) for x in chunk)
        idx = np.zeros((len(chunk), t), dtype=np.int64)
        for j, x in enumerate(chunk):
            idx[j, :len(x)] = x
        out.append((torch.from_numpy(idx), torch.tensor([len(x) for x in chunk])))
    return out


def parity(d):
    worst = {}
    ok = True
    for p in POOLINGS:
        model = Embedder(os.path.join(d, f"model-{p}")).eval()
        for s in SETS:
            ref = np.fromfile(os.path.join(d, f"parity-{p}-{s}.bin"), dtype="<f4")
            texts = read_texts(os.path.join(d, f"texts-{s}.bin"))
            ref = torch.from_numpy(ref.reshape(-1, model.encoder.embed_tokens.weight.shape[1]))
            idx, lengths = batches(texts[:ref.shape[0]], ref.shape[0])[0]
            got = model(idx, lengths)
            diff = (got - ref).abs().max().item()
            cos = (got * ref).sum(-1).min().item()
            worst[f"{p}/{s}"] = {"max_abs_diff": diff, "min_cosine": cos}
            ok &= diff <= 1e-4
    print(json.dumps(worst))
    return 0 if ok else 1


def bench(a):
    torch.set_num_threads(a.threads)
    runs = []
    models = {p: Embedder(os.path.join(a.dir, f"model-{p}")).eval() for p in POOLINGS}
    sets = {s: read_texts(os.path.join(a.dir, f"texts-{s}.bin")) for s in SETS}
    for _ in range(a.warmup):   # over every setting before any timing, as EmbedBench does
        for p in POOLINGS:
            for s in SETS:
                for idx, lengths in batches(sets[s], a.batch):
                    models[p](idx, lengths)
    for p in POOLINGS:
        model = models[p]
        for s in SETS:
            texts = sets[s]
            bs = batches(texts, a.batch)
            secs = []
            for i in range(a.passes):
                t0 = time.perf_counter()
                for idx, lengths in bs:
                    model(idx, lengths).numpy()
                secs.append(time.perf_counter() - t0)
                print(f"torch {p} {s} pass {i}: {secs[-1]:.3f} s, {len(texts) / secs[-1]:.0f} texts/s", file=sys.stderr)
            runs.append({"pooling": p, "set": s, "texts": len(texts), "tokens": int(sum(len(x) for x in texts)),
                         "padded_tokens": int(sum(idx.numel() for idx, _ in bs)), "pass_seconds": secs})
    res = {"engine": f"PyTorch {torch.__version__} eager CPU", "threads": torch.get_num_threads(), "batch": a.batch,
           "runs": runs}
    with open(a.json, "w") as fh:
        json.dump(res, fh, indent=2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--parity", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    a = ap.parse_args()
    if a.parity:
        sys.exit(parity(a.dir))
    if not a.json:
        ap.error("--json FILE is required unless --parity")
    bench(a)


if __name__ == "__main__":
    main()
