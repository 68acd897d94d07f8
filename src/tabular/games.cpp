// Zero-sum matrix games by linear programming (bellman/tabular/games.h).
#include "bellman/tabular/games.h"

#include <fmt/format.h>
#include <glpk.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>

#include "bellman/core/error.h"
#include "bellman/tabular/planning.h"

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

namespace {

// Solves for the other player's mixed strategy z on support S that makes every pure strategy of
// `own` indifferent (M[i, S] z = u for i in own, sum z = 1); M indexed by (own row, other col).
bool Indifference(const std::function<double(int64_t, int64_t)>& M, const std::vector<int64_t>& own,
                  const std::vector<int64_t>& S, std::vector<double>& z, double& u) {
  const size_t k = S.size(), n = k + 1;
  std::vector<double> A(n * n, 0.0), b(n, 0.0);
  for (size_t r = 0; r < k; ++r) {
    for (size_t c = 0; c < k; ++c) A[r * n + c] = M(own[r], S[c]);
    A[r * n + k] = -1.0;  // - u
  }
  for (size_t c = 0; c < k; ++c) A[k * n + c] = 1.0;
  b[k] = 1.0;
  if (!SolveLinear(A, b, n, 1)) return false;
  z.assign(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(k));
  u = b[k];
  return true;
}

// All subsets of {0..n-1} of size k, in lexicographic order.
std::vector<std::vector<int64_t>> Subsets(int64_t n, int64_t k) {
  std::vector<std::vector<int64_t>> out;
  std::vector<int64_t> cur;
  std::function<void(int64_t)> rec = [&](int64_t start) {
    if (static_cast<int64_t>(cur.size()) == k) {
      out.push_back(cur);
      return;
    }
    for (int64_t i = start; i < n; ++i) {
      cur.push_back(i);
      rec(i + 1);
      cur.pop_back();
    }
  };
  rec(0);
  return out;
}

}  // namespace

std::vector<NashEquilibrium> NashEquilibria(const BimatrixGame& g, double tol) {
  const size_t n = static_cast<size_t>(g.rows * g.cols);
  if (g.rows < 1 || g.cols < 1 || g.A.size() != n || g.B.size() != n) {
    throw Error(
        fmt::format("a bimatrix game needs rows, cols >= 1 and rows * cols payoffs in A "
                    "and B; got {} x {} with {} and {}",
                    g.rows, g.cols, g.A.size(), g.B.size()));
  }
  for (size_t k = 0; k < n; ++k) {
    if (!std::isfinite(g.A[k]) || !std::isfinite(g.B[k])) {
      throw Error(fmt::format("bimatrix game payoff ({}, {}) is not finite",
                              static_cast<int64_t>(k) / g.cols, static_cast<int64_t>(k) % g.cols));
    }
  }
  auto A = [&](int64_t i, int64_t j) { return g.A[static_cast<size_t>(i * g.cols + j)]; };
  auto B = [&](int64_t i, int64_t j) { return g.B[static_cast<size_t>(i * g.cols + j)]; };
  std::vector<NashEquilibrium> out;
  for (int64_t k = 1; k <= std::min(g.rows, g.cols); ++k) {
    for (const std::vector<int64_t>& I : Subsets(g.rows, k)) {
      for (const std::vector<int64_t>& J : Subsets(g.cols, k)) {
        // y on J makes the rows of I indifferent for the row player (A); x on I makes the
        // columns of J indifferent for the column player (B, indexed column-first).
        std::vector<double> yJ, xI;
        double u = 0.0, v = 0.0;
        if (!Indifference(A, I, J, yJ, u)) continue;
        if (!Indifference([&](int64_t j, int64_t i) { return B(i, j); }, J, I, xI, v)) continue;
        if (*std::min_element(yJ.begin(), yJ.end()) < -tol ||
            *std::min_element(xI.begin(), xI.end()) < -tol) {
          continue;
        }
        NashEquilibrium e;
        e.x.assign(static_cast<size_t>(g.rows), 0.0);
        e.y.assign(static_cast<size_t>(g.cols), 0.0);
        for (size_t t = 0; t < I.size(); ++t) e.x[static_cast<size_t>(I[t])] = std::max(0.0, xI[t]);
        for (size_t t = 0; t < J.size(); ++t) e.y[static_cast<size_t>(J[t])] = std::max(0.0, yJ[t]);
        // No profitable deviation outside the supports.
        bool ok = true;
        for (int64_t i = 0; i < g.rows && ok; ++i) {
          double ay = 0.0;
          for (int64_t j = 0; j < g.cols; ++j) ay += A(i, j) * e.y[static_cast<size_t>(j)];
          ok = ay <= u + tol;
        }
        for (int64_t j = 0; j < g.cols && ok; ++j) {
          double xb = 0.0;
          for (int64_t i = 0; i < g.rows; ++i) xb += e.x[static_cast<size_t>(i)] * B(i, j);
          ok = xb <= v + tol;
        }
        if (!ok) continue;
        e.value_row = u;
        e.value_col = v;
        out.push_back(std::move(e));
      }
    }
  }
  if (out.empty()) {
    throw Error(
        fmt::format("no Nash equilibrium with equal-size supports found in a {} x {} "
                    "bimatrix game (degenerate beyond what support enumeration handles)",
                    g.rows, g.cols));
  }
  return out;
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
