// The offline learner (`bellman train --dataset DIR`): the dataset's transitions fill a replay
// buffer once, and every loop iteration is one gradient step on a sampled batch; the env is used
// for evaluation only. The dataset is not copied into checkpoints: a resumed run reads it again
// from the path in config.yaml and checks that it is the same (steps and episodes).
#include <fmt/format.h>

#include <cmath>
#include <memory>

#include "bellman/core/error.h"
#include "bellman/io/dataset.h"
#include "bellman/replay/replay_buffer.h"
#include "train/loop.h"

namespace bellman::train {

namespace {

bool SameLayout(const Space& a, const Space& b) {
  return a.kind() == b.kind() && a.dtype() == b.dtype() && a.flat_size() == b.flat_size() &&
         (a.kind() != Space::Kind::kDiscrete || a.n() == b.n());
}

class OfflineLearner final : public Learner {
 public:
  OfflineLearner(algos::OffPolicyAlgorithm& algo, const io::Dataset& data,
                 int64_t max_episode_steps, Rng& sampler, LoopProfile* profile)
      : algo_(algo), schedule_(algo.schedule()), sampler_(sampler), profile_(profile) {
    ReplayConfig rc = schedule_.replay;
    if (rc.n_step != 1) {
      throw Error(fmt::format("offline training uses 1-step transitions; n_step is {}", rc.n_step));
    }
    rc.capacity = std::max<int64_t>(data.total_steps(), 1);
    rc.num_envs = 1;
    buffer_ = std::make_unique<ReplayBuffer>(rc, data.observation_space(), data.action_space());
    // The buffer copies the rewards, so a scaled copy lives only while filling it.
    std::vector<double> scaled;
    const double* rewards = data.rewards().data();
    if (schedule_.normalize_reward) {
      const double scale = CorlRewardScale(data, max_episode_steps);
      scaled = data.rewards();
      for (double& r : scaled) r *= scale;
      rewards = scaled.data();
    }
    const size_t ob = data.obs_bytes(), ab = data.action_bytes();
    for (int64_t e = 0; e < data.num_episodes(); ++e) {
      const int64_t first = data.first_step(e), t = data.steps(e);
      const std::byte* obs = data.observations().data() + static_cast<size_t>(first + e) * ob;
      buffer_->AddTransitions(
          TransitionRows{.n = t,
                         .obs = obs,
                         .action = data.actions().data() + static_cast<size_t>(first) * ab,
                         .reward = rewards + first,
                         .next_obs = obs + ob,
                         .terminated = data.terminations().data() + first,
                         .truncated = data.truncations().data() + first,
                         .gamma = rc.gamma});
    }
  }

  void Store(const TransitionRows&) override {}

  void Train(int64_t steps, int64_t /*vec_steps*/, const AddMetricsFn& add) override {
    buffer_->set_step(steps);
    {
      Phase p(PhaseOf(profile_, &LoopProfile::replay));
      buffer_->Sample(schedule_.batch_size, sampler_, batch_);
    }
    algos::Metrics m;
    {
      Phase p(PhaseOf(profile_, &LoopProfile::update));
      m = algo_.Update(batch_);
    }
    if (buffer_->prioritized()) buffer_->UpdatePriorities(batch_.indices(), algo_.td_errors());
    add(m);
  }

  // Priorities of a prioritized buffer are the only learner state; the transitions come from the
  // dataset again on resume.
  void Save(const std::filesystem::path& dir) const override {
    if (buffer_->prioritized()) buffer_->Save((dir / "replay.bin").string());
  }
  void Load(const std::filesystem::path& dir) override {
    if (buffer_->prioritized()) buffer_->Load((dir / "replay.bin").string());
  }

 private:
  algos::OffPolicyAlgorithm& algo_;
  algos::OffPolicySchedule schedule_;
  Rng& sampler_;
  LoopProfile* profile_;
  std::unique_ptr<ReplayBuffer> buffer_;
  Batch batch_;
};

// A SequenceAlgorithm samples its own segments from the dataset: one UpdateOnSegments per
// gradient step, no replay buffer and no learner state of its own.
class SequenceLearner final : public Learner {
 public:
  SequenceLearner(algos::SequenceAlgorithm& algo, LoopProfile* profile)
      : algo_(algo), profile_(profile) {}
  void Store(const TransitionRows&) override {}
  void Train(int64_t, int64_t, const AddMetricsFn& add) override {
    Phase p(PhaseOf(profile_, &LoopProfile::update));
    add(algo_.UpdateOnSegments());
  }
  void Save(const std::filesystem::path&) const override {}
  void Load(const std::filesystem::path&) override {}

 private:
  algos::SequenceAlgorithm& algo_;
  LoopProfile* profile_;
};

}  // namespace

std::unique_ptr<Learner> MakeSequenceLearner(algos::SequenceAlgorithm& algo, LoopProfile* profile) {
  return std::make_unique<SequenceLearner>(algo, profile);
}

void CheckDatasetFitsEnv(const io::Dataset& data, const EnvSpec& env, const std::string& path) {
  auto fail = [&](const char* what, const Space& d, const Space& e) {
    throw Error(fmt::format("dataset {}: its {} {} does not fit {}'s {}", path, what, d.ToString(),
                            env.id, e.ToString()));
  };
  if (!SameLayout(data.observation_space(), env.observation_space)) {
    fail("observation space", data.observation_space(), env.observation_space);
  }
  if (!SameLayout(data.action_space(), env.action_space)) {
    fail("action space", data.action_space(), env.action_space);
  }
  if (!data.metadata().env_id.empty() && data.metadata().env_id != env.id) {
    throw Error(fmt::format("dataset {} was recorded on {}, the run's env is {}", path,
                            data.metadata().env_id, env.id));
  }
}

void ObservationStats(const io::Dataset& data, std::vector<double>& mean,
                      std::vector<double>& std) {
  const Space& os = data.observation_space();
  const int64_t dim = os.flat_size(), n = data.total_steps();
  mean.assign(static_cast<size_t>(dim), 0.0);
  std.assign(static_cast<size_t>(dim), 0.0);
  if (os.dtype() != DType::kFloat32 && os.dtype() != DType::kFloat64) return;
  auto value = [&](const std::byte* row, int64_t j) {
    if (os.dtype() == DType::kFloat32)
      return static_cast<double>(reinterpret_cast<const float*>(row)[j]);
    return reinterpret_cast<const double*>(row)[j];
  };
  // Two passes in float64 over the transitions' observations (what D4RL's `observations` holds).
  for (int64_t t = 0; t < n; ++t) {
    const std::byte* row = data.obs_row_of_step(t);
    for (int64_t j = 0; j < dim; ++j) mean[j] += value(row, j);
  }
  for (auto& m : mean) m /= static_cast<double>(std::max<int64_t>(n, 1));
  for (int64_t t = 0; t < n; ++t) {
    const std::byte* row = data.obs_row_of_step(t);
    for (int64_t j = 0; j < dim; ++j) {
      const double d = value(row, j) - mean[j];
      std[j] += d * d;
    }
  }
  for (auto& s : std) s = std::sqrt(s / static_cast<double>(std::max<int64_t>(n, 1)));
}

std::unique_ptr<Learner> MakeOfflineLearner(algos::OffPolicyAlgorithm& algo,
                                            const io::Dataset& data, int64_t max_episode_steps,
                                            Rng& sampler, LoopProfile* profile) {
  return std::make_unique<OfflineLearner>(algo, data, max_episode_steps, sampler, profile);
}

double CorlRewardScale(const io::Dataset& data, int64_t max_episode_steps) {
  // CORL's return_reward_range cuts the flat D4RL arrays at terminals or every max_episode_steps
  // rows; with episodes stored as such, the finished ones (terminated or truncated) are those
  // pieces. A dataset that stopped mid-episode keeps its last piece out, as CORL does.
  const std::vector<double> returns = data.episode_returns();
  double lo = INFINITY, hi = -INFINITY, all_lo = INFINITY, all_hi = -INFINITY;
  for (int64_t e = 0; e < data.num_episodes(); ++e) {
    const int64_t first = data.first_step(e), t = data.steps(e);
    const double ret = returns[static_cast<size_t>(e)];
    all_lo = std::min(all_lo, ret);
    all_hi = std::max(all_hi, ret);
    const size_t last = static_cast<size_t>(first + t - 1);
    if (t > 0 && (data.terminations()[last] != 0 || data.truncations()[last] != 0)) {
      lo = std::min(lo, ret);
      hi = std::max(hi, ret);
    }
  }
  if (!(hi >= lo)) lo = all_lo, hi = all_hi;
  if (!(hi > lo) || max_episode_steps <= 0) {
    throw Error(fmt::format(
        "normalize_reward needs episodes with different returns and an env time limit; the "
        "dataset's episode returns span [{}, {}] and the time limit is {}",
        lo, hi, max_episode_steps));
  }
  return static_cast<double>(max_episode_steps) / (hi - lo);
}

}  // namespace bellman::train
