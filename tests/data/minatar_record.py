"""Shared recorder for the MinAtar reference data (tests/data/gen_minatar_<game>.py).

The reference is MinAtar's own source (kenjyoung/MinAtar, commit 4241f24), exported with
    git --git-dir=<mirror> archive HEAD minatar | tar -x -C /work/minatarref
and run with Debian's NumPy:
    PYTHONPATH=/work/minatarref /usr/bin/python3 tests/data/gen_minatar_<game>.py

A trajectory is what bellman.make("MinAtar/<Game>-v0", ...) must reproduce: a fresh
Environment(game, sticky_action_prob, difficulty_ramping), seed(seed), reset(), then act() with
the recorded actions (indices into the action set), reset() (no seed) after each terminal.
Each step is [action index, reward, terminal, digest of the observation after the step] plus,
after a terminal, the digest of the observation of the reset that follows. The digest is
FNV-1a (32 bit) of state().astype(uint8).tobytes() (row-major y, x, channel). The first
`full_steps` observations are also stored in full (the flat indices of the set cells) so that a
mismatch can be shown.
"""

import json
import os

import numpy as np

from minatar import Environment

HERE = os.path.dirname(os.path.abspath(__file__))


def digest(obs):
    h = 0x811C9DC5
    for b in np.asarray(obs, dtype=np.uint8).tobytes():
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def cells(obs):
    return [int(i) for i in np.flatnonzero(np.asarray(obs, dtype=np.uint8).reshape(-1))]


def record(game, seed, n_steps, policy, sticky=0.1, ramping=True, minimal=False, full_steps=20,
           note=""):
    """policy(step_index, env, action_set) -> index into action_set; env is the Environment
    (policy may read env.env's variables, never env.random)."""
    env = Environment(game, sticky_action_prob=sticky, difficulty_ramping=ramping)
    env.seed(seed)
    env.reset()
    action_set = env.minimal_action_set() if minimal else list(range(env.num_actions()))
    reset_obs = env.state()
    steps = []
    full = [cells(reset_obs)]
    episodes, returns, ret = 0, [], 0
    for i in range(n_steps):
        a = int(policy(i, env, action_set))
        r, done = env.act(action_set[a])
        obs = env.state()
        ret += r
        step = [a, int(r), int(bool(done)), digest(obs)]
        if len(full) <= full_steps:
            full.append(cells(obs))
        if done:
            env.reset()
            step.append(digest(env.state()))
            episodes += 1
            returns.append(ret)
            ret = 0
        steps.append(step)
    return {
        "game": game,
        "seed": seed,
        "sticky_action_prob": sticky,
        "difficulty_ramping": ramping,
        "use_minimal_action_set": minimal,
        "note": note,
        "reset_digest": digest(reset_obs),
        "full_obs": full,
        "steps": steps,
        "episodes": episodes,
        "returns": returns,
    }


def random_policy(seed, n):
    rs = np.random.RandomState(10_000 + seed)
    return lambda i, env, action_set: rs.randint(n if n else len(action_set))


def write(game, trajectories):
    path = os.path.join(HERE, f"minatar_{game}_ref.json")
    with open(path, "w") as f:
        json.dump({"game": game, "trajectories": trajectories}, f, separators=(",", ":"))
    total = sum(len(t["steps"]) for t in trajectories)
    print(f"wrote {path}: {len(trajectories)} trajectories, {total} steps, "
          f"{sum(t['episodes'] for t in trajectories)} episodes")
