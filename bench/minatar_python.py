"""Steps/s of MinAtar's own Python environments (the reference bellman's MinAtar envs are
compared with in bench/minatar.sh): Environment(game) with sticky actions 0.1, random actions
from the minimal set, resets on terminal. Needs MinAtar's source on PYTHONPATH:
    PYTHONPATH=/path/to/MinAtar /usr/bin/python3 bench/minatar_python.py [seconds]
Prints one line per game: "<game> <steps/s>".
"""
import sys
import time

import numpy as np

from minatar import Environment

seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
for game in ["asterix", "breakout", "freeway", "seaquest", "space_invaders"]:
    env = Environment(game)
    env.seed(0)
    env.reset()
    actions = env.minimal_action_set()
    rs = np.random.RandomState(1)
    steps = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(100):
            _, done = env.act(actions[rs.randint(len(actions))])
            env.state()
            if done:
                env.reset()
        steps += 100
    print(f"{game} {steps / (time.perf_counter() - start):.0f}")
