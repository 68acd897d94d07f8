"""Records MinAtar Freeway reference trajectories (see minatar_record.py for the format).

An episode is 2501 steps (the game's own clock), so trajectories run past 2501 steps to cover
the terminal and the reset after it.

    PYTHONPATH=/work/minatarref /usr/bin/python3 tests/data/gen_minatar_freeway.py
"""

import numpy as np

from minatar_record import random_policy, record, write


def simulate(g, moves):
    """Plays the full actions `moves` from env g's state up to a crossing (which would re-draw
    the cars). Returns (crossed, pos)."""
    pos, move_timer = g.pos, g.move_timer
    cars = [list(c) for c in g.cars]
    for a in moves:
        if a == 2 and move_timer == 0:
            move_timer, pos = 3, max(0, pos - 1)
        elif a == 4 and move_timer == 0:
            move_timer, pos = 3, min(9, pos + 1)
        if pos == 0:
            return True, pos
        for car in cars:
            if car[0:2] == [4, pos]:
                pos = 9
            if car[2] == 0:
                car[2] = abs(car[3])
                car[0] += 1 if car[3] > 0 else -1
                car[0] = 9 if car[0] < 0 else (0 if car[0] > 9 else car[0])
                if car[0:2] == [4, pos]:
                    pos = 9
            else:
                car[2] -= 1
        move_timer -= move_timer > 0
    return False, pos


def plans(move_timer, depth):
    """Action sequences of `depth` frames that differ only where the chicken can move."""
    if depth == 0:
        return [()]
    choices = (0, 2, 4) if move_timer == 0 else (0,)
    out = []
    for a in choices:
        # A move sets the timer to 3, and the end of the frame counts it down.
        nxt = 2 if a != 0 else max(0, move_timer - 1)
        out += [(a,) + rest for rest in plans(nxt, depth - 1)]
    return out


def crosser(seed, noise=0.02, depth=10):
    # Plans a few moves ahead against the cars' deterministic motion: goes up when it is safe,
    # waits or steps back when a car would hit it. Crosses many times per episode.
    rs = np.random.RandomState(40_000 + seed)

    def policy(i, env, action_set):
        g = env.env
        if rs.rand() < noise:
            return rs.randint(len(action_set))
        best = {}
        for seq in plans(g.move_timer, depth):
            crossed, pos = simulate(g, seq)
            score = 100 if crossed else 9 - pos
            best[seq[0]] = max(best.get(seq[0], -1), score)
        top = max(best.values())
        # Prefer going up among equally good first actions.
        a = next(a for a in (2, 0, 4) if best.get(a, -1) == top)
        return action_set.index(a)

    return policy


def eager(seed, p_up=0.6):
    # Random with a bias upwards, so that even unplanned play crosses now and then.
    rs = np.random.RandomState(50_000 + seed)

    def policy(i, env, action_set):
        if rs.rand() < p_up:
            return action_set.index(2)
        return rs.randint(len(action_set))

    return policy


trajs = []
for seed in range(2):
    trajs.append(record("freeway", seed, 2600, random_policy(seed, 0), note="random, full set"))
trajs.append(record("freeway", 2, 2600, eager(2), minimal=True, note="eager random, minimal set"))
trajs.append(record("freeway", 100, 5100, crosser(0), minimal=True,
                    note="crosser, minimal set"))
trajs.append(record("freeway", 7, 2600, crosser(7, 0.0), sticky=0.0, note="crosser, no sticky"))
trajs.append(record("freeway", 8, 2600, crosser(8), sticky=0.5, ramping=False,
                    note="crosser, sticky 0.5"))
write("freeway", trajs)
