// FrozenLake-v1 and FrozenLake8x8-v1: gymnasium/envs/toy_text/frozen_lake.py.
//
// Cross a frozen lake from S to G without falling into a hole H. When slippery, the move taken
// is the intended one with probability success_rate and each perpendicular one with
// (1 - success_rate) / 2; moves into the border leave the agent in place.
#include <fmt/format.h>

#include <algorithm>
#include <random>
#include <utility>

#include "bellman/core/error.h"
#include "bellman/core/rng.h"
#include "bellman/envs/toy_text.h"
#include "envs/toy_text_common.h"

namespace bellman {

namespace {

// Gymnasium's action numbering for FrozenLake.
constexpr int64_t kLeft = 0;
constexpr int64_t kDown = 1;
constexpr int64_t kRight = 2;
constexpr int64_t kUp = 3;
constexpr const char* kActionNames[] = {"Left", "Down", "Right", "Up"};

void CheckDesc(const std::string& id, const std::vector<std::string>& desc) {
  if (desc.empty() || desc[0].empty()) {
    throw Error(fmt::format("{}: desc must be a non-empty list of non-empty rows", id));
  }
  bool has_start = false;
  for (size_t r = 0; r < desc.size(); ++r) {
    if (desc[r].size() != desc[0].size()) {
      throw Error(fmt::format(
          "{}: desc rows must all have the same length; row 0 has {} tiles, row {} ('{}') has {}",
          id, desc[0].size(), r, desc[r], desc[r].size()));
    }
    for (size_t c = 0; c < desc[r].size(); ++c) {
      const char ch = desc[r][c];
      if (ch != 'S' && ch != 'F' && ch != 'H' && ch != 'G') {
        throw Error(fmt::format(
            "{}: desc has tile '{}' at row {}, column {}; expected 'S', 'F', 'H' or 'G'", id, ch, r,
            c));
      }
      has_start = has_start || ch == 'S';
    }
  }
  if (!has_start) {
    throw Error(fmt::format("{}: desc needs at least one start tile 'S'", id));
  }
}

class FrozenLakeEnv final : public toy_text::DiscreteModelEnv {
 public:
  FrozenLakeEnv(EnvSpec spec, std::vector<std::string> desc,
                std::shared_ptr<const TransitionModel> P,
                std::shared_ptr<const std::vector<double>> initial_cdf)
      : DiscreteModelEnv(std::move(spec), std::move(P), std::move(initial_cdf)),
        desc_(std::make_shared<const std::vector<std::string>>(std::move(desc))) {}

  std::unique_ptr<Env> Clone() const override { return std::make_unique<FrozenLakeEnv>(*this); }

  // _render_text (render_mode="ansi"), colour codes included.
  std::string Render() const override {
    const std::vector<std::string>& desc = *desc_;
    const int64_t ncol = static_cast<int64_t>(desc[0].size());
    const int64_t row = s_ / ncol, col = s_ % ncol;
    std::string out = lastaction_ >= 0 ? fmt::format("  ({})\n", kActionNames[lastaction_]) : "\n";
    for (int64_t r = 0; r < static_cast<int64_t>(desc.size()); ++r) {
      for (int64_t c = 0; c < ncol; ++c) {
        if (r == row && c == col) {
          out += fmt::format("\x1b[41m{}\x1b[0m", desc[r][c]);  // colorize(red, highlight)
        } else {
          out += desc[r][c];
        }
      }
      out += '\n';
    }
    return out;
  }

 private:
  std::shared_ptr<const std::vector<std::string>> desc_;
};

}  // namespace

const std::vector<std::string>& FrozenLakeMap(const std::string& map_name) {
  static const std::vector<std::string> k4x4 = {"SFFF", "FHFH", "FFFH", "HFFG"};
  static const std::vector<std::string> k8x8 = {
      "SFFFFFFF", "FFFFFFFF", "FFFHFFFF", "FFFFFHFF",
      "FFFHFFFF", "FHHFFFHF", "FHFFHFHF", "FFFHFFFG",
  };
  if (map_name == "4x4") return k4x4;
  if (map_name == "8x8") return k8x8;
  throw Error(
      fmt::format("FrozenLake: unknown map_name '{}'; expected one of: {} (or None for a "
                  "random 8x8 map)",
                  map_name, fmt::join(FrozenLakeMapNames(), ", ")));
}

std::vector<std::string> FrozenLakeMapNames() { return {"4x4", "8x8"}; }

bool IsValidFrozenLakeMap(const std::vector<std::string>& board, int64_t size) {
  // Depth-first search from (0, 0) through non-hole tiles; reports whether a neighbour of a
  // reached tile is a goal. (Gymnasium's is_valid; the answer does not depend on the order.)
  std::vector<std::pair<int64_t, int64_t>> frontier = {{0, 0}};
  std::vector<char> discovered(static_cast<size_t>(size * size), 0);
  constexpr int64_t kDirs[4][2] = {{1, 0}, {0, 1}, {-1, 0}, {0, -1}};
  while (!frontier.empty()) {
    auto [r, c] = frontier.back();
    frontier.pop_back();
    if (discovered[r * size + c]) continue;
    discovered[r * size + c] = 1;
    for (const auto& d : kDirs) {
      const int64_t rn = r + d[0], cn = c + d[1];
      if (rn < 0 || rn >= size || cn < 0 || cn >= size) continue;
      if (board[rn][cn] == 'G') return true;
      if (board[rn][cn] != 'H') frontier.emplace_back(rn, cn);
    }
  }
  return false;
}

std::vector<std::string> GenerateRandomMap(int64_t size, double p, std::optional<uint64_t> seed) {
  if (size < 2) {
    throw Error(fmt::format(
        "GenerateRandomMap: size must be >= 2 (start and goal need separate tiles), got {}", size));
  }
  if (!(p > 0.0)) {
    throw Error(fmt::format(
        "GenerateRandomMap: p (probability of a frozen tile) must be in (0, 1], got {}", p));
  }
  // seeding.np_random(seed); None draws the seed from OS entropy.
  uint64_t s = 0;
  if (seed) {
    s = *seed;
  } else {
    std::random_device rd;
    s = (static_cast<uint64_t>(rd()) << 32) | rd();
  }
  Rng rng(s);
  p = std::min(1.0, p);
  // Generator.choice(["F", "H"], p=[p, 1 - p]): cdf = cumsum(p); cdf /= cdf[-1]; one
  // random() per tile in row-major order; searchsorted(side="right") picks 'H' when
  // u >= cdf[0] (cdf[1] is exactly 1 after the division and u < 1).
  const double total = p + (1.0 - p);
  const double cdf0 = p / total;
  std::vector<std::string> board(static_cast<size_t>(size), std::string(size, 'F'));
  while (true) {
    for (int64_t r = 0; r < size; ++r) {
      for (int64_t c = 0; c < size; ++c) board[r][c] = rng.Random() >= cdf0 ? 'H' : 'F';
    }
    board[0][0] = 'S';
    board[size - 1][size - 1] = 'G';
    if (IsValidFrozenLakeMap(board, size)) return board;
  }
}

std::unique_ptr<Env> MakeFrozenLake(const FrozenLakeConfig& config, const std::string& id,
                                    int64_t max_episode_steps) {
  // Checked even when desc is given (Gymnasium then ignores map_name): a bad name is a bug.
  if (config.map_name) FrozenLakeMap(*config.map_name);
  std::vector<std::string> desc;
  if (config.desc) {
    desc = *config.desc;
  } else if (config.map_name) {
    desc = FrozenLakeMap(*config.map_name);
  } else {
    desc = GenerateRandomMap();
  }
  CheckDesc(id, desc);
  toy_text::CheckProbability(id, "success_rate", config.success_rate);

  const int64_t nrow = static_cast<int64_t>(desc.size());
  const int64_t ncol = static_cast<int64_t>(desc[0].size());
  const int64_t nS = nrow * ncol;
  constexpr int64_t nA = 4;
  const double success_rate = config.success_rate;
  const double fail_rate = (1.0 - success_rate) / 2.0;
  const auto& reward_schedule = config.reward_schedule;

  auto to_s = [ncol](int64_t row, int64_t col) { return row * ncol + col; };
  auto inc = [nrow, ncol](int64_t row, int64_t col, int64_t a) {
    if (a == kLeft) {
      col = std::max<int64_t>(col - 1, 0);
    } else if (a == kDown) {
      row = std::min(row + 1, nrow - 1);
    } else if (a == kRight) {
      col = std::min(col + 1, ncol - 1);
    } else if (a == kUp) {
      row = std::max<int64_t>(row - 1, 0);
    }
    return std::pair{row, col};
  };
  // update_probability_matrix: reward indexed by the entered tile (G, H, anything else = F).
  auto outcome = [&](double prob, int64_t row, int64_t col, int64_t a) {
    auto [nr, nc] = inc(row, col, a);
    const char letter = desc[nr][nc];
    const bool terminated = letter == 'G' || letter == 'H';
    const double reward = letter == 'G'   ? reward_schedule[0]
                          : letter == 'H' ? reward_schedule[1]
                                          : reward_schedule[2];
    return Transition{prob, to_s(nr, nc), reward, terminated};
  };

  auto P = std::make_shared<TransitionModel>(nS, std::vector<std::vector<Transition>>(nA));
  for (int64_t row = 0; row < nrow; ++row) {
    for (int64_t col = 0; col < ncol; ++col) {
      const int64_t s = to_s(row, col);
      for (int64_t a = 0; a < nA; ++a) {
        std::vector<Transition>& li = (*P)[s][a];
        const char letter = desc[row][col];
        if (letter == 'G' || letter == 'H') {
          li.push_back({1.0, s, 0.0, true});  // absorbing; reward is a literal 0
        } else if (config.is_slippery) {
          for (int64_t b : {(a + 3) % 4, a, (a + 1) % 4}) {
            li.push_back(outcome(b == a ? success_rate : fail_rate, row, col, b));
          }
        } else {
          li.push_back(outcome(1.0, row, col, a));
        }
      }
    }
  }

  // initial_state_distrib: uniform over the 'S' tiles (1.0 / count each), then cumsum.
  std::vector<double> initial(nS, 0.0);
  double count = 0.0;
  for (int64_t s = 0; s < nS; ++s) count += desc[s / ncol][s % ncol] == 'S' ? 1.0 : 0.0;
  for (int64_t s = 0; s < nS; ++s) {
    if (desc[s / ncol][s % ncol] == 'S') initial[s] = 1.0 / count;
  }
  auto cdf = std::make_shared<const std::vector<double>>(toy_text::CumSum(initial));

  EnvSpec spec{id, Space::Discrete(nS), Space::Discrete(nA), max_episode_steps, std::nullopt};
  if (id == "FrozenLake-v1") spec.reward_threshold = 0.70;
  if (id == "FrozenLake8x8-v1") spec.reward_threshold = 0.85;
  return std::make_unique<FrozenLakeEnv>(std::move(spec), std::move(desc), std::move(P),
                                         std::move(cdf));
}

namespace toy_text {

namespace {

std::unique_ptr<Env> MakeFrozenLakeFromArgs(const std::string& id, const EnvArgs& args,
                                            const std::string& default_map,
                                            int64_t max_episode_steps) {
  // desc=None (the default) and map_name=None (a random map) are legal values that
  // GetStringList/GetString would reject: read the kwargs from a copy without them.
  EnvArgs rest = args;
  EnvArgReader probe(id, args);
  const bool random_map = probe.IsNone("map_name");
  if (random_map) rest.erase("map_name");
  if (probe.IsNone("desc")) rest.erase("desc");
  EnvArgReader reader(id, rest);
  FrozenLakeConfig config;
  config.desc = reader.GetStringList("desc");
  const std::string map_name = reader.GetString("map_name", default_map);
  if (random_map) {
    config.map_name = std::nullopt;
  } else {
    config.map_name = map_name;
  }
  config.is_slippery = reader.GetBool("is_slippery", true);
  config.success_rate = reader.GetDouble("success_rate", 1.0 / 3.0);
  reader.Finish();
  return MakeFrozenLake(config, id, max_episode_steps);
}

}  // namespace

void RegisterFrozenLake(std::vector<EnvRegistration>& out) {
  out.push_back({"FrozenLake-v1",
                 [](const EnvArgs& args) {
                   return MakeFrozenLakeFromArgs("FrozenLake-v1", args, "4x4", 100);
                 },
                 ""});
  out.push_back({"FrozenLake8x8-v1",
                 [](const EnvArgs& args) {
                   return MakeFrozenLakeFromArgs("FrozenLake8x8-v1", args, "8x8", 200);
                 },
                 ""});
}

}  // namespace toy_text

}  // namespace bellman
