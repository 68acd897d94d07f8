// `bellman collect` and `bellman dataset info|export`: thin wrappers over bellman/train/collect.h.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>

#include "bellman/train/collect.h"
#include "commands.h"

namespace bellman::cli {

void AddDatasetCommands(CLI::App& app) {
  auto o = std::make_shared<train::CollectOptions>();
  CLI::App* collect = app.add_subcommand(
      "collect", "Play a policy in an env and write the episodes as a Minari dataset folder");
  collect->add_option("--env", o->env, "environment id (default: the policy run's)");
  collect->add_option("--policy", o->policy, "random, or a run/checkpoint directory")
      ->capture_default_str();
  collect
      ->add_option("--epsilon", o->epsilon,
                   "probability of a random action instead of the policy's")
      ->capture_default_str();
  collect
      ->add_option("--noise", o->noise,
                   "Box actions: std of Gaussian noise on the policy's action, in [-1, 1] units")
      ->capture_default_str();
  collect->add_option("--episodes", o->episodes, "episodes to play");
  collect->add_option("--steps", o->steps, "play whole episodes until this many steps");
  collect->add_option("--seed", o->seed, "episode i is reset with seed + i")->capture_default_str();
  collect->add_option("--dataset-id", o->dataset_id, "metadata dataset_id");
  collect->add_option("--out", o->out, "dataset folder to create")->required();
  collect->callback([o] {
    const int64_t n = train::Collect(*o);
    fmt::print("wrote {} episodes to {}\n", n, o->out);
  });

  CLI::App* dataset = app.add_subcommand("dataset", "Make, inspect or convert an offline dataset");
  dataset->require_subcommand(1);
  auto m = std::make_shared<train::MakeDatasetOptions>();
  CLI::App* make = dataset->add_subcommand(
      "make", "D4RL's recipes: random, medium, medium-replay, expert, medium-expert; replay");
  make->add_option("--env", m->env,
                   "Pendulum-v1, Hopper-v4, HalfCheetah-v4, MinAtar/Breakout-v1 "
                   "or MinAtar/SpaceInvaders-v1")
      ->required();
  make->add_option("--level", m->level,
                   "random, medium, medium-replay, expert, medium-expert; "
                   "MinAtar: random, replay")
      ->required();
  make->add_option("--out", m->out, "dataset folder to create")->required();
  make->add_option("--seed", m->seed, "root seed of the policies and episodes")
      ->capture_default_str();
  make->add_option("--steps", m->steps, "dataset steps (default: the recipe's)");
  make->add_option("--policies", m->policies,
                   "where the behaviour policies' runs are kept and reused (default "
                   "runs/dataset-make/<env>-seed<seed>)");
  make->callback([m] {
    train::MakeDataset(*m);
    train::PrintDatasetInfo(m->out, std::cout);
  });
  auto path = std::make_shared<std::string>();
  CLI::App* info = dataset->add_subcommand("info", "Episodes, steps, returns and spaces");
  info->add_option("path", *path, "Minari dataset folder or D4RL .hdf5 file")->required();
  info->callback([path] { train::PrintDatasetInfo(*path, std::cout); });
  struct BestOfNOptions {
    std::string dataset, policy, critic, out;
    int n = 0;
  };
  auto b = std::make_shared<BestOfNOptions>();
  CLI::App* bon = dataset->add_subcommand(
      "best-of-n", "Relabel every action with Best-of-N's choice (the distillation data)");
  bon->add_option("path", b->dataset, "Minari dataset folder or D4RL .hdf5 file")->required();
  bon->add_option("--policy", b->policy, "run whose sampled actions are the candidates")
      ->required();
  bon->add_option("--critic", b->critic, "run whose Q ranks them (iql, cql, td3_bc, ...)")
      ->required();
  bon->add_option("--best-of", b->n, "candidates per observation")->required();
  bon->add_option("--out", b->out, "dataset folder to create")->required();
  bon->callback([b] {
    const int64_t steps = train::RelabelBestOfN(b->dataset, b->policy, b->critic, b->n, b->out);
    fmt::print("wrote {} ({} steps relabelled with the best of {})\n", b->out, steps, b->n);
  });
  auto epath = std::make_shared<std::string>();
  auto d4rl = std::make_shared<std::string>();
  CLI::App* exp = dataset->add_subcommand("export", "Write a dataset as D4RL's flat HDF5 file");
  exp->add_option("path", *epath, "Minari dataset folder or D4RL .hdf5 file")->required();
  exp->add_option("--d4rl", *d4rl, "output .hdf5 file")->required();
  exp->callback([epath, d4rl] {
    train::ExportD4rl(*epath, *d4rl);
    fmt::print("wrote {}\n", *d4rl);
  });
}

}  // namespace bellman::cli
