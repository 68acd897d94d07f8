#include "bellman/core/space.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "bellman/core/error.h"

namespace bellman {
namespace {

TEST(Space, DiscreteContainsAndRepr) {
  Space s = Space::Discrete(3, 1);
  int64_t v = 0;
  EXPECT_FALSE(s.Contains(&v));
  v = 3;
  EXPECT_TRUE(s.Contains(&v));
  v = 4;
  EXPECT_FALSE(s.Contains(&v));
  EXPECT_EQ(Space::Discrete(2).ToString(), "Discrete(2)");
  EXPECT_EQ(s.ToString(), "Discrete(3, start=1)");
  EXPECT_THROW(Space::Discrete(0), Error);
}

TEST(Space, BoxContainsSampleAndRepr) {
  Space b = Space::Box(-1.0, 1.0, {2});
  EXPECT_EQ(b.ToString(), "Box(-1.0, 1.0, (2,), float32)");
  float in[2] = {0.5f, -1.0f}, out[2] = {0.5f, 1.5f};
  EXPECT_TRUE(b.Contains(in));
  EXPECT_FALSE(b.Contains(out));
  Rng rng(3);
  for (int i = 0; i < 100; ++i) {
    float x[2];
    b.Sample(rng, x);
    EXPECT_TRUE(b.Contains(x));
  }
  double inf = std::numeric_limits<double>::infinity();
  Space u = Space::Box({-inf, 0.0}, {inf, inf}, {2}, DType::kFloat64);
  EXPECT_EQ(u.ToString(), "Box([-inf   0.], inf, (2,), float64)");
  // Gymnasium's CartPole / Acrobot / MountainCar observation spaces, as numpy prints them.
  Space cart = Space::Box({-4.8, -inf, -0.41887902047863906, -inf},
                          {4.8, inf, 0.41887902047863906, inf}, {4});
  EXPECT_EQ(cart.ToString(),
            "Box([-4.8               -inf -0.41887903        -inf], "
            "[4.8               inf 0.41887903        inf], (4,), float32)");
  Space acro = Space::Box({-1, -1, -1, -1, -12.566370614359172, -28.274333882308138},
                          {1, 1, 1, 1, 12.566370614359172, 28.274333882308138}, {6});
  EXPECT_EQ(acro.ToString(),
            "Box([ -1.        -1.        -1.        -1.       -12.566371 -28.274334], "
            "[ 1.        1.        1.        1.       12.566371 28.274334], (6,), float32)");
  EXPECT_EQ(Space::Box({-1.2, -0.07}, {0.6, 0.07}, {2}).ToString(),
            "Box([-1.2  -0.07], [0.6  0.07], (2,), float32)");
  EXPECT_EQ(Space::Box({-1, -1, -8}, {1, 1, 8}, {3}).ToString(),
            "Box([-1. -1. -8.], [1. 1. 8.], (3,), float32)");
  Rng r2(4);
  double y[2];
  u.Sample(r2, y);
  EXPECT_TRUE(u.Contains(y));
  EXPECT_THROW(Space::Box({1.0}, {0.0}, {1}), Error);
  EXPECT_THROW(Space::Box(std::vector<double>{0.0}, std::vector<double>{1.0}, {2}), Error);
}

TEST(Space, MultiDiscreteMultiBinaryTuple) {
  Space md = Space::MultiDiscrete({2, 3});
  int64_t a[2] = {1, 2}, b[2] = {2, 0};
  EXPECT_TRUE(md.Contains(a));
  EXPECT_FALSE(md.Contains(b));
  EXPECT_EQ(md.ToString(), "MultiDiscrete([2 3])");
  Space mb = Space::MultiBinary(3);
  int8_t c[3] = {0, 1, 1}, d[3] = {0, 2, 1};
  EXPECT_TRUE(mb.Contains(c));
  EXPECT_FALSE(mb.Contains(d));
  Space t = Space::Tuple({Space::Discrete(32), Space::Discrete(11), Space::Discrete(2)});
  EXPECT_EQ(t.ToString(), "Tuple(Discrete(32), Discrete(11), Discrete(2))");
  EXPECT_EQ(t.flat_size(), 3);
  Rng rng(5);
  for (int i = 0; i < 50; ++i) {
    int64_t s[3];
    t.Sample(rng, s);
    EXPECT_TRUE(t.Contains(s));
    int64_t m[2];
    md.Sample(rng, m);
    EXPECT_TRUE(md.Contains(m));
  }
}

TEST(Space, DiscreteSampleMatchesNumpyIntegers) {
  // gymnasium Discrete(n).sample() is start + np_random.integers(n); the same generator drawn
  // directly must give the same values.
  Rng a(11), b(11);
  Space s = Space::Discrete(6, 2);
  for (int i = 0; i < 20; ++i) {
    int64_t v;
    s.Sample(a, &v);
    EXPECT_EQ(v, 2 + b.Integers(0, 6));
  }
}

}  // namespace
}  // namespace bellman
