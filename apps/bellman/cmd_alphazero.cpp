// `bellman alphazero`: AlphaZero self-play on a turn-based game (train/alphazero.h), then the
// trained search against a perfect player in every line (planning/game_solver.h).
#include <fmt/format.h>

#include "bellman/core/error.h"
#include "bellman/envs/env_args.h"
#include "bellman/train/alphazero.h"
#include "commands.h"

namespace bellman::cli {

namespace {

struct AlphaZeroOptions {
  train::AlphaZeroConfig config;
  std::vector<std::string> env_args;
  std::string out;
  std::string load;
  int64_t eval_simulations = 0;  // 0: the training search's
  bool baseline = false;
  bool no_eval = false;
};

void PrintVersus(const char* who, const train::VersusPerfectResult& r, int64_t sims) {
  fmt::print(
      "{} ({} simulations) against a perfect player, every line of its optimal moves, "
      "as first and second player: {} lines, {} wins, {} draws, {} losses\n",
      who, sims, r.lines, r.wins, r.draws, r.losses);
}

void RunAlphaZero(AlphaZeroOptions o) {
  o.config.env_args = ParseEnvArgs(o.env_args);
  const int64_t sims = o.eval_simulations > 0 ? o.eval_simulations : o.config.mcts.num_simulations;
  if (o.baseline && !o.no_eval) {
    const train::AlphaZeroAgent untrained = train::MakeAlphaZeroAgent(o.config);
    PrintVersus("untrained network + search",
                train::PlayPerfectPlayer(untrained, o.config.env_id, o.config.env_args, sims),
                sims);
  }
  train::AlphaZeroAgent agent = train::MakeAlphaZeroAgent(o.config);
  if (!o.load.empty()) {
    agent.Load(o.load);
    fmt::print("loaded {}\n", o.load);
  } else {
    agent = train::TrainAlphaZero(o.config, [](const train::AlphaZeroProgress& p) {
      fmt::print(
          "iteration {:>3}: {:>5} games, {:>6} positions, value loss {:.4f}, policy "
          "loss {:.4f}, this iteration X/O/draw {}/{}/{}, {:.1f} s\n",
          p.iteration, p.games, p.positions, p.value_loss, p.policy_loss, p.first_player_wins,
          p.second_player_wins, p.draws, p.seconds);
      std::fflush(stdout);
    });
  }
  if (!o.out.empty()) {
    agent.Save(o.out);
    fmt::print("saved the network to {}\n", o.out);
  }
  if (!o.no_eval) {
    PrintVersus("trained network + search",
                train::PlayPerfectPlayer(agent, o.config.env_id, o.config.env_args, sims), sims);
  }
}

}  // namespace

void AddAlphaZeroCommand(CLI::App& app) {
  auto o = std::make_shared<AlphaZeroOptions>();
  CLI::App* cmd = app.add_subcommand(
      "alphazero", "AlphaZero self-play on a turn-based game, judged against a perfect player");
  train::AlphaZeroConfig& c = o->config;
  cmd->add_option("--env", c.env_id, "TicTacToe-v0 | ConnectFour-v0")->capture_default_str();
  cmd->add_option("--env-arg", o->env_args, "env keyword argument key=value (repeatable)");
  cmd->add_option("--iterations", c.iterations, "self-play + training iterations")
      ->capture_default_str();
  cmd->add_option("--games", c.games_per_iteration, "self-play games per iteration")
      ->capture_default_str();
  cmd->add_option("--train-steps", c.train_steps_per_iteration, "gradient steps per iteration")
      ->capture_default_str();
  cmd->add_option("--simulations", c.mcts.num_simulations, "MCTS simulations per move")
      ->capture_default_str();
  cmd->add_option("--eval-simulations", o->eval_simulations,
                  "simulations against the perfect player (default: --simulations)");
  cmd->add_option("--seed", c.seed, "seed")->capture_default_str();
  cmd->add_option("--temperature-moves", c.temperature_moves,
                  "moves sampled by visit counts at the start of each game")
      ->capture_default_str();
  cmd->add_option("--buffer", c.buffer_size, "positions kept for training")->capture_default_str();
  cmd->add_option("--lr", c.learning_rate, "Adam learning rate")->capture_default_str();
  cmd->add_option("--search-value-weight", c.value_target_search_weight,
                  "value target (1 - w) z + w v_root")
      ->capture_default_str();
  cmd->add_option("--out", o->out, "save the trained network (torch::save)");
  cmd->add_option("--load", o->load, "load a saved network instead of training");
  cmd->add_flag("--baseline", o->baseline, "also judge the untrained network with the same search");
  cmd->add_flag("--no-eval", o->no_eval, "skip the perfect-player judgement");
  cmd->add_flag("!--no-symmetries", c.augment_symmetries, "train without board symmetries");
  cmd->callback([o] { RunAlphaZero(*o); });
}

}  // namespace bellman::cli
