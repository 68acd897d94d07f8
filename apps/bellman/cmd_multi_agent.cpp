// `bellman multiagent`: DQN learners on a multi-agent env (train/multi_agent_dqn.h): one per
// agent or one shared, with self-play checkpoints and a pool of past selves as opponents.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>

#include "bellman/envs/env_args.h"
#include "bellman/train/multi_agent_dqn.h"
#include "commands.h"

namespace bellman::cli {

namespace {

struct MultiAgentOptions {
  train::MultiAgentDqnConfig config;
  std::vector<std::string> env_args;
  int64_t log_every = 5'000;
  int64_t eval_episodes = 20;
};

void RunMultiAgent(MultiAgentOptions o) {
  o.config.env_args = ParseEnvArgs(o.env_args);
  const train::MultiAgentDqnResult r = train::TrainMultiAgentDqn(
      o.config,
      [](const train::MultiAgentDqnProgress& p) {
        fmt::print(
            "step {:>7}: {:>6} episodes, {:>7} updates, return per agent (last 20) "
            "{:.2f}, {:.1f} s\n",
            p.steps, p.episodes, p.updates, fmt::join(p.recent_return, " / "), p.seconds);
        std::fflush(stdout);
      },
      o.log_every, o.eval_episodes);
  fmt::print("greedy play, every learner acting ({} episodes): return per agent {:.2f}\n",
             o.eval_episodes, fmt::join(r.greedy_return, " / "));
  fmt::print("greedy agent 0 against random agents: return per agent {:.2f}\n",
             fmt::join(r.versus_random_return, " / "));
  if (r.pool_size > 0) {
    fmt::print("self-play pool: {} checkpoints of learner 0", r.pool_size);
    if (!r.checkpoints.empty())
      fmt::print(", {} files under {}/selfplay", r.checkpoints.size(), o.config.run_dir);
    fmt::print("\n");
  }
}

}  // namespace

void AddMultiAgentCommand(CLI::App& app) {
  auto o = std::make_shared<MultiAgentOptions>();
  CLI::App* cmd = app.add_subcommand(
      "multiagent", "DQN learners on a multi-agent env: independent or shared, self-play pool");
  train::MultiAgentDqnConfig& c = o->config;
  cmd->add_option("--env", c.env_id,
                  "CoinGame-v0 | IteratedPrisonersDilemma-v0 | MatrixGame-v0 | Soccer-v0")
      ->capture_default_str();
  cmd->add_option("--env-arg", o->env_args, "env keyword argument key=value (repeatable)");
  cmd->add_option("--learners", c.learners, "independent (one per agent) | shared")
      ->capture_default_str();
  cmd->add_option("--opponents", c.opponents,
                  "learners | pool (the other seats play past checkpoints; shared only)")
      ->capture_default_str();
  cmd->add_option("--steps", c.steps, "joint env steps")->capture_default_str();
  cmd->add_option("--gamma", c.gamma, "discount")->capture_default_str();
  cmd->add_option("--lr", c.learning_rate, "Adam learning rate")->capture_default_str();
  cmd->add_option("--hidden", c.hidden_sizes, "hidden layer sizes")->capture_default_str();
  cmd->add_option("--exploration-fraction", c.exploration_fraction,
                  "fraction of the steps over which epsilon decays to its end value")
      ->capture_default_str();
  cmd->add_option("--checkpoint-every", c.checkpoint_every,
                  "steps between self-play checkpoints (0: none)")
      ->capture_default_str();
  cmd->add_option("--run-dir", c.run_dir, "write the checkpoints under <dir>/selfplay");
  cmd->add_option("--seed", c.seed, "seed")->capture_default_str();
  cmd->add_option("--log-every", o->log_every, "steps between progress lines")
      ->capture_default_str();
  cmd->add_option("--eval-episodes", o->eval_episodes, "greedy evaluation episodes")
      ->capture_default_str();
  cmd->callback([o] { RunMultiAgent(*o); });
}

}  // namespace bellman::cli
