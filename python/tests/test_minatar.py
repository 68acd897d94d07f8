"""MinAtar through the Python module: make() kwargs, uint8 observations, and the trajectories
recorded from MinAtar's own source (tests/data/minatar_<game>_ref.json, see
tests/data/minatar_record.py)."""

import json
import os
import unittest

import numpy as np

import bellman

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "data")


def digest(obs):
    h = 0x811C9DC5
    for b in np.asarray(obs, dtype=np.uint8).tobytes():
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def title(game):
    return "".join(w.title() for w in game.split("_"))


class MinAtarTest(unittest.TestCase):
    def test_make_kwargs_and_spaces(self):
        env = bellman.make("MinAtar/Breakout-v1", sticky_action_prob=0.1,
                           difficulty_ramping=True, use_minimal_action_set=False)
        self.assertEqual(str(env.observation_space), "Box(0, 1, (10, 10, 4), uint8)")
        self.assertEqual(env.action_space.n, 6)
        self.assertEqual(bellman.make("MinAtar/Breakout-v1").action_space.n, 3)
        obs, info = env.reset(seed=3)
        self.assertEqual(obs.dtype, np.uint8)
        self.assertEqual(obs.shape, (10, 10, 4))
        self.assertEqual(int(obs[..., 3].sum()), 30)  # three rows of bricks
        with self.assertRaises(Exception):
            bellman.make("MinAtar/Breakout-v1", sticky_action_probability=0.1)

    def test_trajectories_match_minatar(self):
        # The first trajectories of each recorded game: reset(seed=k) on a fresh env, then
        # step() with the recorded action indices, reset() without a seed after a terminal.
        checked = 0
        for game in ["asterix", "breakout", "freeway", "seaquest", "space_invaders"]:
            path = os.path.join(DATA, f"minatar_{game}_ref.json")
            if not os.path.exists(path):
                continue
            for traj in json.load(open(path))["trajectories"][:2]:
                version = 1 if traj["use_minimal_action_set"] else 0
                env = bellman.make(f"MinAtar/{title(game)}-v{version}",
                                   sticky_action_prob=traj["sticky_action_prob"],
                                   difficulty_ramping=traj["difficulty_ramping"])
                obs, _ = env.reset(seed=traj["seed"])
                self.assertEqual(digest(obs), traj["reset_digest"])
                for i, step in enumerate(traj["steps"]):
                    obs, r, term, trunc, _ = env.step(step[0])
                    self.assertEqual((r, term, trunc, digest(obs)),
                                     (step[1], bool(step[2]), False, step[3]),
                                     f"{game} seed {traj['seed']} step {i}")
                    if term:
                        obs, _ = env.reset()
                        self.assertEqual(digest(obs), step[4])
                checked += 1
        self.assertGreaterEqual(checked, 2)

    def test_vector_env(self):
        v = bellman.make_vec("MinAtar/Breakout-v1", num_envs=3)
        obs, _ = v.reset(seed=1)
        self.assertEqual(obs.shape, (3, 10, 10, 4))
        self.assertEqual(obs.dtype, np.uint8)
        single = bellman.make("MinAtar/Breakout-v1")
        o1, _ = single.reset(seed=2)
        np.testing.assert_array_equal(obs[1], o1)


if __name__ == "__main__":
    unittest.main()
