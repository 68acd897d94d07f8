"""bellman spaces: Gymnasium's attributes, repr, contains, seeded sampling."""

import unittest

import numpy as np

import bellman
from reference import hexes, load


class SpaceTest(unittest.TestCase):
    def test_discrete_attributes(self):
        space = bellman.make("CartPole-v1").action_space
        self.assertIsInstance(space, bellman.Discrete)
        self.assertIsInstance(space, bellman.Space)
        self.assertEqual(space.n, 2)
        self.assertEqual(space.start, 0)
        self.assertEqual(space.dtype, np.int64)
        self.assertEqual(space.shape, ())
        self.assertEqual(repr(space), "Discrete(2)")
        self.assertEqual(repr(bellman.Discrete(3, start=-1)), "Discrete(3, start=-1)")
        self.assertEqual(space, bellman.Discrete(2))
        self.assertNotEqual(space, bellman.Discrete(3))

    def test_box_attributes(self):
        space = bellman.make("CartPole-v1").observation_space
        self.assertIsInstance(space, bellman.Box)
        self.assertEqual(space.shape, (4,))
        self.assertEqual(space.dtype, np.float32)
        self.assertEqual(space.low.dtype, np.float32)
        self.assertEqual(space.high.dtype, np.float32)
        self.assertEqual(space.high[0], np.float32(4.8))
        self.assertEqual(space.high[2], np.float32(12 * 2 * np.pi / 360 * 2))
        self.assertTrue(np.isinf(space.high[1]))
        self.assertFalse(space.is_bounded())
        self.assertEqual(space.bounded_above.tolist(), [True, False, True, False])
        pendulum = bellman.make("Pendulum-v1").action_space
        self.assertTrue(pendulum.is_bounded())
        self.assertEqual(repr(pendulum), "Box(-2.0, 2.0, (1,), float32)")

    def test_box_constructor(self):
        space = bellman.Box(-1.0, 1.0, shape=(2, 3))
        self.assertEqual(space.shape, (2, 3))
        self.assertEqual(repr(space), "Box(-1.0, 1.0, (2, 3), float32)")
        space = bellman.Box(np.array([0.0, -1.0]), np.array([1.0, 1.0]), dtype=np.float64)
        self.assertEqual(space.shape, (2,))
        self.assertEqual(space.dtype, np.float64)
        self.assertEqual(repr(space), "Box([ 0. -1.], 1.0, (2,), float64)")

    def test_tuple_attributes(self):
        space = bellman.make("Blackjack-v1").observation_space
        self.assertIsInstance(space, bellman.Tuple)
        self.assertEqual(len(space.spaces), 3)
        self.assertEqual([s.n for s in space.spaces], [32, 11, 2])
        self.assertEqual(repr(space), "Tuple(Discrete(32), Discrete(11), Discrete(2))")
        self.assertIsNone(space.shape)

    def test_contains(self):
        d = bellman.Discrete(3)
        for x in [0, 2, np.int64(1), np.array(2), np.int32(0)]:
            self.assertTrue(d.contains(x), repr(x))
            self.assertIn(x, d)
        for x in [3, -1, 1.0, "1", np.array([1]), None, np.float64(1)]:
            self.assertFalse(d.contains(x), repr(x))
        box = bellman.make("CartPole-v1").observation_space
        self.assertTrue(box.contains(np.zeros(4, dtype=np.float32)))
        self.assertTrue(box.contains([0.0, 100.0, 0.1, -5.0]))
        self.assertFalse(box.contains(np.array([5.0, 0, 0, 0], dtype=np.float32)))
        self.assertFalse(box.contains(np.zeros(3, dtype=np.float32)))
        self.assertFalse(box.contains(np.zeros(4, dtype=np.float64)))  # cannot cast to float32
        self.assertFalse(box.contains("abc"))
        t = bellman.make("Blackjack-v1").observation_space
        self.assertTrue(t.contains((4, 1, 0)))
        self.assertTrue(t.contains([31, 10, 1]))
        self.assertFalse(t.contains((32, 1, 0)))
        self.assertFalse(t.contains((4, 1)))
        self.assertFalse(t.contains(5))

    def test_seeded_samples_equal_gymnasium(self):
        for rec in load()["samples"]:
            with self.subTest(id=rec["id"], space=rec["space"]):
                space = getattr(bellman.make(rec["id"]), rec["space"])
                seeds = space.seed(rec["seed"])
                if isinstance(rec["seed_return"], list):
                    self.assertEqual(list(seeds), rec["seed_return"])
                else:
                    self.assertEqual(seeds, rec["seed_return"])
                samples = [space.sample() for _ in range(len(rec["samples"]))]
                for got, want in zip(samples, rec["samples"]):
                    self.assertTrue(space.contains(got))
                    if isinstance(want, list) and want and isinstance(want[0], str):
                        self.assertEqual(got.dtype, space.dtype)
                        self.assertEqual(hexes(got), want)
                    elif isinstance(want, list):
                        self.assertEqual([int(x) for x in got], want)
                    else:
                        self.assertIsInstance(got, np.int64)
                        self.assertEqual(int(got), want)

    def test_sample_mask_and_probability(self):
        d = bellman.Discrete(5, seed=0)
        mask = np.array([0, 1, 0, 1, 0], dtype=np.int8)
        self.assertTrue(all(int(d.sample(mask=mask)) in (1, 3) for _ in range(50)))
        self.assertEqual(d.sample(mask=np.zeros(5, dtype=np.int8)), 0)
        p = np.array([0, 0, 1.0, 0, 0])
        self.assertTrue(all(int(d.sample(probability=p)) == 2 for _ in range(20)))
        with self.assertRaises(bellman.Error):
            d.sample(mask=mask, probability=p)

    def test_seed_reproducible(self):
        space = bellman.make("Pendulum-v1").action_space
        space.seed(1)
        first = [space.sample() for _ in range(5)]
        space.seed(1)
        second = [space.sample() for _ in range(5)]
        for a, b in zip(first, second):
            np.testing.assert_array_equal(a, b)
        self.assertIsInstance(space.seed(), int)
        with self.assertRaises(bellman.Error):
            space.seed(-3)


if __name__ == "__main__":
    unittest.main()
