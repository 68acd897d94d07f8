// ValueAgent: what every algorithm of the DQN family shares (DQN, C51/Rainbow, QR-DQN, IQN,
// i-QN): the config keys of SB3's DQN (schedules, replay, PER, target updates, exploration),
// epsilon-greedy acting on the online network's action values, the update skeleton (loss ->
// NaN check -> backward -> clip -> optimizer step, with profiling), target-network updates,
// checkpoints and the replay schedule. An algorithm file adds its networks and its loss: the
// two hooks ActionValues() and Loss(), as Dopamine's agents subclass its DQN agent.
#pragma once
#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bellman/algos/algorithm.h"
#include "bellman/nets/grad_sync.h"
#include "bellman/nets/q_network.h"
#include "bellman/nets/state_dict.h"

namespace bellman::algos {

struct ValueAgentConfig {
  double gamma = 0.99;
  double lr = 1e-4;
  std::string optimizer = "adam";  // adam | rmsprop
  // torch.optim.Adam's default, which SB3's DQN keeps (only its on-policy ActorCriticPolicy sets
  // 1e-5); the fast presets pin the 1e-5 they were tuned with.
  double adam_eps = 1e-8;
  double rmsprop_alpha = 0.99;    // RMSprop smoothing (MinAtar's DQN: 0.95)
  double rmsprop_eps = 1e-5;      // RMSprop eps (MinAtar's DQN: 0.01)
  bool rmsprop_centered = false;  // MinAtar's DQN: true
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
  // Added to every reward before it enters the TD target (reward shifting, Sun et al. 2022: a
  // negative shift makes a zero-initialised Q optimistic, a positive one pessimistic).
  double reward_shift = 0.0;
  nets::QNetworkConfig net;

  template <class V>
  void Fields(V& v) {
    v("gamma", gamma);
    v("lr", lr);
    v("optimizer", optimizer);
    v("adam_eps", adam_eps);
    v("rmsprop_alpha", rmsprop_alpha);
    v("rmsprop_eps", rmsprop_eps);
    v("rmsprop_centered", rmsprop_centered);
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
    v("reward_shift", reward_shift);
    v("net", net);
  }
  // Throws bellman::Error naming the key with the algorithm's prefix: "c51.gamma must be in
  // [0, 1], got 1.5".
  void Validate(const std::string& algo) const;
};

// Linear epsilon schedule (SB3's get_linear_fn): initial -> final over the first
// `fraction` of `total` env steps, then constant.
double LinearEpsilon(double initial, double final_eps, double fraction, int64_t step,
                     int64_t total);

class ValueAgent : public OffPolicyAlgorithm {
 public:
  void Act(const void* obs, int64_t n, bool explore, void* actions) override;
  Metrics Update(const Batch& batch) override;
  std::span<const float> td_errors() const override { return td_errors_; }
  void OnEnvStep(int64_t env_steps) override;
  std::vector<std::string> metric_names() const override { return {"loss", "q_mean"}; }
  Metrics Stats() const override;
  OffPolicySchedule schedule() const override;
  void DeclareState(nets::StateDict& state) override;
  Metrics ProfileSeconds() const override;
  bool SupportsApex() const override { return true; }
  void TdErrorsOf(const Batch& batch, std::vector<float>& out) override;
  void FixExplorationRate(double rate) override;

  // Observations as the float32 network input [n, obs...]: float32 Box rows as they are (no
  // copy), uint8 Box rows (MinAtar) converted, Discrete states one-hot encoded.
  torch::Tensor ObsTensor(const void* obs, int64_t n) const;

  const std::string& name() const { return name_; }
  double epsilon() const { return epsilon_; }
  int64_t num_updates() const { return num_updates_; }
  int64_t num_target_updates() const { return num_target_updates_; }
  const Rng& explore_rng() const { return explore_rng_; }
  torch::optim::Optimizer& optimizer() { return *optimizer_; }

 protected:
  // Builds nothing but the bookkeeping; the subclass then builds its networks and calls
  // SetNetworks. `name` prefixes messages and names the checkpoint file (<name>.pt).
  ValueAgent(const ValueAgentConfig& config, AlgoContext& context, std::string name);

  // The online and target networks (the target's parameters stop requiring grad) and the
  // optimizer over the online parameters.
  void SetNetworks(std::shared_ptr<torch::nn::Module> online,
                   std::shared_ptr<torch::nn::Module> target);

  // Action values [n, A] of the online network for greedy acting (called without grad).
  virtual torch::Tensor ActionValues(const torch::Tensor& obs) = 0;

  struct LossTerms {
    torch::Tensor elementwise;  // [B] loss per sample (PER weights multiply it)
    torch::Tensor td_abs;       // [B] |TD error| (new PER priorities), no grad
    torch::Tensor q_taken;      // [B] Q(s, a) of the taken actions (the q_mean metric), no grad
  };
  // The loss of one batch. `reward` already includes reward_shift; `discount` is the row's
  // gamma^k (0 after a termination).
  virtual LossTerms Loss(const torch::Tensor& obs, const torch::Tensor& actions,
                         const torch::Tensor& reward, const torch::Tensor& discount,
                         const torch::Tensor& next_obs) = 0;
  // Called before the forward passes of each Update, exploring Act and greedy (evaluation) Act:
  // noisy nets redraw their noise for the first two and act on their mean weights in the last.
  enum class Phase { kUpdate, kExplore, kEvaluate };
  virtual void BeforeForward(Phase /*phase*/) {}

  // Extra state of a subclass (more networks, counters) for checkpoints.
  virtual void DeclareExtraState(nets::StateDict& /*state*/) {}

  // A batch's columns as the loss's inputs (on the device; reward includes reward_shift).
  struct BatchTensors {
    torch::Tensor obs, actions, reward, discount, next_obs;
  };
  BatchTensors Tensors(const Batch& batch) const;

  // Throws bellman::Error if t has a NaN or Inf, naming the tensor and the step.
  void CheckFinite(const torch::Tensor& t, const char* what) const;

  const EnvSpec& env() const { return env_; }
  int64_t num_actions() const { return num_actions_; }
  const std::vector<int64_t>& obs_shape() const { return obs_shape_; }
  int64_t env_steps() const { return env_steps_; }
  // A generator for the algorithm's own draws (noise, quantile fractions): the network-init
  // stream continued after the networks were drawn. Saved in checkpoints.
  Rng& sample_rng() { return sample_rng_; }
  const torch::Device& device() const { return device_; }

 private:
  ValueAgentConfig config_;
  std::string name_;
  EnvSpec env_;
  int num_envs_;
  int64_t total_timesteps_;
  std::vector<int64_t> obs_shape_;  // network input shape of one row
  int64_t num_actions_;
  torch::Device device_;
  std::shared_ptr<torch::nn::Module> online_;
  std::shared_ptr<torch::nn::Module> target_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  Rng explore_rng_;
  Rng sample_rng_;
  // Counters (saved).
  int64_t num_updates_ = 0;
  int64_t num_env_calls_ = 0;  // OnEnvStep calls (SB3's _n_calls)
  int64_t num_target_updates_ = 0;
  int64_t env_steps_ = 0;
  double epsilon_;
  double fixed_epsilon_ = -1.0;  // >= 0: an Ape-X actor's constant rate (FixExplorationRate)
  std::vector<float> td_errors_;
  // Profiling (AlgoContext::profile): seconds in each phase of Update / OnEnvStep. Not saved.
  bool profile_ = false;
  double forward_seconds_ = 0.0;    // targets + online forward + loss (+ the loss read-back)
  double backward_seconds_ = 0.0;   // zero_grad + loss.backward()
  double optimizer_seconds_ = 0.0;  // gradient clipping + optimizer step
  double target_seconds_ = 0.0;     // target network updates
  nets::GradientSync sync_;         // data-parallel runs: mean gradient over ranks before each step
};

// The network input shape of one observation row (Discrete: one-hot width), or a clear error
// for spaces the DQN family does not take.
std::vector<int64_t> ValueInputShape(const Space& space, const std::string& algo);

}  // namespace bellman::algos
