#!/usr/bin/python3
"""Records optimal values of the toy-text envs for tests/tabular/planning_test.cpp.

Independent of the C++ code: the transition model is Gymnasium's own env.unwrapped.P, the
optimal policy comes from numpy value iteration followed by policy iteration until stable, and
its values are solved exactly with numpy.linalg.solve:

    PYTHONPATH=/work/gymref /usr/bin/python3 tests/data/gen_tabular_ref.py   # writes
                                                                             # tabular_ref.json

Floats are stored with repr() (round-trips exactly).
"""

import json
import os

import numpy as np

import gymnasium as gym

GAMMA = 0.99
CASES = [
    ("FrozenLake-v1", {}),
    ("FrozenLake-v1", {"is_slippery": False}),
    ("FrozenLake8x8-v1", {}),
    ("CliffWalking-v1", {}),
    ("Taxi-v4", {}),
]


def arrays(P):
    """T[a, s, s']: probability of a non-terminated move; R[s, a]: expected reward."""
    nS, nA = len(P), len(P[0])
    T = np.zeros((nA, nS, nS))
    R = np.zeros((nS, nA))
    for s in range(nS):
        for a in range(nA):
            for prob, s2, r, terminated in P[s][a]:
                R[s, a] += prob * r
                if not terminated:
                    T[a, s, s2] += prob
    return T, R


def q_of(T, R, V, gamma):
    return R + gamma * np.einsum("ast,t->sa", T, V)


def evaluate(T, R, pi, gamma):
    nS = R.shape[0]
    P_pi = T[pi, np.arange(nS), :]
    r_pi = R[np.arange(nS), pi]
    return np.linalg.solve(np.eye(nS) - gamma * P_pi, r_pi)


def solve(P, gamma):
    T, R = arrays(P)
    V = np.zeros(R.shape[0])
    for _ in range(100000):
        V_new = q_of(T, R, V, gamma).max(axis=1)
        done = np.max(np.abs(V_new - V)) < 1e-13
        V = V_new
        if done:
            break
    pi = np.argmax(q_of(T, R, V, gamma), axis=1)
    for _ in range(1000):  # policy iteration from the value-iteration policy
        V_pi = evaluate(T, R, pi, gamma)
        Q = q_of(T, R, V_pi, gamma)
        gain = Q.max(axis=1) - Q[np.arange(len(pi)), pi]
        if gain.max() <= 1e-12:
            return V_pi, Q, pi
        pi = np.where(gain > 1e-12, np.argmax(Q, axis=1), pi)
    raise RuntimeError("policy iteration did not stabilise")


def main():
    out = {"gamma": repr(GAMMA), "cases": []}
    for env_id, kwargs in CASES:
        env = gym.make(env_id, **kwargs)
        P = env.unwrapped.P
        V, _, pi = solve(P, GAMMA)
        start, _ = env.reset(seed=0)
        out["cases"].append({
            "env_id": env_id,
            "kwargs": kwargs,
            "start_state": int(start),
            "V": [repr(float(v)) for v in V],
            "policy": [int(a) for a in pi],
        })
        print(f"{env_id} {kwargs}: V*(start={start}) = {V[start]!r}")
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tabular_ref.json")
    with open(path, "w") as f:
        json.dump(out, f)
        f.write("\n")


if __name__ == "__main__":
    main()
