// Zero-sum matrix games by GLPK's simplex (tabular/games.h) against analytic values and an
// independent exact solver (support enumeration with Gaussian elimination).
#include "bellman/tabular/games.h"

#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <vector>

#include "bellman/core/error.h"
#include "bellman/tabular/planning.h"

namespace bellman::tabular {
namespace {

// Equal-size supports I, J: x on I makes every column of J pay v, y on J makes every row of I
// cost v; accepted when both are probabilities and no pure strategy does better. Exact for
// nondegenerate games (random payoffs).
std::optional<MatrixGameSolution> SupportEnumeration(const MatrixGame& g) {
  const int64_t m = g.rows, n = g.cols;
  auto a = [&](int64_t i, int64_t j) { return g.A[static_cast<size_t>(i * n + j)]; };
  for (int64_t k = 1; k <= std::min(m, n); ++k) {
    for (uint32_t I = 0; I < (1u << m); ++I) {
      if (__builtin_popcount(I) != k) continue;
      for (uint32_t J = 0; J < (1u << n); ++J) {
        if (__builtin_popcount(J) != k) continue;
        std::vector<int64_t> is, js;
        for (int64_t i = 0; i < m; ++i) {
          if (I >> i & 1) is.push_back(i);
        }
        for (int64_t j = 0; j < n; ++j) {
          if (J >> j & 1) js.push_back(j);
        }
        const auto kk = static_cast<size_t>(k) + 1;
        // [A_IJ^T  -1; 1 0] [x; v] = [0; 1] and [A_IJ -1; 1 0] [y; w] = [0; 1].
        std::vector<double> Mx(kk * kk, 0.0), bx(kk, 0.0), My(kk * kk, 0.0), by(kk, 0.0);
        for (size_t r = 0; r + 1 < kk; ++r) {
          for (size_t c = 0; c + 1 < kk; ++c) {
            Mx[r * kk + c] = a(is[c], js[r]);
            My[r * kk + c] = a(is[r], js[c]);
          }
          Mx[r * kk + kk - 1] = My[r * kk + kk - 1] = -1.0;
          Mx[(kk - 1) * kk + r] = My[(kk - 1) * kk + r] = 1.0;
        }
        bx[kk - 1] = by[kk - 1] = 1.0;
        if (!SolveLinear(Mx, bx, kk, 1) || !SolveLinear(My, by, kk, 1)) continue;
        MatrixGameSolution s{bx[kk - 1], std::vector<double>(static_cast<size_t>(m), 0.0),
                             std::vector<double>(static_cast<size_t>(n), 0.0)};
        bool ok = std::abs(bx[kk - 1] - by[kk - 1]) < 1e-9;
        for (size_t r = 0; r + 1 < kk; ++r) {
          ok = ok && bx[r] >= -1e-12 && by[r] >= -1e-12;
          s.row_strategy[static_cast<size_t>(is[r])] = bx[r];
          s.col_strategy[static_cast<size_t>(js[r])] = by[r];
        }
        if (ok && Exploitability(g, s.row_strategy, s.col_strategy) < 1e-9) return s;
      }
    }
  }
  return std::nullopt;
}

TEST(MatrixGames, ClassicGamesHaveTheirKnownSolutions) {
  for (const MatrixGame& g : {RockPaperScissors(), MatchingPennies()}) {
    const MatrixGameSolution s = SolveZeroSumGame(g);
    EXPECT_NEAR(s.value, 0.0, 1e-12);
    for (double p : s.row_strategy) EXPECT_NEAR(p, 1.0 / static_cast<double>(g.rows), 1e-12);
    for (double p : s.col_strategy) EXPECT_NEAR(p, 1.0 / static_cast<double>(g.cols), 1e-12);
  }
  // 2x2 without a saddle point: v = (ad - bc) / (a + d - b - c), x_1 = (d - c) / (same).
  const MatrixGameSolution s = SolveZeroSumGame({2, 2, {3, -1, -2, 1}});
  EXPECT_NEAR(s.value, 1.0 / 7.0, 1e-12);
  EXPECT_NEAR(s.row_strategy[0], 3.0 / 7.0, 1e-12);
  EXPECT_NEAR(s.col_strategy[0], 2.0 / 7.0, 1e-12);
  // A saddle point: pure strategies.
  const MatrixGameSolution p = SolveZeroSumGame({2, 3, {4, 2, 5, 1, 0, 3}});
  EXPECT_NEAR(p.value, 2.0, 1e-12);
  EXPECT_NEAR(p.row_strategy[0], 1.0, 1e-12);
  EXPECT_NEAR(p.col_strategy[1], 1.0, 1e-12);
}

TEST(MatrixGames, RandomGamesMatchSupportEnumeration) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    const MatrixGame g = RandomMatrixGame(5, 5, seed);
    const MatrixGameSolution lp = SolveZeroSumGame(g);
    const std::optional<MatrixGameSolution> exact = SupportEnumeration(g);
    ASSERT_TRUE(exact.has_value()) << "seed " << seed;
    EXPECT_NEAR(lp.value, exact->value, 1e-9) << "seed " << seed;
    EXPECT_LT(Exploitability(g, lp.row_strategy, lp.col_strategy), 1e-9) << "seed " << seed;
    double sx = 0.0, sy = 0.0;
    for (double p : lp.row_strategy) sx += p;
    for (double p : lp.col_strategy) sy += p;
    EXPECT_NEAR(sx, 1.0, 1e-12);
    EXPECT_NEAR(sy, 1.0, 1e-12);
  }
}

TEST(MatrixGames, BadMatricesAreNamedErrors) {
  EXPECT_THROW(SolveZeroSumGame({0, 2, {}}), Error);
  try {
    SolveZeroSumGame({2, 2, {1, 2, NAN, 4}});
    FAIL() << "a NaN payoff was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("payoff (1, 0) is nan"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace bellman::tabular
