// `bellman muzero`: MuZero on a learned model (train/muzero.h): self-play with latent MCTS,
// K-step unrolled training with reanalysed values, then an evaluation with the search.
#include <fmt/format.h>

#include <cstdio>

#include "bellman/envs/env_args.h"
#include "bellman/train/muzero.h"
#include "commands.h"

namespace bellman::cli {

namespace {

struct MuZeroOptions {
  train::MuZeroConfig config;
  std::vector<std::string> env_args;
  std::string out, load, export_json;
  int64_t eval_simulations = 0;  // 0: the training search's
  uint64_t eval_seed = 1'000'000;
};

void RunMuZero(MuZeroOptions o) {
  train::MuZeroConfig& c = o.config;
  c.env_args = ParseEnvArgs(o.env_args);
  train::MuZeroAgent agent = train::MakeMuZeroAgent(c);
  if (!o.load.empty()) {
    agent.Load(o.load);
    fmt::print("loaded {}\n", o.load);
  } else {
    agent = train::TrainMuZero(c, [](const train::MuZeroProgress& p) {
      fmt::print(
          "env steps {:>7}: {:>5} episodes, {:>6} updates, return (last 10) {:>7.1f}, losses "
          "value {:.4f} reward {:.4f} policy {:.4f}, {:.1f} s\n",
          p.env_steps, p.episodes, p.updates, p.recent_return, p.value_loss, p.reward_loss,
          p.policy_loss, p.seconds);
      std::fflush(stdout);
    });
  }
  if (!o.out.empty()) {
    agent.Save(o.out);
    fmt::print("saved the networks to {}\n", o.out);
  }
  if (!o.export_json.empty()) {
    agent.ExportJson(o.export_json);
    fmt::print("exported the networks as JSON to {}\n", o.export_json);
  }
  if (c.eval_episodes > 0) {
    const int64_t sims = o.eval_simulations > 0 ? o.eval_simulations : c.mcts.num_simulations;
    const double ret =
        train::EvaluateMuZero(agent, c.env_id, c.env_args, c.eval_episodes, o.eval_seed, sims);
    fmt::print(
        "evaluation: mean return {:.1f} over {} episodes (env seeds {}..), {} simulations, "
        "no root noise, most visited action\n",
        ret, c.eval_episodes, o.eval_seed, sims);
  }
}

}  // namespace

void AddMuZeroCommand(CLI::App& app) {
  auto o = std::make_shared<MuZeroOptions>();
  CLI::App* cmd =
      app.add_subcommand("muzero", "MuZero: MCTS on a learned model (Discrete actions)");
  train::MuZeroConfig& c = o->config;
  cmd->add_option(
         "--env", c.env_id,
         "env id (Discrete actions, or Box actions: Sampled MuZero; float or uint8 observations)")
      ->capture_default_str();
  cmd->add_option("--env-arg", o->env_args, "env keyword argument key=value (repeatable)");
  cmd->add_option("--steps", c.total_env_steps, "env steps of self-play (Box actions: 50000)")
      ->capture_default_str();
  cmd->add_option("--warmup", c.warmup_steps, "env steps before the first update")
      ->capture_default_str();
  cmd->add_option("--updates-per-step", c.updates_per_env_step,
                  "training steps per env step (Box actions: 1)")
      ->capture_default_str();
  cmd->add_option("--batch", c.batch_size, "unrolls per training step")->capture_default_str();
  cmd->add_option("--unroll", c.num_unroll_steps, "K, unrolled model steps")->capture_default_str();
  cmd->add_option("--td-steps", c.td_steps, "n of the n-step value target")->capture_default_str();
  cmd->add_option("--gamma", c.gamma, "discount, training targets and search (Box actions: 0.99)")
      ->capture_default_str();
  cmd->add_option("--lr", c.learning_rate, "Adam learning rate")->capture_default_str();
  cmd->add_option("--final-lr-fraction", c.final_lr_fraction,
                  "learning rate at the end, as a fraction of --lr (linear decay)")
      ->capture_default_str();
  cmd->add_option("--latent", c.latent_size, "hidden state size")->capture_default_str();
  cmd->add_option("--hidden", c.hidden_sizes, "hidden layer sizes of each network")
      ->capture_default_str();
  cmd->add_option("--value-loss-weight", c.value_loss_weight,
                  "weight of the value loss (0: 0.25, or 1 with --simulator)")
      ->capture_default_str();
  cmd->add_option("--value-support", c.value_support,
                  "value bins -S..S over h(v) (Box actions: 40)")
      ->capture_default_str();
  cmd->add_option("--simulations", c.mcts.num_simulations, "MCTS simulations per step")
      ->capture_default_str();
  cmd->add_option("--leaf-batch", c.mcts.leaf_batch, "leaves per model call in the search")
      ->capture_default_str();
  cmd->add_flag("!--no-reanalyse", c.reanalyse,
                "bootstrap values from the stored search values instead of the newest network");
  cmd->add_option("--sampled-actions", c.num_sampled_actions,
                  "Sampled MuZero (Box actions): actions sampled per node")
      ->capture_default_str();
  cmd->add_flag("--simulator", c.simulator,
                "AlphaZero on the env's true simulator: search env clones, no learned dynamics");
  cmd->add_flag("!--no-temperature-schedule", c.temperature_schedule,
                "act with visit-count temperature 1 throughout");
  cmd->add_option("--seed", c.seed, "seed")->capture_default_str();
  cmd->add_option("--log-every", c.log_every, "env steps between progress lines")
      ->capture_default_str();
  cmd->add_option("--eval-episodes", c.eval_episodes, "evaluation episodes at the end (0: none)")
      ->capture_default_str();
  cmd->add_option("--eval-simulations", o->eval_simulations,
                  "simulations in the evaluation (default: --simulations)");
  cmd->add_option("--eval-seed", o->eval_seed, "env seed of the first evaluation episode")
      ->capture_default_str();
  cmd->add_option("--out", o->out, "save the trained networks");
  cmd->add_option("--load", o->load, "load saved networks instead of training");
  cmd->add_option("--export-json", o->export_json,
                  "write every weight as JSON (bench/mcts_python.py reads it)");
  cmd->callback([o, cmd] {
    // Per-env defaults (train::MuZeroConfigFor) for what the command line did not set.
    train::MuZeroConfig& c = o->config;
    const train::MuZeroConfig base = train::MuZeroConfigFor(c.env_id, ParseEnvArgs(o->env_args));
    if (cmd->count("--gamma") == 0) c.gamma = base.gamma;
    if (cmd->count("--value-support") == 0) c.value_support = base.value_support;
    if (cmd->count("--steps") == 0) c.total_env_steps = base.total_env_steps;
    if (cmd->count("--updates-per-step") == 0) c.updates_per_env_step = base.updates_per_env_step;
    c.mcts.gamma = c.gamma;
    RunMuZero(*o);
  });
}

}  // namespace bellman::cli
