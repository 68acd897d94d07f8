// The on-policy learner (PPO): each vector step goes to the algorithm's own rollout storage; when
// the rollout is full, one Update trains on it (several epochs inside) and starts the next.
// No replay buffer: the rollout in progress is part of the algorithm's checkpoint.
#include <memory>

#include "train/loop.h"

namespace bellman::train {

namespace {

class OnPolicyLearner final : public Learner {
 public:
  OnPolicyLearner(algos::OnPolicyAlgorithm& algo, LoopProfile* profile)
      : algo_(algo), profile_(profile) {}

  void Store(const TransitionRows& rows) override { rollout_full_ = algo_.Observe(rows); }

  void Train(int64_t /*env_steps*/, int64_t /*vec_steps*/, const AddMetricsFn& add) override {
    if (!rollout_full_) return;
    rollout_full_ = false;
    Phase p(PhaseOf(profile_, &LoopProfile::update));
    add(algo_.Update());
  }

  void Save(const std::filesystem::path&) const override {}
  void Load(const std::filesystem::path&) override {}

 private:
  algos::OnPolicyAlgorithm& algo_;
  LoopProfile* profile_;
  bool rollout_full_ = false;
};

}  // namespace

std::unique_ptr<Learner> MakeOnPolicyLearner(algos::OnPolicyAlgorithm& algo, LoopProfile* profile) {
  return std::make_unique<OnPolicyLearner>(algo, profile);
}

}  // namespace bellman::train
