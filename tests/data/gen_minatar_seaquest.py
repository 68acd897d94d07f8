"""Records MinAtar Seaquest reference trajectories (see minatar_record.py for the format).

    PYTHONPATH=/work/minatarref /usr/bin/python3 tests/data/gen_minatar_seaquest.py

Random actions die fast (surfacing with no diver ends the game), so most steps come from a
look-ahead diver collector that surfaces with its divers (oxygen refills, the difficulty ramps,
a full load of 6 is cashed in and leaves diver_count at -1), one that never surfaces (oxygen runs
out) and a trigger-happy one that keeps several bullets and enemies on screen.
"""

import copy

import numpy as np

from minatar_record import random_policy, record, write

N, L, U, R, D, F = range(6)


def sim_copy(game, rs):
    # A copy of the game with its own generator: looking ahead never touches env.random.
    g = object.__new__(type(game))
    g.__dict__ = {k: copy.deepcopy(v) for k, v in game.__dict__.items() if k != "random"}
    g.random = np.random.RandomState(rs.randint(2**31))
    return g


def danger(g, y, x):
    # Enemies and enemy bullets that are on, or will next move onto, (y, x).
    n = 0
    for e in g.e_fish + g.e_subs + g.e_bullets:
        if e[1] == y and (e[0] == x or e[0] + (1 if e[2] else -1) == x):
            n += 1
    return n


def collector(seed, surface_at=30, noise=0.02, fire_bias=1.0, eager=False):
    """Collects divers, shoots what is in its row ahead of it and surfaces with its divers when
    oxygen runs low or the sub is full (surface_at=None: never surfaces; eager: surfaces whenever
    it has a diver, which ramps the difficulty to its end). Each action is scored
    by a two-step look-ahead on copies of the game."""
    rs = np.random.RandomState(30_000 + seed)

    def target(g):
        if g.sub_y == 0 and g.surface:
            return (3, g.sub_x)
        if surface_at is not None and g.diver_count != 0 and (
                g.oxygen < surface_at + 3 * g.sub_y or g.diver_count == 6):
            return (0, g.sub_x)
        if g.divers:
            d = min(g.divers, key=lambda d: abs(d[0] - g.sub_x) + abs(d[1] - g.sub_y))
            return (d[1], d[0])
        enemies = g.e_fish + g.e_subs
        if enemies:
            e = min(enemies, key=lambda e: abs(e[1] - g.sub_y))
            return (e[1], 1 if e[0] > 5 else 8)
        return (4, g.sub_x)

    def score(g0, g, r):
        if g.terminal:
            return -1000.0
        ty, tx = target(g0)
        # Divers gained count, a diver dropped on surfacing costs, cashing in 6 pays.
        gained = g.diver_count - g0.diver_count
        s = 10.0 * r + 40.0 * (6 if gained < 0 and (eager or g0.diver_count == 6) else gained)
        s -= 2.0 * abs(g.sub_y - ty) + abs(g.sub_x - tx)
        s -= 30.0 * danger(g, g.sub_y, g.sub_x)
        return s

    def policy(i, env, action_set):
        if rs.rand() < noise:
            return rs.randint(len(action_set))
        g0 = env.env
        best, best_a = None, 0
        for a in action_set:
            g1 = sim_copy(g0, rs)
            r1, t1 = g1.act(a)
            s = score(g0, g1, r1)
            if not t1:
                follow = []
                for b in (N, U, D, L, R):
                    g2 = sim_copy(g1, rs)
                    r2, _ = g2.act(b)
                    follow.append(score(g0, g2, r2))
                s += 0.5 * max(follow)
            if a == F:
                ahead = [e for e in g0.e_fish + g0.e_subs if e[1] == g0.sub_y and
                         (e[0] > g0.sub_x if g0.sub_or else e[0] < g0.sub_x)]
                s += fire_bias * (3.0 if ahead else 0.0)
            s += rs.rand() * 0.1
            if best is None or s > best:
                best, best_a = s, a
        return action_set.index(best_a)

    return policy


def gunner(seed):
    # Fires whenever it can and moves along its row between shots, so bullets follow each other
    # a cell apart; avoids surfacing without divers, otherwise random.
    rs = np.random.RandomState(40_000 + seed)

    def policy(i, env, action_set):
        g = env.env
        if g.shot_timer == 0:
            return action_set.index(F)
        a = [N, L, R, R, R, D, U][rs.randint(7)]
        if a == U and g.sub_y == 1 and g.diver_count == 0:
            a = D
        return action_set.index(a)

    return policy


trajs = []
for seed in range(6):
    trajs.append(record("seaquest", seed, 300, random_policy(seed, 0), note="random, full set"))
for seed in range(2):
    trajs.append(record("seaquest", 50 + seed, 1500, gunner(seed), note="gunner"))
for seed in range(3):
    trajs.append(record("seaquest", 100 + seed, 3000, collector(seed), minimal=True,
                        note="diver collector, minimal set"))
trajs.append(record("seaquest", 7, 1500, collector(7, surface_at=None), sticky=0.0,
                    note="never surfaces, no sticky"))
trajs.append(record("seaquest", 8, 2000, collector(8), sticky=0.5, ramping=False,
                    note="collector, sticky 0.5, no ramping"))
trajs.append(record("seaquest", 9, 3000, collector(9, surface_at=15, noise=0.0), sticky=0.0,
                    note="collector, no sticky"))
trajs.append(record("seaquest", 10, 3000, collector(10, eager=True), minimal=True,
                    note="eager surfacer (full ramp), minimal set"))
write("seaquest", trajs)
