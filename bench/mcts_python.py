#!/usr/bin/python3
"""MuZero's MCTS in Python, in the style of the paper's pseudocode (Schrittwieser et al. 2020,
supplementary "pseudocode.py"), on the networks a bellman run exported (`bellman muzero
--export-json`, or what `bellman bench mcts` writes). It is the baseline of `bellman bench mcts`:
the same search (PUCT with c1/c2, MuZero's min-max value normalisation, rewards on the edges,
values and rewards as two-hot supports over the h-transform) with the same weights, run by
Debian's python3-torch, one thread, batch-1 network calls as the pseudocode makes them.

Where the pseudocode leaves a choice, this script makes bellman's: ties in the selection go to
the lowest action index (the pseudocode's max over (score, action, child) tuples takes the
highest), and no root noise (the comparison needs identical trees).

Usage: mcts_python.py --nets NETS.json --obs OBS.f32 --simulations 50 [--repeat 1]
Prints one JSON line: {"positions", "simulations", "seconds", "sims_per_s", "visits"}.
"""
import argparse
import json
import math
import time

import numpy as np
import torch


def mlp(layers):
    mods = []
    for i, layer in enumerate(layers):
        lin = torch.nn.Linear(layer["in"], layer["out"])
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(layer["weight"], dtype=torch.float32).view(layer["out"], layer["in"]))
            lin.bias.copy_(torch.tensor(layer["bias"], dtype=torch.float32))
        mods.append(lin)
        if i + 1 < len(layers):
            mods.append(torch.nn.ReLU())
    return torch.nn.Sequential(*mods)


class Networks:
    def __init__(self, spec):
        self.num_actions = spec["num_actions"]
        self.latent = spec["latent_size"]
        self.value_support = spec["value_support"]
        self.reward_support = spec["reward_support"]
        self.eps = spec["h_eps"]
        self.representation = mlp(spec["representation"])
        self.dynamics = mlp(spec["dynamics"])
        self.prediction = mlp(spec["prediction"])

    @staticmethod
    def scale(s):
        lo = s.min(dim=1, keepdim=True).values
        hi = s.max(dim=1, keepdim=True).values
        return (s - lo) / (hi - lo).clamp_min(1e-5)

    def inverse_h(self, y):
        eps = self.eps
        s = (math.sqrt(1.0 + 4.0 * eps * (abs(y) + 1.0 + eps)) - 1.0) / (2.0 * eps)
        return math.copysign(s * s - 1.0, y)

    def support_to_scalar(self, logits, support):
        x = logits.double()
        p = torch.softmax(x - x.max(), dim=0)
        e = float((p * torch.arange(-support, support + 1, dtype=torch.float64)).sum())
        return self.inverse_h(e)

    def predict(self, s):
        out = self.prediction(s)[0]
        logits = out[: self.num_actions].double()
        value = self.support_to_scalar(out[self.num_actions:], self.value_support)
        return logits, value

    def initial_inference(self, obs):
        s = self.scale(self.representation(obs.unsqueeze(0)))
        logits, value = self.predict(s)
        return s, 0.0, logits, value

    def recurrent_inference(self, s, action):
        onehot = torch.zeros(1, self.num_actions)
        onehot[0, action] = 1.0
        out = self.dynamics(torch.cat([s, onehot], dim=1))
        s2 = self.scale(out[:, : self.latent])
        reward = self.support_to_scalar(out[0, self.latent:], self.reward_support)
        logits, value = self.predict(s2)
        return s2, reward, logits, value


class MinMaxStats:
    def __init__(self):
        self.maximum = -float("inf")
        self.minimum = float("inf")

    def update(self, value):
        self.maximum = max(self.maximum, value)
        self.minimum = min(self.minimum, value)

    def normalize(self, value):
        if self.maximum > self.minimum:
            return (value - self.minimum) / (self.maximum - self.minimum)
        return value


class Node:
    def __init__(self, prior):
        self.visit_count = 0
        self.prior = prior
        self.value_sum = 0.0
        self.children = {}
        self.hidden_state = None
        self.reward = 0.0

    def expanded(self):
        return len(self.children) > 0

    def value(self):
        return 0.0 if self.visit_count == 0 else self.value_sum / self.visit_count


def expand_node(node, hidden, reward, logits):
    node.hidden_state = hidden
    node.reward = reward
    policy = [math.exp(float(l - logits.max())) for l in logits]
    total = sum(policy)
    for a, p in enumerate(policy):
        node.children[a] = Node(p / total)


def ucb_score(parent, child, stats, c1, c2, gamma):
    pb_c = math.log((parent.visit_count + c2 + 1) / c2) + c1
    pb_c *= math.sqrt(parent.visit_count) / (child.visit_count + 1)
    prior_score = pb_c * child.prior
    value_score = stats.normalize(child.reward + gamma * child.value()) if child.visit_count > 0 else 0.0
    return prior_score + value_score


def select_child(node, stats, c1, c2, gamma):
    best, best_score = None, -float("inf")
    for a in sorted(node.children):
        s = ucb_score(node, node.children[a], stats, c1, c2, gamma)
        if s > best_score:
            best, best_score = a, s
    return best, node.children[best]


def backpropagate(path, value, gamma, stats):
    for node in reversed(path):
        node.value_sum += value
        node.visit_count += 1
        stats.update(node.reward + gamma * node.value())
        value = node.reward + gamma * value


def run_mcts(nets, obs, simulations, c1, c2, gamma):
    root = Node(0.0)
    hidden, reward, logits, value = nets.initial_inference(obs)
    expand_node(root, hidden, reward, logits)
    stats = MinMaxStats()
    for _ in range(simulations):
        node = root
        path = [node]
        while node.expanded():
            action, node = select_child(node, stats, c1, c2, gamma)
            path.append(node)
        parent = path[-2]
        hidden, reward, logits, value = nets.recurrent_inference(parent.hidden_state, action)
        expand_node(node, hidden, reward, logits)
        backpropagate(path, value, gamma, stats)
    return [root.children[a].visit_count for a in range(nets.num_actions)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nets", required=True)
    ap.add_argument("--obs", required=True)
    ap.add_argument("--simulations", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--gamma", type=float, default=0.997)
    ap.add_argument("--pb-c-init", type=float, default=1.25)
    ap.add_argument("--pb-c-base", type=float, default=19652.0)
    args = ap.parse_args()
    torch.set_num_threads(1)
    with open(args.nets) as f:
        spec = json.load(f)
    if spec.get("format") != "bellman-muzero-nets-v1":
        raise SystemExit(f"{args.nets}: not a bellman-muzero-nets-v1 file")
    nets = Networks(spec)
    obs = np.fromfile(args.obs, dtype=np.float32).reshape(-1, spec["obs_size"])
    visits = []
    with torch.no_grad():
        run_mcts(nets, torch.from_numpy(obs[0].copy()), 2, args.pb_c_init, args.pb_c_base, args.gamma)  # warm-up
        start = time.perf_counter()
        for _ in range(args.repeat):
            visits = [run_mcts(nets, torch.from_numpy(o.copy()), args.simulations, args.pb_c_init,
                               args.pb_c_base, args.gamma) for o in obs]
        seconds = time.perf_counter() - start
    total = args.repeat * len(obs) * args.simulations
    print(json.dumps({"positions": len(obs), "simulations": args.simulations, "seconds": seconds,
                      "sims_per_s": total / seconds, "visits": visits}))


if __name__ == "__main__":
    main()
