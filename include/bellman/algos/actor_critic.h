// ContinuousAgent: what the off-policy algorithms for Box action spaces share (TD3/DDPG, SAC,
// DSAC-T, DecQN/CQN): observation tensors, action scaling, warm-up actions, the replay schedule,
// counters, checkpoints and the update profile. Each algorithm file adds its networks and its
// Update (docs/continuous.md).
//
// Actions: the networks work in [-1, 1]^dim (SB3's scale_action); Act writes env actions
// low + (u + 1) / 2 * (high - low), and the replay buffer stores env actions, which Update scales
// back to [-1, 1] (the same numbers SB3 stores, up to float rounding).
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "bellman/algos/algorithm.h"
#include "bellman/core/phase_timer.h"
#include "bellman/nets/grad_sync.h"
#include "bellman/nets/mlp_net.h"
#include "bellman/nets/squashed_gaussian.h"
#include "bellman/nets/state_dict.h"

namespace bellman::algos {

// The family's networks live in nets/ (mlp_net.h, squashed_gaussian.h).
using nets::FrozenParams;
using nets::MlpNet;
using nets::MlpNetImpl;
using nets::SquashedGaussian;
using nets::StandardNormal;

// The keys every continuous off-policy algorithm has (SB3's OffPolicyAlgorithm defaults for
// TD3/SAC). Algorithm configs derive from it and add theirs.
struct ContinuousAgentConfig {
  double gamma = 0.99;
  double lr = 3e-4;  // actor and critic (SB3's single learning_rate)
  double adam_eps = 1e-8;
  int64_t batch_size = 256;
  int64_t buffer_size = 1'000'000;
  int64_t learning_starts = 100;  // env steps of uniform random actions before updates
  int64_t train_freq = 1;         // vector-env steps between update rounds
  int64_t gradient_steps = 1;     // updates per round; -1: train_freq * num_envs
  double tau = 0.005;             // Polyak coefficient of the target networks
  int64_t n_step = 1;             // n-step returns (the replay's accumulators)
  std::vector<int64_t> hidden_sizes = {256, 256};  // actor (and critic unless critic_hidden_sizes)
  std::vector<int64_t> critic_hidden_sizes;        // empty: hidden_sizes
  std::string activation = "relu";
  bool fast_path = true;  // FusedMlp + flat Adam on the CPU
  // Offline runs: states normalised by the dataset's per-feature mean and std + 1e-3 (TD3+BC,
  // Fujimoto & Gu 2021, Sec. 5; CORL's IQL and CQL) before every network. The statistics are
  // part of the checkpoint (obs_mean, obs_std); online runs have none and leave states as they
  // are.
  bool normalize_obs = false;
  // Offline runs: CORL's reward scaling, max_episode_steps / (max - min dataset episode return)
  // (algorithms/offline/iql.py and cql.py, modify_reward). An online run refuses it.
  bool normalize_reward = false;

  template <class V>
  void Fields(V& v) {
    v("gamma", gamma);
    v("lr", lr);
    v("adam_eps", adam_eps);
    v("batch_size", batch_size);
    v("buffer_size", buffer_size);
    v("learning_starts", learning_starts);
    v("train_freq", train_freq);
    v("gradient_steps", gradient_steps);
    v("tau", tau);
    v("n_step", n_step);
    v("hidden_sizes", hidden_sizes);
    v("critic_hidden_sizes", critic_hidden_sizes);
    v("activation", activation);
    v("fast_path", fast_path);
    v("normalize_obs", normalize_obs);
    v("normalize_reward", normalize_reward);
  }
  // Throws bellman::Error naming "<algo>.<key>" and the value.
  void Validate(const std::string& algo) const;
  const std::vector<int64_t>& critic_sizes() const {
    return critic_hidden_sizes.empty() ? hidden_sizes : critic_hidden_sizes;
  }
};

// Float observations for the networks of the continuous family and PPO: FloatObsDim checks that
// the env's observation space is a float32 or float64 Box (a bellman::Error naming `algo` and
// the space otherwise) and returns its flat size; FloatObsTensor views n rows as [n, dim]
// float32 (float64 rows are converted; float32 rows are not copied).
int64_t FloatObsDim(const EnvSpec& env, const std::string& algo);
torch::Tensor FloatObsTensor(const Space& space, const void* obs, int64_t n, int64_t dim);

// Q-networks Q_k(s, a) (obs_dim + action_dim -> critic sizes -> 1), their target copies (no
// grad) and one Adam over every online parameter: the critics of TD3/DDPG, SAC, CQL and IQL.
struct Critics {
  std::vector<MlpNet> online, target;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  // min_k net_k(in) over `nets` (online or target), shape [B] (clipped double Q).
  static torch::Tensor Min(std::vector<MlpNet>& nets, const torch::Tensor& in);
  // Polyak update of every target: target <- tau * online + (1 - tau) * target.
  void SoftUpdate(double tau);
  // Checkpoint entries critic<k>, critic<k>_target and critic_optimizer.
  void Declare(nets::StateDict& state);
};

class ContinuousAgent : public OffPolicyAlgorithm {
 public:
  // Writes env actions: uniform random before learning_starts (explore only; SB3's
  // action_space.sample()), otherwise PolicyActions; exploration noise is the subclass's.
  void Act(const void* obs, int64_t n, bool explore, void* actions) final;
  void OnEnvStep(int64_t env_steps) override { env_steps_ = env_steps; }
  std::span<const float> td_errors() const override { return {}; }
  Metrics Stats() const override;
  OffPolicySchedule schedule() const override;
  // Counters and generators, then the subclass's DeclareModules.
  void DeclareState(nets::StateDict& state) final;
  Metrics ProfileSeconds() const override;
  // Times the subclass's Learn (profile: forward = the update's time outside the timed phases).
  Metrics Update(const Batch& batch) final;
  // Q(s, a) = min over the online critics for n observation rows and n env action rows (float32,
  // inside the space; scaled to [-1, 1] as in training), no grad: what Best-of-N ranks
  // candidates by. Throws bellman::Error naming the algorithm when it has no critic (bc).
  void QValues(const void* obs, const float* actions, int64_t n, double* q);
  bool has_critic() { return critics() != nullptr; }

 protected:
  // Data-parallel runs: averages an optimizer's gradients over the ranks (a no-op otherwise).
  nets::GradientSync& gradient_sync() { return sync_; }
  ContinuousAgent(const ContinuousAgentConfig& config, AlgoContext& context, std::string name);

  // Actions in [-1, 1] for obs [n, obs_dim] (no grad): deterministic when !explore; with
  // explore the algorithm's behaviour policy (noise, sampling) from explore_rng().
  virtual torch::Tensor PolicyActions(const torch::Tensor& obs, bool explore) = 0;
  // One gradient step of the algorithm on a sampled batch (OffPolicyAlgorithm::Update).
  virtual Metrics Learn(const Batch& batch) = 0;
  // The algorithm's networks, optimizers and own scalars for checkpoints.
  virtual void DeclareModules(nets::StateDict& state) = 0;
  // The twin (or n) Q-networks Q(s, a), or nullptr for an algorithm without them (bc).
  virtual Critics* critics() { return nullptr; }

  // A sampled batch as tensors: obs/next_obs [B, obs_dim] float32, action [B, dim] in [-1, 1],
  // reward [B], discount [B] (gamma^k, 0 at a terminal state).
  struct BatchTensors {
    torch::Tensor obs, action, reward, discount, next_obs;
  };
  BatchTensors Tensors(const Batch& batch) const;
  // n observation rows -> [n, obs_dim] float32, normalised with normalize_obs.
  torch::Tensor ObsTensor(const void* obs, int64_t n) const;
  // New net for this algorithm: obs_dim (+ action_dim when with_action) -> sizes -> outputs.
  MlpNet MakeNet(const std::vector<int64_t>& sizes, int64_t outputs, bool with_action);
  std::unique_ptr<torch::optim::Optimizer> MakeAdam(std::vector<torch::Tensor> params,
                                                    double lr) const;
  // n critics on the config's critic sizes (parameters drawn in order), their targets and Adam.
  Critics MakeCritics(int64_t n, double lr);
  // Throws a clear error (step, tensor) when t has a NaN or Inf.
  void CheckFinite(const torch::Tensor& t, const char* what) const;

  const std::string& name() const { return name_; }
  int64_t obs_dim() const { return obs_dim_; }
  int64_t action_dim() const { return action_dim_; }
  int64_t env_steps() const { return env_steps_; }
  Rng& explore_rng() { return explore_rng_; }
  Rng& update_rng() { return update_rng_; }
  Rng& net_rng() { return net_rng_; }

  // One optimizer step on `loss`: zero_grad and backward (timed as "backward"), gradient
  // clipping of `clip_params` to max_grad_norm when given, and step (timed as "optimizer").
  // Returns the gradient norm before clipping (0 without clip_params).
  double Step(torch::optim::Optimizer& optimizer, const torch::Tensor& loss,
              const std::vector<torch::Tensor>* clip_params = nullptr, double max_grad_norm = 0.0);
  // Times the rest of its scope as the target-network update ("polyak").
  [[nodiscard]] PhaseTimer::Scope TimeTargetUpdate() { return timer_.Time(kTarget); }
  int64_t num_updates_ = 0;

 private:
  ContinuousAgentConfig config_;
  std::string name_;
  EnvSpec env_;
  int num_envs_;
  int64_t total_timesteps_;
  int64_t obs_dim_;
  int64_t action_dim_;
  std::vector<float> low_, high_;
  Rng net_rng_;
  Rng explore_rng_;
  Rng update_rng_;  // target smoothing / reparameterisation noise
  int64_t env_steps_ = 0;
  torch::Tensor obs_mean_, obs_std_;  // [1, obs_dim]; 0 and 1 without normalize_obs
  enum : size_t { kForward = 0, kBackward = 1, kOptimizer = 2, kTarget = 3 };
  PhaseTimer timer_;
  nets::GradientSync sync_;  // data-parallel runs: mean gradient over ranks before each step
};

// The soft TD target y = r + discount * (min_k Q_k - alpha * log pi) in one loop (no grad):
// next_q holds each target critic's [B] or [B, 1] values at (s', a'~), alpha is [1].
torch::Tensor SoftTdTarget(const std::vector<torch::Tensor>& next_q, const torch::Tensor& alpha,
                           const torch::Tensor& next_log_prob, const torch::Tensor& reward,
                           const torch::Tensor& discount);

// Keys of the maximum-entropy family (SAC, DSAC-T): the temperature and the squashed Gaussian
// policy.
struct SoftConfig : ContinuousAgentConfig {
  // "auto" (learned, initial value 1), "auto_<x>" (learned, initial value x) or a fixed number.
  std::string ent_coef = "auto";
  // "auto": -dim(A) (Haarnoja et al. 2018b, section 5), or a number.
  std::string target_entropy = "auto";
  int64_t target_update_interval = 1;  // gradient steps between Polyak updates
  int64_t n_critics = 2;
  double log_std_min = -20.0;  // SB3's clamp of the policy's log std
  double log_std_max = 2.0;
  // Learning rate of the policy and the temperature; 0: lr (SB3's single learning_rate). CORL's
  // CQL uses 3e-5 for the policy and 3e-4 for the critics.
  double actor_lr = 0.0;

  template <class V>
  void Fields(V& v) {
    ContinuousAgentConfig::Fields(v);
    v("actor_lr", actor_lr);
    v("ent_coef", ent_coef);
    v("target_entropy", target_entropy);
    v("target_update_interval", target_update_interval);
    v("n_critics", n_critics);
    v("log_std_min", log_std_min);
    v("log_std_max", log_std_max);
  }
  // {learned, initial or fixed value}; throws naming "<algo>.ent_coef" and the value.
  std::pair<bool, double> EntCoef(const std::string& algo) const;
  double TargetEntropy(const std::string& algo, int64_t action_dim) const;
  void Validate(const std::string& algo) const;
};

// SAC's policy and temperature (Haarnoja et al. 2018), shared by SAC and DSAC-T:
//   a~ = tanh(mu(s) + sigma(s) * eps), eps ~ N(0, I)                     (reparameterisation)
//   log pi(a~|s) = log N(u; mu, sigma) - sum log(1 - tanh(u)^2 + 1e-6)   (appendix C, eq. 21)
//   J(alpha) = -E[log alpha * (log pi(a~|s) + H_target)]                 (eq. 18)
// One MLP whose last layer holds both heads [mu, log_std] (SB3 has two Linear heads on the same
// features: the same function class). Exploration samples the policy; evaluation plays
// tanh(mu(s)).
class SoftAgent : public ContinuousAgent {
 protected:
  SoftAgent(const SoftConfig& config, AlgoContext& context, const std::string& name);

  // A reparameterised sample for obs [n, obs_dim] and its log-probability [n] (noise from
  // update_rng()).
  std::pair<torch::Tensor, torch::Tensor> Sample(const torch::Tensor& obs);
  // Steps the temperature on log_prob (when learned) and returns alpha as it was before the step
  // (SB3's order), detached, shape [1].
  torch::Tensor UpdateTemperature(const torch::Tensor& log_prob);
  // The current temperature alpha, detached, shape [1].
  torch::Tensor Alpha() const { return torch::exp(log_ent_coef_.detach()); }
  // One step of the actor on `loss`.
  void StepActor(const torch::Tensor& loss);
  // SAC's actor step (eq. 7): loss mean(alpha * log pi(a~|s) - min_k Q_k(s, a~)) through the
  // frozen critics, for the reparameterised sample (pi, log_prob) at obs. Returns the loss.
  double StepSoftActor(Critics& critics, const torch::Tensor& obs, const torch::Tensor& pi,
                       const torch::Tensor& log_prob, const torch::Tensor& alpha);
  // The actor, its optimizer and the temperature for checkpoints.
  void DeclareSoftState(nets::StateDict& state);

  const SoftConfig& soft_config() const { return soft_; }

 private:
  torch::Tensor PolicyActions(const torch::Tensor& obs, bool explore) override;
  std::pair<torch::Tensor, torch::Tensor> Heads(const torch::Tensor& obs);

  SoftConfig soft_;
  double target_entropy_ = 0.0;
  MlpNet actor_ = nullptr;
  std::unique_ptr<torch::optim::Optimizer> actor_optimizer_;
  torch::Tensor log_ent_coef_;
  std::unique_ptr<torch::optim::Optimizer> ent_optimizer_;  // null for a fixed ent_coef
};

}  // namespace bellman::algos
