"""bellman.extract.best_of_n: N candidates from any base policy (a bellman.Policy or a Python
callable) ranked by a run's Q (Policy.q_values), against the same choice made by hand."""
import os
import subprocess
import tempfile
import unittest

import numpy as np

import bellman

CLI = os.environ.get("BELLMAN_CLI", "")


class BestOfNTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        assert CLI, "BELLMAN_CLI (set by ctest) must name the bellman executable"
        cls.tmp = tempfile.TemporaryDirectory()
        t = cls.tmp.name
        data = os.path.join(t, "data")
        subprocess.run([CLI, "collect", "--env", "Pendulum-v1", "--episodes", "3", "--seed", "7",
                        "--out", data], check=True, capture_output=True)
        common = ["--env", "Pendulum-v1", "--dataset", data, "--no-progress", "--set",
                  "n_timesteps=200", "--set", "eval_freq=0", "--set", "final_eval_episodes=1"]
        subprocess.run([CLI, "train", "--algo", "bc", *common, "--run-dir", os.path.join(t, "bc"),
                        "--set", "bc.loss=gaussian", "--set", "bc.hidden_sizes=[16]"],
                       check=True, capture_output=True)
        subprocess.run([CLI, "train", "--algo", "iql", *common, "--run-dir",
                        os.path.join(t, "iql"), "--set", "iql.hidden_sizes=[16]"],
                       check=True, capture_output=True)
        cls.bc = os.path.join(t, "bc")
        cls.iql = os.path.join(t, "iql")
        cls.obs = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, -2.0], [-1.0, 0.0, 7.0]], np.float32)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_python_callable_base_matches_the_choice_by_hand(self):
        critic = bellman.load(self.iql)
        by_hand, base = bellman.load(self.bc), bellman.load(self.bc)  # same explore stream
        n = 5
        rep = np.repeat(self.obs, n, axis=0)
        candidates = by_hand.sample(rep)
        q = critic.q_values(rep, candidates).reshape(3, n)
        expected = candidates.reshape(3, n, 1)[np.arange(3), q.argmax(axis=1)]
        act = bellman.extract.best_of_n(lambda o: base.sample(o), critic, n)
        np.testing.assert_array_equal(act(self.obs), expected)
        self.assertEqual(len(set(candidates[:n, 0].tolist())), n)  # Gaussian draws differ

    def test_single_observation_and_policy_base(self):
        critic = bellman.load(self.iql)
        act = bellman.extract.best_of_n(bellman.load(self.bc), critic, 3)
        a = act(self.obs[0])
        self.assertEqual(a.shape, (1,))
        self.assertTrue(-2.0 <= float(a[0]) <= 2.0)

    def test_errors(self):
        critic = bellman.load(self.iql)
        with self.assertRaisesRegex(bellman.Error, "the bc run has no Q-function"):
            bellman.load(self.bc).q_values(self.obs, np.zeros((3, 1), np.float32))
        with self.assertRaisesRegex(bellman.Error, "3 observations but 2 actions"):
            critic.q_values(self.obs, np.zeros((2, 1), np.float32))
        with self.assertRaisesRegex(ValueError, "n must be >= 1"):
            bellman.extract.best_of_n(bellman.load(self.bc), critic, 0)
        bad = bellman.extract.best_of_n(lambda o: np.zeros((1, 1), np.float32), critic, 4)
        with self.assertRaisesRegex(ValueError, "returned 1 actions for 12 observations"):
            bad(self.obs)


if __name__ == "__main__":
    unittest.main()
