// Greedy evaluation, loaded policies, `bellman eval` and `bellman enjoy`
// (bellman/train/train.h, src/train/evaluate.h).
#include "train/evaluate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>

#include "bellman/algos/actor_critic.h"
#include "bellman/algos/algorithm.h"
#include "bellman/core/config.h"
#include "bellman/core/error.h"
#include "bellman/envs/registry.h"
#include "bellman/io/atomic_file.h"
#include "bellman/io/dataset.h"
#include "bellman/nets/threads.h"
#include "bellman/train/collect.h"
#include "train/checkpoint_state.h"
#include "train/run_config.h"

namespace bellman::train {

namespace fs = std::filesystem;

namespace {

// An action row as text: "2" for Discrete, "[0.5, -1]" for Box.
std::string ActionText(const Space& space, const std::vector<std::byte>& action) {
  if (space.kind() == Space::Kind::kDiscrete) {
    return fmt::format("{}", *reinterpret_cast<const int64_t*>(action.data()));
  }
  const auto* a = reinterpret_cast<const float*>(action.data());
  return fmt::format("[{}]", fmt::join(a, a + space.flat_size(), ", "));
}

// A NaN observation gives a NaN Q-value and an arbitrary argmax: refuse it by name.
template <class T>
void CheckNoNan(const void* obs, int64_t n, int64_t row_size) {
  const T* x = static_cast<const T*>(obs);
  for (int64_t i = 0; i < n * row_size; ++i) {
    if (std::isnan(x[i])) {
      throw Error(
          fmt::format("Policy.act: observation {} has NaN at index {}; observations must "
                      "be numbers",
                      i / row_size, i % row_size));
    }
  }
}

}  // namespace

EvalResult Summarize(std::vector<double> returns) {
  EvalResult r;
  double sum = 0.0;
  for (double x : returns) sum += x;
  r.mean = returns.empty() ? 0.0 : sum / static_cast<double>(returns.size());
  double ss = 0.0;
  for (double x : returns) ss += (x - r.mean) * (x - r.mean);
  r.std = returns.empty() ? 0.0 : std::sqrt(ss / static_cast<double>(returns.size()));
  r.returns = std::move(returns);
  return r;
}

void StepWith(VecEnv& vec, const std::vector<std::byte>& actions) {
  const size_t rows = static_cast<size_t>(vec.num_envs());
  if (vec.action_space().kind() == Space::Kind::kDiscrete) {
    vec.Step(std::span<const int64_t>(reinterpret_cast<const int64_t*>(actions.data()), rows));
  } else {
    vec.Step(std::span<const float>(reinterpret_cast<const float*>(actions.data()),
                                    actions.size() / sizeof(float)));
  }
}

EvalResult Evaluate(const ActFn& act, const std::string& env_id, int episodes, uint64_t seed,
                    const EnvArgs& args, const EvalHooks& hooks) {
  VectorEnv vec(env_id, episodes, args);
  vec.Reset(seed);
  std::vector<std::byte> actions(static_cast<size_t>(episodes) * vec.action_bytes());
  std::vector<double> returns(static_cast<size_t>(episodes), 0.0);
  std::vector<uint8_t> done(static_cast<size_t>(episodes), 0);
  if (hooks.reset) hooks.reset(episodes);
  int remaining = episodes;
  while (remaining > 0) {
    act(vec.obs_data(), episodes, actions.data());
    StepWith(vec, actions);
    if (hooks.observe) {
      hooks.observe(vec.rewards().data(), vec.has_final_obs().data(), episodes);
    }
    for (int i = 0; i < episodes; ++i) {
      if (!done[i] && vec.has_final_obs()[i]) {
        returns[i] = vec.episode_return()[i];
        done[i] = 1;
        --remaining;
      }
    }
  }
  return Summarize(std::move(returns));
}

// ---- loading a trained policy ------------------------------------------------------------------

struct Policy::Impl {
  TrainConfig tc;
  std::unique_ptr<algos::Algorithm> algo;
  EnvSpec spec;
  uint64_t eval_seed = 0;
  uint64_t final_eval_seed = 0;
};

Policy::Policy(const std::string& checkpoint) : impl_(std::make_unique<Impl>()) {
  const fs::path ckpt = io::ResolveCheckpoint(checkpoint);
  VerifyCheckpointOrPointBack(ckpt, "bellman eval --checkpoint");
  YAML::Node resolved = Resolve(LoadYamlFile((ckpt / "config.yaml").string()), {}, &impl_->tc);
  nets::SetNumThreads(impl_->tc.torch_threads, 1);
  impl_->spec = MakeEnv(impl_->tc.env, RunEnvArgs(impl_->tc))->spec();
  Streams streams = MakeStreams(impl_->tc.seed);
  impl_->eval_seed = streams.eval_seed;
  impl_->final_eval_seed = streams.final_eval_seed;
  impl_->algo = algos::FindAlgo(impl_->tc.algo)
                    .make(resolved[impl_->tc.algo],
                          algos::AlgoContext{.env = impl_->spec,
                                             .num_envs = impl_->tc.num_envs,
                                             .total_timesteps = impl_->tc.n_timesteps,
                                             .net_rng = streams.net,
                                             .explore_rng = streams.explore});
  LoadAlgorithmState(*impl_->algo, impl_->tc.algo, ckpt);
}

Policy::~Policy() = default;
Policy::Policy(Policy&&) noexcept = default;
Policy& Policy::operator=(Policy&&) noexcept = default;

void Policy::Act(const void* obs, int64_t n, void* actions) {
  const Space& space = impl_->spec.observation_space;
  if (space.dtype() == DType::kFloat32) CheckNoNan<float>(obs, n, space.flat_size());
  if (space.dtype() == DType::kFloat64) CheckNoNan<double>(obs, n, space.flat_size());
  impl_->algo->Act(obs, n, /*explore=*/false, actions);
}

void Policy::Sample(const void* obs, int64_t n, void* actions) {
  const Space& space = impl_->spec.observation_space;
  if (space.dtype() == DType::kFloat32) CheckNoNan<float>(obs, n, space.flat_size());
  if (space.dtype() == DType::kFloat64) CheckNoNan<double>(obs, n, space.flat_size());
  impl_->algo->Act(obs, n, /*explore=*/true, actions);
}

void Policy::QValues(const void* obs, const void* actions, int64_t n, double* q) {
  auto* agent = dynamic_cast<algos::ContinuousAgent*>(impl_->algo.get());
  if (agent == nullptr || !agent->has_critic()) {
    throw Error(
        fmt::format("the {} run has no Q-function of continuous actions to rank "
                    "candidates with; use an iql, cql, td3_bc, td3 or sac run",
                    impl_->tc.algo));
  }
  agent->QValues(obs, static_cast<const float*>(actions), n, q);
}

const std::string& Policy::algo() const { return impl_->tc.algo; }

EvalHooks Policy::Hooks() {
  algos::Algorithm* algo = impl_->algo.get();
  return EvalHooks{.reset = [algo](int64_t n) { algo->ResetEpisodes(n); },
                   .observe = [algo](const double* r, const uint8_t* d,
                                     int64_t n) { algo->ObserveStep(r, d, n); }};
}

const std::string& Policy::env_id() const { return impl_->tc.env; }

int64_t Policy::max_episode_steps() const { return impl_->tc.max_episode_steps; }

const EnvArgs& Policy::env_args() const { return impl_->tc.env_kwargs; }

uint64_t Policy::eval_seed() const { return impl_->eval_seed; }

uint64_t Policy::final_eval_seed() const { return impl_->final_eval_seed; }

const Space& Policy::observation_space() const { return impl_->spec.observation_space; }

const Space& Policy::action_space() const { return impl_->spec.action_space; }

namespace {

// The run's env kwargs and TimeLimit, with `overrides` (--env-arg of eval/enjoy) on top.
EnvArgs PolicyEnvArgs(const Policy& policy, const EnvArgs& overrides) {
  EnvArgs args = policy.env_args();
  if (policy.max_episode_steps() >= 0) args["max_episode_steps"] = policy.max_episode_steps();
  for (const auto& [k, v] : overrides) args[k] = v;
  return args;
}

}  // namespace

EvalResult EvaluateCheckpoint(const std::string& checkpoint, int episodes,
                              std::optional<uint64_t> seed, const EnvArgs& env_args) {
  if (episodes < 1) throw Error(fmt::format("--episodes must be >= 1, got {}", episodes));
  Policy policy(checkpoint);
  const uint64_t base = seed.value_or(policy.final_eval_seed());
  EvalResult r =
      Evaluate([&](const void* obs, int64_t n, void* a) { policy.Act(obs, n, a); }, policy.env_id(),
               episodes, base, PolicyEnvArgs(policy, env_args), policy.Hooks());
  r.seed = base;
  return r;
}

void BestOfNAct(Policy& base, Policy& critic, int n_candidates, const void* obs, int64_t m,
                void* actions) {
  const auto dim = static_cast<size_t>(base.action_space().flat_size());
  const size_t obs_bytes = base.observation_space().byte_size();
  const auto k = static_cast<size_t>(n_candidates), n = static_cast<size_t>(m), rows = n * k;
  std::vector<std::byte> obs_rep(rows * obs_bytes);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < k; ++j) {
      std::memcpy(obs_rep.data() + (i * k + j) * obs_bytes,
                  static_cast<const std::byte*>(obs) + i * obs_bytes, obs_bytes);
    }
  }
  std::vector<float> candidates(rows * dim);
  std::vector<double> q(rows);
  base.Sample(obs_rep.data(), static_cast<int64_t>(rows), candidates.data());
  critic.QValues(obs_rep.data(), candidates.data(), static_cast<int64_t>(rows), q.data());
  auto* out = static_cast<float*>(actions);
  for (size_t i = 0; i < n; ++i) {
    const auto first = q.begin() + static_cast<std::ptrdiff_t>(i * k);
    const auto best = static_cast<size_t>(
        std::max_element(first, first + static_cast<std::ptrdiff_t>(k)) - first);
    std::copy_n(candidates.data() + (i * k + best) * dim, dim, out + i * dim);
  }
}

EvalResult EvaluateBestOfN(const std::string& base_checkpoint, const std::string& critic_checkpoint,
                           int n_candidates, int episodes, std::optional<uint64_t> seed,
                           const EnvArgs& env_args) {
  if (episodes < 1) throw Error(fmt::format("--episodes must be >= 1, got {}", episodes));
  if (n_candidates < 1) throw Error(fmt::format("--best-of must be >= 1, got {}", n_candidates));
  Policy base(base_checkpoint), critic(critic_checkpoint);
  if (base.env_id() != critic.env_id()) {
    throw Error(
        fmt::format("--critic's run is on {}, the policy's on {}; they must be the same env",
                    critic.env_id(), base.env_id()));
  }
  if (base.action_space().kind() != Space::Kind::kBox) {
    throw Error(fmt::format("Best-of-N ranks continuous actions; {} has {}", base.env_id(),
                            base.action_space().ToString()));
  }
  const ActFn act = [&](const void* obs, int64_t n, void* actions) {
    BestOfNAct(base, critic, n_candidates, obs, n, actions);
  };
  const uint64_t first = seed.value_or(base.final_eval_seed());
  EvalResult r = Evaluate(act, base.env_id(), episodes, first, PolicyEnvArgs(base, env_args));
  r.seed = first;
  return r;
}

int64_t RelabelBestOfN(const std::string& dataset_path, const std::string& policy,
                       const std::string& critic_path, int n, const std::string& out) {
  if (n < 1) throw Error(fmt::format("--best-of must be >= 1, got {}", n));
  Policy base(policy), critic(critic_path);
  const io::Dataset d = io::ReadDataset(dataset_path);
  if (!d.metadata().env_id.empty() && d.metadata().env_id != base.env_id()) {
    throw Error(fmt::format("dataset {} was recorded on {}, the policy's env is {}", dataset_path,
                            d.metadata().env_id, base.env_id()));
  }
  if (base.env_id() != critic.env_id()) {
    throw Error(
        fmt::format("--critic's run is on {}, the policy's on {}; they must be the same env",
                    critic.env_id(), base.env_id()));
  }
  if (d.action_space().kind() != Space::Kind::kBox ||
      d.action_space().flat_size() != base.action_space().flat_size() ||
      d.obs_bytes() != base.observation_space().byte_size()) {
    throw Error(fmt::format("dataset {} ({} -> {}) does not fit the policy's spaces ({} -> {})",
                            dataset_path, d.observation_space().ToString(),
                            d.action_space().ToString(), base.observation_space().ToString(),
                            base.action_space().ToString()));
  }
  io::DatasetMetadata meta = d.metadata();
  // Minari's "<name>-v<N>": the tag goes before the version.
  const size_t v = meta.dataset_id.rfind("-v");
  const std::string tag = fmt::format("-bestof{}", n);
  if (v == std::string::npos) {
    meta.dataset_id += tag + "-v0";
  } else {
    meta.dataset_id.insert(v, tag);
  }
  meta.description =
      fmt::format("{} with every action replaced by the best of {} samples of {} under the Q of {}",
                  dataset_path, n, policy, critic_path);
  io::Dataset relabelled(d.observation_space(), d.action_space(), meta);
  const size_t ob = d.obs_bytes(), ab = d.action_bytes();
  std::vector<std::byte> actions;
  for (int64_t e = 0; e < d.num_episodes(); ++e) {
    const auto first = static_cast<size_t>(d.first_step(e)), t = static_cast<size_t>(d.steps(e));
    const std::byte* obs = d.observations().data() + (first + static_cast<size_t>(e)) * ob;
    actions.resize(t * ab);
    BestOfNAct(base, critic, n, obs, static_cast<int64_t>(t), actions.data());
    relabelled.AddEpisode(std::span(obs, (t + 1) * ob), actions,
                          std::span(d.rewards()).subspan(first, t),
                          std::span(d.terminations()).subspan(first, t),
                          std::span(d.truncations()).subspan(first, t), d.seed(e));
  }
  io::WriteMinari(relabelled, out);
  return relabelled.total_steps();
}

std::vector<double> Enjoy(const std::string& checkpoint, int episodes, std::ostream& out,
                          std::optional<uint64_t> seed, const EnvArgs& env_args) {
  if (episodes < 1) throw Error(fmt::format("--episodes must be >= 1, got {}", episodes));
  Policy policy(checkpoint);
  // The run's env kwargs and TimeLimit (trainer key max_episode_steps), as its own evaluations.
  std::unique_ptr<Env> env = MakeEnv(policy.env_id(), PolicyEnvArgs(policy, env_args));
  std::vector<std::byte> obs(env->observation_space().byte_size());
  std::vector<std::byte> action(env->action_space().byte_size());
  std::vector<double> returns;
  const uint64_t base = seed.value_or(policy.final_eval_seed());
  for (int ep = 0; ep < episodes; ++ep) {
    env->Reset(base + static_cast<uint64_t>(ep), obs.data());
    out << fmt::format("== episode {} (seed {})\n", ep + 1, base + static_cast<uint64_t>(ep));
    out << env->Render() << "\n";
    double ret = 0.0;
    int64_t t = 0;
    while (true) {
      policy.Act(obs.data(), 1, action.data());
      StepResult r = env->Step(action.data(), obs.data());
      ret += r.reward;
      ++t;
      out << fmt::format("step {} action {} reward {}\n", t,
                         ActionText(env->action_space(), action), r.reward);
      out << env->Render() << "\n";
      if (r.terminated || r.truncated) break;
    }
    out << fmt::format("episode {} return {} ({} steps)\n", ep + 1, ret, t) << std::flush;
    returns.push_back(ret);
  }
  return returns;
}

}  // namespace bellman::train
