#!/usr/bin/python3
"""The Q-Transformer update of src/algos/q_transformer.cpp written in PyTorch, on one thread, on
synthetic transitions of the given shapes: the baseline of bench/qt.sh. Prints one JSON line
{"updates_per_s", ...}.

Same model (a Linear-ReLU-Linear state encoder, per-dimension bin embeddings, a learned position
embedding, pre-norm causal transformer blocks with a 4x GELU MLP, a shared Q head over the bins)
and the same step: target forward on s' alone (one token) and, when D > 1, on (s, a^{1:D-1}) (as
bellman computes only what the backups read), per-dimension max backups, the
Monte-Carlo lower bound, the conservative regulariser over the unseen bins, Adam, gradient
clipping at 10, Polyak update of the target. Sampling is not timed; bellman's figure includes
its transition sampling.
"""
import argparse
import copy
import json
import os
import time

# One BLAS thread, as bellman's OpenBLAS: torch.set_num_threads does not reach Debian's
# OpenBLAS, which otherwise runs every product on all cores.
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import torch
import torch.nn as nn
from torch.nn import functional as F


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attention = nn.MultiheadAttention(d, heads, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x):
        t = x.shape[1]
        causal = ~torch.tril(torch.ones(t, t, dtype=torch.bool))
        h = self.ln1(x)
        x = x + self.attention(h, h, h, attn_mask=causal, need_weights=False)[0]
        return x + self.mlp(self.ln2(x))


class QTransformer(nn.Module):
    def __init__(self, obs_dim, dims, bins, d, layers, heads, hidden):
        super().__init__()
        self.dims, self.bins = dims, bins
        self.encoder = nn.Sequential(nn.Linear(obs_dim, hidden), nn.ReLU(), nn.Linear(hidden, d))
        self.bin_emb = nn.Embedding(max(dims - 1, 1) * bins, d)
        self.pos_emb = nn.Embedding(dims, d)
        self.blocks = nn.ModuleList([Block(d, heads) for _ in range(layers)])
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, bins)

    def forward(self, obs, prefix):
        x = self.encoder(obs).unsqueeze(1)
        l = prefix.shape[1] + 1
        if l > 1:
            offset = torch.arange(l - 1) * self.bins
            x = torch.cat([x, self.bin_emb(prefix + offset)], 1)
        x = x + self.pos_emb.weight[:l].unsqueeze(0)
        for b in self.blocks:
            x = b(x)
        return self.head(self.ln(x))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--obs-dim", type=int, required=True)
    p.add_argument("--act-dim", type=int, required=True)
    p.add_argument("--bins", type=int, default=11)
    p.add_argument("--embed-dim", type=int, default=64)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--heads", type=int, default=1)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--updates", type=int, default=200)
    p.add_argument("--warmup", type=int, default=10)
    a = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    net = QTransformer(a.obs_dim, a.act_dim, a.bins, a.embed_dim, a.layers, a.heads, a.hidden)
    target = copy.deepcopy(net).requires_grad_(False)
    opt = torch.optim.Adam(net.parameters(), lr=3e-4)
    gamma, tau, weight = 0.99, 0.005, 0.03
    b, dims, bins = a.batch, a.act_dim, a.bins

    def update():
        s, s2 = torch.randn(b, a.obs_dim), torch.randn(b, a.obs_dim)
        act = torch.randint(0, bins, (b, dims))
        r, not_done, mc = torch.rand(b) * 0.01, torch.ones(b), torch.rand(b)
        prefix = act[:, : dims - 1]
        with torch.no_grad():
            # Only what the backups read, as bellman: s' alone (one token), and (s, prefix) for
            # the next dimension's values when D > 1.
            v_next = target(s2, prefix[:, :0])[:, 0].max(-1).values
            boot = r + gamma * not_done * v_next
            if dims > 1:
                q_next_dim = target(s, prefix)
                tgt = torch.cat([q_next_dim[:, 1:].max(-1).values, boot[:, None]], 1)
            else:
                tgt = boot[:, None]
            tgt = torch.maximum(tgt, mc[:, None])
        q = net(s, prefix)
        taken = F.one_hot(act, bins).float()
        q_data = (q * taken).sum(2)
        td = 0.5 * (q_data - tgt).pow(2).mean()
        cons = 0.5 * ((q.pow(2) * (1 - taken)).sum(2) / (bins - 1)).mean()
        loss = td + weight * cons
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), 10.0)
        opt.step()
        with torch.no_grad():
            for tp, sp in zip(target.parameters(), net.parameters()):
                tp.mul_(1 - tau).add_(sp, alpha=tau)

    for _ in range(a.warmup):
        update()
    t0 = time.perf_counter()
    for _ in range(a.updates):
        update()
    dt = time.perf_counter() - t0
    print(json.dumps({"updates_per_s": a.updates / dt, "updates": a.updates, "seconds": dt,
                      "torch": torch.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
