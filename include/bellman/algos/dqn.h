// DQN (Mnih et al. 2015) with the options of Hessel et al. 2018 that compose through config:
// Double DQN (van Hasselt et al. 2016), dueling heads (Wang et al. 2016), n-step returns,
// prioritized replay (Schaul et al. 2016), soft (Polyak) or hard target updates, gradient
// clipping. Schedules follow Stable-Baselines3's DQN so that RL Zoo's hyperparameters mean the
// same thing here (docs/dqn.md).
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bellman/algos/algorithm.h"
#include "bellman/nets/q_network.h"

namespace bellman::algos {

struct DqnConfig {
  double gamma = 0.99;
  double lr = 1e-4;
  std::string optimizer = "adam";  // adam | rmsprop
  double adam_eps = 1e-5;          // SB3's default for Adam (BasePolicy), not torch's 1e-8
  int64_t batch_size = 32;
  int64_t buffer_size = 1'000'000;
  int64_t learning_starts = 100;
  int64_t train_freq = 4;      // vector-env steps between update rounds
  int64_t gradient_steps = 1;  // updates per round; -1: train_freq * num_envs
  // Env steps between target updates (SB3: counted in env steps, divided by num_envs).
  int64_t target_update_interval = 10'000;
  double tau = 1.0;  // 1: hard copy (Mnih 2015); < 1: Polyak averaging
  bool double_q = false;
  int n_step = 1;
  bool prioritized = false;
  double per_alpha = 0.6;
  double per_beta0 = 0.4;
  int64_t per_beta_steps = 0;   // 0: anneal beta to 1 over the whole run
  double max_grad_norm = 10.0;  // <= 0: no clipping
  double exploration_fraction = 0.1;
  double exploration_initial_eps = 1.0;
  double exploration_final_eps = 0.05;
  std::string loss = "huber";  // huber (smooth L1, Mnih 2015's error clipping) | mse
  nets::QNetworkConfig net;

  template <class V>
  void Fields(V& v) {
    v("gamma", gamma);
    v("lr", lr);
    v("optimizer", optimizer);
    v("adam_eps", adam_eps);
    v("batch_size", batch_size);
    v("buffer_size", buffer_size);
    v("learning_starts", learning_starts);
    v("train_freq", train_freq);
    v("gradient_steps", gradient_steps);
    v("target_update_interval", target_update_interval);
    v("tau", tau);
    v("double_q", double_q);
    v("n_step", n_step);
    v("prioritized", prioritized);
    v("per_alpha", per_alpha);
    v("per_beta0", per_beta0);
    v("per_beta_steps", per_beta_steps);
    v("max_grad_norm", max_grad_norm);
    v("exploration_fraction", exploration_fraction);
    v("exploration_initial_eps", exploration_initial_eps);
    v("exploration_final_eps", exploration_final_eps);
    v("loss", loss);
    v("net", net);
  }
  // Throws bellman::Error naming the key: "dqn.gamma must be in [0, 1], got 1.5".
  void Validate() const;
};

// Linear epsilon schedule (SB3's get_linear_fn): initial -> final over the first
// `fraction` of `total` env steps, then constant.
double LinearEpsilon(double initial, double final_eps, double fraction, int64_t step,
                     int64_t total);

class Dqn final : public OffPolicyAlgorithm {
 public:
  Dqn(const DqnConfig& config, AlgoContext context);

  void Act(const void* obs, int64_t n, bool explore, int64_t* actions) override;
  Metrics Update(const Batch& batch) override;
  std::span<const float> td_errors() const override { return td_errors_; }
  void OnEnvStep(int64_t env_steps) override;
  std::vector<std::string> metric_names() const override { return {"loss", "q_mean"}; }
  Metrics Stats() const override;
  OffPolicySchedule schedule() const override;
  void Save(const std::filesystem::path& dir) const override;
  void Load(const std::filesystem::path& dir) override;
  Metrics ProfileSeconds() const override;

  // The TD target of Mnih et al. 2015 (eq. 2 / Algorithm 1: y = r + gamma max_a' Q_target(s', a'))
  // or Double DQN (van Hasselt et al. 2016, eq. 4: y = r + gamma Q_target(s', argmax_a Q(s', a))),
  // with the row's stored discount (gamma^k, 0 after a termination). Computed without grad.
  torch::Tensor TdTarget(const torch::Tensor& reward, const torch::Tensor& discount,
                         const torch::Tensor& next_obs);
  // Observations as the float32 network input: Box rows as they are (no copy), Discrete states
  // one-hot encoded.
  torch::Tensor ObsTensor(const void* obs, int64_t n) const;

  const DqnConfig& config() const { return config_; }
  nets::QNetwork& q_net() { return *q_net_; }
  nets::QNetwork& q_target() { return *q_target_; }
  torch::optim::Optimizer& optimizer() { return *optimizer_; }
  double epsilon() const { return epsilon_; }
  int64_t num_updates() const { return num_updates_; }
  int64_t num_target_updates() const { return num_target_updates_; }
  const Rng& explore_rng() const { return explore_rng_; }

 private:
  DqnConfig config_;
  EnvSpec env_;
  int num_envs_;
  int64_t total_timesteps_;
  int64_t obs_size_;  // network input width
  int64_t num_actions_;
  std::shared_ptr<nets::QNetwork> q_net_;
  std::shared_ptr<nets::QNetwork> q_target_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  Rng explore_rng_;
  // Counters (saved).
  int64_t num_updates_ = 0;
  int64_t num_env_calls_ = 0;  // OnEnvStep calls (SB3's _n_calls)
  int64_t num_target_updates_ = 0;
  int64_t env_steps_ = 0;
  double epsilon_;
  std::vector<float> td_errors_;
  // Profiling (AlgoContext::profile): seconds in each phase of Update / OnEnvStep. Not saved.
  bool profile_ = false;
  double forward_seconds_ = 0.0;    // TD target + online forward + loss (+ the loss read-back)
  double backward_seconds_ = 0.0;   // zero_grad + loss.backward()
  double optimizer_seconds_ = 0.0;  // gradient clipping + optimizer step
  double target_seconds_ = 0.0;     // target network updates
};

}  // namespace bellman::algos
