// The off-policy learner: every transition into the replay buffer; every train_freq vector steps
// past learning_starts, gradient_steps updates on sampled batches (SB3's OffPolicyAlgorithm
// semantics), PER priorities from each update's TD errors.
#include <memory>

#include "bellman/replay/replay_buffer.h"
#include "train/loop.h"

namespace bellman::train {

namespace {

class OffPolicyLearner final : public Learner {
 public:
  OffPolicyLearner(algos::OffPolicyAlgorithm& algo, const algos::OffPolicySchedule& schedule,
                   const Space& observation_space, const Space& action_space, int num_envs,
                   Rng& sampler, LoopProfile* profile)
      : algo_(algo),
        schedule_(schedule),
        buffer_(schedule.replay, observation_space, action_space),
        num_envs_(num_envs),
        sampler_(sampler),
        profile_(profile) {}

  void Store(const TransitionRows& rows) override { buffer_.AddStep(rows); }
  void StoreBlock(const TransitionRows& rows, std::span<const float> td_errors) override {
    if (rows.n > 0) buffer_.AddTransitions(rows, td_errors);
  }

  void Train(int64_t env_steps, int64_t vec_steps, const AddMetricsFn& add) override {
    buffer_.set_step(env_steps);
    if (vec_steps % schedule_.train_freq != 0 || env_steps <= schedule_.learning_starts) return;
    const int64_t g =
        schedule_.gradient_steps >= 0 ? schedule_.gradient_steps : schedule_.train_freq * num_envs_;
    for (int64_t k = 0; k < g; ++k) {
      {
        Phase p(PhaseOf(profile_, &LoopProfile::replay));
        buffer_.Sample(schedule_.batch_size, sampler_, batch_);
      }
      algos::Metrics m;
      {
        Phase p(PhaseOf(profile_, &LoopProfile::update));
        m = algo_.Update(batch_);
      }
      if (buffer_.prioritized()) {
        Phase p(PhaseOf(profile_, &LoopProfile::replay));
        buffer_.UpdatePriorities(batch_.indices(), algo_.td_errors());
      }
      add(m);
    }
  }

  void Save(const std::filesystem::path& dir) const override {
    buffer_.Save((dir / "replay.bin").string());
  }
  void Load(const std::filesystem::path& dir) override {
    buffer_.Load((dir / "replay.bin").string());
  }

 private:
  algos::OffPolicyAlgorithm& algo_;
  algos::OffPolicySchedule schedule_;
  ReplayBuffer buffer_;
  int num_envs_;
  Rng& sampler_;
  LoopProfile* profile_;
  Batch batch_;
};

}  // namespace

std::unique_ptr<Learner> MakeOffPolicyLearner(algos::OffPolicyAlgorithm& algo,
                                              const algos::OffPolicySchedule& schedule,
                                              const Space& observation_space,
                                              const Space& action_space, int num_envs, Rng& sampler,
                                              LoopProfile* profile) {
  return std::make_unique<OffPolicyLearner>(algo, schedule, observation_space, action_space,
                                            num_envs, sampler, profile);
}

}  // namespace bellman::train
