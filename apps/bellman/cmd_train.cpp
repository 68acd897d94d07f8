// `bellman train`, `bellman eval`, `bellman enjoy`: thin wrappers over bellman/train/train.h
// (torch-free header, so this file compiles without libtorch's headers).
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bellman/core/error.h"
#include "bellman/dist/gloo.h"
#include "bellman/dist/store.h"
#include "bellman/envs/env_args.h"
#include "bellman/train/train.h"
#include "commands.h"

namespace bellman::cli {

namespace {

struct EvalOptions {
  std::string checkpoint;
  std::vector<std::string> env_args;
  int episodes = 10;
  std::optional<uint64_t> seed;
  std::string critic;  // eval --critic: Best-of-N's ranking run
  int best_of = 0;     // eval --best-of N (0: the greedy policy)
};

}  // namespace

void AddTrainCommands(CLI::App& app) {
  auto o = std::make_shared<train::TrainOptions>();
  auto seed = std::make_shared<std::optional<int64_t>>();
  auto no_progress = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "train", "Train an agent; writes runs/<algo>-<env>-<seed>-<time>/ with checkpoints");
  cmd->add_option("--algo", o->algo, "algorithm id (default: the config's algo, else dqn)");
  cmd->add_option("--env", o->env, "environment id (default: the config's env, else CartPole-v1)");
  cmd->add_option("--env-arg", o->env_args,
                  "env keyword argument key=value (repeatable), recorded as env_kwargs in "
                  "config.yaml");
  cmd->add_option("--config", o->config_path,
                  "YAML config (default: the preset configs/<algo>/<env>.yaml)");
  cmd->add_option("--seed", *seed, "root seed (default: the config's)");
  cmd->add_option("--dataset", o->dataset,
                  "learn offline from this Minari dataset folder or D4RL .hdf5 file; the env "
                  "only evaluates (n_timesteps counts gradient steps)");
  cmd->add_option("--record-dataset", o->record_dataset,
                  "write every transition this online run collects to this new Minari dataset "
                  "folder when it ends (D4RL's medium-replay, DQN-replay)");
  cmd->add_option("--set", o->overrides,
                  "override a config key, e.g. --set dqn.lr=1e-3 --set n_timesteps=20000 "
                  "(repeatable; keys without a section go to the algorithm's)");
  cmd->add_option("--run-dir", o->run_dir,
                  "run directory (default: runs/<algo>-<env>-<seed>-<time>)");
  cmd->add_option("--resume", o->resume, "continue the run in DIR from its latest checkpoint");
  cmd->add_flag("--no-progress", *no_progress, "no progress bar");
  cmd->callback([o, seed, no_progress] {
    train::TrainOptions options = *o;
    options.seed = *seed;
    options.progress = !*no_progress;
    // One rank of a multi-process run (bellman launch, torchrun): rank 0 reports.
    if (const auto world = dist::WorldFromEnvironment(); world && world->world_size > 1) {
      options.rank = world->rank;
      options.world_size = world->world_size;
      options.join_group = [w = *world](double timeout_s) -> std::unique_ptr<Collective> {
        return std::make_unique<dist::GlooCollective>(w, timeout_s);
      };
      options.open_store = [w = *world](bool serve, double timeout_s) {
        return dist::OpenStore(w, serve, timeout_s);
      };
      if (world->rank != 0) options.progress = options.verbose = false;
    }
    train::Train(options);
  });

  auto e = std::make_shared<EvalOptions>();
  CLI::App* eval = app.add_subcommand("eval", "Evaluate a checkpoint's greedy policy");
  eval->add_option("--checkpoint", e->checkpoint, "run directory or checkpoint directory")
      ->required();
  eval->add_option("--episodes", e->episodes, "episodes")->capture_default_str();
  eval->add_option("--seed", e->seed, "env seed of the first episode (default: the run's)");
  eval->add_option("--env-arg", e->env_args,
                   "env keyword argument key=value on top of the run's (repeatable)");
  eval->add_option("--critic", e->critic,
                   "with --best-of: the run whose Q ranks the candidates (iql, cql, td3_bc, ...)");
  eval->add_option("--best-of", e->best_of,
                   "play the best of N actions sampled from the checkpoint's policy, ranked by "
                   "--critic's Q (Best-of-N / V-GPS)");
  eval->callback([e] {
    if (e->critic.empty() != (e->best_of == 0)) {
      throw Error(
          fmt::format("--critic and --best-of go together (got --critic '{}', --best-of {})",
                      e->critic, e->best_of));
    }
    train::EvalResult r =
        e->best_of > 0 ? train::EvaluateBestOfN(e->checkpoint, e->critic, e->best_of, e->episodes,
                                                e->seed, ParseEnvArgs(e->env_args))
                       : train::EvaluateCheckpoint(e->checkpoint, e->episodes, e->seed,
                                                   ParseEnvArgs(e->env_args));
    fmt::print("{} episodes: return {:.2f} +/- {:.2f} (min {:.1f}, max {:.1f})\n", r.returns.size(),
               r.mean, r.std, *std::min_element(r.returns.begin(), r.returns.end()),
               *std::max_element(r.returns.begin(), r.returns.end()));
  });

  auto j = std::make_shared<EvalOptions>();
  j->episodes = 1;
  CLI::App* enjoy = app.add_subcommand("enjoy", "Play a checkpoint's greedy policy as text");
  enjoy->add_option("--checkpoint", j->checkpoint, "run directory or checkpoint directory")
      ->required();
  enjoy->add_option("--episodes", j->episodes, "episodes")->capture_default_str();
  enjoy->add_option("--seed", j->seed, "env seed of the first episode (default: the run's)");
  enjoy->add_option("--env-arg", j->env_args,
                    "env keyword argument key=value on top of the run's (repeatable)");
  enjoy->callback([j] {
    train::Enjoy(j->checkpoint, j->episodes, std::cout, j->seed, ParseEnvArgs(j->env_args));
  });
}

}  // namespace bellman::cli
