"""Records Gymnasium 1.4 toy-text reference data for tests/envs/toy_text_test.cpp.

Run from anywhere:
    PYTHONPATH=/work/gymref /usr/bin/python3 tests/data/gen_toy_text.py

Writes, next to this script:
  toy_text_ref.json  generate_random_map outputs, trajectories (obs, reward, terminated,
                     truncated for fixed action sequences over several seeds, with the ansi
                     renders of the first steps) for FrozenLake, CliffWalking, Taxi, Blackjack.
  toy_text_p.json    the full transition tables P of the tabular envs, flattened: for each
                     (s, a) in order the number of entries, then per entry an index into the
                     table's distinct probabilities (stored as float.hex), next state, reward,
                     terminated.
Floats are written with repr() (json) or float.hex(), both exact.
"""

import json
import os

import numpy as np

import gymnasium as gym
from gymnasium.envs.toy_text.frozen_lake import generate_random_map

HERE = os.path.dirname(os.path.abspath(__file__))
N_RENDER = 6  # ansi renders recorded: after the first reset and after the first 5 steps


def obs_to_json(obs):
    if isinstance(obs, tuple):
        return [int(x) for x in obs]
    return int(obs)


def record(env_id, kwargs, seed, actions, render):
    make_kwargs = dict(kwargs)
    if render:
        make_kwargs["render_mode"] = "ansi"
    env = gym.make(env_id, **make_kwargs)
    obs, _ = env.reset(seed=seed)
    renders = [env.render()] if render else []
    steps = []
    n_steps = len(actions) if not callable(actions) else actions.length
    for i in range(n_steps):
        a = actions[i] if not callable(actions) else actions(obs)
        obs, r, term, trunc, _ = env.step(int(a))
        r = float(r)
        # [action, obs, reward, terminated, truncated(, obs of the reset that follows)]
        step = [int(a), obs_to_json(obs), int(r) if r.is_integer() else r, int(term), int(trunc)]
        if render and len(renders) < N_RENDER:
            renders.append(env.render())
        if term or trunc:
            reset_obs, _ = env.reset()  # no seed: the generator continues
            step.append(obs_to_json(reset_obs))
        steps.append(step)
    first = gym.make(env_id, **kwargs)
    reset_obs, _ = first.reset(seed=seed)
    out = {
        "id": env_id,
        "kwargs": kwargs,
        "seed": seed,
        "reset_obs": obs_to_json(reset_obs),
        "steps": steps,
    }
    if render:
        out["renders"] = renders
    return out


def random_actions(n_actions, length, key):
    rng = np.random.default_rng(key)
    return [int(x) for x in rng.integers(0, n_actions, size=length)]


class TaxiPolicy:
    """Greedy policy from value iteration on the dry Taxi model (gamma 0.95)."""

    def __init__(self, length):
        self.length = length
        p = gym.make("Taxi-v4").unwrapped.P
        v = np.zeros(500)
        for _ in range(200):
            q = self._q(p, v)
            v = q.max(axis=1)
        self.policy = self._q(p, v).argmax(axis=1)

    @staticmethod
    def _q(p, v):
        q = np.zeros((500, 6))
        for s in range(500):
            for a in range(6):
                q[s, a] = sum(pr * (r + (0.0 if t else 0.95 * v[ns])) for pr, ns, r, t in p[s][a])
        return q

    def __call__(self, obs):
        return int(self.policy[obs])


def trajectories():
    out = []
    cases = [
        # (id, kwargs, n_actions, length, render)
        ("FrozenLake-v1", {}, 4, 150, True),
        ("FrozenLake-v1", {"is_slippery": False}, 4, 150, True),
        ("FrozenLake-v1", {"success_rate": 0.75}, 4, 150, False),
        ("FrozenLake-v1", {"map_name": "8x8"}, 4, 250, False),
        ("FrozenLake8x8-v1", {}, 4, 300, True),
        ("FrozenLake8x8-v1", {"is_slippery": False}, 4, 200, False),
        (
            "FrozenLake-v1",
            {"desc": ["SFFH", "FFHF", "HFSF", "FFFG"], "success_rate": 0.5},
            4,
            150,
            True,
        ),
        ("FrozenLake-v1", {"desc": ["SFH", "FFG"], "is_slippery": False}, 4, 100, True),
        ("FrozenLake-v1", {"desc": generate_random_map(6, 0.7, 11)}, 4, 150, False),
        ("FrozenLake-v1", {"desc": generate_random_map(10, 0.85, 12), "map_name": None}, 4, 200, False),
        ("CliffWalking-v1", {}, 4, 200, True),
        ("CliffWalking-v1", {"max_episode_steps": 30}, 4, 100, False),
        ("CliffWalkingSlippery-v1", {}, 4, 200, True),
        ("CliffWalking-v1", {"is_slippery": True}, 4, 100, False),
        ("Taxi-v4", {}, 6, 420, True),
        ("Taxi-v4", {"is_rainy": True}, 6, 210, True),
        ("Taxi-v4", {"is_rainy": True, "rainy_probability": 0.7}, 6, 300, False),
        ("Taxi-v4", {"fickle_passenger": True}, 6, 210, True),
        ("Taxi-v4", {"fickle_passenger": True, "fickle_probability": 0.9}, 6, 210, False),
        ("Taxi-v4", {"is_rainy": True, "fickle_passenger": True}, 6, 210, False),
        ("Taxi-v4", {"max_episode_steps": 25}, 6, 100, False),
        ("Blackjack-v1", {}, 2, 120, False),
        ("Blackjack-v1", {"sab": False}, 2, 120, False),
        ("Blackjack-v1", {"sab": False, "natural": True}, 2, 120, False),
        ("Blackjack-v1", {"sab": True, "natural": True}, 2, 120, False),
    ]
    for k, (env_id, kwargs, n_actions, length, render) in enumerate(cases):
        for seed in [0, 7, 42]:
            actions = random_actions(n_actions, length, 1000 * k + seed)
            out.append(record(env_id, kwargs, seed, actions, render and seed in (0, 7)))

    # Taxi driven by an optimal policy, so that passengers are picked up, carried (the fickle
    # passenger changes destination) and delivered (terminated, reward 20).
    for kwargs in [
        {},
        {"fickle_passenger": True, "fickle_probability": 1.0},
        {"fickle_passenger": True},
        {"is_rainy": True},
        {"is_rainy": True, "fickle_passenger": True, "fickle_probability": 1.0},
    ]:
        for seed in [3, 4, 5]:
            out.append(record("Taxi-v4", kwargs, seed, TaxiPolicy(200), seed == 3))
    # FrozenLake, not slippery, always LEFT: stays on the start tile, truncated at 100 steps.
    out.append(record("FrozenLake-v1", {"is_slippery": False}, 5, [0] * 230, False))
    # FrozenLake 8x8: truncated at 200 steps.
    out.append(record("FrozenLake8x8-v1", {"is_slippery": False}, 5, [3] * 410, False))
    # Blackjack: always hit, always stick.
    out.append(record("Blackjack-v1", {}, 3, [1] * 100, False))
    out.append(record("Blackjack-v1", {"sab": False, "natural": True}, 3, [0] * 100, False))
    return out


def random_maps():
    out = []
    for size, p, seed in [
        (4, 0.8, 0),
        (4, 0.8, 1),
        (8, 0.8, 0),
        (8, 0.8, 42),
        (8, 0.5, 3),
        (5, 0.3, 9),
        (12, 0.75, 2024),
        (2, 0.6, 5),
        (16, 0.9, 77),
        (8, 1.5, 8),
        (3, 0.05, 1),
    ]:
        out.append({"size": size, "p": p, "seed": seed, "map": generate_random_map(size, p, seed)})
    return out


def p_table(env_id, kwargs):
    env = gym.make(env_id, **kwargs).unwrapped
    n_s = int(env.observation_space.n)
    n_a = int(env.action_space.n)
    probs = []
    counts = []
    entries = []
    for s in range(n_s):
        for a in range(n_a):
            li = env.P[s][a]
            counts.append(len(li))
            for prob, ns, r, t in li:
                prob = float(prob)
                if prob.hex() not in probs:
                    probs.append(prob.hex())
                r = float(r)
                entries += [probs.index(prob.hex()), int(ns), int(r) if r.is_integer() else r]
                entries.append(int(bool(t)))
    return {
        "id": env_id,
        "kwargs": kwargs,
        "n_states": n_s,
        "n_actions": n_a,
        "probs": probs,
        "counts": counts,
        "entries": entries,
    }


def p_tables():
    return [
        p_table("FrozenLake-v1", {}),
        p_table("FrozenLake-v1", {"is_slippery": False}),
        p_table("FrozenLake-v1", {"success_rate": 0.7}),
        p_table("FrozenLake8x8-v1", {}),
        p_table("FrozenLake8x8-v1", {"is_slippery": False}),
        p_table("FrozenLake-v1", {"desc": ["SFFH", "FFHF", "HFSF", "FFFG"], "success_rate": 0.5}),
        p_table("CliffWalking-v1", {}),
        p_table("CliffWalkingSlippery-v1", {}),
        p_table("Taxi-v4", {}),
        p_table("Taxi-v4", {"is_rainy": True}),
        # Same structure as the table above (the test checks it); only the probabilities
        # are kept, to keep the file small.
        probs_only(p_table("Taxi-v4", {"is_rainy": True, "rainy_probability": 0.65})),
    ]


def probs_only(table):
    return {k: v for k, v in table.items() if k not in ("counts", "entries")}


def main():
    ref = {
        "gymnasium_version": gym.__version__,
        "random_maps": random_maps(),
        "trajectories": trajectories(),
    }
    with open(os.path.join(HERE, "toy_text_ref.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
        f.write("\n")
    with open(os.path.join(HERE, "toy_text_p.json"), "w") as f:
        json.dump({"gymnasium_version": gym.__version__, "tables": p_tables()}, f,
                  separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
