// Zero-sum matrix games by linear programming (bellman/tabular/games.h).
#include "bellman/tabular/games.h"

#include <fmt/format.h>
#include <glpk.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "bellman/core/error.h"

namespace bellman::tabular {

namespace {

struct LpDeleter {
  void operator()(glp_prob* lp) const { glp_delete_prob(lp); }
};

// max v s.t. sum_i x_i M_ij - v >= 0 for every j, sum_i x_i = 1, x >= 0, v free, where M is
// rows x cols. Returns (v, x). The column player's problem is this one on -A^T.
std::pair<double, std::vector<double>> Maximin(const std::vector<double>& M, int64_t rows,
                                               int64_t cols) {
  std::unique_ptr<glp_prob, LpDeleter> lp(glp_create_prob());
  glp_set_obj_dir(lp.get(), GLP_MAX);
  const int nx = static_cast<int>(rows), nc = static_cast<int>(cols);
  glp_add_cols(lp.get(), nx + 1);
  for (int i = 1; i <= nx; ++i) glp_set_col_bnds(lp.get(), i, GLP_LO, 0.0, 0.0);
  glp_set_col_bnds(lp.get(), nx + 1, GLP_FR, 0.0, 0.0);  // v
  glp_set_obj_coef(lp.get(), nx + 1, 1.0);
  glp_add_rows(lp.get(), nc + 1);
  std::vector<int> ia = {0}, ja = {0};
  std::vector<double> ar = {0.0};
  for (int j = 1; j <= nc; ++j) {
    glp_set_row_bnds(lp.get(), j, GLP_LO, 0.0, 0.0);
    for (int i = 1; i <= nx; ++i) {
      ia.push_back(j);
      ja.push_back(i);
      ar.push_back(M[static_cast<size_t>((i - 1) * cols + (j - 1))]);
    }
    ia.push_back(j);
    ja.push_back(nx + 1);
    ar.push_back(-1.0);
  }
  glp_set_row_bnds(lp.get(), nc + 1, GLP_FX, 1.0, 1.0);
  for (int i = 1; i <= nx; ++i) {
    ia.push_back(nc + 1);
    ja.push_back(i);
    ar.push_back(1.0);
  }
  glp_load_matrix(lp.get(), static_cast<int>(ia.size()) - 1, ia.data(), ja.data(), ar.data());
  glp_smcp parm;
  glp_init_smcp(&parm);
  parm.msg_lev = GLP_MSG_OFF;
  const int rc = glp_simplex(lp.get(), &parm);
  if (rc != 0 || glp_get_status(lp.get()) != GLP_OPT) {
    throw Error(fmt::format("GLPK's simplex failed on a {}x{} matrix game (code {}, status {})",
                            rows, cols, rc, glp_get_status(lp.get())));
  }
  std::vector<double> x(static_cast<size_t>(rows));
  for (int i = 1; i <= nx; ++i)
    x[static_cast<size_t>(i - 1)] = std::max(0.0, glp_get_col_prim(lp.get(), i));
  double sum = 0.0;
  for (double p : x) sum += p;
  for (double& p : x) p /= sum;  // remove the simplex's rounding from the probabilities
  return {glp_get_col_prim(lp.get(), nx + 1), x};
}

}  // namespace

namespace {

void ValidateGame(const MatrixGame& g) {
  if (g.rows < 1 || g.cols < 1 || g.A.size() != static_cast<size_t>(g.rows * g.cols)) {
    throw Error(
        fmt::format("a matrix game needs rows, cols >= 1 and rows * cols payoffs; got {} "
                    "x {} with {} payoffs",
                    g.rows, g.cols, g.A.size()));
  }
  for (size_t k = 0; k < g.A.size(); ++k) {
    if (!std::isfinite(g.A[k])) {
      throw Error(fmt::format("matrix game payoff ({}, {}) is {}; payoffs must be finite",
                              static_cast<int64_t>(k) / g.cols, static_cast<int64_t>(k) % g.cols,
                              g.A[k]));
    }
  }
}

}  // namespace

std::pair<double, std::vector<double>> MaximinStrategy(const MatrixGame& g) {
  ValidateGame(g);
  return Maximin(g.A, g.rows, g.cols);
}

MatrixGameSolution SolveZeroSumGame(const MatrixGame& g) {
  ValidateGame(g);
  MatrixGameSolution s;
  auto [v, x] = Maximin(g.A, g.rows, g.cols);
  // The column player maximises -A^T.
  std::vector<double> negT(g.A.size());
  for (int64_t i = 0; i < g.rows; ++i) {
    for (int64_t j = 0; j < g.cols; ++j) {
      negT[static_cast<size_t>(j * g.rows + i)] = -g.A[static_cast<size_t>(i * g.cols + j)];
    }
  }
  auto [w, y] = Maximin(negT, g.cols, g.rows);
  (void)w;  // -w == v up to the simplex's tolerance
  s.value = v;
  s.row_strategy = std::move(x);
  s.col_strategy = std::move(y);
  return s;
}

double Exploitability(const MatrixGame& g, const std::vector<double>& x,
                      const std::vector<double>& y) {
  double worst_for_row = INFINITY, best_for_row = -INFINITY;
  for (int64_t j = 0; j < g.cols; ++j) {
    double v = 0.0;
    for (int64_t i = 0; i < g.rows; ++i)
      v += x[static_cast<size_t>(i)] * g.A[static_cast<size_t>(i * g.cols + j)];
    worst_for_row = std::min(worst_for_row, v);
  }
  for (int64_t i = 0; i < g.rows; ++i) {
    double v = 0.0;
    for (int64_t j = 0; j < g.cols; ++j)
      v += g.A[static_cast<size_t>(i * g.cols + j)] * y[static_cast<size_t>(j)];
    best_for_row = std::max(best_for_row, v);
  }
  return best_for_row - worst_for_row;
}

MatrixGame RockPaperScissors() { return {3, 3, {0, -1, 1, 1, 0, -1, -1, 1, 0}}; }

MatrixGame MatchingPennies() { return {2, 2, {1, -1, -1, 1}}; }

MatrixGame RandomMatrixGame(int64_t rows, int64_t cols, uint64_t seed) {
  Rng rng(seed);
  MatrixGame g{rows, cols, std::vector<double>(static_cast<size_t>(rows * cols))};
  for (double& a : g.A) a = rng.Uniform(-1.0, 1.0);
  return g;
}

}  // namespace bellman::tabular
