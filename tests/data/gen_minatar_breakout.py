"""Records MinAtar Breakout reference trajectories (see minatar_record.py for the format).

    PYTHONPATH=/work/minatarref /usr/bin/python3 tests/data/gen_minatar_breakout.py
"""

import numpy as np

from minatar_record import random_policy, record, write


def tracker(seed, noise=0.03):
    # Moves the paddle under the ball's landing column (so episodes last and walls get cleared),
    # with some random moves.
    rs = np.random.RandomState(20_000 + seed)

    def policy(i, env, action_set):
        g = env.env
        if rs.rand() < noise:
            return rs.randint(len(action_set))
        dx = [-1, 1, 1, -1][g.ball_dir]
        down = g.ball_dir >= 2
        target = g.ball_x + dx * ((8 - g.ball_y) if down else 2)
        target = min(9, max(0, target))
        full = 3 if target > g.pos else (1 if target < g.pos else 0)
        return action_set.index(full)

    return policy


trajs = []
for seed in range(6):
    trajs.append(record("breakout", seed, 400, random_policy(seed, 0), note="random, full set"))
for seed in range(3):
    trajs.append(record("breakout", 100 + seed, 3000, tracker(seed), minimal=True,
                        note="ball tracker, minimal set"))
trajs.append(record("breakout", 7, 1500, tracker(7, 0.0), sticky=0.0, note="tracker, no sticky"))
trajs.append(record("breakout", 8, 1500, tracker(8), sticky=0.5, ramping=False,
                    note="tracker, sticky 0.5"))
write("breakout", trajs)
