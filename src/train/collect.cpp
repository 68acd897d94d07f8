// Datasets from a policy playing an env (Minari's DataCollector semantics: observations keep the
// final observation of each episode, terminations and truncations stay apart).
#include "bellman/train/collect.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <vector>

#include "bellman/core/error.h"
#include "bellman/core/rng.h"
#include "bellman/envs/registry.h"
#include "bellman/io/dataset.h"
#include "bellman/train/train.h"
#include "train/recorder.h"

namespace bellman::train {

namespace {}  // namespace

// Gymnasium's EnvSpec.to_json() fields that readers use (id, max_episode_steps), in its layout.
std::string EnvSpecJson(const EnvSpec& spec) {
  return fmt::format(
      R"({{"id": "{}", "entry_point": null, "reward_threshold": {}, "nondeterministic": false, )"
      R"("max_episode_steps": {}, "order_enforce": true, "disable_env_checker": false, )"
      R"("kwargs": {{}}, "additional_wrappers": [], "vector_entry_point": null}})",
      spec.id, spec.reward_threshold ? fmt::format("{}", *spec.reward_threshold) : "null",
      spec.max_episode_steps > 0 ? std::to_string(spec.max_episode_steps) : "null");
}

int64_t Collect(const CollectOptions& o) {
  if ((o.episodes > 0) == (o.steps > 0)) {
    throw Error(fmt::format("give exactly one of --episodes N or --steps N (got {} and {})",
                            o.episodes, o.steps));
  }
  if (o.episodes < 0 || o.steps < 0) throw Error("--episodes and --steps must be >= 1");
  if (!(o.epsilon >= 0.0 && o.epsilon <= 1.0)) {
    throw Error(fmt::format("--epsilon must be in [0, 1], got {}", o.epsilon));
  }
  if (!(o.noise >= 0.0 && std::isfinite(o.noise))) {
    throw Error(fmt::format("--noise must be a finite number >= 0, got {}", o.noise));
  }
  if (o.out.empty()) throw Error("--out DIR is required");
  std::optional<Policy> policy;
  std::string env_id = o.env;
  if (o.policy != "random") {
    policy.emplace(o.policy);
    if (env_id.empty()) env_id = policy->env_id();
    if (env_id != policy->env_id()) {
      throw Error(fmt::format("--env {} differs from the policy's env {} ({})", env_id,
                              policy->env_id(), o.policy));
    }
  }
  if (env_id.empty()) throw Error("--env ID is required with --policy random");
  std::unique_ptr<Env> env = policy ? MakeEnv(env_id, policy->env_args()) : MakeEnv(env_id);
  if (policy && policy->max_episode_steps() >= 0) {
    env->set_max_episode_steps(policy->max_episode_steps());
  }
  const Space& os = env->observation_space();
  const Space& as = env->action_space();
  if (o.noise > 0.0 && (as.kind() != Space::Kind::kBox || !policy)) {
    throw Error(fmt::format("--noise needs a policy run and a Box action space; {} has {}", env_id,
                            as.ToString()));
  }
  io::DatasetMetadata meta;
  const std::string kind =
      policy ? (o.epsilon > 0 ? "eps-greedy" : (o.noise > 0 ? "noisy" : "greedy")) : "random";
  std::string id_env = env_id;
  std::replace(id_env.begin(), id_env.end(), '/', '-');
  meta.dataset_id =
      o.dataset_id.empty() ? fmt::format("bellman/{}-{}-v0", id_env, kind) : o.dataset_id;
  meta.env_id = env_id;
  meta.env_spec_json = EnvSpecJson(env->spec());
  meta.max_episode_steps = env->spec().max_episode_steps;
  meta.algorithm_name =
      policy ? fmt::format("{} (epsilon {}, noise {})", o.policy, o.epsilon, o.noise) : "random";
  meta.author = "bellman collect";
  meta.description =
      fmt::format("bellman collect --env {} --policy {} --epsilon {} --noise {} --seed {}", env_id,
                  o.policy, o.epsilon, o.noise, o.seed);
  io::Dataset data(os, as, meta);
  Rng rng(static_cast<uint64_t>(o.seed));
  std::vector<std::byte> obs, actions, action(as.byte_size());
  std::vector<double> rewards;
  std::vector<uint8_t> term, trunc;
  const int64_t infinite_guard = 10'000'000;  // an env without TimeLimit must still end
  for (int64_t e = 0; o.episodes > 0 ? e < o.episodes : data.total_steps() < o.steps; ++e) {
    obs.assign(os.byte_size(), std::byte{0});
    actions.clear();
    rewards.clear();
    term.clear();
    trunc.clear();
    const uint64_t seed = static_cast<uint64_t>(o.seed + e);
    env->Reset(seed, obs.data());
    while (true) {
      const std::byte* current = obs.data() + obs.size() - os.byte_size();
      const bool random = !policy || (o.epsilon > 0 && rng.Random() < o.epsilon);
      if (random) {
        as.Sample(rng, action.data());
      } else {
        policy->Act(current, 1, action.data());
        if (o.noise > 0.0) {
          auto* a = reinterpret_cast<float*>(action.data());
          for (int64_t j = 0; j < as.flat_size(); ++j) {
            const double lo = as.low()[static_cast<size_t>(j)];
            const double hi = as.high()[static_cast<size_t>(j)];
            const double u =
                static_cast<double>(a[j]) + 0.5 * (hi - lo) * o.noise * rng.StandardNormal();
            a[j] = static_cast<float>(std::clamp(u, lo, hi));
          }
        }
      }
      actions.insert(actions.end(), action.begin(), action.end());
      obs.resize(obs.size() + os.byte_size());
      const StepResult r = env->Step(action.data(), obs.data() + obs.size() - os.byte_size());
      rewards.push_back(r.reward);
      term.push_back(r.terminated ? 1 : 0);
      trunc.push_back(r.truncated ? 1 : 0);
      if (r.terminated || r.truncated) break;
      if (static_cast<int64_t>(rewards.size()) >= infinite_guard) {
        throw Error(fmt::format("{}: episode {} ran {} steps without ending; set a TimeLimit",
                                env_id, e, infinite_guard));
      }
    }
    data.AddEpisode(obs, actions, rewards, term, trunc, static_cast<int64_t>(seed));
  }
  io::WriteMinari(data, o.out);
  return data.num_episodes();
}

void PrintDatasetInfo(const std::string& path, std::ostream& out) {
  const io::Dataset d = io::ReadDataset(path);
  const std::vector<double> returns = d.episode_returns();
  double sum = 0.0;
  for (double r : returns) sum += r;
  const auto [lo, hi] = std::minmax_element(returns.begin(), returns.end());
  const auto& m = d.metadata();
  out << fmt::format("dataset    {}\n", m.dataset_id);
  if (!m.env_id.empty()) out << fmt::format("env        {}\n", m.env_id);
  out << fmt::format("episodes   {}\nsteps      {}\n", d.num_episodes(), d.total_steps());
  if (!returns.empty()) {
    out << fmt::format("return     mean {:.3f}, min {:.3f}, max {:.3f}\n",
                       sum / static_cast<double>(returns.size()), *lo, *hi);
  }
  out << fmt::format("observation_space {}\naction_space      {}\n",
                     d.observation_space().ToString(), d.action_space().ToString());
  if (m.ref_min_score && m.ref_max_score) {
    out << fmt::format("ref scores min {} max {} (normalised mean return {:.1f})\n",
                       *m.ref_min_score, *m.ref_max_score,
                       io::NormalizedScore(sum / static_cast<double>(returns.size()),
                                           *m.ref_min_score, *m.ref_max_score));
  }
}

void ExportD4rl(const std::string& path, const std::string& out_file) {
  io::WriteD4rl(io::ReadDataset(path), out_file);
}

}  // namespace bellman::train
