// AlphaZero self-play on tic-tac-toe: the bar of issue 14 ("never loses to a perfect player"),
// judged in every line of the perfect player's optimal moves, as first and second player.
#include "bellman/train/alphazero.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "bellman/core/error.h"
#include "bellman/envs/registry.h"

namespace bellman::train {
namespace alphazero_test {

TEST(AlphaZero, TicTacToeNeverLosesToAPerfectPlayer) {
  AlphaZeroConfig c;  // the defaults: 40 iterations x 100 games, 50 simulations per move
  c.seed = 12;        // tuned on seeds 1, 3, 5, 6, 11; 12-17 all pass (docs/planning.md)
  const VersusPerfectResult before =
      PlayPerfectPlayer(MakeAlphaZeroAgent(c), c.env_id, c.env_args, 50);
  const AlphaZeroAgent agent = TrainAlphaZero(c, nullptr);
  const VersusPerfectResult after = PlayPerfectPlayer(agent, c.env_id, c.env_args, 50);
  std::printf("untrained: %lld lines, %lld losses; trained: %lld lines, %lld losses\n",
              static_cast<long long>(before.lines), static_cast<long long>(before.losses),
              static_cast<long long>(after.lines), static_cast<long long>(after.losses));
  EXPECT_GT(before.losses, 0);  // the same search on the untrained network loses
  EXPECT_EQ(after.losses, 0);
  EXPECT_EQ(after.wins, 0);  // tic-tac-toe is a draw: a perfect player cannot be beaten
  EXPECT_GT(after.lines, 50);
}

TEST(AlphaZero, SaveLoadAndErrors) {
  AlphaZeroConfig c;
  c.iterations = 1;
  c.games_per_iteration = 2;
  c.train_steps_per_iteration = 2;
  c.batch_size = 4;
  c.seed = 3;
  const AlphaZeroAgent trained = TrainAlphaZero(c, nullptr);
  const std::string path =
      (std::filesystem::temp_directory_path() / "bellman_alphazero_test.pt").string();
  trained.Save(path);
  AlphaZeroAgent loaded = MakeAlphaZeroAgent(c);
  std::unique_ptr<Env> env = MakeEnv("TicTacToe-v0");
  std::vector<float> obs(18);
  env->Reset(0, obs.data());
  const planning::MctsEvaluation a = trained.Evaluate(*env, obs.data());
  EXPECT_NE(loaded.Evaluate(*env, obs.data()).value, a.value);  // different weights before
  loaded.Load(path);
  const planning::MctsEvaluation b = loaded.Evaluate(*env, obs.data());
  EXPECT_EQ(b.value, a.value);
  EXPECT_EQ(b.prior, a.prior);
  std::filesystem::remove(path);
  EXPECT_THROW(loaded.Load(path), Error);
  c.env_id = "CartPole-v1";
  EXPECT_THROW(MakeAlphaZeroAgent(c), Error);  // not a turn-based game
  c = AlphaZeroConfig{};
  c.value_target_search_weight = 2.0;
  EXPECT_THROW(MakeAlphaZeroAgent(c), Error);
}

}  // namespace alphazero_test
}  // namespace bellman::train
