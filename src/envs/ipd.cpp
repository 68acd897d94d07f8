// IteratedPrisonersDilemma-v0: the iterated prisoner's dilemma with memory-1 observations, the
// general-sum testbed of LOLA (Foerster et al. 2018) and LOQA (Aghajohari et al. 2024).
//
// Two agents; actions 0 = cooperate, 1 = defect. Payoffs (LOLA's): both cooperate -1 each; a
// defector against a cooperator 0 and the cooperator -3; both defect -2 each. Each agent
// observes the previous joint action from its own side in Discrete(5): 0 at the start, then
// 1 + 2 * own + other (1 CC, 2 CD, 3 DC, 4 DD). Never terminates; max_episode_steps [100]
// truncates.
#include <fmt/format.h>

#include <array>

#include "bellman/core/error.h"
#include "bellman/envs/multi_agent.h"
#include "bellman/envs/registry.h"

namespace bellman {

namespace {

constexpr double kPayoff[2][2] = {{-1.0, -3.0}, {0.0, -2.0}};  // [own][other]

class IpdEnv final : public MultiAgentEnv {
 public:
  explicit IpdEnv(int64_t max_steps)
      : MultiAgentEnv("IteratedPrisonersDilemma-v0", {Space::Discrete(5), Space::Discrete(5)},
                      {Space::Discrete(2), Space::Discrete(2)}, max_steps) {}
  std::vector<double> GetState() const override {
    return {static_cast<double>(last_[0]), static_cast<double>(last_[1])};
  }
  void SetState(std::span<const double> state) override {
    if (state.size() != 2 || !(state[0] >= -1 && state[0] <= 1) ||
        !(state[1] >= -1 && state[1] <= 1) || ((state[0] < 0) != (state[1] < 0))) {
      throw Error(
          "IteratedPrisonersDilemma-v0: the state is the last actions [a0, a1], each 0 "
          "or 1, or [-1, -1] at the start");
    }
    last_ = {static_cast<int64_t>(state[0]), static_cast<int64_t>(state[1])};
    MarkRunning();
  }
  std::unique_ptr<MultiAgentEnv> Clone() const override {
    return std::unique_ptr<MultiAgentEnv>(new IpdEnv(*this));
  }
  std::string Render() const override {
    if (last_[0] < 0) return "start\n";
    return fmt::format("{}{}\n", "CD"[last_[0]], "CD"[last_[1]]);
  }

 private:
  IpdEnv(const IpdEnv&) = default;
  void WriteObs(std::span<void* const> obs) const {
    for (int64_t i = 0; i < 2; ++i) {
      *static_cast<int64_t*>(obs[static_cast<size_t>(i)]) =
          last_[0] < 0 ? 0
                       : 1 + 2 * last_[static_cast<size_t>(i)] + last_[static_cast<size_t>(1 - i)];
    }
  }
  void DoReset(std::span<void* const> obs) override {
    last_ = {-1, -1};
    WriteObs(obs);
  }
  JointStepResult DoStep(std::span<const int64_t> actions, std::span<void* const> obs) override {
    last_ = {actions[0], actions[1]};
    WriteObs(obs);
    return {{kPayoff[actions[0]][actions[1]], kPayoff[actions[1]][actions[0]]}, false, false};
  }
  std::array<int64_t, 2> last_ = {-1, -1};
};

}  // namespace

std::unique_ptr<MultiAgentEnv> MakeIpd(const EnvArgs& args) {
  EnvArgReader reader("IteratedPrisonersDilemma-v0", args);
  const int64_t max_steps = reader.GetInt("max_episode_steps", 100);
  reader.Finish();
  if (max_steps < 0) {
    throw Error(fmt::format("IteratedPrisonersDilemma-v0: max_episode_steps must be >= 0, got {}",
                            max_steps));
  }
  return std::make_unique<IpdEnv>(max_steps);
}

}  // namespace bellman
