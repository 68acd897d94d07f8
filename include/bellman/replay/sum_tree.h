// Segment trees over a fixed number of leaves, for prioritized replay (Schaul et al. 2016,
// appendix B.2.1): a sum tree samples proportionally to the leaves in O(log N), a min tree gives
// the smallest priority (the largest importance weight) in O(1).
//
// Internal nodes are always recomputed as left + right from their children (never updated by
// adding a delta), so a node's value depends only on the current leaves: no drift over millions
// of updates, and a tree rebuilt from saved leaves is bit-identical to the original.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace bellman {

class SumTree {
 public:
  // `capacity` leaves, all 0. Throws bellman::Error for capacity < 1.
  explicit SumTree(int64_t capacity);

  // Sets leaf i to value (finite, >= 0; asserted). O(log N).
  void Set(int64_t i, double value);
  double Get(int64_t i) const { return nodes_[static_cast<size_t>(leaf_base_ + i)]; }
  double Total() const { return nodes_[1]; }
  int64_t capacity() const { return capacity_; }

  // The leaf i whose interval [prefix(i), prefix(i) + leaf(i)) of the cumulative sum contains
  // `mass`, where prefix(i) is the sum of leaves 0..i-1. Never returns a zero leaf while
  // Total() > 0: rounding that would push the search into an empty subtree goes to the last
  // non-empty leaf instead, which is also what a mass >= Total() gives. O(log N).
  int64_t FindPrefixSum(double mass) const;
  // FindPrefixSum for many masses at once (out[j] for masses[j]), level by level so that the
  // memory accesses of different searches overlap; the masses are used as scratch.
  void FindPrefixSums(std::span<double> masses, std::span<int64_t> out) const;

  // Sets every leaf to 0.
  void Clear();

 private:
  int64_t capacity_;
  int64_t leaf_base_;          // number of leaves rounded up to a power of two
  std::vector<double> nodes_;  // 1-based heap: node k has children 2k, 2k+1; leaves from base
};

class MinTree {
 public:
  // `capacity` leaves, all +inf (an empty slot never is the minimum).
  explicit MinTree(int64_t capacity);

  void Set(int64_t i, double value);
  double Get(int64_t i) const { return nodes_[static_cast<size_t>(leaf_base_ + i)]; }
  double Min() const { return nodes_[1]; }
  int64_t capacity() const { return capacity_; }
  void Clear();

 private:
  int64_t capacity_;
  int64_t leaf_base_;
  std::vector<double> nodes_;
};

}  // namespace bellman
