// MinAtar's Environment + Gymnasium wrapper (minatar/environment.py, minatar/gym.py): sticky
// actions, action sets, the shared legacy generator, and the registration of the ids.
#include "bellman/envs/minatar.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "bellman/core/error.h"
#include "bellman/envs/registry.h"
#include "envs/families.h"
#include "envs/minatar_game.h"

namespace bellman {

namespace {

using minatar::Game;

struct GameInfo {
  const char* module;  // MinAtar's module name
  const char* title;   // the id's name
  std::unique_ptr<Game> (*make)(bool ramping);
};

constexpr GameInfo kGames[] = {
    {"asterix", "Asterix", minatar::MakeAsterix},
    {"breakout", "Breakout", minatar::MakeBreakout},
    {"freeway", "Freeway", minatar::MakeFreeway},
    {"seaquest", "Seaquest", minatar::MakeSeaquest},
    {"space_invaders", "SpaceInvaders", minatar::MakeSpaceInvaders},
};

const GameInfo& FindGame(const std::string& game) {
  for (const GameInfo& g : kGames) {
    if (game == g.module) return g;
  }
  throw Error(fmt::format(
      "unknown MinAtar game '{}'; expected asterix, breakout, freeway, seaquest or space_invaders",
      game));
}

// The generator layout in GetState: position, then the 624 key words.
constexpr size_t kHeader = 2 + LegacyRandomState::kStateLen;

class MinAtarEnv : public Env {
 public:
  MinAtarEnv(EnvSpec spec, std::unique_ptr<Game> game, const MinAtarOptions& options,
             std::vector<int> action_set, std::string module)
      : Env(std::move(spec)),
        game_(std::move(game)),
        sticky_action_prob_(options.sticky_action_prob),
        action_set_(std::move(action_set)),
        module_(std::move(module)) {}

  std::vector<double> GetState() const override {
    std::vector<double> s;
    s.reserve(kHeader + 64);
    s.push_back(last_action_);
    const Mt19937State st = Generator().state();
    s.push_back(st.pos);
    for (uint32_t w : st.key) s.push_back(w);
    game_->GetState(s);
    return s;
  }

  void SetState(std::span<const double> state) override {
    minatar::StateReader r(module_, state.first(std::min(state.size(), kHeader)));
    const int last_action = static_cast<int>(r.Int(0, minatar::kNumActions - 1, "last_action"));
    Mt19937State st;
    st.pos = static_cast<int>(r.Int(0, LegacyRandomState::kStateLen, "generator position"));
    for (uint32_t& w : st.key) w = static_cast<uint32_t>(r.Int(0, UINT32_MAX, "generator word"));
    r.Finish();
    std::unique_ptr<Game> game = game_->Clone();
    game->SetState(state.subspan(kHeader));
    // Nothing changes unless the whole state was valid.
    game_ = std::move(game);
    last_action_ = last_action;
    if (!rng_) rng_.emplace(0);
    rng_->set_state(st);
    MarkRunning();
  }

  std::unique_ptr<Env> Clone() const override {
    return std::unique_ptr<MinAtarEnv>(new MinAtarEnv(*this));
  }

  std::string Render() const override {
    const int c = game_->channels();
    std::vector<uint8_t> obs(static_cast<size_t>(100 * c), 0);
    game_->State(obs.data());
    const std::string chars = game_->channel_chars();
    std::string out;
    out.reserve(11 * 12 + 1);
    out += "+----------+\n";
    for (int y = 0; y < minatar::kGrid; ++y) {
      out += '|';
      for (int x = 0; x < minatar::kGrid; ++x) {
        char ch = ' ';
        for (int k = 0; k < c; ++k) {
          if (obs[static_cast<size_t>((y * minatar::kGrid + x) * c + k)]) ch = chars[k];
        }
        out += ch;
      }
      out += "|\n";
    }
    out += "+----------+\n";
    return out;
  }

 protected:
  MinAtarEnv(const MinAtarEnv& o)
      : Env(o),
        game_(o.game_->Clone()),
        rng_(o.rng_),
        sticky_action_prob_(o.sticky_action_prob_),
        action_set_(o.action_set_),
        module_(o.module_),
        last_action_(o.last_action_) {}

  void OnSeed(uint64_t seed) override {
    if (seed > UINT32_MAX) {
      throw Error(fmt::format(
          "{}: seed {} is out of range: MinAtar seeds NumPy's RandomState, which takes seeds in "
          "[0, 2**32 - 1]",
          spec().id, seed));
    }
    rng_.emplace(static_cast<int64_t>(seed));
  }

  void DoReset(void* obs) override {
    game_->Reset(Generator());
    WriteObs(obs);
  }

  StepResult DoStep(const void* action, void* obs) override {
    int a = action_set_[static_cast<size_t>(*static_cast<const int64_t*>(action))];
    // Environment.act: the sticky-action draw comes first, whatever the probability.
    if (Generator().Rand() < sticky_action_prob_) a = last_action_;
    last_action_ = a;
    const minatar::ActResult r = game_->Act(a, Generator());
    WriteObs(obs);
    return StepResult{static_cast<double>(r.reward), r.terminal, false};
  }

 private:
  LegacyRandomState& Generator() {
    if (!rng_) {
      // np.random.RandomState() with no seed: entropy (NumPy seeds from the OS).
      std::random_device rd;
      rng_.emplace(static_cast<int64_t>(rd()));
    }
    return *rng_;
  }
  const LegacyRandomState& Generator() const { return const_cast<MinAtarEnv*>(this)->Generator(); }

  void WriteObs(void* obs) const {
    auto* o = static_cast<uint8_t*>(obs);
    std::memset(o, 0, static_cast<size_t>(100 * game_->channels()));
    game_->State(o);
  }

  std::unique_ptr<Game> game_;
  // mutable: GetState on a never-seeded env seeds it from entropy, as any first draw would.
  mutable std::optional<LegacyRandomState> rng_;
  double sticky_action_prob_;
  std::vector<int> action_set_;
  std::string module_;
  int last_action_ = 0;
};

std::unique_ptr<Env> Make(const GameInfo& info, const std::string& id,
                          const MinAtarOptions& options) {
  if (!(options.sticky_action_prob >= 0.0 && options.sticky_action_prob <= 1.0)) {
    throw Error(fmt::format("{}: sticky_action_prob must be a probability in [0, 1], got {}", id,
                            options.sticky_action_prob));
  }
  std::unique_ptr<Game> game = info.make(options.difficulty_ramping);
  std::vector<int> action_set;
  if (options.use_minimal_action_set) {
    action_set = game->minimal_action_set();
  } else {
    for (int a = 0; a < minatar::kNumActions; ++a) action_set.push_back(a);
  }
  EnvSpec spec{
      id, Space::Box(0.0, 1.0, {minatar::kGrid, minatar::kGrid, game->channels()}, DType::kUint8),
      Space::Discrete(static_cast<int64_t>(action_set.size())), 0, std::nullopt};
  return std::make_unique<MinAtarEnv>(std::move(spec), std::move(game), options,
                                      std::move(action_set), info.module);
}

}  // namespace

const std::vector<std::string>& MinAtarGames() {
  static const std::vector<std::string> games = [] {
    std::vector<std::string> g;
    for (const GameInfo& info : kGames) g.push_back(info.module);
    return g;
  }();
  return games;
}

std::unique_ptr<Env> MakeMinAtar(const std::string& game, const MinAtarOptions& options) {
  const GameInfo& info = FindGame(game);
  return Make(info,
              fmt::format("MinAtar/{}-v{}", info.title, options.use_minimal_action_set ? 1 : 0),
              options);
}

void RegisterMinAtar(std::vector<EnvRegistration>& out) {
  for (const GameInfo& info : kGames) {
    // MinAtar's gym.py: -v0 uses the full action set, -v1 the minimal one.
    for (int version = 0; version < 2; ++version) {
      std::string id = fmt::format("MinAtar/{}-v{}", info.title, version);
      out.push_back(EnvRegistration{
          id,
          [&info, id, version](const EnvArgs& args) {
            EnvArgReader reader(id, args);
            MinAtarOptions o;
            o.sticky_action_prob = reader.GetDouble("sticky_action_prob", 0.1);
            o.difficulty_ramping = reader.GetBool("difficulty_ramping", true);
            o.use_minimal_action_set = reader.GetBool("use_minimal_action_set", version == 1);
            reader.Finish();
            return Make(info, id, o);
          },
          ""});
    }
  }
}

}  // namespace bellman
