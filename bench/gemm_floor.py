#!/usr/bin/python3
"""The matrix-product floor of one IQL or CQL update at CORL's sizes (bench/offline.sh).

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
"""
import argparse
import json
import os
import time

# One BLAS thread, as bellman's OpenBLAS: torch.set_num_threads does not reach Debian's
# OpenBLAS, which otherwise runs every product on all cores.
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import torch


def products(algo, batch, hidden, n_actions):
    if algo == "iql":
        return [(batch, hidden, hidden)] * 15
    rows = batch * (1 + 3 * n_actions)
    # 2 critics x 2 hidden layers x (1 forward + 2 backward) products.
    return [(rows, hidden, hidden)] * 12


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--algo", choices=["iql", "cql"], required=True)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--n-actions", type=int, default=10)
    p.add_argument("--repeats", type=int, default=20)
    a = p.parse_args()
    torch.set_num_threads(1)
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
