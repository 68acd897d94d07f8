"""Records MinAtar Asterix reference trajectories (see minatar_record.py for the format).

    PYTHONPATH=/work/minatarref /usr/bin/python3 tests/data/gen_minatar_asterix.py
"""

import itertools

import numpy as np

from minatar_record import random_policy, record, write


def simulate(g, moves):
    """Plays the full actions `moves` from env g's state without spawns or ramps (the part of
    act() that draws no random numbers). Returns (dead, gold, player_x, player_y)."""
    px, py = g.player_x, g.player_y
    ents = [list(e) if e is not None else None for e in g.entities]
    move_timer = g.move_timer
    gold = 0
    edge = 0

    def touch(i):
        nonlocal gold
        e = ents[i]
        if e is not None and e[0] == px and e[1] == py:
            if e[3]:
                ents[i] = None
                gold += 1
            else:
                return True
        return False

    for a in moves:
        if a == 1:
            px = max(0, px - 1)
        elif a == 3:
            px = min(9, px + 1)
        elif a == 2:
            py = max(1, py - 1)
        elif a == 4:
            py = min(8, py + 1)
        if any(touch(i) for i in range(8)):
            return True, gold, px, py, edge
        edge += 3 if px in (0, 9) else (1 if px in (1, 8) else 0)
        if move_timer == 0:
            move_timer = g.move_speed
            for i, e in enumerate(ents):
                if e is None:
                    continue
                e[0] += 1 if e[2] else -1
                if e[0] < 0 or e[0] > 9:
                    ents[i] = None
                elif touch(i):
                    return True, gold, px, py, edge
        move_timer -= 1
    return False, gold, px, py, edge


def dodger(seed, noise=0.01, depth=3):
    # Looks `depth` steps ahead (entities that exist now, no spawns): avoids enemies, collects
    # gold, keeps off the edge columns where entities spawn. Lives long enough for the
    # difficulty ramp to run to its end (spawn and move intervals 1, all rows full).
    rs = np.random.RandomState(30_000 + seed)
    seqs = list(itertools.product(range(5), repeat=depth))

    def policy(i, env, action_set):
        g = env.env
        if rs.rand() < noise:
            return rs.randint(len(action_set))
        best, again = {}, {}
        for seq in seqs:
            dead, gold, px, py, edge = simulate(g, seq)
            golds = [abs(e[0] - px) + abs(e[1] - py) for e in g.entities
                     if e is not None and e[3]]
            score = (-100.0 if dead else 0.0) + 10.0 * gold - edge
            score -= 0.3 * min(golds) if golds else 0.0
            best[seq[0]] = max(best.get(seq[0], -1e9), score)
            if seq[1] == seq[0]:
                again[seq[0]] = max(again.get(seq[0], -1e9), score)
        # Sticky actions repeat the action on the next step one time in ten.
        best = {a: 0.9 * best[a] + 0.1 * again[a] for a in best}
        top = max(best.values())
        choices = [a for a in range(5) if best[a] == top]
        return action_set.index(choices[rs.randint(len(choices))])

    return policy


trajs = []
for seed in range(6):
    trajs.append(record("asterix", seed, 400, random_policy(seed, 0), note="random, full set"))
for seed in range(3):
    trajs.append(record("asterix", 100 + seed, 3000, dodger(seed), minimal=True,
                        note="dodger, minimal set"))
trajs.append(record("asterix", 7, 2000, dodger(7, 0.0), sticky=0.0, note="dodger, no sticky"))
trajs.append(record("asterix", 8, 2000, dodger(8), sticky=0.5, ramping=False,
                    note="dodger, sticky 0.5, no ramping"))
write("asterix", trajs)
