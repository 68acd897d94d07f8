// CliffWalking-v1 and CliffWalkingSlippery-v1: gymnasium/envs/toy_text/cliffwalking.py
// (Sutton & Barto 2018, Example 6.6).
//
// A 4x12 grid; start (3, 0), goal (3, 11), cliff (3, 1..10). Every move costs -1; stepping onto
// the cliff costs -100 and sends the agent back to the start (not terminal). When slippery the
// intended move and both perpendicular ones each happen with probability 1/3.
#include <fmt/format.h>

#include <algorithm>

#include "bellman/envs/toy_text.h"
#include "envs/toy_text_common.h"

namespace bellman::toy_text {

namespace {

constexpr int64_t kRows = 4;
constexpr int64_t kCols = 12;
constexpr int64_t kStart = 3 * kCols + 0;  // ravel_multi_index((3, 0), (4, 12))
// POSITION_MAPPING, indexed by Gymnasium's actions UP, RIGHT, DOWN, LEFT.
constexpr int64_t kDelta[4][2] = {{-1, 0}, {0, 1}, {1, 0}, {0, -1}};

bool IsCliff(int64_t row, int64_t col) { return row == 3 && col >= 1 && col <= kCols - 2; }

class CliffWalkingEnv final : public DiscreteModelEnv {
 public:
  using DiscreteModelEnv::DiscreteModelEnv;

  std::unique_ptr<Env> Clone() const override { return std::make_unique<CliffWalkingEnv>(*this); }

  // _render_text (render_mode="ansi"): " x " agent, " T " goal, " C " cliff, " o " other; the
  // first cell of a row is left-stripped, the last right-stripped; a blank line at the end.
  std::string Render() const override {
    std::string out;
    for (int64_t s = 0; s < kRows * kCols; ++s) {
      const int64_t row = s / kCols, col = s % kCols;
      char ch = 'o';
      if (s_ == s) {
        ch = 'x';
      } else if (row == 3 && col == 11) {
        ch = 'T';
      } else if (IsCliff(row, col)) {
        ch = 'C';
      }
      if (col != 0) out += ' ';
      out += ch;
      if (col != kCols - 1) {
        out += ' ';
      } else {
        out += '\n';
      }
    }
    out += '\n';
    return out;
  }
};

std::unique_ptr<Env> MakeCliffWalking(const std::string& id, const EnvArgs& args,
                                      bool default_slippery) {
  EnvArgReader reader(id, args);
  const bool is_slippery = reader.GetBool("is_slippery", default_slippery);
  reader.Finish();

  constexpr int64_t nS = kRows * kCols;
  constexpr int64_t nA = 4;
  auto P = std::make_shared<TransitionModel>(nS, std::vector<std::vector<Transition>>(nA));
  for (int64_t s = 0; s < nS; ++s) {
    const int64_t row = s / kCols, col = s % kCols;
    for (int64_t move = 0; move < nA; ++move) {
      std::vector<Transition>& outcomes = (*P)[s][move];
      int64_t acts[3] = {move, 0, 0};
      int64_t n = 1;
      if (is_slippery) {
        acts[0] = (move + 3) % 4;
        acts[1] = move;
        acts[2] = (move + 1) % 4;
        n = 3;
      }
      const double prob = 1.0 / static_cast<double>(n);  // 1 / len(deltas)
      for (int64_t k = 0; k < n; ++k) {
        const int64_t nr = std::clamp<int64_t>(row + kDelta[acts[k]][0], 0, kRows - 1);
        const int64_t nc = std::clamp<int64_t>(col + kDelta[acts[k]][1], 0, kCols - 1);
        if (IsCliff(nr, nc)) {
          outcomes.push_back({prob, kStart, -100.0, false});
        } else {
          outcomes.push_back({prob, nr * kCols + nc, -1.0, nr == kRows - 1 && nc == kCols - 1});
        }
      }
    }
  }
  std::vector<double> initial(nS, 0.0);
  initial[kStart] = 1.0;
  auto cdf = std::make_shared<const std::vector<double>>(CumSum(initial));
  EnvSpec spec{id, Space::Discrete(nS), Space::Discrete(nA), 0, std::nullopt};
  return std::make_unique<CliffWalkingEnv>(std::move(spec), std::move(P), std::move(cdf));
}

}  // namespace

void RegisterCliffWalking(std::vector<EnvRegistration>& out) {
  out.push_back(
      {"CliffWalking-v1",
       [](const EnvArgs& args) { return MakeCliffWalking("CliffWalking-v1", args, false); }, ""});
  // Gymnasium <= 1.0's CliffWalking-v0 is this env before is_slippery existed: same P, same
  // draws, same render (checked against the Gymnasium history).
  out.push_back(
      {"CliffWalking-v0",
       [](const EnvArgs& args) { return MakeCliffWalking("CliffWalking-v0", args, false); },
       "CliffWalking-v1"});
  out.push_back(
      {"CliffWalkingSlippery-v1",
       [](const EnvArgs& args) { return MakeCliffWalking("CliffWalkingSlippery-v1", args, true); },
       ""});
}

}  // namespace bellman::toy_text
