#!/usr/bin/python3
"""PyTorch (eager, CPU) twin of verbo's training benchmark.

Trains the same Llama architecture as org.verbo.models (HF LlamaForCausalLM semantics: RMSNorm, RoPE in the
rotate_half convention, grouped-query causal attention, SwiGLU, untied LM head for bench-7m) on the same blocks
(data.bin written by org.verbo.models.bench.TrainBench, int32 little-endian) with the same batch, AdamW settings
and global-norm clipping, and prints one JSON object. Attention is written out (matmul, mask, softmax, matmul) like
verbo's, not fused, so both sides do the same arithmetic.

Usage: train_torch.py --data DIR/data.bin [--steps 10] [--warmup 1] [--batch 8] [--threads N] [--out FILE]
       train_torch.py --parity DIR   (DIR from org.verbo.models.bench.ParityDump: loads verbo's model.safetensors by
                                      its Hugging Face names into this implementation and compares logits)
       train_torch.py --generate DIR [--new 192] [--warmup 3] [--threads N]   (greedy decoding with a KV cache on
                                      the checkpoint and prompt of org.verbo.models.bench.GenerateBench write)
"""
import argparse
import json
import math
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

PRESETS = {
    # vocab, hidden, layers, heads, kv_heads, ffn, context, tied
    "tiny": (64, 32, 2, 4, 2, 64, 32, False),
    "bench-7m": (8192, 256, 4, 4, 4, 688, 256, False),
    "small-25m": (16384, 512, 6, 8, 4, 1376, 512, True),
}


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class CausalSelfAttention(nn.Module):
    def __init__(self, c, h, hk):
        super().__init__()
        self.h, self.hk, self.d = h, hk, c // h
        self.q_proj = nn.Linear(c, h * self.d, bias=False)
        self.k_proj = nn.Linear(c, hk * self.d, bias=False)
        self.v_proj = nn.Linear(c, hk * self.d, bias=False)
        self.o_proj = nn.Linear(h * self.d, c, bias=False)

    def forward(self, x, cos, sin, mask, cache=None, pos=0):
        """x [B, T, C] -> [B, T, C]. With a KV cache (as HF's eager LlamaAttention with a static cache) the positions
        are pos..pos+T-1: the rotated k and v of the new tokens are written into cache = (k [B, Hk, Tmax, D],
        v [B, Hk, Tmax, D]) and the queries attend over positions 0..pos+T-1; cos/sin are then the rows of the new
        positions [T, D] and mask the causal rows [T, pos+T]."""
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.h, self.d).transpose(1, 2)    # [B, H, T, D]
        k = self.k_proj(x).view(b, t, self.hk, self.d).transpose(1, 2)   # [B, Hk, T, D]
        v = self.v_proj(x).view(b, t, self.hk, self.d).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if cache is not None:
            ck, cv = cache
            ck[:, :, pos:pos + t] = k
            cv[:, :, pos:pos + t] = v
            k, v = ck[:, :, :pos + t], cv[:, :, :pos + t]               # [B, Hk, L, D]
        if self.hk != self.h:
            k = k.repeat_interleave(self.h // self.hk, dim=1)
            v = v.repeat_interleave(self.h // self.hk, dim=1)
        s = (q @ k.transpose(-2, -1)) / math.sqrt(self.d) + mask        # [B, H, T, L]
        o = torch.softmax(s, dim=-1) @ v                                 # [B, H, T, D]
        return self.o_proj(o.transpose(1, 2).reshape(b, t, -1))


class MLP(nn.Module):
    def __init__(self, c, f):
        super().__init__()
        self.gate_proj = nn.Linear(c, f, bias=False)
        self.up_proj = nn.Linear(c, f, bias=False)
        self.down_proj = nn.Linear(f, c, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Block(nn.Module):
    def __init__(self, c, h, hk, f, eps):
        super().__init__()
        self.input_layernorm = RMSNorm(c, eps)
        self.self_attn = CausalSelfAttention(c, h, hk)
        self.post_attention_layernorm = RMSNorm(c, eps)
        self.mlp = MLP(c, f)

    def forward(self, x, cos, sin, mask, cache=None, pos=0):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask, cache, pos)
        return x + self.mlp(self.post_attention_layernorm(x))


class Llama(nn.Module):
    def __init__(self, vocab, c, layers, h, hk, f, ctx, tied, eps=1e-5, theta=10000.0):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, c)
        self.layers = nn.ModuleList([Block(c, h, hk, f, eps) for _ in range(layers)])
        self.norm = RMSNorm(c, eps)
        self.lm_head = nn.Linear(c, vocab, bias=False)
        if tied:
            self.lm_head.weight = self.embed_tokens.weight
        d = c // h
        inv = 1.0 / (theta ** (torch.arange(0, d, 2).float() / d))
        ang = torch.outer(torch.arange(ctx).float(), inv)
        emb = torch.cat((ang, ang), dim=-1)
        self.register_buffer("cos", emb.cos(), persistent=False)
        self.register_buffer("sin", emb.sin(), persistent=False)
        self.register_buffer("mask", torch.full((ctx, ctx), -1e9).triu(1), persistent=False)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)

    def forward(self, idx):
        t = idx.shape[1]
        x = self.embed_tokens(idx)
        cos, sin, mask = self.cos[:t], self.sin[:t], self.mask[:t, :t]
        for blk in self.layers:
            x = blk(x, cos, sin, mask)
        return self.lm_head(self.norm(x))

    def new_cache(self, batch=1):
        """One (k, v) pair of [B, Hk, Tmax, D] zeros per layer (a static cache, allocated once per sequence)."""
        a = self.layers[0].self_attn
        shape = (batch, a.hk, self.cos.shape[0], a.d)
        return [(torch.zeros(shape), torch.zeros(shape)) for _ in self.layers]

    def forward_cached(self, idx, cache, pos):
        """Tokens idx [B, T] at positions pos..pos+T-1 -> logits of the last position [B, V]; the cache grows by T.
        The LM head runs on the last position only (the only one greedy decoding reads; verbo does the same)."""
        t = idx.shape[1]
        if pos + t > self.cos.shape[0]:
            raise ValueError(f"KV cache full: {pos} + {t} tokens exceed context length {self.cos.shape[0]}")
        x = self.embed_tokens(idx)
        cos, sin, mask = self.cos[pos:pos + t], self.sin[pos:pos + t], self.mask[pos:pos + t, :pos + t]
        for blk, c in zip(self.layers, cache):
            x = blk(x, cos, sin, mask, c, pos)
        return self.lm_head(self.norm(x[:, -1]))


def read_safetensors(path):
    """Reads a safetensors file from the spec: u64 LE header length, JSON header, raw little-endian data."""
    with open(path, "rb") as fh:
        raw = fh.read()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", info["dtype"]
        b, e = info["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(raw[8 + n + b:8 + n + e], dtype="<f4").reshape(info["shape"]).copy())
    return out


def load_checkpoint(d):
    """The twin model with verbo's model.safetensors loaded by its Hugging Face names."""
    cfg = json.load(open(os.path.join(d, "config.json")))
    model = Llama(cfg["vocab_size"], cfg["hidden_size"], cfg["num_hidden_layers"], cfg["num_attention_heads"],
                  cfg["num_key_value_heads"], cfg["intermediate_size"], cfg["max_position_embeddings"],
                  cfg["tie_word_embeddings"], eps=cfg["rms_norm_eps"], theta=cfg["rope_theta"])
    state = {k[len("model."):] if k.startswith("model.") else k: v
             for k, v in read_safetensors(os.path.join(d, "model.safetensors")).items()}
    if cfg["tie_word_embeddings"]:
        state["lm_head.weight"] = state["embed_tokens.weight"]
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and not missing, (missing, unexpected)
    return model.eval()


def parity(d):
    model = load_checkpoint(d)
    tokens = torch.from_numpy(np.fromfile(os.path.join(d, "tokens.bin"), dtype="<i4").astype(np.int64))[None, :]
    ref = torch.from_numpy(np.fromfile(os.path.join(d, "logits.bin"), dtype="<f4").reshape(tokens.shape[1], -1))
    with torch.no_grad():
        logits = model(tokens)[0]
    diff = (logits - ref).abs().max().item()
    scale = ref.abs().max().item()
    same_argmax = (logits.argmax(-1) == ref.argmax(-1)).float().mean().item()
    print(json.dumps({"max_abs_diff": diff, "max_abs_logit": scale, "argmax_agreement": same_argmax}))
    return 0 if diff <= 1e-3 * max(1.0, scale) else 1


def infer(argv):
    """Forward-only throughput (torch.no_grad, logits of every position) on seeded random tokens; one line per
    forward: 'forward I SECONDS s, TOKENS_PER_S tokens/s' (the first is warm-up and is dropped by infer.sh)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--infer", action="store_true")
    ap.add_argument("--preset", default="bench-7m")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    a = ap.parse_args(argv)
    torch.manual_seed(1)
    torch.set_num_threads(a.threads)
    vocab, c, layers, h, hk, f, ctx, tied = PRESETS[a.preset]
    model = Llama(vocab, c, layers, h, hk, f, ctx, tied).eval()
    x = torch.randint(0, vocab, (a.batch, ctx))
    with torch.no_grad():
        for i in range(a.steps + 1):
            t0 = time.perf_counter()
            model(x)
            s = time.perf_counter() - t0
            print(f"forward {i} {s:.3f} s, {a.batch * ctx / s:.0f} tokens/s", flush=True)
    return 0


def generate(argv):
    """Greedy decoding with the KV cache on the checkpoint and prompt of DIR (org.verbo.models.bench.GenerateBench
    write): WARMUP untimed generations, then one timed; prefill = forward_cached over the prompt + argmax (the first
    new token), decode = NEW-1 steps of forward_cached over one token + argmax. One JSON line, as GenerateBench run."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--generate", required=True, metavar="DIR")
    ap.add_argument("--new", type=int, default=192)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    model = load_checkpoint(a.generate)
    prompt = torch.from_numpy(np.fromfile(os.path.join(a.generate, "prompt.bin"), dtype="<i4").astype(np.int64))

    def run():
        cache = model.new_cache()
        out = []
        t0 = time.perf_counter()
        nxt = model.forward_cached(prompt[None, :], cache, 0).argmax(-1, keepdim=True)   # [1, 1]
        out.append(nxt)
        t1 = time.perf_counter()
        for i in range(1, a.new):
            nxt = model.forward_cached(nxt, cache, prompt.shape[0] + i - 1).argmax(-1, keepdim=True)
            out.append(nxt)
        t2 = time.perf_counter()
        return [int(x) for x in torch.cat(out, 1)[0]], t1 - t0, t2 - t1

    with torch.no_grad():
        for _ in range(a.warmup):
            run()
        ids, prefill, decode = run()
    print(json.dumps({"engine": f"PyTorch {torch.__version__} eager CPU, {torch.get_num_threads()} threads",
                      "prompt": int(prompt.shape[0]), "new": a.new, "warmup_generations": a.warmup,
                      "prefill_s": prefill, "decode_s": decode, "decode_tokens_per_s": (a.new - 1) / decode,
                      "tokens": ids}))
    return 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--parity":
        sys.exit(parity(sys.argv[2]))
    if "--generate" in sys.argv:
        sys.exit(generate(sys.argv[1:]))
    if "--infer" in sys.argv:
        sys.exit(infer(sys.argv[1:]))
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--preset", default="bench-7m")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--out")
    a = ap.parse_args()
    torch.manual_seed(1)
    torch.set_num_threads(a.threads)
    vocab, c, layers, h, hk, f, ctx, tied = PRESETS[a.preset]
    data = np.fromfile(a.data, dtype="<i4").reshape(-1, ctx + 1)
    need = (a.warmup + a.steps) * a.batch
    if data.shape[0] < need:
        sys.exit(f"{a.data} has {data.shape[0]} blocks, need {need}")
    model = Llama(vocab, c, layers, h, hk, f, ctx, tied)
    n_params = sum(p.numel() for p in model.parameters())
    decay = [p for n, p in model.named_parameters() if p.dim() == 2 and "embed_tokens" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.dim() == 2 and "embed_tokens" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.95), eps=1e-8, foreach=False)
    blocks = torch.from_numpy(data[:need].astype(np.int64))
    losses = []

    def step(i):
        batch = blocks[i * a.batch:(i + 1) * a.batch]
        x, y = batch[:, :-1], batch[:, 1:]
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, vocab), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()

    warmup_s = []
    for i in range(a.warmup):
        s0 = time.perf_counter()
        losses.append(step(i))
        warmup_s.append(time.perf_counter() - s0)
    t0 = time.perf_counter()
    step_s = []
    for i in range(a.warmup, a.warmup + a.steps):
        s0 = time.perf_counter()
        losses.append(step(i))
        step_s.append(time.perf_counter() - s0)
        print(f"torch step {i + 1} loss {losses[-1]:.4f} {step_s[-1]:.2f}s", file=sys.stderr)
    secs = time.perf_counter() - t0
    median = float(np.median(step_s))   # robust to other jobs stealing the CPU for a few steps
    tps = a.batch * ctx / median
    flops_per_token = 6.0 * n_params + 12.0 * layers * ctx * c
    state_bytes = sum(t.numel() * t.element_size() for st in opt.state.values() for t in st.values()
                      if torch.is_tensor(t) and t.dim() > 0)
    result = {
        "engine": f"PyTorch {torch.__version__} eager CPU",
        "threads": torch.get_num_threads(),
        "preset": a.preset, "parameters": n_params, "batch": a.batch, "context": ctx, "steps": a.steps,
        "seconds": secs, "median_step_s": median, "tokens_per_s_mean": a.steps * a.batch * ctx / secs,
        "tokens_per_s": tps, "gflops_per_s": tps * flops_per_token / 1e9,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "optimizer_state_bytes": state_bytes, "losses": losses,
    }
    if warmup_s:
        result["first_step_s"] = warmup_s[0]
        result["warmup_step_s"] = warmup_s
    text = json.dumps(result, indent=2)
    if a.out:
        with open(a.out, "w") as fh:
            fh.write(text)
    print(text)


if __name__ == "__main__":
    main()
