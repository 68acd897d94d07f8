// Datasets: Minari folders and D4RL files round-trip exactly, and bad files are clear errors
// naming the file and the field.
#include "bellman/io/dataset.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>

#include "bellman/core/error.h"
#include "bellman/io/atomic_file.h"

namespace bellman::io {
namespace {
namespace fs = std::filesystem;

fs::path TempDir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / fmt::format("bellman-ds-{}-{}", name, ::getpid());
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

template <typename T>
std::span<const std::byte> Bytes(const std::vector<T>& v) {
  return std::as_bytes(std::span(v));
}

// Two CartPole-shaped episodes: 3 steps ending in a termination, 2 steps truncated.
Dataset CartPoleLike() {
  DatasetMetadata m;
  m.dataset_id = "cartpole/test-v0";
  m.env_spec_json = R"({"id": "CartPole-v1", "max_episode_steps": 500})";
  m.ref_min_score = 9.0;
  m.ref_max_score = 500.0;
  m.author = "bellman tests";
  const float inf = std::numeric_limits<float>::infinity();
  Dataset d(Space::Box({-4.8, -inf, -0.42, -inf}, {4.8, inf, 0.42, inf}, {4}), Space::Discrete(2),
            m);
  std::vector<float> obs;
  for (int i = 0; i < 16; ++i) obs.push_back(0.01f * static_cast<float>(i));
  d.AddEpisode(Bytes(obs), Bytes(std::vector<int64_t>{0, 1, 1}), std::vector<double>{1, 1, 1},
               std::vector<uint8_t>{0, 0, 1}, std::vector<uint8_t>{0, 0, 0}, 42);
  obs.resize(12);
  d.AddEpisode(Bytes(obs), Bytes(std::vector<int64_t>{1, 0}), std::vector<double>{1, 0.5},
               std::vector<uint8_t>{0, 0}, std::vector<uint8_t>{0, 1});
  return d;
}

void ExpectSame(const Dataset& a, const Dataset& b) {
  EXPECT_EQ(a.num_episodes(), b.num_episodes());
  EXPECT_EQ(a.total_steps(), b.total_steps());
  EXPECT_EQ(a.observations(), b.observations());
  EXPECT_EQ(a.actions(), b.actions());
  EXPECT_EQ(a.rewards(), b.rewards());
  EXPECT_EQ(a.terminations(), b.terminations());
  EXPECT_EQ(a.truncations(), b.truncations());
  EXPECT_EQ(a.observation_space().ToString(), b.observation_space().ToString());
  EXPECT_EQ(a.action_space().ToString(), b.action_space().ToString());
}

TEST(Dataset, MinariFolderRoundTrips) {
  const fs::path dir = TempDir("minari") / "cartpole";
  const Dataset d = CartPoleLike();
  WriteMinari(d, dir);
  EXPECT_TRUE(fs::exists(dir / "data" / "main_data.hdf5"));
  const auto meta = nlohmann::json::parse(ReadFile(dir / "data" / "metadata.json"));
  EXPECT_EQ(meta.at("total_episodes"), 2);
  EXPECT_EQ(meta.at("total_steps"), 5);
  EXPECT_EQ(meta.at("data_format"), "hdf5");
  EXPECT_EQ(meta.at("dataset_id"), "cartpole/test-v0");
  EXPECT_EQ(meta.at("minari_version"), "0.5.3");
  // Minari's space JSON: float32 bounds widened to double, Python json's Infinity tokens.
  EXPECT_EQ(meta.at("observation_space").get<std::string>(),
            R"({"type":"Box","dtype":"float32","shape":[4],"low":[-4.800000190734863,-Infinity,)"
            R"(-0.41999998688697815,-Infinity],"high":[4.800000190734863,Infinity,)"
            R"(0.41999998688697815,Infinity]})");
  const Dataset r = ReadDataset(dir);
  ExpectSame(d, r);
  EXPECT_EQ(r.seed(0), std::optional<int64_t>(42));
  EXPECT_EQ(r.seed(1), std::nullopt);
  EXPECT_EQ(r.metadata().env_id, "CartPole-v1");
  EXPECT_EQ(r.metadata().max_episode_steps, 500);
  EXPECT_EQ(r.metadata().ref_max_score, std::optional<double>(500.0));
  EXPECT_EQ(r.episode_returns(), (std::vector<double>{3.0, 1.5}));
  // The next observation of the last step of episode 0 is its final row (row 3), and episode 1
  // starts at row 4.
  EXPECT_EQ(r.obs_row_of_step(3), r.observations().data() + 4 * 16);
  // Writing over an existing dataset is refused and leaves it intact.
  EXPECT_THROW(WriteMinari(d, dir), Error);
  ExpectSame(d, ReadDataset(dir));
}

TEST(Dataset, D4rlFileRoundTripsEpisodes) {
  const fs::path file = TempDir("d4rl") / "cartpole.hdf5";
  const Dataset d = CartPoleLike();
  WriteD4rl(d, file);
  const Dataset r = ReadDataset(file, d.observation_space(), d.action_space());
  ExpectSame(d, r);
}

TEST(Dataset, UInt8BoxAndFloatActionsRoundTrip) {
  const fs::path dir = TempDir("minatar") / "breakout";
  DatasetMetadata m;
  m.dataset_id = "minatar/breakout-test-v0";
  Dataset d(Space::Box(0, 1, {10, 10, 4}, DType::kUint8), Space::Box(-2, 2, {1}), m);
  std::vector<uint8_t> obs(3 * 400, 0);
  obs[5] = 1;
  obs[800 + 399] = 1;
  d.AddEpisode(Bytes(obs), Bytes(std::vector<float>{-2.0f, 1.5f}), std::vector<double>{0, 1},
               std::vector<uint8_t>{0, 1}, std::vector<uint8_t>{0, 0});
  WriteMinari(d, dir);
  ExpectSame(d, ReadDataset(dir));
}

TEST(Dataset, BadEpisodesNameTheField) {
  Dataset d = CartPoleLike();
  std::vector<float> obs(16, 0.0f);
  auto expect_error = [&](const std::vector<float>& o, const std::vector<int64_t>& a,
                          const std::vector<double>& r, const std::string& needle) {
    try {
      d.AddEpisode(Bytes(o), Bytes(a), r, std::vector<uint8_t>(r.size(), 0),
                   std::vector<uint8_t>(r.size(), 0));
      ADD_FAILURE() << "no error for " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error(obs, {0, 1, 2}, {1, 1, 1}, "action 2 at row 2 is outside Discrete(2)");
  expect_error(std::vector<float>(12, 0.0f), {0, 1, 1}, {1, 1, 1},
               "observations has 3 rows of Box");
  std::vector<float> nan_obs = obs;
  nan_obs[6] = std::nanf("");
  expect_error(nan_obs, {0, 1, 1}, {1, 1, 1}, "observations has NaN/Inf at row 1, element 2");
  expect_error(obs, {0, 1, 1}, {1, std::numeric_limits<double>::infinity(), 1},
               "rewards has NaN/Inf at row 1");
  EXPECT_EQ(d.num_episodes(), 2);  // nothing was added
}

TEST(Dataset, BadFilesNameTheFileAndField) {
  const fs::path root = TempDir("bad");
  const Dataset d = CartPoleLike();
  WriteMinari(d, root / "ok");
  auto expect_error = [](const fs::path& p, const std::string& needle) {
    try {
      ReadDataset(p);
      ADD_FAILURE() << "no error for " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  // A truncated HDF5 file.
  fs::copy(root / "ok", root / "truncated", fs::copy_options::recursive);
  const fs::path h5 = root / "truncated" / "data" / "main_data.hdf5";
  fs::resize_file(h5, fs::file_size(h5) / 2);
  expect_error(root / "truncated", "main_data.hdf5");
  // metadata.json with another data format, missing fields, or not JSON.
  auto with_meta = [&](const std::string& name, const std::function<void(nlohmann::json&)>& edit) {
    fs::copy(root / "ok", root / name, fs::copy_options::recursive);
    auto meta = nlohmann::json::parse(ReadFile(root / name / "data" / "metadata.json"));
    edit(meta);
    std::ofstream(root / name / "data" / "metadata.json") << meta.dump();
    return root / name;
  };
  expect_error(with_meta("arrow", [](auto& m) { m["data_format"] = "arrow"; }),
               "data_format 'arrow' is not supported");
  expect_error(with_meta("version", [](auto& m) { m["minari_version"] = ">=0.4.0"; }),
               "minari_version '>=0.4.0' is not a dataset version");
  expect_error(with_meta("nospace", [](auto& m) { m.erase("action_space"); }),
               "missing field 'action_space'");
  expect_error(with_meta("steps", [](auto& m) { m["total_steps"] = 7; }),
               "total_steps is 7, the episodes in");
  // A space that does not fit the stored columns: actions outside Discrete(1).
  expect_error(with_meta("space",
                         [](auto& m) {
                           m["action_space"] =
                               R"({"type": "Discrete", "dtype": "int64", "start": 0, "n": 1})";
                         }),
               "action 1 at row 1 is outside Discrete(1)");
  expect_error(
      with_meta(
          "obs",
          [](auto& m) {
            m["observation_space"] =
                R"({"type": "Box", "dtype": "float32", "shape": [3], "low": [0, 0, 0], "high": [1, 1, 1]})";
          }),
      "field 'episode_0/observations' has shape (4, 4), expected (4, 3)");
  expect_error(root / "nothing-here", "nothing-here' does not exist");
  fs::create_directories(root / "empty");
  expect_error(root / "empty", "is not a Minari dataset folder");
  std::ofstream(root / "plain.hdf5") << "not hdf5";
  expect_error(root / "plain.hdf5", "is not an HDF5 file");
}

TEST(Dataset, NormalizedScoreIsD4rls) {
  EXPECT_DOUBLE_EQ(NormalizedScore(500.0, 9.0, 500.0), 100.0);
  EXPECT_DOUBLE_EQ(NormalizedScore(9.0, 9.0, 500.0), 0.0);
  EXPECT_DOUBLE_EQ(NormalizedScore(254.5, 9.0, 500.0), 50.0);
}

}  // namespace
}  // namespace bellman::io
