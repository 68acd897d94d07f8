"""Best-of-N policy extraction (V-GPS, Nakamoto et al. 2024; Digi-Q): rank N candidate actions
from any base policy by a learned Q and act with the best. The C++ path is
`bellman eval --checkpoint BASE --critic Q --best-of N`; this one takes any Python callable as
the base policy, e.g. a generalist policy that is not a bellman run.

    critic = bellman.load("runs/iql")
    act = bellman.extract.best_of_n(lambda obs: my_policy.sample(obs), critic, n=8)
    action = act(obs)          # one observation or a batch (m, *obs_shape)
"""

import numpy as np


def best_of_n(base, critic, n):
    """A policy obs -> action that plays the best of `n` candidates of `base` under `critic`.

    base: a bellman.Policy (its `sample`) or a callable mapping a batch of observations
    (k, *obs_shape) to a batch of actions (k, *action_shape); it is called once per step on the
    m * n repeated observations (row i * n + j is candidate j of observation i).
    critic: a bellman.Policy of a run with a Q-function (iql, cql, td3_bc, td3, sac).
    Ties go to the first best candidate, as in the C++ path.
    """
    if int(n) < 1:
        raise ValueError(f"best_of_n: n must be >= 1, got {n}")
    n = int(n)
    draw = base.sample if hasattr(base, "sample") else base
    obs_rank = len(critic.observation_space.shape)

    def act(obs):
        obs = np.asarray(obs)
        single = obs.ndim == obs_rank
        batch = obs[None] if single else obs
        m = batch.shape[0]
        rep = np.repeat(batch, n, axis=0)
        candidates = np.asarray(draw(rep), dtype=np.float32)
        if candidates.shape[0] != m * n:
            raise ValueError(
                f"best_of_n: the base policy returned {candidates.shape[0]} actions for "
                f"{m * n} observations")
        q = critic.q_values(rep, candidates).reshape(m, n)
        best = candidates.reshape(m, n, *candidates.shape[1:])[np.arange(m), q.argmax(axis=1)]
        return best[0] if single else best

    return act
