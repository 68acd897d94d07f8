#include "bellman/replay/sum_tree.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include "bellman/core/error.h"

namespace bellman {

namespace {

int64_t LeafBase(int64_t capacity, const char* what) {
  if (capacity < 1) throw Error(fmt::format("{}: capacity must be >= 1, got {}", what, capacity));
  int64_t base = 1;
  while (base < capacity) base *= 2;
  return base;
}

}  // namespace

SumTree::SumTree(int64_t capacity)
    : capacity_(capacity),
      leaf_base_(LeafBase(capacity, "SumTree")),
      nodes_(static_cast<size_t>(2 * leaf_base_), 0.0) {}

void SumTree::Set(int64_t i, double value) {
  assert(i >= 0 && i < capacity_);
  assert(std::isfinite(value) && value >= 0.0);
  auto k = static_cast<size_t>(leaf_base_ + i);
  nodes_[k] = value;
  for (k /= 2; k >= 1; k /= 2) nodes_[k] = nodes_[2 * k] + nodes_[2 * k + 1];
}

int64_t SumTree::FindPrefixSum(double mass) const {
  size_t k = 1;
  const auto base = static_cast<size_t>(leaf_base_);
  while (k < base) {
    const size_t left = 2 * k;
    // Go right only into a non-empty subtree: with exact sums `mass < left` decides, but a sum
    // rounded down could otherwise send the search to an empty slot past the filled rows.
    // (A branch, not a select: stratified masses come in increasing order, so consecutive
    // searches mostly share their path and the branches predict well.)
    if (mass < nodes_[left] || nodes_[left + 1] <= 0.0) {
      k = left;
    } else {
      mass -= nodes_[left];
      k = left + 1;
    }
  }
  return static_cast<int64_t>(k - base);
}

void SumTree::FindPrefixSums(std::span<double> masses, std::span<int64_t> out) const {
  assert(masses.size() == out.size());
  // Level by level for all searches at once: the loads of one level are independent of each
  // other, so their cache misses overlap instead of forming one dependent chain per search.
  // Same decisions as FindPrefixSum, so the same leaves. out[j] holds the current node.
  const size_t n = masses.size();
  const auto base = static_cast<size_t>(leaf_base_);
  std::fill(out.begin(), out.end(), 1);
  for (size_t level = 1; level < base; level *= 2) {
    for (size_t j = 0; j < n; ++j) {
      const auto left = static_cast<size_t>(2 * out[j]);
      if (masses[j] < nodes_[left] || nodes_[left + 1] <= 0.0) {
        out[j] = static_cast<int64_t>(left);
      } else {
        masses[j] -= nodes_[left];
        out[j] = static_cast<int64_t>(left + 1);
      }
    }
  }
  for (size_t j = 0; j < n; ++j) out[j] -= leaf_base_;
}

void SumTree::Clear() { std::fill(nodes_.begin(), nodes_.end(), 0.0); }

MinTree::MinTree(int64_t capacity)
    : capacity_(capacity),
      leaf_base_(LeafBase(capacity, "MinTree")),
      nodes_(static_cast<size_t>(2 * leaf_base_), std::numeric_limits<double>::infinity()) {}

void MinTree::Set(int64_t i, double value) {
  assert(i >= 0 && i < capacity_);
  auto k = static_cast<size_t>(leaf_base_ + i);
  nodes_[k] = value;
  for (k /= 2; k >= 1; k /= 2) nodes_[k] = std::min(nodes_[2 * k], nodes_[2 * k + 1]);
}

void MinTree::Clear() {
  std::fill(nodes_.begin(), nodes_.end(), std::numeric_limits<double>::infinity());
}

}  // namespace bellman
