// Two-player zero-sum matrix games (the stage games of Minimax-Q, Littman 1994): the value and
// both players' maximin strategies by linear programming (GLPK's simplex, Debian libglpk-dev),
// and the named games of issue 14. docs/games.md.
//
// A is the row player's payoff, row-major rows x cols; the row player maximises, the column
// player minimises. The value v satisfies max_x min_j sum_i x_i A_ij = v = min_y max_i sum_j
// A_ij y_j (von Neumann's minimax theorem).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "bellman/core/rng.h"

namespace bellman::tabular {

struct MatrixGame {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<double> A;  // row-major
};

struct MatrixGameSolution {
  double value = 0.0;
  std::vector<double> row_strategy;  // x: a maximin strategy of the row player
  std::vector<double> col_strategy;  // y: a minimax strategy of the column player
};

// Solves the two LPs (max v s.t. A^T x >= v 1, sum x = 1, x >= 0; and min w s.t. A y <= w 1,
// sum y = 1, y >= 0). Throws bellman::Error for an empty or non-finite matrix, or when GLPK
// reports a failure.
MatrixGameSolution SolveZeroSumGame(const MatrixGame& game);
// The row player's LP alone: (value, maximin strategy), half the work (Minimax-Q's stage games).
std::pair<double, std::vector<double>> MaximinStrategy(const MatrixGame& game);

// The exploitability of a strategy pair: max_i (A y)_i - min_j (A^T x)_j, what the two best
// responses gain together; >= 0, and 0 exactly at an equilibrium.
double Exploitability(const MatrixGame& game, const std::vector<double>& x,
                      const std::vector<double>& y);

// Two-player general-sum (bimatrix) games: A the row player's payoffs, B the column player's,
// both row-major rows x cols.
struct BimatrixGame {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<double> A, B;
};

struct NashEquilibrium {
  std::vector<double> x;  // row player's mixed strategy
  std::vector<double> y;  // column player's
  double value_row = 0.0, value_col = 0.0;
};

// Nash equilibria by support enumeration over equal-size supports (Nisan et al. 2007, ch. 3):
// for a nondegenerate game, all of them; for a degenerate one (ties, e.g. a constant matrix)
// those with equal-size supports, which include every pure equilibrium. In enumeration order:
// support size, then row support, then column support, lexicographically. Throws
// bellman::Error for a malformed game or one where none is found.
std::vector<NashEquilibrium> NashEquilibria(const BimatrixGame& game, double tol = 1e-9);

MatrixGame RockPaperScissors();  // value 0, uniform strategies
MatrixGame MatchingPennies();    // value 0, (1/2, 1/2)
// rows x cols payoffs uniform in [-1, 1) from Rng(seed) (row-major draws).
MatrixGame RandomMatrixGame(int64_t rows, int64_t cols, uint64_t seed);

}  // namespace bellman::tabular
