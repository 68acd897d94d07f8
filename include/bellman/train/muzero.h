// MuZero (Schrittwieser et al. 2020): planning with a learned model. Three networks, the
// representation h(o) -> s, the dynamics g(s, a) -> (s', r) and the prediction f(s) -> (p, v),
// searched by planning::Search (MCTS over latent states, batched leaf evaluation) and trained on
// K-step unrolls of stored episodes: at every unrolled step k the policy towards the search's
// visit distribution, the value towards an n-step return bootstrapped from a stored value, the
// reward towards the observed one; values and rewards as two-hot categoricals over the
// h-transform (appendix F; algos/value_losses.h). Reanalyse (appendix H, in muzero-general's
// form): the bootstrap values of a sampled batch are recomputed with the newest network.
// The same trainer runs Sampled MuZero for Box actions (Hubert et al. 2021) and, with
// `simulator`, AlphaZero on a single-agent env's true simulator.
// docs/planning.md. Torch-free header (the CLI includes it).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bellman/envs/env.h"
#include "bellman/planning/mcts.h"

namespace bellman::train {

struct MuZeroConfig {
  std::string env_id = "CartPole-v1";
  EnvArgs env_args;
  // Defaults: CartPole-v1 (tuned on seeds 1-4; docs/planning.md has the unseen seeds).
  int64_t total_env_steps = 30'000;
  int64_t warmup_steps = 1'000;       // env steps before the first update
  double updates_per_env_step = 0.5;  // training steps per acting step after the warm-up
  int64_t batch_size = 128;
  int64_t buffer_size = 100'000;  // positions kept (oldest episodes dropped)
  int64_t num_unroll_steps = 5;   // K
  int64_t td_steps = 10;          // n of the n-step value target
  double gamma = 0.997;
  double learning_rate = 3e-3;
  // The learning rate decays linearly from learning_rate to final_lr_fraction * learning_rate
  // over the env steps (1: constant).
  double final_lr_fraction = 0.1;
  double weight_decay = 1e-4;
  // 0: 0.25 with the learned model (Reanalyse, appendix H), 1 with the simulator (AlphaZero's
  // eq. 1; at 0.25, 3 of 5 CartPole seeds stalled near 120, docs/planning.md).
  double value_loss_weight = 0.0;
  double ValueLossWeight() const {
    return value_loss_weight > 0.0 ? value_loss_weight : simulator ? 1.0 : 0.25;
  }
  int64_t latent_size = 32;                  // hidden state, min-max scaled to [0, 1]
  std::vector<int64_t> hidden_sizes = {64};  // of each of the three networks
  int64_t value_support = 20;                // value bins -S..S over h(value)
  int64_t reward_support = 5;                // reward bins -S..S over h(reward)
  bool reanalyse = true;                     // bootstrap values from the newest network
  // AlphaZero on a true simulator: search env clones (planning::Mcts) with the representation
  // and prediction networks as the evaluator, train them with the k = 0 terms of the same loss
  // (no dynamics, no reward head, no unroll); rewards and terminations come from the env.
  bool simulator = false;
  // Sampled MuZero (Hubert et al. 2021), chosen for a Box action space: each node holds K
  // actions sampled from the policy (a Gaussian, squashed by tanh into the bounds), the search
  // runs over them with the sampled-policy correction, and the policy is trained towards the
  // visit distribution over the samples.
  int64_t num_sampled_actions = 20;
  planning::MctsConfig mcts = {.num_simulations = 50,
                               .gamma = 0.997,
                               .root_noise = true,
                               .root_dirichlet_alpha = 0.25,
                               .root_exploration_fraction = 0.25};
  // Visit-count temperature of acting: 1, then 0.5 after half of the env steps, 0.25 after
  // three quarters (muzero-general's schedule).
  bool temperature_schedule = true;
  int64_t log_every = 1'000;   // env steps between progress reports
  int64_t eval_episodes = 10;  // at the end: search without noise, most visited
  uint64_t seed = 0;
  void Validate() const;  // throws bellman::Error naming the bad field
};

struct MuZeroProgress {
  int64_t env_steps = 0, episodes = 0, updates = 0;
  double recent_return = 0.0;  // mean of the last 10 finished episodes
  double value_loss = 0.0, reward_loss = 0.0, policy_loss = 0.0;  // means since the last report
  double seconds = 0.0;
};

// The trained networks and the search: the policy of a finished run.
class MuZeroAgent {
 public:
  ~MuZeroAgent();
  MuZeroAgent(MuZeroAgent&&) noexcept;
  MuZeroAgent& operator=(MuZeroAgent&&) noexcept;

  // A search from `obs` (the env's observation, its dtype) without root noise; the most visited
  // action (in the env's action space). Learned model only (throws for a simulator agent).
  int64_t Act(const void* obs, int64_t num_simulations, int64_t leaf_batch = 1) const;
  // The same from an env in the state `obs` came from: a simulator agent searches its clones.
  int64_t ActInEnv(const Env& env, const void* obs, int64_t num_simulations) const;
  // Any action space: writes the action (the env's layout: int64, or float32 for Box) to
  // `action` (a Sampled MuZero agent plays the most visited of its sampled actions).
  void ActInto(const Env& env, const void* obs, int64_t num_simulations, void* action) const;
  // The learned model as a search model whose root is `obs` (for benchmarks and tests).
  std::unique_ptr<planning::SearchModel> Model(const void* obs) const;
  // torch::save / torch::load of the three networks (the architecture must match).
  void Save(const std::string& path) const;
  void Load(const std::string& path);
  // Every weight as JSON (layer shapes and values, and the config a reader needs to rebuild the
  // networks): what bench/mcts_python.py loads to search with the same nets in Python.
  void ExportJson(const std::string& path) const;

  struct Impl;
  explicit MuZeroAgent(std::unique_ptr<Impl> impl);
  const Impl& impl() const { return *impl_; }
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// The defaults for an env: MuZeroConfig{} (tuned on CartPole) with env_id set; for a Box action
// space (Sampled MuZero; tuned on Pendulum-v1) gamma 0.99, value bins -40..40, 50k env steps
// and 1 update per env step.
MuZeroConfig MuZeroConfigFor(const std::string& env_id, const EnvArgs& env_args = {});

MuZeroAgent MakeMuZeroAgent(const MuZeroConfig& config);  // untrained
MuZeroAgent TrainMuZero(const MuZeroConfig& config,
                        const std::function<void(const MuZeroProgress&)>& on_progress);

// Mean undiscounted return of `episodes` episodes (env seeds seed, seed + 1, ...) acting with
// Act(obs, num_simulations).
double EvaluateMuZero(const MuZeroAgent& agent, const std::string& env_id, const EnvArgs& env_args,
                      int64_t episodes, uint64_t seed, int64_t num_simulations);

}  // namespace bellman::train
