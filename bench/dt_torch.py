#!/usr/bin/python3
"""CORL's Decision Transformer update (algorithms/offline/dt.py: TransformerBlock,
DecisionTransformer, the training step) in PyTorch on one thread, on synthetic segments of the
given shapes: the baseline of bench/dt.sh. Prints one JSON line {"updates_per_s", ...}.

The model and step are CORL's: nn.MultiheadAttention with a causal and a key-padding mask,
pre-norm blocks, embedding LayerNorm and dropout 0.1 everywhere, AdamW(lr 1e-4, wd 1e-4),
gradient clipping at 0.25, MSE on the masked actions. Data loading is not timed (CORL's
DataLoader runs in worker processes); bellman's figure includes its segment sampling.
"""
import argparse
import json
import os
import time

# One BLAS thread, as bellman's OpenBLAS: torch.set_num_threads does not reach Debian's
# OpenBLAS, which otherwise runs every product on all cores.
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import torch
import torch.nn as nn
from torch.nn import functional as F


class TransformerBlock(nn.Module):
    def __init__(self, seq_len, embedding_dim, num_heads, attention_dropout, residual_dropout):
        super().__init__()
        self.norm1 = nn.LayerNorm(embedding_dim)
        self.norm2 = nn.LayerNorm(embedding_dim)
        self.drop = nn.Dropout(residual_dropout)
        self.attention = nn.MultiheadAttention(embedding_dim, num_heads, attention_dropout,
                                               batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(embedding_dim, 4 * embedding_dim), nn.GELU(),
                                 nn.Linear(4 * embedding_dim, embedding_dim),
                                 nn.Dropout(residual_dropout))
        self.register_buffer("causal_mask", ~torch.tril(torch.ones(seq_len, seq_len)).to(bool))

    def forward(self, x, padding_mask=None):
        causal_mask = self.causal_mask[: x.shape[1], : x.shape[1]]
        norm_x = self.norm1(x)
        attention_out = self.attention(query=norm_x, key=norm_x, value=norm_x,
                                       attn_mask=causal_mask, key_padding_mask=padding_mask,
                                       need_weights=False)[0]
        x = x + self.drop(attention_out)
        return x + self.mlp(self.norm2(x))


class DecisionTransformer(nn.Module):
    def __init__(self, state_dim, action_dim, seq_len, episode_len, embedding_dim, num_layers,
                 num_heads, dropout):
        super().__init__()
        self.emb_drop = nn.Dropout(dropout)
        self.emb_norm = nn.LayerNorm(embedding_dim)
        self.out_norm = nn.LayerNorm(embedding_dim)
        self.timestep_emb = nn.Embedding(episode_len + seq_len, embedding_dim)
        self.state_emb = nn.Linear(state_dim, embedding_dim)
        self.action_emb = nn.Linear(action_dim, embedding_dim)
        self.return_emb = nn.Linear(1, embedding_dim)
        self.blocks = nn.ModuleList([
            TransformerBlock(3 * seq_len, embedding_dim, num_heads, dropout, dropout)
            for _ in range(num_layers)])
        self.action_head = nn.Sequential(nn.Linear(embedding_dim, action_dim), nn.Tanh())
        self.embedding_dim = embedding_dim

    def forward(self, states, actions, returns_to_go, time_steps, padding_mask):
        b, l = states.shape[0], states.shape[1]
        time_emb = self.timestep_emb(time_steps)
        state_emb = self.state_emb(states) + time_emb
        act_emb = self.action_emb(actions) + time_emb
        returns_emb = self.return_emb(returns_to_go.unsqueeze(-1)) + time_emb
        sequence = (torch.stack([returns_emb, state_emb, act_emb], dim=1)
                    .permute(0, 2, 1, 3).reshape(b, 3 * l, self.embedding_dim))
        padding_mask = (torch.stack([padding_mask, padding_mask, padding_mask], dim=1)
                        .permute(0, 2, 1).reshape(b, 3 * l))
        out = self.emb_drop(self.emb_norm(sequence))
        for block in self.blocks:
            out = block(out, padding_mask=padding_mask)
        out = self.out_norm(out)
        return self.action_head(out[:, 1::3])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--obs-dim", type=int, default=3)
    p.add_argument("--act-dim", type=int, default=1)
    p.add_argument("--context", type=int, default=20)
    p.add_argument("--embed-dim", type=int, default=128)
    p.add_argument("--layers", type=int, default=3)
    p.add_argument("--heads", type=int, default=1)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--episode-len", type=int, default=200)
    p.add_argument("--updates", type=int, default=50)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    model = DecisionTransformer(a.obs_dim, a.act_dim, a.context, a.episode_len, a.embed_dim,
                                a.layers, a.heads, 0.1)
    optim = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=1e-4,
                              betas=(0.9, 0.999))
    b, k = a.batch, a.context
    states = torch.randn(b, k, a.obs_dim)
    actions = torch.rand(b, k, a.act_dim) * 2 - 1
    returns = torch.randn(b, k)
    steps = torch.randint(0, a.episode_len, (b, k))
    mask = torch.ones(b, k)
    mask[:, k - 3:] = 0  # some padding, as segments near an episode's end have
    padding_mask = ~mask.to(torch.bool)

    def update():
        predicted = model(states, actions, returns, steps, padding_mask)
        loss = (F.mse_loss(predicted, actions, reduction="none") * mask.unsqueeze(-1)).mean()
        optim.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        optim.step()

    for _ in range(a.warmup):
        update()
    t0 = time.perf_counter()
    for _ in range(a.updates):
        update()
    dt = time.perf_counter() - t0
    print(json.dumps({"updates_per_s": a.updates / dt, "seconds": dt, "updates": a.updates,
                      "torch": torch.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
