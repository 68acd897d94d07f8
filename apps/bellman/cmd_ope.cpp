// `bellman ope`: off-policy estimates of a trained policy's return from a dataset, next to its
// true return from rollouts. A thin wrapper over bellman/train/ope.h (docs/ope.md).
#include <iostream>
#include <memory>
#include <string>

#include "bellman/train/ope.h"
#include "commands.h"

namespace bellman::cli {

void AddOpeCommand(CLI::App& app) {
  auto o = std::make_shared<train::OpeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "ope",
      "Off-policy evaluation: FQE, per-decision IS, weighted IS and doubly robust estimates of a "
      "policy's discounted return from a dataset, with bootstrap intervals, against the true "
      "return from rollouts");
  cmd->add_option("--env", o->env, "environment id (default: the policy run's)");
  cmd->add_option("--dataset", o->dataset, "Minari dataset folder or D4RL .hdf5 file")->required();
  cmd->add_option("--policy", o->policy,
                  "evaluation policy: a run or checkpoint directory (its greedy policy)")
      ->required();
  cmd->add_option("--epsilon", o->epsilon,
                  "evaluate the epsilon-greedy policy around it (Discrete actions)")
      ->capture_default_str();
  cmd->add_option("--behavior", o->behavior,
                  "the policy that collected the dataset, for pdis/wis/dr: random or a run "
                  "directory");
  cmd->add_option("--behavior-epsilon", o->behavior_epsilon,
                  "the behavior run's epsilon (bellman collect --epsilon)")
      ->capture_default_str();
  cmd->add_option("--methods", o->methods,
                  "comma-separated subset of fqe,pdis,wis,dr (default: fqe, and pdis,wis,dr "
                  "with --behavior)")
      ->delimiter(',');
  cmd->add_option("--gamma", o->config.gamma, "discount of the estimated return")
      ->capture_default_str();
  cmd->add_option("--bootstrap", o->config.bootstrap, "bootstrap resamples of the episodes")
      ->capture_default_str();
  cmd->add_option("--rollouts", o->rollouts,
                  "episodes of the policy that measure its true return (env i seeded seed + i)")
      ->capture_default_str();
  cmd->add_option("--fqe-steps", o->config.fqe_steps, "FQE gradient steps")->capture_default_str();
  cmd->add_option("--fqe-target-interval", o->config.fqe_target_interval,
                  "FQE gradient steps per iteration (target network refresh)")
      ->capture_default_str();
  cmd->add_option("--fqe-lr", o->config.fqe_lr, "FQE Adam learning rate")->capture_default_str();
  cmd->add_option("--fqe-batch-size", o->config.fqe_batch_size, "FQE minibatch size")
      ->capture_default_str();
  cmd->add_option("--fqe-hidden", o->config.fqe_hidden, "FQE hidden layer sizes, e.g. 64,64")
      ->delimiter(',');
  cmd->add_option("--fqe-refits", o->config.fqe_refits,
                  "FQE interval from this many refits on resampled episodes (0: resample the "
                  "initial states of one fit, which ignores the fitting variance)")
      ->capture_default_str();
  cmd->add_option("--seed", o->config.seed,
                  "seed of FQE, the resamples, the policy's draws and the rollout envs")
      ->capture_default_str();
  cmd->add_option("--json", o->json, "also write the report as JSON to this file");
  cmd->callback([o] { train::RunOpe(*o, std::cout); });
}

}  // namespace bellman::cli
