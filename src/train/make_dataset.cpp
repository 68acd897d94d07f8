// `bellman dataset make`: D4RL's dataset recipes (Fu et al. 2020, Sec. 5) at budgets two cores
// can make, reproducible from one seed (docs/offline.md, "Recipes"):
//   random         the action space's uniform sample
//   expert         a policy trained to the end of its preset, playing with Gaussian noise
//   medium         the same training run stopped once its evaluation reaches a third of the way
//                  from random to expert, playing with the same noise
//   medium-replay  every transition that medium run collected while training
//   medium-expert  the medium and expert datasets together
//   replay         (MinAtar) every transition of a DQN run: the DQN-replay datasets' recipe
// The training runs are kept under `policies` and reused by the next level (a finished run has a
// summary.json), so the five levels of one env and seed train the expert once.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bellman/core/error.h"
#include "bellman/core/suggest.h"
#include "bellman/io/dataset.h"
#include "bellman/train/collect.h"
#include "bellman/train/train.h"

namespace bellman::train {

namespace fs = std::filesystem;

namespace {

struct Recipe {
  std::string env;
  std::string algo;       // the behaviour policies' learner
  std::string preset;     // configs/<algo>/<preset>.yaml
  int64_t expert_steps;   // env steps of the expert run
  int64_t eval_freq;      // of the medium run (it stops at the first evaluation past medium)
  int64_t dataset_steps;  // steps of the random / medium / expert datasets
  double noise;           // Gaussian action noise of the behaviour policies ([-1, 1] units)
};

// The budgets these 2-core machines can make (docs/offline.md gives the wall times).
const std::vector<Recipe>& Recipes() {
  static const std::vector<Recipe> recipes = {
      {"Pendulum-v1", "td3", "Pendulum-v1-fast", 20'000, 1'000, 20'000, 0.3},
      {"Hopper-v4", "sac", "Hopper-v4-fast", 300'000, 10'000, 100'000, 0.3},
      {"HalfCheetah-v4", "sac", "HalfCheetah-v4-fast", 300'000, 10'000, 100'000, 0.3},
      {"MinAtar/Breakout-v1", "dqn", "MinAtar/Breakout-v1", 500'000, 0, 0, 0.0},
      {"MinAtar/SpaceInvaders-v1", "dqn", "MinAtar/SpaceInvaders-v1", 500'000, 0, 0, 0.0},
  };
  return recipes;
}

const std::vector<std::string>& Levels() {
  static const std::vector<std::string> levels = {"random", "medium",        "medium-replay",
                                                  "expert", "medium-expert", "replay"};
  return levels;
}

bool IsMinAtar(const std::string& env) { return env.rfind("MinAtar/", 0) == 0; }

bool Finished(const fs::path& run) { return fs::exists(run / "summary.json"); }

TrainResult TrainPolicy(const Recipe& r, int64_t seed, const fs::path& run,
                        std::vector<std::string> overrides, const std::string& record = "") {
  TrainOptions o;
  o.algo = r.algo;
  o.env = r.env;
  o.config_path = PresetPath(r.algo, r.preset);
  o.seed = seed;
  o.run_dir = run.string();
  o.overrides = {"n_timesteps=" + std::to_string(r.expert_steps)};
  o.overrides.insert(o.overrides.end(), overrides.begin(), overrides.end());
  o.record_dataset = record;
  o.verbose = false;
  fmt::print("training {} on {} (seed {}) into {}\n", r.algo, r.env, seed, run.string());
  return Train(o);
}

double FinalEval(const fs::path& run) { return EvaluateCheckpoint(run.string(), 10).mean; }

// Mean return of `episodes` uniformly random episodes (D4RL's random reference score).
double RandomReturn(const Recipe& r, int64_t seed, const fs::path& tmp) {
  CollectOptions c;
  c.env = r.env;
  c.episodes = 20;
  c.seed = seed + 1'000'000;
  c.out = (tmp / "random-reference").string();
  if (!fs::exists(c.out)) Collect(c);
  const io::Dataset d = io::ReadDataset(c.out);
  double sum = 0.0;
  for (double x : d.episode_returns()) sum += x;
  return sum / static_cast<double>(d.num_episodes());
}

void WithReferences(const std::string& path, double ref_min, double ref_max,
                    const std::string& dataset_id, const std::string& out) {
  io::Dataset d = io::ReadDataset(path);
  d.metadata().ref_min_score = ref_min;
  d.metadata().ref_max_score = ref_max;
  d.metadata().dataset_id = dataset_id;
  io::WriteMinari(d, out);
}

}  // namespace

std::string MakeDataset(const MakeDatasetOptions& o) {
  const Recipe* recipe = nullptr;
  std::vector<std::string> envs;
  for (const auto& r : Recipes()) {
    envs.push_back(r.env);
    if (r.env == o.env) recipe = &r;
  }
  if (recipe == nullptr) {
    throw Error(fmt::format("dataset make has no recipe for env '{}'{}; recipes: {}", o.env,
                            DidYouMean(o.env, envs), fmt::join(envs, ", ")));
  }
  const std::vector<std::string>& levels = Levels();
  if (std::find(levels.begin(), levels.end(), o.level) == levels.end()) {
    throw Error(fmt::format("unknown --level '{}'{}; levels: {}", o.level,
                            DidYouMean(o.level, levels), fmt::join(levels, ", ")));
  }
  const bool minatar = IsMinAtar(o.env);
  if (minatar ? (o.level != "replay" && o.level != "random") : o.level == "replay") {
    throw Error(fmt::format("{} has the levels {}", o.env,
                            minatar ? "random, replay"
                                    : "random, medium, medium-replay, expert, "
                                      "medium-expert"));
  }
  if (o.out.empty()) throw Error("--out DIR is required");
  if (fs::exists(o.out) && !fs::is_empty(o.out)) {
    throw Error(fmt::format("--out {} exists; a dataset is never overwritten", o.out));
  }
  std::string id_env = o.env;
  std::replace(id_env.begin(), id_env.end(), '/', '-');
  const std::string dataset_id = fmt::format("bellman/{}-{}-v0", id_env, o.level);
  const fs::path policies = o.policies.empty() ? fs::path("runs") / "dataset-make" /
                                                     fmt::format("{}-seed{}", id_env, o.seed)
                                               : fs::path(o.policies);
  fs::create_directories(policies);
  const int64_t steps = o.steps > 0 ? o.steps : recipe->dataset_steps;
  const Recipe& r = *recipe;

  const double random_return = RandomReturn(r, o.seed, policies);
  // Every level carries D4RL's references, so the expert (MinAtar: the DQN run) comes first.
  auto random_level = [&](double expert_return) {
    CollectOptions c;
    c.env = r.env;
    c.steps = steps > 0 ? steps : 100'000;
    c.seed = o.seed;
    // The step count is part of the cache's name: another --steps collects anew.
    c.out = (policies / fmt::format("random-data-{}", c.steps)).string();
    if (!fs::exists(c.out)) Collect(c);
    WithReferences(c.out, random_return, expert_return, dataset_id, o.out);
    return o.out;
  };
  if (minatar) {
    const fs::path run = policies / "replay-run";
    const fs::path data = policies / "replay-data";
    if (!Finished(run)) {
      fs::remove_all(run);
      fs::remove_all(data);
      // --steps sets the DQN run's length for the replay level: the replay is every step it took.
      std::vector<std::string> overrides = {"checkpoint_freq=0"};
      if (o.steps > 0 && o.level == "replay") {
        overrides.push_back("n_timesteps=" + std::to_string(o.steps));
      }
      TrainPolicy(r, o.seed, run, overrides, data.string());
    }
    const double expert = FinalEval(run);
    if (o.level == "random") return random_level(expert);
    WithReferences(data.string(), random_return, expert, dataset_id, o.out);
    return o.out;
  }

  const fs::path expert_run = policies / "expert";
  if (!Finished(expert_run)) {
    fs::remove_all(expert_run);
    TrainPolicy(r, o.seed, expert_run, {});
  }
  const double expert_return = FinalEval(expert_run);
  if (o.level == "random") return random_level(expert_return);
  // The medium run's stopping point is a fraction of the expert's return.
  const double medium_target = random_return + (expert_return - random_return) / 3.0;
  const fs::path medium_run = policies / "medium";
  const fs::path medium_replay = policies / "medium-replay-data";
  if (!Finished(medium_run)) {
    fs::remove_all(medium_run);
    fs::remove_all(medium_replay);
    TrainPolicy(r, o.seed + 1, medium_run,
                {fmt::format("eval_freq={}", r.eval_freq), "eval_episodes=5",
                 fmt::format("eval_stop_return={}", medium_target)},
                medium_replay.string());
  }
  auto collect = [&](const fs::path& run, const std::string& name) {
    CollectOptions c;
    c.env = r.env;
    c.policy = run.string();
    c.noise = r.noise;
    c.steps = steps;
    c.seed = o.seed + (name == "expert" ? 2'000'000 : 3'000'000);
    c.out = (policies / fmt::format("{}-data-{}", name, steps)).string();
    if (!fs::exists(c.out)) Collect(c);
    return c.out;
  };
  if (o.level == "medium-replay") {
    WithReferences(medium_replay.string(), random_return, expert_return, dataset_id, o.out);
  } else if (o.level == "medium") {
    WithReferences(collect(medium_run, "medium"), random_return, expert_return, dataset_id, o.out);
  } else if (o.level == "expert") {
    WithReferences(collect(expert_run, "expert"), random_return, expert_return, dataset_id, o.out);
  } else {  // medium-expert: D4RL's concatenation of the two
    io::Dataset d = io::ReadDataset(collect(medium_run, "medium"));
    const io::Dataset e = io::ReadDataset(collect(expert_run, "expert"));
    for (int64_t k = 0; k < e.num_episodes(); ++k) {
      const size_t ob = e.obs_bytes(), ab = e.action_bytes();
      const auto first = static_cast<size_t>(e.first_step(k)), t = static_cast<size_t>(e.steps(k));
      d.AddEpisode(std::span(e.observations()).subspan((first + k) * ob, (t + 1) * ob),
                   std::span(e.actions()).subspan(first * ab, t * ab),
                   std::span(e.rewards()).subspan(first, t),
                   std::span(e.terminations()).subspan(first, t),
                   std::span(e.truncations()).subspan(first, t), e.seed(k));
    }
    d.metadata().ref_min_score = random_return;
    d.metadata().ref_max_score = expert_return;
    d.metadata().dataset_id = dataset_id;
    io::WriteMinari(d, o.out);
  }
  return o.out;
}

}  // namespace bellman::train
