// MatrixGame-v0: a two-player zero-sum matrix game as a one-step Markov game, the stage games
// of Minimax-Q on their own. Each episode is one simultaneous move: player 0 picks a row,
// player 1 a column, player 0 receives A[row][col] and player 1 its negation, terminated.
// Both observe state 0 of Discrete(1).
//
// kwargs: game [rock_paper_scissors | matching_pennies | random], and for random: rows [5],
// cols [5], seed [0] (payoffs uniform in [-1, 1) drawn row-major from Rng(seed), the same
// matrix as tabular::RandomMatrixGame(rows, cols, seed)).
#include <fmt/format.h>

#include "bellman/core/error.h"
#include "bellman/envs/multi_agent.h"
#include "bellman/envs/registry.h"

namespace bellman {

namespace {

class MatrixGameEnv final : public MultiAgentEnv {
 public:
  MatrixGameEnv(int64_t rows, int64_t cols, std::vector<double> A)
      : MultiAgentEnv("MatrixGame-v0", {Space::Discrete(1), Space::Discrete(1)},
                      {Space::Discrete(rows), Space::Discrete(cols)}, 0),
        model_(std::make_shared<MarkovGameModel>(1)) {
    (*model_)[0].assign(static_cast<size_t>(rows),
                        std::vector<std::vector<Transition>>(static_cast<size_t>(cols)));
    for (int64_t a = 0; a < rows; ++a) {
      for (int64_t o = 0; o < cols; ++o) {
        (*model_)[0][a][o] = {{1.0, 0, A[static_cast<size_t>(a * cols + o)], true}};
      }
    }
  }
  std::vector<double> GetState() const override { return {}; }
  void SetState(std::span<const double> state) override {
    if (!state.empty()) {
      throw Error(fmt::format("MatrixGame-v0: the state is empty, got {} entries", state.size()));
    }
    MarkRunning();
  }
  std::unique_ptr<MultiAgentEnv> Clone() const override {
    return std::unique_ptr<MultiAgentEnv>(new MatrixGameEnv(*this));
  }
  std::string Render() const override {
    std::string out;
    const auto& rows = (*model_)[0];
    for (const auto& row : rows) {
      for (const auto& cell : row) out += fmt::format("{:8.4f}", cell[0].reward);
      out += "\n";
    }
    return out;
  }
  bool has_model() const override { return true; }
  const MarkovGameModel& Model() const override { return *model_; }
  int64_t StateIndex() const override { return 0; }
  std::vector<double> InitialDistribution() const override { return {1.0}; }

 private:
  MatrixGameEnv(const MatrixGameEnv&) = default;
  void DoReset(std::span<void* const> obs) override {
    for (void* p : obs) *static_cast<int64_t*>(p) = 0;
  }
  JointStepResult DoStep(std::span<const int64_t> actions, std::span<void* const> obs) override {
    const double r = (*model_)[0][actions[0]][actions[1]][0].reward;
    for (void* p : obs) *static_cast<int64_t*>(p) = 0;
    return {{r, -r}, true, false};
  }

  std::shared_ptr<MarkovGameModel> model_;
};

}  // namespace

std::unique_ptr<MultiAgentEnv> MakeMatrixGame(const EnvArgs& args) {
  EnvArgReader reader("MatrixGame-v0", args);
  const std::string game = reader.GetString("game", "rock_paper_scissors");
  const int64_t rows = reader.GetInt("rows", 5), cols = reader.GetInt("cols", 5);
  const int64_t seed = reader.GetInt("seed", 0);
  reader.Finish();
  if (game == "rock_paper_scissors") {
    return std::make_unique<MatrixGameEnv>(3, 3, std::vector<double>{0, -1, 1, 1, 0, -1, -1, 1, 0});
  }
  if (game == "matching_pennies") {
    return std::make_unique<MatrixGameEnv>(2, 2, std::vector<double>{1, -1, -1, 1});
  }
  if (game != "random") {
    throw Error(
        fmt::format("MatrixGame-v0: game '{}' is unknown; expected rock_paper_scissors, "
                    "matching_pennies or random",
                    game));
  }
  if (rows < 1 || cols < 1 || rows * cols > 1'000'000 || seed < 0) {
    throw Error(
        fmt::format("MatrixGame-v0: rows {} and cols {} must be >= 1 (at most 10^6 "
                    "payoffs) and seed {} >= 0",
                    rows, cols, seed));
  }
  Rng rng(static_cast<uint64_t>(seed));
  std::vector<double> A(static_cast<size_t>(rows * cols));
  for (double& a : A) a = rng.Uniform(-1.0, 1.0);
  return std::make_unique<MatrixGameEnv>(rows, cols, std::move(A));
}

}  // namespace bellman
