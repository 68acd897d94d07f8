"""Records MinAtar SpaceInvaders reference trajectories (see minatar_record.py for the format).

    PYTHONPATH=/work/minatarref /usr/bin/python3 tests/data/gen_minatar_space_invaders.py

Random actions rarely clear a wave, so most steps come from a look-ahead shooter that keeps under
the aliens, fires whenever it can and dodges bullets: it clears waves (the move interval ramps
down, the new wave keeps the old direction and timers) and, when it fails, the aliens reach the
bottom row.
"""

import copy

import numpy as np

from minatar_record import random_policy, record, write

N, L, R, F = 0, 1, 3, 5


def sim_copy(game):
    # The game draws no random numbers; the copy leaves env.random alone anyway.
    g = object.__new__(type(game))
    g.__dict__ = {k: copy.deepcopy(v) for k, v in game.__dict__.items() if k != "random"}
    g.random = None
    return g


def shooter(seed, noise=0.03, depth=3):
    rs = np.random.RandomState(50_000 + seed)

    def target(g):
        # The column, among those with aliens, whose lowest alien is lowest (nearest on ties).
        cols = [x for x in range(10) if g.alien_map[:, x].any()]
        if not cols:
            return g.pos
        low = lambda x: np.max(np.where(g.alien_map[:, x] == 1))
        return max(cols, key=lambda x: (low(x), -abs(x - g.pos)))

    def value(g, d):
        # Best return over `d` more steps of n/l/r/f, -1000 for a terminal.
        if g.terminal:
            return -1000.0
        if d == 0:
            return -abs(g.pos - target(g)) * 0.5
        best = None
        for a in (N, L, R, F):
            g2 = sim_copy(g)
            r, t = g2.act(a)
            v = 10.0 * r + (-1000.0 if t else 0.9 * value(g2, d - 1))
            best = v if best is None else max(best, v)
        return best

    def policy(i, env, action_set):
        if rs.rand() < noise:
            return rs.randint(len(action_set))
        g0 = env.env
        best, best_a = None, N
        for a in (N, L, R, F):
            g1 = sim_copy(g0)
            r, t = g1.act(a)
            v = 10.0 * r + (-1000.0 if t else 0.9 * value(g1, depth - 1))
            if a == F and g0.shot_timer == 0 and g0.alien_map[:, g0.pos].any():
                v += 2.0
            v += rs.rand() * 0.1
            if best is None or v > best:
                best, best_a = v, a
        return action_set.index(best_a)

    return policy


trajs = []
for seed in range(6):
    trajs.append(record("space_invaders", seed, 400, random_policy(seed, 0),
                        note="random, full set"))
for seed in range(3):
    trajs.append(record("space_invaders", 100 + seed, 3000, shooter(seed), minimal=True,
                        note="shooter, minimal set"))
trajs.append(record("space_invaders", 7, 2000, shooter(7, noise=0.0), sticky=0.0,
                    note="shooter, no sticky"))
trajs.append(record("space_invaders", 8, 2000, shooter(8), sticky=0.5, ramping=False,
                    note="shooter, sticky 0.5, no ramping"))
trajs.append(record("space_invaders", 9, 1500, shooter(9, noise=0.3, depth=2),
                    note="noisy shooter, full set"))
for t in trajs:
    # record() sums the rewards as act() returns them, NumPy integers here (r += np.sum(...)).
    t["returns"] = [int(x) for x in t["returns"]]
write("space_invaders", trajs)
