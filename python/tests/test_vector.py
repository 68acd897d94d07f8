"""bellman.make_vec: shapes, dtypes, same-step autoreset, equality with Gymnasium's
SyncVectorEnv(autoreset_mode=SAME_STEP) and with single envs."""

import unittest

import numpy as np

import bellman
from reference import hexes, load


class VectorTest(unittest.TestCase):
    def test_shapes_and_dtypes(self):
        env = bellman.make_vec("CartPole-v1", num_envs=4)
        self.assertEqual(env.num_envs, 4)
        self.assertEqual(repr(env.single_observation_space), repr(bellman.make("CartPole-v1").observation_space))
        self.assertEqual(env.observation_space.shape, (4, 4))
        self.assertEqual(repr(env.action_space), "MultiDiscrete([2 2 2 2])")
        obs, info = env.reset(seed=0)
        self.assertEqual((obs.shape, obs.dtype), ((4, 4), np.float32))
        self.assertEqual(info, {})
        obs, rewards, terminated, truncated, info = env.step(np.zeros(4, dtype=np.int64))
        self.assertEqual((obs.shape, obs.dtype), ((4, 4), np.float32))
        self.assertEqual((rewards.shape, rewards.dtype), ((4,), np.float64))
        self.assertEqual((terminated.shape, terminated.dtype), ((4,), np.bool_))
        self.assertEqual((truncated.shape, truncated.dtype), ((4,), np.bool_))
        env.step([1, 0, 1, 0])  # lists work too

        lake = bellman.make_vec("FrozenLake-v1", num_envs=3, is_slippery=False)
        obs, _ = lake.reset(seed=1)
        self.assertEqual((obs.shape, obs.dtype), ((3,), np.int64))

        pendulum = bellman.make_vec("Pendulum-v1", num_envs=2)
        obs, _ = pendulum.reset(seed=2)
        self.assertEqual(obs.shape, (2, 3))
        obs, rewards, *_ = pendulum.step(np.array([[0.5], [-0.5]]))
        self.assertEqual(obs.shape, (2, 3))

    def test_equals_gymnasium_same_step(self):
        for rec in load()["vector"]:
            with self.subTest(id=rec["id"]):
                env = bellman.make_vec(rec["id"], num_envs=rec["num_envs"])
                obs, _ = env.reset(seed=rec["seed"])
                float_obs = obs.dtype == np.float32
                if float_obs:
                    np.testing.assert_array_equal(obs, np.array(rec["reset_obs"], dtype=np.float32))
                else:
                    self.assertEqual(obs.tolist(), rec["reset_obs"])
                ended = 0
                for k, step in enumerate(rec["steps"]):
                    obs, rewards, terminated, truncated, info = env.step(np.array(step["actions"]))
                    got = [hexes(o) for o in obs] if float_obs else obs.tolist()
                    self.assertEqual(got, step["obs"], f"step {k}")
                    self.assertEqual(rewards.tolist(), step["rewards"])
                    self.assertEqual(terminated.tolist(), step["terminated"])
                    self.assertEqual(truncated.tolist(), step["truncated"])
                    if "final_obs" not in step:
                        self.assertNotIn("final_obs", info)
                        continue
                    ended += 1
                    self.assertEqual(info["_final_obs"].tolist(), step["final_mask"])
                    self.assertEqual(info["final_obs"].dtype, object)
                    for o, want in zip(info["final_obs"], step["final_obs"]):
                        if want is None:
                            self.assertIsNone(o)
                        elif float_obs:
                            self.assertEqual(hexes(o), want)
                        else:
                            self.assertEqual(o, want)
                self.assertGreater(ended, 0)

    def test_autoreset_matches_single_envs(self):
        # Env i of the vector env follows make(id) reset with seed + i, and after an episode
        # ends it is reset without a seed in the same step.
        n, seed = 3, 11
        vec = bellman.make_vec("CartPole-v1", num_envs=n)
        singles = [bellman.make("CartPole-v1") for _ in range(n)]
        obs, _ = vec.reset(seed=seed)
        for i, env in enumerate(singles):
            np.testing.assert_array_equal(obs[i], env.reset(seed=seed + i)[0])
        rng = np.random.default_rng(0)
        finished = np.zeros(n, dtype=int)
        episode_return = np.zeros(n)
        for _ in range(200):
            actions = rng.integers(0, 2, size=n)
            obs, rewards, terminated, truncated, info = vec.step(actions)
            episode_return += rewards
            for i, env in enumerate(singles):
                o, r, term, trunc, _ = env.step(int(actions[i]))
                self.assertEqual((rewards[i], terminated[i], truncated[i]), (r, term, trunc))
                if term or trunc:
                    finished[i] += 1
                    self.assertTrue(info["_final_obs"][i])
                    np.testing.assert_array_equal(info["final_obs"][i], o)
                    self.assertEqual(info["episode"]["r"][i], episode_return[i])
                    self.assertTrue(info["_episode"][i])
                    episode_return[i] = 0
                    o, _ = env.reset()
                elif "final_obs" in info:
                    self.assertFalse(info["_final_obs"][i])
                    self.assertIsNone(info["final_obs"][i])
                np.testing.assert_array_equal(obs[i], o)
        self.assertTrue(np.all(finished > 0))

    def test_threads_give_the_same_results(self):
        results = []
        for threads in [1, 2, 4]:
            env = bellman.make_vec("Acrobot-v1", num_envs=5, num_threads=threads)
            obs, _ = env.reset(seed=3)
            trace = [obs]
            rng = np.random.default_rng(1)
            for _ in range(30):
                obs, rewards, *_ = env.step(rng.integers(0, 3, size=5))
                trace += [obs, rewards]
            results.append(trace)
        for other in results[1:]:
            for a, b in zip(results[0], other):
                np.testing.assert_array_equal(a, b)

    def test_tuple_observations(self):
        env = bellman.make_vec("Blackjack-v1", num_envs=3)
        obs, _ = env.reset(seed=0)
        self.assertIsInstance(obs, tuple)
        self.assertEqual([(o.shape, o.dtype) for o in obs], [((3,), np.int64)] * 3)
        single = bellman.make("Blackjack-v1")
        self.assertEqual(tuple(int(o[1]) for o in obs), single.reset(seed=1)[0])

    def test_errors(self):
        env = bellman.make_vec("CartPole-v1", num_envs=2)
        with self.assertRaises(bellman.Error):
            env.step(np.zeros(2, dtype=np.int64))  # before reset
        env.reset(seed=0)
        with self.assertRaises(bellman.Error):
            env.step(np.zeros(3, dtype=np.int64))
        with self.assertRaises(bellman.Error):
            env.step(np.zeros(2, dtype=np.float32))
        with self.assertRaises(bellman.Error):
            env.step(np.array([0, 2]))
        with self.assertRaises(bellman.Error):
            bellman.make_vec("CartPole-v1", num_envs=0)
        with self.assertRaises(bellman.Error):
            bellman.make_vec("CartPole-v1", num_envs=2, num_threads=0)
        with self.assertRaises(bellman.Error):
            bellman.make_vec("FrozenLake-v1", num_envs=2, is_slipery=True)


if __name__ == "__main__":
    unittest.main()
