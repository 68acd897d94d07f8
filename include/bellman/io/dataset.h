// Offline datasets: episodes of (observation, action, reward, termination, truncation) in memory,
// and the two on-disk formats users already have (docs/offline.md):
//   - Minari's dataset folder: metadata.json beside data/main_data.hdf5, one HDF5 group
//     episode_<i> per episode (observations has T+1 rows, the final observation included);
//   - D4RL's flat HDF5 file: observations, actions, rewards, terminals, timeouts (and
//     next_observations), one row per transition.
// Both go through the HDF5 C library. Writing is atomic (a temporary folder or file renamed into
// place), so a crash or a full disk never leaves a half-written dataset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bellman/core/space.h"

namespace bellman::io {

// metadata.json's fields that bellman reads and writes (Minari's names).
struct DatasetMetadata {
  std::string dataset_id;     // "<namespace>/<name>-v<N>" or "<name>-v<N>"
  std::string env_id;         // the Gymnasium id of env_spec ("" when the dataset has no env_spec)
  std::string env_spec_json;  // Gymnasium's EnvSpec.to_json(), kept as written
  int64_t max_episode_steps = 0;
  std::optional<double> ref_min_score, ref_max_score;  // D4RL normalisation (random, expert)
  std::string algorithm_name;
  std::string author, author_email, code_permalink, description;
  std::string minari_version;  // the Minari dataset version the file claims ("0.5.3")
  bool jpeg_encoding = false;  // Minari's JPEG image columns (not read: an error if used)
};

// A dataset held as columns over all episodes, episode after episode. Episode i has
// steps(i) transitions; its observations are steps(i) + 1 rows (the last is the final
// observation, after a termination or a truncation), its other columns steps(i) rows.
class Dataset {
 public:
  Dataset(Space observation_space, Space action_space, DatasetMetadata metadata = {});

  // Appends one episode. obs: (T + 1) rows in the observation dtype; actions: T rows (int64 for
  // Discrete, float32 for Box); rewards, terminations, truncations: T values. Throws
  // bellman::Error (naming the episode and field) on a length mismatch, an action outside the
  // space, or a NaN/Inf value.
  void AddEpisode(std::span<const std::byte> obs, std::span<const std::byte> actions,
                  std::span<const double> rewards, std::span<const uint8_t> terminations,
                  std::span<const uint8_t> truncations, std::optional<int64_t> seed = {});

  int64_t num_episodes() const { return static_cast<int64_t>(steps_.size()); }
  int64_t total_steps() const { return static_cast<int64_t>(rewards_.size()); }
  int64_t steps(int64_t episode) const { return steps_.at(static_cast<size_t>(episode)); }
  // First transition row of episode i (observation rows: + i, one final row per episode).
  int64_t first_step(int64_t episode) const { return first_.at(static_cast<size_t>(episode)); }
  std::optional<int64_t> seed(int64_t episode) const { return seeds_.at(episode); }
  // Undiscounted return of each episode.
  std::vector<double> episode_returns() const;

  const Space& observation_space() const { return observation_space_; }
  const Space& action_space() const { return action_space_; }
  const DatasetMetadata& metadata() const { return metadata_; }
  DatasetMetadata& metadata() { return metadata_; }

  // Columns: observations total_steps() + num_episodes() rows; the rest total_steps() rows.
  const std::vector<std::byte>& observations() const { return obs_; }
  const std::vector<std::byte>& actions() const { return actions_; }
  const std::vector<double>& rewards() const { return rewards_; }
  const std::vector<uint8_t>& terminations() const { return terminations_; }
  const std::vector<uint8_t>& truncations() const { return truncations_; }
  // Observation row of transition t (its next observation is the row after it).
  const std::byte* obs_row_of_step(int64_t step) const;
  size_t action_bytes() const { return action_space_.byte_size(); }
  size_t obs_bytes() const { return observation_space_.byte_size(); }

 private:
  Space observation_space_, action_space_;
  DatasetMetadata metadata_;
  std::vector<std::byte> obs_, actions_;
  std::vector<double> rewards_;
  std::vector<uint8_t> terminations_, truncations_;
  std::vector<int64_t> steps_, first_;
  std::vector<std::optional<int64_t>> seeds_;
};

// Minari's folder: `dir`/metadata.json and `dir`/data/main_data.hdf5 (written atomically: the
// whole folder appears at once). Throws bellman::Error if `dir` exists and is not empty.
void WriteMinari(const Dataset& dataset, const std::filesystem::path& dir);
// D4RL's flat file (observations, actions, rewards, terminals, timeouts, next_observations).
void WriteD4rl(const Dataset& dataset, const std::filesystem::path& file);

// Reads either format: a Minari folder (metadata.json + data/main_data.hdf5, or the HDF5 file
// beside metadata.json), or a D4RL .hdf5 file. Every field is checked against the spaces (shape,
// dtype, NaN/Inf, actions in the space); errors name the file and the field. A D4RL file has no
// spaces: `observation_space`/`action_space` are inferred as unbounded float32 Boxes unless
// given (e.g. from --env), and its episodes end at terminals/timeouts.
Dataset ReadDataset(const std::filesystem::path& path,
                    const std::optional<Space>& observation_space = std::nullopt,
                    const std::optional<Space>& action_space = std::nullopt);

// Minari's JSON for a space ({"type": "Box", "dtype": "float32", "shape": [3], "low": [...],
// "high": [...]}), and back; throws bellman::Error naming `what` for what it cannot read.
std::string SpaceToMinariJson(const Space& space);
Space SpaceFromMinariJson(const std::string& json, const std::string& what);

// D4RL's normalised score: 100 (R - ref_min) / (ref_max - ref_min).
double NormalizedScore(double episode_return, double ref_min, double ref_max);

}  // namespace bellman::io
