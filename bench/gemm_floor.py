#!/usr/bin/python3
"""The matrix-product floor of one IQL, CQL or Q-Transformer update (bench/offline.sh, bench/qt.sh).

Times only the hidden-to-hidden matrix products that any implementation of the update must do
(forward x W^T; backward dX = G W and dW = G^T X), each on preallocated float32 tensors with
torch.mm on one thread, which is the same BLAS call libtorch makes. The input and output layers
(obs_dim/action_dim wide), every elementwise op, the optimizer and sampling are left out, so the
figure is a lower bound on an update's time and floor_updates_per_s an upper bound on any
implementation's speed with this BLAS in float32 on one core.

Products per update, hidden width H, batch B:
  iql: V(s') and the two target Q(s, a): forward only (3 nets); V(s), Q1, Q2 and the actor:
       forward and backward (4 nets). One H x H layer per 2x256 net: 3 + 4 * 3 = 15 products
       of B x H x H.
  cql: the twin 3xH critics on B data rows plus B * 3 * n_actions sampled rows (CORL evaluates
       every sampled action at s): forward and backward, two H x H layers each; the rest (the
       target critics on B rows, the actor) is smaller and not counted.
  qt:  the Q-Transformer of bench/qt.sh (D action dimensions, width d, L layers, a H-unit state
       layer, `bins` outputs), counting only what an exact update must compute: the online net
       on D tokens per row, forward and backward (dX and dW; no dX into the observation); the
       target net on D tokens of (s, a^{1:D-1}) when D > 1 (the next dimension's max) and on one
       token of s' (its first dimension's max: causal, s' alone). Per token and layer: the qkv
       projection (only v when a row has one token: softmax over one key is 1), the output
       projection, the d x 4d MLP; per row: the encoder's two layers; per token: the head. The
       attention products themselves (T x T with T <= D) are left out.
"""
import argparse
import json
import os
import time

# One BLAS thread, as bellman's OpenBLAS: torch.set_num_threads does not reach Debian's
# OpenBLAS, which otherwise runs every product on all cores.
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import torch


def qt_products(batch, obs_dim, dims, bins, d, layers, hidden):
    def net(rows, tokens, backward):
        n = rows * tokens
        qkv = 3 * d if tokens > 1 else d
        fwd = [(rows, obs_dim, hidden), (rows, hidden, d)]
        fwd += [(n, d, qkv), (n, d, d), (n, d, 4 * d), (n, 4 * d, d)] * layers
        fwd += [(n, d, bins)]
        if not backward:
            return fwd
        # dW = X^T G [k x m x n] for every product, dX = G W [m x n x k] for all but the first
        # (the observation needs no gradient).
        return fwd + [(k, m, n) for m, k, n in fwd] + [(m, n, k) for m, k, n in fwd[1:]]
    out = net(batch, dims, True) + net(batch, 1, False)
    if dims > 1:
        out += net(batch, dims, False)
    return out


def products(algo, batch, hidden, n_actions):
    if algo == "iql":
        return [(batch, hidden, hidden)] * 15
    rows = batch * (1 + 3 * n_actions)
    # 2 critics x 2 hidden layers x (1 forward + 2 backward) products.
    return [(rows, hidden, hidden)] * 12


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--algo", choices=["iql", "cql", "qt"], required=True)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--n-actions", type=int, default=10)
    p.add_argument("--repeats", type=int, default=20)
    qt = p.add_argument_group("qt (defaults: bench/qt.sh's sizes)")
    qt.add_argument("--obs-dim", type=int, default=3)
    qt.add_argument("--act-dim", type=int, default=1)
    qt.add_argument("--bins", type=int, default=11)
    qt.add_argument("--embed-dim", type=int, default=64)
    qt.add_argument("--layers", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(1)
    if a.algo == "qt":
        shapes = qt_products(a.batch, a.obs_dim, a.act_dim, a.bins, a.embed_dim, a.layers,
                             a.hidden)
    else:
        shapes = products(a.algo, a.batch, a.hidden, a.n_actions)
    mats = {}
    for m, k, n in set(shapes):
        mats[(m, k, n)] = (torch.randn(m, k), torch.randn(k, n), torch.empty(m, n))
    for m, k, n in set(shapes):  # warm-up
        x, w, out = mats[(m, k, n)]
        torch.mm(x, w, out=out)
    best = float("inf")
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        for shape in shapes:
            x, w, out = mats[shape]
            torch.mm(x, w, out=out)
        best = min(best, time.perf_counter() - t0)
    flops = sum(2.0 * m * k * n for m, k, n in shapes)
    print(json.dumps({"algo": a.algo, "products": len(shapes), "gflop": flops / 1e9,
                      "seconds": best, "gflop_per_s": flops / 1e9 / best,
                      "floor_updates_per_s": 1.0 / best}))


if __name__ == "__main__":
    main()
