"""Records Gymnasium 1.4 reference data for the bellman Python module tests (test_*.py here).

Run once, with the real Gymnasium (CI has none, so the output is committed):
    PYTHONPATH=/work/gymref /usr/bin/python3 python/tests/gen_python_ref.py

Writes python_ref.json next to this script. Float observations and states are stored as
float.hex() of each element (float32 values widen to float64 exactly), rewards and probabilities
with repr() via json; both round-trip exactly.
"""

import json
import os

# The reference machine has no AVX-512, so NumPy computes float64 sin/cos with glibc there. On a
# machine with AVX-512, NumPy 1.24 would use Intel SVML kernels (different last bits); switching
# those CPU features off before NumPy is imported makes the recording the reference's anywhere.
os.environ["NPY_DISABLE_CPU_FEATURES"] = (
    "AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL")

import numpy as np

import gymnasium as gym
from gymnasium.envs.toy_text.frozen_lake import generate_random_map
from gymnasium.vector import AutoresetMode

HERE = os.path.dirname(os.path.abspath(__file__))


def obs_json(obs):
    if isinstance(obs, tuple):
        return [int(x) for x in obs]
    if isinstance(obs, np.ndarray):
        return [float(x).hex() for x in obs.ravel()]
    return int(obs)


def info_json(info):
    out = {}
    for k, v in info.items():
        out[k] = v.tolist() if isinstance(v, np.ndarray) else v
    return out


def action_json(a):
    if isinstance(a, np.ndarray):
        return [float(x) for x in a]
    return int(a)


def trajectory(env_id, kwargs, seed, actions, with_state=False):
    """reset(seed), then the actions; after an episode ends, reset() without a seed."""
    env = gym.make(env_id, **kwargs)
    obs, info = env.reset(seed=seed)
    out = {
        "id": env_id,
        "kwargs": kwargs,
        "seed": seed,
        "reset_obs": obs_json(obs),
        "reset_info": info_json(info),
        "steps": [],
    }
    for a in actions:
        obs, r, term, trunc, info = env.step(a)
        step = {
            "action": action_json(a),
            "obs": obs_json(obs),
            "reward": float(r),
            "terminated": bool(term),
            "truncated": bool(trunc),
            "info": info_json(info),
        }
        if with_state:
            step["state"] = [float(x).hex() for x in np.asarray(env.unwrapped.state).ravel()]
        if term or trunc:
            obs, info = env.reset()
            step["reset_obs"] = obs_json(obs)
            step["reset_info"] = info_json(info)
        out["steps"].append(step)
    return out


def discrete_actions(n, length, key):
    rng = np.random.default_rng(key)
    return [int(x) for x in rng.integers(0, n, size=length)]


def box_actions(low, high, dim, length, key):
    rng = np.random.default_rng(key)
    # float32 values, so that bellman (which casts actions to float32) sees the same numbers.
    return [rng.uniform(low, high, size=dim).astype(np.float32) for _ in range(length)]


def trajectories():
    out = []
    out.append(trajectory("CartPole-v1", {}, 42, discrete_actions(2, 60, 1), with_state=True))
    out.append(trajectory("CartPole-v1", {"max_episode_steps": 8}, 7, discrete_actions(2, 20, 2)))
    out.append(trajectory("MountainCar-v0", {}, 3, discrete_actions(3, 30, 3), with_state=True))
    out.append(trajectory("Acrobot-v1", {}, 5, discrete_actions(3, 20, 4), with_state=True))
    out.append(trajectory("Pendulum-v1", {}, 9, box_actions(-2, 2, 1, 20, 5), with_state=True))
    out.append(
        trajectory("MountainCarContinuous-v0", {}, 11, box_actions(-1, 1, 1, 20, 6), with_state=True)
    )
    out.append(trajectory("FrozenLake-v1", {}, 0, discrete_actions(4, 40, 7)))
    out.append(trajectory("FrozenLake-v1", {"is_slippery": False}, 1, discrete_actions(4, 40, 8)))
    out.append(trajectory("FrozenLake-v1", {"map_name": "8x8"}, 2, discrete_actions(4, 60, 9)))
    out.append(
        trajectory(
            "FrozenLake-v1",
            {"desc": ["SFFF", "FHFH", "FFFH", "HFFG"], "is_slippery": False},
            3,
            [1, 1, 2, 2, 1, 2, 0, 3],
        )
    )
    out.append(trajectory("CliffWalking-v1", {}, 5, discrete_actions(4, 40, 11)))
    out.append(trajectory("Taxi-v4", {}, 6, discrete_actions(6, 40, 12)))
    out.append(trajectory("Taxi-v4", {"is_rainy": True}, 7, discrete_actions(6, 60, 13)))
    out.append(trajectory("Blackjack-v1", {}, 8, discrete_actions(2, 30, 14)))
    out.append(trajectory("Blackjack-v1", {"sab": False, "natural": True}, 9, discrete_actions(2, 30, 15)))
    return out


def p_table(env_id, kwargs):
    p = gym.make(env_id, **kwargs).unwrapped.P
    return {
        "id": env_id,
        "kwargs": kwargs,
        # [s][a] -> list of [prob, next_state, reward, terminated]
        "P": [
            [[[float(pr), int(ns), float(r), bool(t)] for pr, ns, r, t in p[s][a]] for a in sorted(p[s])]
            for s in sorted(p)
        ],
    }


def spaces():
    out = {}
    for env_id in [
        "CartPole-v1",
        "MountainCar-v0",
        "MountainCarContinuous-v0",
        "Pendulum-v1",
        "Acrobot-v1",
        "FrozenLake-v1",
        "FrozenLake8x8-v1",
        "CliffWalking-v1",
        "Taxi-v4",
        "Blackjack-v1",
    ]:
        env = gym.make(env_id)
        out[env_id] = {
            "observation_space": repr(env.observation_space),
            "action_space": repr(env.action_space),
            "max_episode_steps": env.spec.max_episode_steps,
        }
    return out


def samples():
    """space.seed(s) then sample() several times."""
    out = []
    for env_id, which, seed in [
        ("CartPole-v1", "action_space", 3),
        ("Taxi-v4", "action_space", 4),
        ("FrozenLake-v1", "observation_space", 5),
        ("Pendulum-v1", "action_space", 6),
        ("MountainCarContinuous-v0", "action_space", 7),
        ("Blackjack-v1", "observation_space", 8),
    ]:
        space = getattr(gym.make(env_id), which)
        seeds = space.seed(seed)
        out.append(
            {
                "id": env_id,
                "space": which,
                "seed": seed,
                "seed_return": list(seeds) if isinstance(seeds, tuple) else int(seeds),
                "samples": [obs_json(space.sample()) for _ in range(10)],
            }
        )
    return out


def random_maps():
    cases = [(8, 0.8, 0), (4, 0.8, 1), (6, 0.7, 11), (10, 0.85, 12), (5, 0.5, 123), (3, 0.9, 7)]
    return [{"size": s, "p": p, "seed": seed, "map": generate_random_map(s, p, seed)} for s, p, seed in cases]


def vector():
    """SyncVectorEnv with same-step autoreset: batches and final_obs."""
    out = []
    for env_id, n, seed, length, key in [("CartPole-v1", 3, 42, 40, 20), ("FrozenLake-v1", 4, 5, 30, 21)]:
        env = gym.make_vec(
            env_id,
            n,
            vectorization_mode="sync",
            vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP},
        )
        n_actions = int(env.single_action_space.n)
        obs, _ = env.reset(seed=seed)
        rec = {"id": env_id, "num_envs": n, "seed": seed, "reset_obs": np.asarray(obs).tolist(), "steps": []}
        rng = np.random.default_rng(key)
        for _ in range(length):
            actions = rng.integers(0, n_actions, size=n)
            obs, r, term, trunc, info = env.step(actions)
            step = {
                "actions": actions.tolist(),
                "obs": [[float(x).hex() for x in np.ravel(o)] for o in obs] if obs.dtype == np.float32 else obs.tolist(),
                "rewards": r.tolist(),
                "terminated": term.tolist(),
                "truncated": trunc.tolist(),
            }
            if "final_obs" in info:
                step["final_mask"] = info["_final_obs"].tolist()
                step["final_obs"] = [
                    None if o is None else (obs_json(o) if isinstance(o, np.ndarray) else int(o))
                    for o in info["final_obs"]
                ]
            rec["steps"].append(step)
        out.append(rec)
    return out


def main():
    ref = {
        "gymnasium_version": gym.__version__,
        "trajectories": trajectories(),
        "P": [p_table("FrozenLake-v1", {}), p_table("FrozenLake-v1", {"is_slippery": False})],
        "spaces": spaces(),
        "samples": samples(),
        "random_maps": random_maps(),
        "vector": vector(),
    }
    path = os.path.join(HERE, "python_ref.json")
    with open(path, "w") as f:
        json.dump(ref, f, separators=(",", ":"))
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
