#!/usr/bin/python3
"""Where a PyTorch eager training step of bench-7m goes (the reference of scripts/bench/train.sh): median phase times
(forward, cross-entropy, backward, clip, AdamW) over 6 steps, then torch.profiler's table of one step by op.
Run as: OMP_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 scripts/bench/torch_profile.py
(docs/PERFORMANCE.md compares it with `StepProfile phases`)."""
import os
import sys, time, numpy as np, torch, torch.nn.functional as F
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_torch as tt
torch.manual_seed(1); torch.set_num_threads(2)
vocab, c, layers, h, hk, f, ctx, tied = tt.PRESETS["bench-7m"]
model = tt.Llama(vocab, c, layers, h, hk, f, ctx, tied)
decay = [p for n, p in model.named_parameters() if p.dim() == 2 and "embed_tokens" not in n]
nod = [p for n, p in model.named_parameters() if not (p.dim() == 2 and "embed_tokens" not in n)]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": nod, "weight_decay": 0.0}], lr=1e-3, betas=(0.9,0.95), eps=1e-8, foreach=False)
g = torch.Generator().manual_seed(0)
def step():
    b = torch.randint(0, vocab, (8, ctx+1), generator=g)
    x, y = b[:, :-1], b[:, 1:]
    t0=time.perf_counter()
    logits = model(x); t1=time.perf_counter()
    loss = F.cross_entropy(logits.reshape(-1, vocab), y.reshape(-1)); t2=time.perf_counter()
    opt.zero_grad(set_to_none=True)
    loss.backward(); t3=time.perf_counter()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0); t4=time.perf_counter()
    opt.step(); t5=time.perf_counter()
    return [t1-t0,t2-t1,t3-t2,t4-t3,t5-t4,t5-t0]
for i in range(3): step()
rs=np.array([step() for i in range(6)])
print("fwd ce bwd clip adamw total (median ms):", np.round(np.median(rs,0)*1000,1))
from torch.profiler import profile, ProfilerActivity
with profile(activities=[ProfilerActivity.CPU]) as prof:
    step()
print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=30))
