"""bellman.make_multi_agent: PettingZoo's parallel API over the C++ multi-agent envs."""
import unittest

import numpy as np

import bellman


class MultiAgentTest(unittest.TestCase):
    def test_registry(self):
        self.assertEqual(bellman.multi_agent_envs(),
                         ["CoinGame-v0", "IteratedPrisonersDilemma-v0", "MatrixGame-v0", "Soccer-v0"])

    def test_prisoners_dilemma_payoffs_and_episode_end(self):
        env = bellman.make_multi_agent("IteratedPrisonersDilemma-v0")
        self.assertEqual(env.possible_agents, ["player_0", "player_1"])
        self.assertEqual(env.agents, [])  # before reset
        obs, infos = env.reset(seed=0)
        self.assertEqual(set(obs), {"player_0", "player_1"})
        self.assertEqual(env.agents, ["player_0", "player_1"])
        self.assertIsInstance(env.action_space("player_0"), bellman.Discrete)
        # LOLA's payoffs: C = 0, D = 1; (C, D) gives -3 to the cooperator and 0 to the defector.
        obs, rew, term, trunc, infos = env.step({"player_0": 0, "player_1": 1})
        self.assertEqual(rew, {"player_0": -3.0, "player_1": 0.0})
        obs, rew, term, trunc, infos = env.step({"player_0": 1, "player_1": 1})
        self.assertEqual(rew, {"player_0": -2.0, "player_1": -2.0})
        steps = 2
        while not (term["player_0"] or trunc["player_0"]):
            obs, rew, term, trunc, infos = env.step({"player_0": 0, "player_1": 0})
            self.assertEqual(rew, {"player_0": -1.0, "player_1": -1.0})
            steps += 1
        self.assertEqual(steps, env.max_episode_steps)
        self.assertEqual(env.agents, [])
        with self.assertRaises(bellman.Error):
            env.step({"player_0": 0, "player_1": 0})  # after the end

    def test_soccer_is_zero_sum_and_seeded(self):
        def run(seed):
            env = bellman.make_multi_agent("Soccer-v0")
            obs, _ = env.reset(seed=seed)
            rng = np.random.default_rng(seed)
            total = {"player_0": 0.0, "player_1": 0.0}
            trace = [env.state().tolist()]
            for _ in range(200):
                acts = {a: int(rng.integers(0, env.action_space(a).n)) for a in env.agents}
                obs, rew, term, trunc, _ = env.step(acts)
                self.assertEqual(rew["player_0"], -rew["player_1"])
                for a in rew:
                    total[a] += rew[a]
                trace.append(env.state().tolist())
                if term["player_0"] or trunc["player_0"]:
                    obs, _ = env.reset()
            return trace, total
        a, ta = run(3)
        b, tb = run(3)
        self.assertEqual(a, b)
        self.assertEqual(ta, tb)
        self.assertNotEqual(run(4)[0], a)

    def test_bad_input_is_a_named_error(self):
        with self.assertRaisesRegex(bellman.Error, "Soccer-v0"):
            bellman.make_multi_agent("Socer-v0")
        env = bellman.make_multi_agent("MatrixGame-v0")
        env.reset(seed=1)
        with self.assertRaisesRegex(bellman.Error, "player_1"):
            env.step({"player_0": 0})
        with self.assertRaisesRegex(bellman.Error, "player_7"):
            env.action_space("player_7")
        with self.assertRaises(bellman.Error):
            env.step({"player_0": 0, "player_1": 99})  # outside the action space


if __name__ == "__main__":
    unittest.main()
