// Replays MinAtar reference trajectories (tests/data/minatar_<game>_ref.json, recorded from
// MinAtar's Python source by tests/data/gen_minatar_<game>.py; format in minatar_record.py).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bellman/envs/registry.h"

namespace bellman::minatar_test {

using json = nlohmann::json;

inline json LoadReference(const std::string& game) {
  std::ifstream in(std::string(BELLMAN_TEST_DATA_DIR) + "/minatar_" + game + "_ref.json");
  EXPECT_TRUE(in.good()) << "missing tests/data/minatar_" << game << "_ref.json";
  return in.good() ? json::parse(in) : json();
}

inline uint32_t Digest(const std::vector<uint8_t>& obs) {
  uint32_t h = 0x811C9DC5u;
  for (uint8_t b : obs) h = (h ^ b) * 0x01000193u;
  return h;
}

inline std::vector<int64_t> Cells(const std::vector<uint8_t>& obs) {
  std::vector<int64_t> out;
  for (size_t i = 0; i < obs.size(); ++i) {
    if (obs[i]) out.push_back(static_cast<int64_t>(i));
  }
  return out;
}

inline std::string IdOf(const std::string& game) {
  std::string title;
  bool up = true;
  for (char c : game) {
    if (c == '_') {
      up = true;
      continue;
    }
    title += up ? static_cast<char>(c - 'a' + 'A') : c;
    up = false;
  }
  return "MinAtar/" + title + "-v0";
}

inline std::unique_ptr<Env> MakeFor(const json& traj) {
  EnvArgs args{{"sticky_action_prob", traj["sticky_action_prob"].get<double>()},
               {"difficulty_ramping", traj["difficulty_ramping"].get<bool>()},
               {"use_minimal_action_set", traj["use_minimal_action_set"].get<bool>()}};
  return MakeEnv(IdOf(traj["game"].get<std::string>()), args);
}

// Replays one trajectory; at step `handoff` (if >= 0) the state moves to a fresh env through
// GetState/SetState, which must continue identically. Returns the number of steps that matched.
inline size_t Replay(const json& traj, int64_t handoff = -1) {
  std::unique_ptr<Env> env = MakeFor(traj);
  const std::string what = traj["game"].get<std::string>() + " seed " +
                           std::to_string(traj["seed"].get<int64_t>()) + " (" +
                           traj["note"].get<std::string>() + ")";
  std::vector<uint8_t> obs(static_cast<size_t>(env->observation_space().flat_size()));
  env->Reset(traj["seed"].get<uint64_t>(), obs.data());
  EXPECT_EQ(Digest(obs), traj["reset_digest"].get<uint32_t>()) << what << ": reset observation";
  const json& full = traj["full_obs"];
  if (!full.empty()) {
    EXPECT_EQ(Cells(obs), full[0].get<std::vector<int64_t>>()) << what;
  }
  size_t i = 0;
  for (const json& step : traj["steps"]) {
    if (static_cast<int64_t>(i) == handoff) {
      std::unique_ptr<Env> fresh = MakeFor(traj);
      fresh->SetState(env->GetState());
      EXPECT_EQ(fresh->GetState(), env->GetState()) << what << ": SetState round trip";
      env = std::move(fresh);
    }
    const int64_t a = step[0].get<int64_t>();
    const StepResult r = env->Step(&a, obs.data());
    const std::string at = what + ", step " + std::to_string(i) + ", action " + std::to_string(a);
    if (i + 1 < full.size()) {
      EXPECT_EQ(Cells(obs), full[i + 1].get<std::vector<int64_t>>()) << at << "\n" << env->Render();
    }
    EXPECT_EQ(r.reward, step[1].get<double>()) << at;
    EXPECT_EQ(r.terminated, step[2].get<int>() != 0) << at;
    EXPECT_FALSE(r.truncated) << at;
    EXPECT_EQ(Digest(obs), step[3].get<uint32_t>()) << at << "\n" << env->Render();
    if (::testing::Test::HasFailure()) return i;
    if (r.terminated) {
      env->Reset(std::nullopt, obs.data());
      EXPECT_EQ(Digest(obs), step[4].get<uint32_t>()) << at << ": reset after terminal";
    }
    ++i;
  }
  return i;
}

// Every trajectory of a game, each also with a GetState/SetState hand-off in its middle.
inline void ReplayAll(const std::string& game) {
  const json ref = LoadReference(game);
  ASSERT_FALSE(ref.is_null());
  // An empty or truncated reference file must fail, not pass with nothing compared.
  ASSERT_TRUE(ref.contains("trajectories") && ref["trajectories"].is_array())
      << game << ": the reference file has no trajectories array";
  ASSERT_GE(ref["trajectories"].size(), 1u) << game << ": the reference file has no trajectories";
  size_t total = 0;
  for (const json& traj : ref["trajectories"]) {
    const size_t n = traj["steps"].size();
    ASSERT_GE(n, 1u) << game << ": a reference trajectory has no steps";
    total += n;
    ASSERT_EQ(Replay(traj), n);
    ASSERT_EQ(Replay(traj, static_cast<int64_t>(n / 2)), n);
  }
  EXPECT_GE(total, 100u) << game << ": too few reference steps to say the dynamics match";
}

}  // namespace bellman::minatar_test
