"""bellman.make envs against Gymnasium 1.4 (recorded in python_ref.json by gen_python_ref.py)."""

import unittest

import numpy as np

import bellman
from reference import hexes, load


def check_obs(test, obs, ref):
    """Gymnasium's observation types: float32 ndarray (Box), int (Discrete), tuple of ints."""
    if isinstance(ref, list) and ref and isinstance(ref[0], str):
        test.assertIsInstance(obs, np.ndarray)
        test.assertEqual(obs.dtype, np.float32)
        test.assertEqual(hexes(obs), ref)
    elif isinstance(ref, list):
        test.assertIsInstance(obs, tuple)
        test.assertTrue(all(type(x) is int for x in obs))
        test.assertEqual(list(obs), ref)
    else:
        test.assertIs(type(obs), int)
        test.assertEqual(obs, ref)


def check_info(test, info, ref):
    test.assertIsInstance(info, dict)
    test.assertEqual(sorted(info), sorted(ref))
    for key, value in ref.items():
        if key == "action_mask":
            test.assertEqual(info[key].dtype, np.int8)
            test.assertEqual(info[key].tolist(), value)
        else:
            test.assertEqual(info[key], value)


def to_action(a):
    return np.asarray(a, dtype=np.float32) if isinstance(a, list) else a


class TrajectoryTest(unittest.TestCase):
    """reset(seed)/step trajectories equal Gymnasium's bit for bit."""

    def run_trajectory(self, traj):
        env = bellman.make(traj["id"], **traj["kwargs"])
        obs, info = env.reset(seed=traj["seed"])
        check_obs(self, obs, traj["reset_obs"])
        check_info(self, info, traj["reset_info"])
        for k, step in enumerate(traj["steps"]):
            with self.subTest(step=k):
                obs, reward, terminated, truncated, info = env.step(to_action(step["action"]))
                check_obs(self, obs, step["obs"])
                self.assertIs(type(reward), float)
                self.assertEqual(reward, step["reward"])
                self.assertIs(terminated, step["terminated"])
                self.assertIs(truncated, step["truncated"])
                check_info(self, info, step["info"])
                if "state" in step:
                    state = env.get_state()
                    self.assertEqual(state.dtype, np.float64)
                    self.assertEqual(hexes(state), step["state"])
                if "reset_obs" in step:
                    obs, info = env.reset()
                    check_obs(self, obs, step["reset_obs"])
                    check_info(self, info, step["reset_info"])

    def test_cartpole_seed_42(self):
        traj = load()["trajectories"][0]
        self.assertEqual((traj["id"], traj["seed"]), ("CartPole-v1", 42))
        self.assertTrue(any(s["terminated"] for s in traj["steps"]))
        self.run_trajectory(traj)

    def test_all_recorded_trajectories(self):
        for traj in load()["trajectories"]:
            with self.subTest(id=traj["id"], kwargs=traj["kwargs"], seed=traj["seed"]):
                self.run_trajectory(traj)

    def test_box_observation_is_a_new_array(self):
        env = bellman.make("CartPole-v1")
        first, _ = env.reset(seed=0)
        copy = first.copy()
        second, *_ = env.step(0)
        self.assertIsNot(first, second)
        np.testing.assert_array_equal(first, copy)
        self.assertEqual(first.shape, (4,))

    def test_action_types(self):
        for action in [1, np.int64(1), np.int32(1), np.array(1), True]:
            with self.subTest(action=repr(action)):
                env = bellman.make("CartPole-v1")
                env.reset(seed=3)
                ref = bellman.make("CartPole-v1")
                ref.reset(seed=3)
                self.assertEqual(hexes(env.step(action)[0]), hexes(ref.step(1)[0]))
        env = bellman.make("Pendulum-v1")
        env.reset(seed=1)
        for action in [[0.5], (0.5,), np.array([0.5]), np.array([0.5], dtype=np.float32)]:
            obs, reward, *_ = env.step(action)
            self.assertEqual(obs.dtype, np.float32)
            self.assertIs(type(reward), float)


class StateTest(unittest.TestCase):
    def test_round_trip_and_continue(self):
        env = bellman.make("CartPole-v1")
        env.reset(seed=1)
        for a in [0, 1, 1]:
            env.step(a)
        state = env.get_state()
        self.assertEqual(state.dtype, np.float64)
        self.assertEqual(state.shape, (4,))
        after = [hexes(env.step(a)[0]) for a in [0, 0, 1]]
        other = bellman.make("CartPole-v1")
        other.reset(seed=99)
        other.set_state(state)
        np.testing.assert_array_equal(other.get_state(), state)
        self.assertEqual([hexes(other.step(a)[0]) for a in [0, 0, 1]], after)

    def test_step_from_recorded_gymnasium_states(self):
        # Gymnasium's env.unwrapped.state after step k, set into a fresh env, then step k+1.
        for traj in load()["trajectories"]:
            steps = traj["steps"]
            if "state" not in steps[0]:
                continue
            env = bellman.make(traj["id"], **traj["kwargs"])
            for k in range(len(steps) - 1):
                if "reset_obs" in steps[k]:
                    continue
                with self.subTest(id=traj["id"], step=k + 1):
                    env.reset(seed=0)
                    env.set_state([float.fromhex(h) for h in steps[k]["state"]])
                    obs, reward, terminated, _, _ = env.step(to_action(steps[k + 1]["action"]))
                    self.assertEqual(hexes(obs), steps[k + 1]["obs"])
                    self.assertEqual(reward, steps[k + 1]["reward"])
                    self.assertEqual(terminated, steps[k + 1]["terminated"])

    def test_clone(self):
        env = bellman.make("Taxi-v4", is_rainy=True)
        env.reset(seed=5)
        twin = env.clone()
        actions = [0, 1, 2, 3, 0, 0, 2, 1]
        self.assertEqual([env.step(a)[0] for a in actions], [twin.step(a)[0] for a in actions])
        self.assertEqual(env.elapsed_steps, twin.elapsed_steps)


class ToyTextTest(unittest.TestCase):
    def test_frozen_lake_kwargs(self):
        self.assertEqual(bellman.make("FrozenLake-v1").observation_space.n, 16)
        self.assertEqual(bellman.make("FrozenLake-v1", map_name="8x8").observation_space.n, 64)
        self.assertEqual(bellman.make("FrozenLake-v1", map_name=None).observation_space.n, 64)
        desc = ["SFH", "FFG"]
        env = bellman.make("FrozenLake-v1", desc=desc, is_slippery=False)
        self.assertEqual(env.observation_space.n, 6)
        env.reset(seed=0)
        obs, reward, terminated, truncated, info = env.step(2)  # right: into the hole
        self.assertEqual((obs, reward, terminated, truncated, info), (1, 0.0, False, False, {"prob": 1.0}))
        obs, reward, terminated, *_ = env.step(2)
        self.assertEqual((obs, terminated), (2, True))

    def test_generate_random_map(self):
        for case in load()["random_maps"]:
            with self.subTest(**{k: case[k] for k in ("size", "p", "seed")}):
                self.assertEqual(
                    bellman.generate_random_map(size=case["size"], p=case["p"], seed=case["seed"]),
                    case["map"],
                )
        board = bellman.generate_random_map()
        self.assertEqual(len(board), 8)
        self.assertTrue(all(isinstance(row, str) and len(row) == 8 for row in board))
        self.assertEqual((board[0][0], board[-1][-1]), ("S", "G"))

    def test_blackjack_tuple_observation(self):
        env = bellman.make("Blackjack-v1")
        self.assertIsInstance(env.observation_space, bellman.Tuple)
        obs, info = env.reset(seed=0)
        self.assertIsInstance(obs, tuple)
        self.assertEqual(len(obs), 3)
        self.assertTrue(all(type(x) is int for x in obs))
        self.assertTrue(env.observation_space.contains(obs))
        self.assertEqual(info, {})
        self.assertIsNone(env.spec.max_episode_steps)

    def test_transition_model_equals_gymnasium(self):
        for rec in load()["P"]:
            with self.subTest(kwargs=rec["kwargs"]):
                env = bellman.make(rec["id"], **rec["kwargs"])
                expected = {
                    s: {a: [tuple(t) for t in entries] for a, entries in enumerate(by_action)}
                    for s, by_action in enumerate(rec["P"])
                }
                self.assertEqual(env.P, expected)
                prob, next_state, reward, terminated = env.P[0][0][0]
                self.assertIs(type(prob), float)
                self.assertIs(type(next_state), int)
                self.assertIs(type(reward), float)
                self.assertIs(type(terminated), bool)
                self.assertIs(env.unwrapped.P, env.P)

    def test_no_transition_model(self):
        env = bellman.make("CartPole-v1")
        self.assertFalse(hasattr(env, "P"))
        with self.assertRaises(AttributeError):
            env.P

    def test_render_ansi(self):
        env = bellman.make("FrozenLake-v1", render_mode="ansi")
        self.assertEqual(env.render_mode, "ansi")
        env.reset(seed=0)
        text = env.render()
        self.assertIsInstance(text, str)
        self.assertIn("F", text)
        self.assertIsNone(bellman.make("CartPole-v1", render_mode=None).render_mode)


class SpecTest(unittest.TestCase):
    def test_spec_and_spaces(self):
        for env_id, rec in load()["spaces"].items():
            with self.subTest(id=env_id):
                env = bellman.make(env_id)
                self.assertEqual(env.spec.id, env_id)
                self.assertEqual(env.spec.max_episode_steps, rec["max_episode_steps"])
                self.assertEqual(repr(env.observation_space), rec["observation_space"])
                self.assertEqual(repr(env.action_space), rec["action_space"])
                self.assertIs(env.unwrapped, env)
                self.assertIs(env.action_space, env.action_space)  # seeding sticks

    def test_max_episode_steps_override(self):
        env = bellman.make("CartPole-v1", max_episode_steps=3)
        self.assertEqual(env.spec.max_episode_steps, 3)
        env.reset(seed=0)
        results = [env.step(i % 2)[3] for i in range(3)]
        self.assertEqual(results, [False, False, True])

    def test_envs_and_version(self):
        ids = bellman.envs()
        self.assertIn("CartPole-v1", ids)
        self.assertIn("FrozenLake-v1", ids)
        self.assertEqual(ids, sorted(ids))
        self.assertIsInstance(bellman.__version__, str)

    def test_context_manager(self):
        with bellman.make("CartPole-v1") as env:
            env.reset(seed=0)
        env.close()


class ErrorTest(unittest.TestCase):
    def test_error_type(self):
        self.assertTrue(issubclass(bellman.Error, Exception))

    def test_unknown_id_suggests(self):
        with self.assertRaises(bellman.Error) as cm:
            bellman.make("CartPole-v2")
        self.assertIn("did you mean 'CartPole-v", str(cm.exception))

    def test_unknown_kwarg_suggests(self):
        with self.assertRaises(bellman.Error) as cm:
            bellman.make("FrozenLake-v1", is_slipery=False)
        self.assertIn("is_slippery", str(cm.exception))

    def test_bad_kwarg_type(self):
        with self.assertRaises(bellman.Error):
            bellman.make("FrozenLake-v1", is_slippery="no")
        with self.assertRaises(bellman.Error) as cm:
            bellman.make("FrozenLake-v1", desc={"a": 1})
        self.assertIn("desc", str(cm.exception))

    def test_render_mode_not_supported(self):
        with self.assertRaises(bellman.Error) as cm:
            bellman.make("CartPole-v1", render_mode="human")
        self.assertIn("human", str(cm.exception))

    def test_bad_actions(self):
        env = bellman.make("CartPole-v1")
        env.reset(seed=0)
        for action in [2, -1, np.int64(5)]:
            with self.assertRaises(bellman.Error) as cm:
                env.step(action)
            self.assertIn("Discrete(2)", str(cm.exception))
        for action in [0.5, "left", [1], None]:
            with self.assertRaises(bellman.Error):
                env.step(action)
        env.step(0)  # the env is still usable after a rejected action
        pendulum = bellman.make("Pendulum-v1")
        pendulum.reset(seed=0)
        with self.assertRaises(bellman.Error):
            pendulum.step([0.1, 0.2])
        with self.assertRaises(bellman.Error):
            pendulum.step(["a"])

    def test_step_protocol(self):
        env = bellman.make("CartPole-v1")
        with self.assertRaises(bellman.Error):
            env.step(0)  # before reset
        env.reset(seed=0)
        terminated = False
        while not terminated:
            _, _, terminated, _, _ = env.step(0)
        with self.assertRaises(bellman.Error) as cm:
            env.step(0)
        self.assertIn("reset", str(cm.exception))

    def test_bad_seed(self):
        env = bellman.make("CartPole-v1")
        for seed in [-1, 1.5, "0", 2**64]:
            with self.assertRaises(bellman.Error):
                env.reset(seed=seed)
        env.reset(seed=2**64 - 1)
        env.reset(seed=np.int64(3))

    def test_reset_options_refused(self):
        env = bellman.make("CartPole-v1")
        env.reset(seed=0, options={})
        with self.assertRaises(bellman.Error):
            env.reset(seed=0, options={"low": -0.1, "high": 0.1})

    def test_bad_state(self):
        env = bellman.make("CartPole-v1")
        env.reset(seed=0)
        with self.assertRaises(bellman.Error):
            env.set_state([1.0, 2.0])


if __name__ == "__main__":
    unittest.main()
