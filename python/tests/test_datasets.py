"""Datasets written by `bellman collect` / `bellman dataset export` open with h5py exactly as
Minari's and D4RL's readers expect (names, dtypes, shapes, attributes, metadata.json)."""
import json
import os
import subprocess
import tempfile
import unittest

import numpy as np

import h5py  # Debian's python3-h5py, installed by scripts/setup.sh: a missing one fails

CLI = os.environ.get("BELLMAN_CLI", "")


class DatasetFilesTest(unittest.TestCase):
    def setUp(self):
        self.assertTrue(CLI, "BELLMAN_CLI (set by ctest) must name the bellman executable")
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = os.path.join(self.tmp.name, "cartpole")
        subprocess.run([CLI, "collect", "--env", "CartPole-v1", "--episodes", "3", "--seed", "4",
                        "--out", self.dir], check=True, capture_output=True)

    def tearDown(self):
        self.tmp.cleanup()

    def test_minari_layout(self):
        with open(os.path.join(self.dir, "data", "metadata.json")) as f:
            meta = json.load(f)
        self.assertEqual(meta["total_episodes"], 3)
        self.assertEqual(meta["data_format"], "hdf5")
        self.assertEqual(json.loads(meta["env_spec"])["id"], "CartPole-v1")
        self.assertEqual(json.loads(meta["action_space"]),
                         {"type": "Discrete", "dtype": "int64", "start": 0, "n": 2})
        obs_space = json.loads(meta["observation_space"])
        self.assertEqual(obs_space["shape"], [4])
        self.assertEqual(obs_space["dtype"], "float32")
        steps = 0
        with h5py.File(os.path.join(self.dir, "data", "main_data.hdf5"), "r") as f:
            self.assertEqual(sorted(f.keys()), ["episode_0", "episode_1", "episode_2"])
            for i in range(3):
                ep = f[f"episode_{i}"]
                t = int(ep.attrs["total_steps"])
                self.assertEqual(int(ep.attrs["id"]), i)
                self.assertEqual(int(ep.attrs["seed"]), 4 + i)
                self.assertEqual(ep["observations"].shape, (t + 1, 4))
                self.assertEqual(ep["observations"].dtype, np.float32)
                self.assertEqual(ep["actions"].dtype, np.int64)
                self.assertEqual(ep["rewards"].dtype, np.float64)
                self.assertEqual(ep["terminations"].dtype, np.bool_)
                self.assertEqual(ep["truncations"].dtype, np.bool_)
                self.assertIn("infos", ep)
                # A random CartPole episode ends by falling: the last step terminates.
                self.assertTrue(ep["terminations"][-1])
                self.assertFalse(ep["terminations"][:-1].any())
                np.testing.assert_array_equal(ep["rewards"][()], np.ones(t))
                steps += t
        self.assertEqual(meta["total_steps"], steps)

    def test_d4rl_export(self):
        out = os.path.join(self.tmp.name, "cartpole.hdf5")
        subprocess.run([CLI, "dataset", "export", self.dir, "--d4rl", out], check=True,
                       capture_output=True)
        with h5py.File(os.path.join(self.dir, "data", "main_data.hdf5"), "r") as m, \
                h5py.File(out, "r") as d:
            obs = np.concatenate([m[f"episode_{i}/observations"][:-1] for i in range(3)])
            nxt = np.concatenate([m[f"episode_{i}/observations"][1:] for i in range(3)])
            np.testing.assert_array_equal(d["observations"][()], obs)
            np.testing.assert_array_equal(d["next_observations"][()], nxt)
            self.assertEqual(d["rewards"].dtype, np.float32)
            self.assertEqual(d["terminals"].dtype, np.bool_)
            self.assertEqual(int(d["terminals"][()].sum()), 3)
            self.assertEqual(int(d["timeouts"][()].sum()), 0)

    def test_load_gives_numpy_views_and_episodes(self):
        import bellman
        data = bellman.datasets.load(self.dir)
        self.assertEqual(data.total_episodes, 3)
        self.assertEqual(data.env_id, "CartPole-v1")
        self.assertEqual(data.observations.shape, (data.total_steps + 3, 4))
        self.assertFalse(data.observations.flags.writeable)
        with h5py.File(os.path.join(self.dir, "data", "main_data.hdf5"), "r") as f:
            for ep in data.episodes():
                g = f[f"episode_{ep['id']}"]
                self.assertEqual(ep["seed"], 4 + ep["id"])
                np.testing.assert_array_equal(ep["observations"], g["observations"][()])
                np.testing.assert_array_equal(ep["actions"], g["actions"][()])
                np.testing.assert_array_equal(ep["terminations"], g["terminations"][()])
        with self.assertRaisesRegex(bellman.Error, "is not a Minari dataset folder"):
            bellman.datasets.load(self.tmp.name)

    def test_reads_metadata_as_pythons_json_writes_it(self):
        import bellman
        path = os.path.join(self.dir, "data", "metadata.json")
        with open(path) as f:
            meta = json.load(f)
        inf = float("inf")
        meta["observation_space"] = json.dumps({
            "type": "Box", "dtype": "float32", "shape": [4],
            "low": [-4.8, -inf, -0.42, -inf], "high": [4.8, inf, 0.42, inf]})
        self.assertIn("Infinity", meta["observation_space"])
        with open(path, "w") as f:
            json.dump(meta, f)  # Minari's own writer: separators ", " / ": ", Infinity tokens
        data = bellman.datasets.load(self.dir)
        self.assertEqual(data.observation_space.shape, (4,))
        self.assertTrue(np.isinf(data.observation_space.high[1]))

    def test_bad_dataset_is_one_line_error(self):
        with open(os.path.join(self.dir, "data", "metadata.json")) as f:
            meta = json.load(f)
        meta["data_format"] = "arrow"
        with open(os.path.join(self.dir, "data", "metadata.json"), "w") as f:
            json.dump(meta, f)
        r = subprocess.run([CLI, "dataset", "info", self.dir], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("data_format 'arrow' is not supported", r.stderr)


if __name__ == "__main__":
    unittest.main()
