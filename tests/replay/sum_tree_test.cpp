#include "bellman/replay/sum_tree.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "bellman/core/error.h"
#include "bellman/core/rng.h"

namespace bellman {
namespace {

// Brute force: the first i whose cumulative sum (left to right) exceeds mass.
int64_t BruteFind(const std::vector<double>& leaves, double mass) {
  double prefix = 0.0;
  for (size_t i = 0; i < leaves.size(); ++i) {
    prefix += leaves[i];
    if (mass < prefix) return static_cast<int64_t>(i);
  }
  return -1;
}

TEST(SumTree, TotalAndPrefixSearchMatchBruteForceOnIntegers) {
  // Integer leaves make every partial sum exact, so tree and brute force must agree exactly,
  // including at the interval boundaries.
  const int64_t capacity = 37;  // not a power of two
  SumTree tree(capacity);
  std::vector<double> leaves(capacity, 0.0);
  Rng rng(1);
  for (int round = 0; round < 200; ++round) {
    const int64_t i = rng.Integers(0, capacity);
    const double v = static_cast<double>(rng.Integers(0, 10));  // zeros included
    tree.Set(i, v);
    leaves[static_cast<size_t>(i)] = v;
    double total = 0.0;
    for (double x : leaves) total += x;
    ASSERT_EQ(tree.Total(), total);
    ASSERT_EQ(tree.Get(i), v);
    for (int64_t m = 0; m < static_cast<int64_t>(total); ++m) {
      for (double frac : {0.0, 0.5}) {
        const double mass = static_cast<double>(m) + frac;
        ASSERT_EQ(tree.FindPrefixSum(mass), BruteFind(leaves, mass)) << "mass " << mass;
      }
    }
  }
}

TEST(SumTree, PrefixSearchOnRealValues) {
  const int64_t capacity = 1000;
  SumTree tree(capacity);
  std::vector<double> leaves(capacity);
  Rng rng(2);
  for (int64_t i = 0; i < capacity; ++i) {
    leaves[static_cast<size_t>(i)] = rng.Random() < 0.2 ? 0.0 : rng.Uniform(0.0, 5.0);
    tree.Set(i, leaves[static_cast<size_t>(i)]);
  }
  std::vector<double> prefix(capacity + 1, 0.0);
  for (int64_t i = 0; i < capacity; ++i) {
    prefix[static_cast<size_t>(i + 1)] =
        prefix[static_cast<size_t>(i)] + leaves[static_cast<size_t>(i)];
  }
  EXPECT_NEAR(tree.Total(), prefix.back(), 1e-9 * prefix.back());
  for (int k = 0; k < 10000; ++k) {
    const double mass = rng.Random() * tree.Total();
    const int64_t i = tree.FindPrefixSum(mass);
    ASSERT_GE(i, 0);
    ASSERT_LT(i, capacity);
    ASSERT_GT(tree.Get(i), 0.0) << "never lands on an empty leaf";
    const double tol = 1e-9 * prefix.back();
    ASSERT_LE(prefix[static_cast<size_t>(i)], mass + tol);
    ASSERT_GT(prefix[static_cast<size_t>(i + 1)], mass - tol);
  }
  // The batched search takes the same decisions.
  std::vector<double> masses(4096), scratch;
  std::vector<int64_t> found(masses.size());
  for (double& m : masses) m = rng.Random() * tree.Total() * 1.01;  // some past the total
  scratch = masses;
  tree.FindPrefixSums(scratch, found);
  for (size_t j = 0; j < masses.size(); ++j) {
    ASSERT_EQ(found[j], tree.FindPrefixSum(masses[j])) << masses[j];
  }
  // A mass at or past the total (rounding in a caller) gives the last non-empty leaf.
  int64_t last = capacity - 1;
  while (leaves[static_cast<size_t>(last)] == 0.0) --last;
  EXPECT_EQ(tree.FindPrefixSum(tree.Total()), last);
  EXPECT_EQ(tree.FindPrefixSum(2 * tree.Total()), last);
}

TEST(SumTree, EmptySlotsPastTheFilledRowsAreNeverFound) {
  SumTree tree(10);
  for (int64_t i = 0; i < 3; ++i) tree.Set(i, 0.1);  // 0.1 * 3 rounds: total != 0.3 exactly
  for (double mass : {0.0, 0.1, 0.2, 0.29999999999999999, 0.3, std::nextafter(tree.Total(), 0.0)}) {
    EXPECT_LT(tree.FindPrefixSum(mass), 3) << mass;
  }
}

TEST(SumTree, InnerNodesDependOnlyOnLeaves) {
  // After many updates, a tree built from the final leaves alone has the bit-identical total:
  // what makes saved priorities reload exactly.
  SumTree a(100), b(100);
  Rng rng(3);
  std::vector<double> leaves(100, 0.0);
  for (int k = 0; k < 100000; ++k) {
    const int64_t i = rng.Integers(0, 100);
    leaves[static_cast<size_t>(i)] = rng.Random();
    a.Set(i, leaves[static_cast<size_t>(i)]);
  }
  for (int64_t i = 0; i < 100; ++i) b.Set(i, leaves[static_cast<size_t>(i)]);
  EXPECT_EQ(a.Total(), b.Total());
  for (int k = 0; k < 1000; ++k) {
    const double mass = rng.Random() * a.Total();
    EXPECT_EQ(a.FindPrefixSum(mass), b.FindPrefixSum(mass));
  }
}

TEST(SumTree, RejectsEmptyCapacity) {
  EXPECT_THROW(SumTree(0), Error);
  EXPECT_THROW(MinTree(-1), Error);
}

TEST(MinTree, MatchesBruteForce) {
  MinTree tree(13);
  EXPECT_EQ(tree.Min(), std::numeric_limits<double>::infinity());
  std::vector<double> leaves(13, std::numeric_limits<double>::infinity());
  Rng rng(4);
  for (int k = 0; k < 500; ++k) {
    const int64_t i = rng.Integers(0, 13);
    leaves[static_cast<size_t>(i)] = rng.Uniform(0.5, 2.0);
    tree.Set(i, leaves[static_cast<size_t>(i)]);
    ASSERT_EQ(tree.Min(), *std::min_element(leaves.begin(), leaves.end()));
  }
  tree.Clear();
  EXPECT_EQ(tree.Min(), std::numeric_limits<double>::infinity());
}

}  // namespace
}  // namespace bellman
