// Private: the interface between the MinAtar wrapper (minatar.cpp: sticky actions, action sets,
// seeding, the Env protocol) and one game (minatar_<game>.cpp: MinAtar's environments/<game>.py).
#pragma once

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bellman/core/error.h"
#include "bellman/core/legacy_random.h"

namespace bellman::minatar {

// MinAtar's action_map: ['n','l','u','r','d','f'].
enum Action : int { kNoop = 0, kLeft = 1, kUp = 2, kRight = 3, kDown = 4, kFire = 5 };
constexpr int kNumActions = 6;
constexpr int kGrid = 10;

struct ActResult {
  int reward = 0;
  bool terminal = false;
};

// One game: the reference Env class. The generator is the one the wrapper owns (MinAtar's
// Environment shares one RandomState between the wrapper and the game).
class Game {
 public:
  virtual ~Game() = default;
  virtual std::unique_ptr<Game> Clone() const = 0;
  // Env.reset().
  virtual void Reset(LegacyRandomState& rng) = 0;
  // Env.act(a) for a full action id 0..5.
  virtual ActResult Act(int a, LegacyRandomState& rng) = 0;
  // Env.state(): writes the 10x10xC array (row-major y, x, channel) into obs, which holds
  // 100 * channels() zero bytes on entry.
  virtual void State(uint8_t* obs) const = 0;
  virtual int channels() const = 0;
  // Env.minimal_action_set(), as full action ids.
  virtual std::vector<int> minimal_action_set() const = 0;
  // One character per channel for the text render; where channels overlap the highest channel
  // index wins, as in MinAtar's display_state.
  virtual std::string channel_chars() const = 0;
  // Every variable of the game (the ones reset() and act() read), as doubles. SetState gets
  // exactly such a vector and throws bellman::Error naming a bad value.
  virtual void GetState(std::vector<double>& out) const = 0;
  virtual void SetState(std::span<const double> state) = 0;
};

std::unique_ptr<Game> MakeAsterix(bool ramping);
std::unique_ptr<Game> MakeBreakout(bool ramping);
std::unique_ptr<Game> MakeFreeway(bool ramping);
std::unique_ptr<Game> MakeSeaquest(bool ramping);
std::unique_ptr<Game> MakeSpaceInvaders(bool ramping);

// Writes and reads a game's flat state vector with range checks.
class StateReader {
 public:
  StateReader(std::string game, std::span<const double> s) : game_(std::move(game)), s_(s) {}
  // The next value as an integer in [lo, hi].
  int64_t Int(int64_t lo, int64_t hi, const char* what) {
    if (i_ >= s_.size()) {
      throw Error(fmt::format("MinAtar {}: SetState: the state vector ends before {} (index {})",
                              game_, what, i_));
    }
    const double v = s_[i_];
    if (!(v >= static_cast<double>(lo) && v <= static_cast<double>(hi)) || std::floor(v) != v) {
      throw Error(
          fmt::format("MinAtar {}: SetState: {} (state[{}]) must be an integer in [{}, {}], got {}",
                      game_, what, i_, lo, hi, v));
    }
    ++i_;
    return static_cast<int64_t>(v);
  }
  bool Bool(const char* what) { return Int(0, 1, what) != 0; }
  // Throws unless every value was read.
  void Finish() const {
    if (i_ != s_.size()) {
      throw Error(fmt::format("MinAtar {}: SetState: {} values left over after the state ({} read)",
                              game_, s_.size() - i_, i_));
    }
  }

 private:
  std::string game_;
  std::span<const double> s_;
  size_t i_ = 0;
};

}  // namespace bellman::minatar
