"""bellman.train and bellman.load: a short run of the fast CartPole preset, its final evaluation,
and a loaded policy that reproduces that evaluation on seeded envs."""

import math
import os
import re
import tempfile
import threading
import unittest

import numpy as np

import bellman

# configs/ of the source tree (bellman.train finds presets there by default too).
FAST = os.path.join(os.path.dirname(__file__), "..", "..", "configs", "dqn", "CartPole-v1-fast.yaml")


def greedy_returns(policy, seed, n):
    """Plays n episodes on envs seeded seed + i, all stepped together with one batched act()
    per step (as the trainer's evaluation does), counting each env's first episode."""
    env = bellman.make_vec("CartPole-v1", num_envs=n)
    obs, _ = env.reset(seed=seed)
    returns = np.zeros(n)
    done = np.zeros(n, dtype=bool)
    while not done.all():
        obs, rewards, terminated, truncated, _ = env.step(policy.act(obs))
        returns += np.where(done, 0.0, rewards)
        done |= terminated | truncated
    return returns.tolist()


class TrainTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.run_dir = os.path.join(cls.tmp.name, "run")
        # A few seconds: 6000 env steps of the fast preset, evaluated at the end on 5 episodes.
        cls.result = bellman.train(
            algo="dqn",
            env="CartPole-v1",
            seed=1,
            config=FAST,
            run_dir=cls.run_dir,
            n_timesteps=6000,
            final_eval_episodes=5,
            set={"checkpoint_freq": 0},
        )

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_result(self):
        r = self.result
        run_dir, final_eval = r  # unpacks as (run_dir, final_eval)
        self.assertEqual(run_dir, self.run_dir)
        self.assertTrue(os.path.exists(os.path.join(run_dir, "summary.json")))
        self.assertEqual(r.env_steps, 6000)
        self.assertGreater(r.gradient_steps, 0)
        self.assertEqual(len(final_eval.returns), 5)
        self.assertAlmostEqual(final_eval.mean, float(np.mean(final_eval.returns)), places=9)
        self.assertAlmostEqual(final_eval.std, float(np.std(final_eval.returns)), places=9)
        # After 6000 steps the greedy policy balances far longer than a random one (~22 steps).
        self.assertGreater(final_eval.mean, 50.0)
        self.assertFalse(math.isnan(r.last_eval))

    def test_load_acts_and_reproduces_the_final_evaluation(self):
        policy = bellman.load(self.run_dir)
        self.assertEqual(policy.env_id, "CartPole-v1")
        self.assertEqual(policy.final_eval_seed, self.result.final_eval.seed)
        self.assertNotEqual(policy.final_eval_seed, policy.eval_seed)
        # One observation -> int, a batch -> int64 array; float64 and lists are converted.
        env = bellman.make("CartPole-v1")
        obs, _ = env.reset(seed=0)
        a = policy.act(obs)
        self.assertIsInstance(a, int)
        self.assertIn(a, (0, 1))
        batch = policy.act(np.stack([obs, obs, -obs]).astype(np.float64))
        self.assertEqual((batch.shape, batch.dtype), ((3,), np.int64))
        self.assertEqual(int(batch[0]), a)
        self.assertEqual(policy.act(obs.tolist()), a)
        with self.assertRaisesRegex(bellman.Error, r"shape \(4\).*got shape \(3\)"):
            policy.act(np.zeros(3, dtype=np.float32))
        # The final evaluation's episodes, replayed through the loaded policy.
        returns = greedy_returns(policy, policy.final_eval_seed, 5)
        self.assertEqual(returns, self.result.final_eval.returns)
        # One env at a time: a valid episode with the policy's actions.
        obs, _ = env.reset(seed=policy.final_eval_seed)
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(policy.act(obs))
            total += reward
            done = terminated or truncated
        self.assertGreater(total, 0.0)

    def test_overrides(self):
        with tempfile.TemporaryDirectory() as tmp:
            r = bellman.train(
                config=FAST,
                seed=3,
                run_dir=os.path.join(tmp, "r"),
                n_timesteps=1200,
                gamma=0.98,  # the algorithm's section
                dqn__net__hidden_sizes=[16, 16],  # "__" = "."
                set={"dqn.lr": 1e-3},
                final_eval_episodes=2,
            )
            with open(os.path.join(r.run_dir, "config.yaml")) as f:
                config = f.read()
            # config.yaml writes doubles with 17 significant digits (0.97999999999999998).
            self.assertEqual(float(re.search(r"\n  gamma: (\S+)", config).group(1)), 0.98)
            self.assertEqual(float(re.search(r"\n  lr: (\S+)", config).group(1)), 1e-3)
            self.assertIn("hidden_sizes:\n      - 16\n      - 16\n", config)
            self.assertEqual(r.env_steps, 1200)
            # Bad values and unknown keys are bellman.Error, raised before any training.
            with self.assertRaisesRegex(bellman.Error, r"dqn.gamma must be in \[0, 1\], got 1.5"):
                bellman.train(config=FAST, run_dir=os.path.join(tmp, "bad"), gamma=1.5)
            with self.assertRaisesRegex(bellman.Error, "gama"):
                bellman.train(config=FAST, run_dir=os.path.join(tmp, "bad2"), gama=0.9)

    def test_set_as_cli_strings_env_kwargs_and_bad_forms(self):
        with tempfile.TemporaryDirectory() as tmp:
            r = bellman.train(
                env="FrozenLake-v1",
                seed=2,
                run_dir=os.path.join(tmp, "r"),
                set=["n_timesteps=400", "dqn.learning_starts=100", "final_eval_episodes=2"],
                env_kwargs={"is_slippery": False},
                progress=False,
                verbose=False,
            )
            self.assertEqual(r.env_steps, 400)
            with open(os.path.join(r.run_dir, "config.yaml")) as f:
                config = f.read()
            self.assertIn("env_kwargs:\n  is_slippery: false\n", config)
            self.assertIn("\n  learning_starts: 100\n", config)
            with self.assertRaisesRegex(bellman.Error, r"set must be a dict .* or a list"):
                bellman.train(config=FAST, run_dir=os.path.join(tmp, "bad"), set=5)
            with self.assertRaisesRegex(bellman.Error, r"set items must be 'key=value' strings"):
                bellman.train(config=FAST, run_dir=os.path.join(tmp, "bad"), set=[("lr", 1)])
            with self.assertRaisesRegex(bellman.Error, r"did you mean 'n_timesteps'"):
                bellman.train(config=FAST, run_dir=os.path.join(tmp, "bad"), set=["n_timestep=1"])

    def test_nan_observations_and_states_are_rejected(self):
        policy = bellman.load(self.run_dir)
        with self.assertRaisesRegex(bellman.Error, r"observation 1 has NaN at index 2"):
            policy.act(np.array([[0, 0, 0, 0], [0, 0, np.nan, 0]], dtype=np.float32))
        env = bellman.make("CartPole-v1")
        env.reset(seed=0)
        with self.assertRaisesRegex(bellman.Error, r"set_state got NaN at index 3"):
            env.set_state(np.array([0.0, 0.0, 0.0, np.nan]))

    def test_gil_released_while_training(self):
        ticks = []
        stop = threading.Event()

        def tick():
            while not stop.is_set():
                ticks.append(1)
                stop.wait(0.001)

        t = threading.Thread(target=tick)
        t.start()
        with tempfile.TemporaryDirectory() as tmp:
            bellman.train(config=FAST, seed=4, run_dir=os.path.join(tmp, "g"), n_timesteps=3000,
                          final_eval_episodes=2)
        stop.set()
        t.join()
        self.assertGreater(len(ticks), 5)


if __name__ == "__main__":
    unittest.main()


class ContinuousTrainTest(unittest.TestCase):
    def test_td3_policy_acts_with_float_actions_inside_the_bounds(self):
        cfg = os.path.join(os.path.dirname(__file__), "..", "..", "configs", "td3", "Pendulum-v1-fast.yaml")
        with tempfile.TemporaryDirectory() as tmp:
            r = bellman.train(algo="td3", env="Pendulum-v1", config=cfg, seed=2,
                              run_dir=os.path.join(tmp, "r"), n_timesteps=1500,
                              final_eval_episodes=2, set={"td3.learning_starts": 500})
            policy = bellman.load(r.run_dir)
            one = policy.act(np.array([1.0, 0.0, 0.5], dtype=np.float32))
            self.assertEqual(one.shape, (1,))
            self.assertEqual(one.dtype, np.float32)
            batch = policy.act(np.array([[1.0, 0.0, 8.0], [-1.0, 0.0, -8.0]], dtype=np.float32))
            self.assertEqual(batch.shape, (2, 1))
            self.assertTrue(np.all(np.abs(batch) <= 2.0))
            # The same episodes as the run's final evaluation, replayed through Python.
            env = bellman.make_vec("Pendulum-v1", num_envs=2)
            obs, _ = env.reset(seed=r.final_eval.seed)
            returns, done = np.zeros(2), np.zeros(2, dtype=bool)
            while not done.all():
                obs, rewards, terminated, truncated, _ = env.step(policy.act(obs))
                returns += np.where(done, 0.0, rewards)
                done |= terminated | truncated
            self.assertEqual(returns.tolist(), list(r.final_eval.returns))
