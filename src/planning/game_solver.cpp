// Exact negamax of small turn-based games (bellman/planning/game_solver.h).
#include "bellman/planning/game_solver.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "bellman/core/error.h"

namespace bellman::planning {

namespace {

std::string Key(const TurnBasedGame& game) {
  const std::vector<double> s = game.GetState();
  std::string key(s.size() * sizeof(double), '\0');
  std::memcpy(key.data(), s.data(), key.size());
  return key;
}

}  // namespace

std::vector<int> GameSolver::ActionValues(const TurnBasedGame& game) {
  if (game.needs_reset()) {
    throw Error(
        fmt::format("{}: the game is over or not started; nothing to solve", game.spec().id));
  }
  const std::vector<uint8_t> legal = game.LegalMask();
  std::vector<int> values(legal.size(), kIllegal);
  std::vector<std::byte> obs(game.observation_space().byte_size());
  for (size_t a = 0; a < legal.size(); ++a) {
    if (!legal[a]) continue;
    std::unique_ptr<Env> child = game.Clone();
    const int64_t action = static_cast<int64_t>(a);
    const StepResult r = child->Step(&action, obs.data());
    const auto& next = static_cast<const TurnBasedGame&>(*child);
    const int v = r.terminated ? 0 : Solve(next);
    values[a] = static_cast<int>(r.reward) + (next.to_play() == game.to_play() ? v : -v);
  }
  return values;
}

int GameSolver::Solve(const TurnBasedGame& game) {
  const std::string key = Key(game);
  if (auto it = memo_.find(key); it != memo_.end()) return it->second;
  if (static_cast<int64_t>(memo_.size()) >= max_positions_) {
    throw Error(fmt::format("{}: more than {} positions; too big to solve exactly", game.spec().id,
                            max_positions_));
  }
  const std::vector<int> values = ActionValues(game);
  const int best = *std::max_element(values.begin(), values.end());
  memo_.emplace(key, static_cast<int8_t>(best));
  return best;
}

int GameSolver::Value(const TurnBasedGame& game) {
  if (game.needs_reset()) {
    throw Error(
        fmt::format("{}: the game is over or not started; nothing to solve", game.spec().id));
  }
  return Solve(game);
}

std::vector<int64_t> GameSolver::BestActions(const TurnBasedGame& game) {
  const std::vector<int> values = ActionValues(game);
  const int best = *std::max_element(values.begin(), values.end());
  std::vector<int64_t> out;
  for (size_t a = 0; a < values.size(); ++a)
    if (values[a] == best) out.push_back(static_cast<int64_t>(a));
  return out;
}

}  // namespace bellman::planning
