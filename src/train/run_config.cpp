// Run configuration: key resolution, presets, seed streams (src/train/run_config.h).
#include "train/run_config.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "bellman/algos/algorithm.h"
#include "bellman/core/config.h"
#include "bellman/core/error.h"
#include "bellman/core/suggest.h"
#include "bellman/core/validate.h"
#include "bellman/envs/env_args.h"
#include "bellman/envs/registry.h"

namespace bellman::train {

namespace fs = std::filesystem;

namespace {

constexpr const char* kEnvKwargs = "env_kwargs";

std::vector<std::string> TrainKeys() {
  TrainConfig tc;
  std::vector<std::string> keys;
  auto visit = [&](const char* k, auto&) { keys.emplace_back(k); };
  tc.Fields(visit);
  keys.emplace_back(kEnvKwargs);
  return keys;
}

// The algorithm's top-level keys, from its fully resolved default config.
std::vector<std::string> AlgoKeys(const algos::AlgoRegistration& reg) {
  std::vector<std::string> keys;
  for (const auto& kv : reg.resolve(YAML::Node(YAML::NodeType::Map))) {
    keys.push_back(kv.first.as<std::string>());
  }
  return keys;
}

bool Contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// The one message for a top-level key that is neither the trainer's nor the algorithm's,
// whether it came from a YAML file or from --set.
Error UnknownTopLevelKey(const std::string& key, const std::string& algo,
                         const std::vector<std::string>& train_keys,
                         const std::vector<std::string>& algo_keys) {
  for (const auto& r : algos::AlgoRegistry()) {
    if (r.name == key) {
      return Error(fmt::format(
          "the config has a '{}' section but the algorithm is '{}'; rename the section to "
          "'{}:' or train with --algo {}",
          key, algo, algo, key));
    }
  }
  std::vector<std::string> all = train_keys;
  all.insert(all.end(), algo_keys.begin(), algo_keys.end());
  return Error(fmt::format(
      "unknown config key '{}'{}; trainer keys: {}; {} keys (under '{}:', or --set KEY=VALUE): {}",
      key, DidYouMean(key, all), fmt::join(train_keys, ", "), algo, algo,
      fmt::join(algo_keys, ", ")));
}

fs::path FindConfigsDir() {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("BELLMAN_CONFIGS_DIR")) candidates.emplace_back(env);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(exe.parent_path() / "configs");
    candidates.push_back(exe.parent_path().parent_path() / "configs");
    candidates.push_back(exe.parent_path().parent_path() / "share" / "bellman" / "configs");
  }
  candidates.emplace_back("configs");
#ifdef BELLMAN_SOURCE_DIR
  candidates.push_back(fs::path(BELLMAN_SOURCE_DIR) / "configs");
#endif
  for (const auto& c : candidates) {
    if (fs::is_directory(c / "dqn")) return c;
  }
  throw Error("cannot find the configs/ directory of presets; set BELLMAN_CONFIGS_DIR");
}

}  // namespace

YAML::Node Resolve(YAML::Node root, const std::vector<std::string>& overrides, TrainConfig* out) {
  if (!root || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) throw Error("a run config must be a map of key: value");
  const std::string algo = root["algo"] ? root["algo"].as<std::string>() : "dqn";
  // The algorithm first: an unknown one is named as such, not as an unknown config key.
  const algos::AlgoRegistration& reg = algos::FindAlgo(algo);
  const std::vector<std::string> train_keys = TrainKeys();
  const std::vector<std::string> algo_keys = AlgoKeys(reg);
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    if (key != algo && !Contains(train_keys, key)) {
      throw UnknownTopLevelKey(key, algo, train_keys, algo_keys);
    }
  }
  for (const std::string& o : overrides) {
    const std::string key = o.substr(0, o.find_first_of(".="));
    if (key == algo || Contains(train_keys, key)) {
      ApplyOverride(root, o);
    } else if (Contains(algo_keys, key)) {
      ApplyOverride(root, algo + "." + o);  // "lr=1e-3" is short for "dqn.lr=1e-3"
    } else {
      throw UnknownTopLevelKey(key, algo, train_keys, algo_keys);
    }
  }
  YAML::Node trainer_node(YAML::NodeType::Map);
  YAML::Node algo_node;
  YAML::Node env_kwargs_node;
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    if (key == algo) {
      algo_node = kv.second;
    } else if (key == kEnvKwargs) {
      env_kwargs_node = kv.second;
    } else {
      trainer_node[key] = kv.second;
    }
  }
  TrainConfig tc = LoadConfig<TrainConfig>(trainer_node);
  tc.env_kwargs = EnvArgsFromYaml(env_kwargs_node, kEnvKwargs);
  if (tc.env_kwargs.count("max_episode_steps")) {
    throw Error(
        "env_kwargs.max_episode_steps: set the trainer key max_episode_steps instead (it "
        "limits the training and the evaluation envs alike)");
  }
  tc.Validate();
  YAML::Node resolved = DumpConfig(tc);
  resolved[kEnvKwargs] = EnvArgsToYaml(tc.env_kwargs);
  resolved[tc.algo] = reg.resolve(algo_node ? algo_node : YAML::Node(YAML::NodeType::Map));
  if (out) *out = tc;
  return resolved;
}

std::string ToYaml(const YAML::Node& node) {
  YAML::Emitter emitter;
  emitter.SetDoublePrecision(17);
  emitter << node;
  return std::string(emitter.c_str()) + "\n";
}

EnvArgs RunEnvArgs(const TrainConfig& tc) {
  EnvArgs args = tc.env_kwargs;
  if (tc.max_episode_steps >= 0) args["max_episode_steps"] = tc.max_episode_steps;
  return args;
}

void CheckEnvId(const std::string& id) {
  if (FindEnv(id)) return;
  throw Error(fmt::format("unknown environment id '{}'{}; `bellman envs` lists them", id,
                          DidYouMean(id, EnvIds())));
}

std::string Timestamp() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  return fmt::format("{:%Y%m%d-%H%M%S}", tm);
}

Streams MakeStreams(int64_t seed) {
  Rng root(static_cast<uint64_t>(seed));
  // Spawn children are numbered (SeedSequence.spawn): children 0-4 are the same as with
  // Spawn(5), so adding child 5 changed no training stream.
  std::vector<Rng> kids = root.Spawn(6);
  Streams s{.env_seed = static_cast<uint64_t>(kids[0].Integers(0, int64_t{1} << 31)),
            .eval_seed = static_cast<uint64_t>(kids[4].Integers(0, int64_t{1} << 31)),
            .final_eval_seed = static_cast<uint64_t>(kids[5].Integers(0, int64_t{1} << 31)),
            .sampler = kids[1],
            .explore = kids[2],
            .net = kids[3]};
  return s;
}

void TrainConfig::Validate() const {
  Require(n_timesteps >= 1, "n_timesteps must be >= 1, got {}", n_timesteps);
  Require(num_envs >= 1, "num_envs must be >= 1, got {}", num_envs);
  Require(eval_freq >= 0, "eval_freq must be >= 0, got {}", eval_freq);
  Require(eval_episodes >= 1, "eval_episodes must be >= 1, got {}", eval_episodes);
  Require(final_eval_episodes >= 1, "final_eval_episodes must be >= 1, got {}",
          final_eval_episodes);
  Require(log_interval >= 1, "log_interval must be >= 1, got {}", log_interval);
  Require(checkpoint_freq >= 0, "checkpoint_freq must be >= 0, got {}", checkpoint_freq);
  Require(keep_checkpoints >= 0, "keep_checkpoints must be >= 0, got {}", keep_checkpoints);
  Require(torch_threads >= 1, "torch_threads must be >= 1, got {}", torch_threads);
  Require(seed >= 0, "seed must be >= 0, got {}", seed);
  Require(max_episode_steps >= -1,
          "max_episode_steps must be -1 (the env's own), 0 (none) or > 0, got {}",
          max_episode_steps);
  dist.Validate();
}

void DistConfig::Validate() const {
  Require(mode == "data_parallel" || mode == "apex",
          "dist.mode must be data_parallel or apex, got '{}'", mode);
  Require(actors >= 0, "dist.actors must be >= 0, got {}", actors);
  Require(learners >= 0, "dist.learners must be >= 0, got {}", learners);
  Require(param_sync_interval >= 1, "dist.param_sync_interval must be >= 1, got {}",
          param_sync_interval);
  Require(timeout_s > 0.0 && std::isfinite(timeout_s),
          "dist.timeout_s must be a finite number > 0, got {}", timeout_s);
  Require(check_interval >= 0, "dist.check_interval must be >= 0, got {}", check_interval);
  Require(block_steps >= 1, "dist.block_steps must be >= 1, got {}", block_steps);
}

void DistConfig::CheckLayout(int world_size) const {
  if (mode == "data_parallel") {
    Require(actors == 0,
            "dist.actors is {}, but dist.mode data_parallel has no actor ranks (every rank "
            "collects and learns); set dist.mode: apex or dist.actors: 0",
            actors);
    Require(learners == 0 || learners == world_size,
            "dist.learners is {} but the run has {} ranks; in data_parallel mode every rank "
            "learns (dist.learners: 0 or {})",
            learners, world_size, world_size);
    return;
  }
  // apex: rank 0 learns, ranks 1..world_size-1 act.
  Require(world_size >= 2,
          "dist.mode apex needs a learner and at least one actor: 2 or more "
          "ranks, got {}",
          world_size);
  Require(actors == 0 || actors == world_size - 1,
          "dist.actors is {} but the run has {} ranks: one learner (rank 0) and {} actor(s) "
          "(dist.actors: 0 or {})",
          actors, world_size, world_size - 1, world_size - 1);
  Require(learners == 0 || learners == 1,
          "dist.learners is {}; dist.mode apex has one learner (rank 0; dist.learners: 0 or 1)",
          learners);
}

std::string PresetPath(const std::string& algo, const std::string& env) {
  algos::FindAlgo(algo);  // an unknown algorithm is named before any preset lookup
  const fs::path dir = FindConfigsDir();
  fs::path path = dir / algo / (env + ".yaml");
  // A family preset (configs/<algo>/MinAtar.yaml) serves every id of the family
  // ("MinAtar/<Game>-v1") that has no preset of its own.
  if (const size_t slash = env.find('/'); !fs::exists(path) && slash != std::string::npos) {
    const fs::path family = dir / algo / (env.substr(0, slash) + ".yaml");
    if (fs::exists(family)) path = family;
  }
  if (!fs::exists(path)) {
    // `env` may name a preset variant ("CartPole-v1-fast") rather than an env id, so the id is
    // checked only once no preset file matched: a typo in the env is then named as such.
    CheckEnvId(env);
    std::vector<std::string> presets;
    if (fs::is_directory(dir / algo)) {
      for (const auto& e : fs::directory_iterator(dir / algo)) {
        presets.push_back(e.path().stem().string());
      }
    }
    std::sort(presets.begin(), presets.end());
    throw Error(
        fmt::format("no preset {} for algo '{}' and env '{}'; {} presets: {} (or pass "
                    "--config FILE)",
                    path.string(), algo, env, algo, fmt::join(presets, ", ")));
  }
  return path.string();
}

}  // namespace bellman::train
