// Checkpoint manifest, verification and exact text forms (src/train/checkpoint_state.h).
#include "train/checkpoint_state.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <vector>

#include "bellman/algos/algorithm.h"
#include "bellman/core/error.h"
#include "bellman/io/atomic_file.h"
#include "bellman/io/checksum.h"

namespace bellman::train {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr int kCheckpointFormat = 1;

std::string HexU128(unsigned __int128 v) {
  return fmt::format("{:016x}{:016x}", static_cast<uint64_t>(v >> 64), static_cast<uint64_t>(v));
}

unsigned __int128 ParseU128(const std::string& s) {
  if (s.size() != 32) throw Error(fmt::format("bad 128-bit value '{}'", s));
  const uint64_t hi = std::stoull(s.substr(0, 16), nullptr, 16);
  const uint64_t lo = std::stoull(s.substr(16), nullptr, 16);
  return (static_cast<unsigned __int128>(hi) << 64) | lo;
}

}  // namespace

std::string HexDouble(double x) { return fmt::format("{:a}", x); }

double ParseHexDouble(const json& j) {
  const std::string s = j.get<std::string>();
  char* end = nullptr;
  const double x = std::strtod(s.c_str(), &end);
  if (end == s.c_str()) throw Error(fmt::format("bad number '{}'", s));
  return x;
}

json RngToJson(const RngState& s) {
  return {{"state", HexU128(s.state)},
          {"inc", HexU128(s.inc)},
          {"has_uint32", s.has_uint32},
          {"uinteger", s.uinteger}};
}

RngState RngFromJson(const json& j) {
  RngState s;
  s.state = ParseU128(j.at("state").get<std::string>());
  s.inc = ParseU128(j.at("inc").get<std::string>());
  s.has_uint32 = j.at("has_uint32").get<bool>();
  s.uinteger = j.at("uinteger").get<uint32_t>();
  return s;
}

std::string BytesHex(const void* data, size_t n) {
  std::string out;
  out.reserve(2 * n);
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) out += fmt::format("{:02x}", p[i]);
  return out;
}

void HexBytes(const std::string& hex, void* data, size_t n) {
  if (hex.size() != 2 * n) {
    throw Error(fmt::format("expected {} bytes of hex, got {} characters", n, hex.size()));
  }
  auto* p = static_cast<unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) {
    p[i] = static_cast<unsigned char>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
  }
}

void SaveAlgorithmState(algos::Algorithm& algo, const std::string& algo_name, const fs::path& dir) {
  io::WriteFileAtomic(dir / (algo_name + ".pt"), algos::SaveState(algo));
}

void LoadAlgorithmState(algos::Algorithm& algo, const std::string& algo_name, const fs::path& dir) {
  const fs::path path = dir / (algo_name + ".pt");
  const std::string bytes = io::ReadFile(path);
  try {
    algos::LoadState(algo, bytes);
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {} (not a {} checkpoint for this config?)", path.string(),
                            e.what(), algo_name));
  }
}

void WriteManifest(const fs::path& dir, int64_t step) {
  json files = json::object();
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string bytes = io::ReadFile(entry.path());
    files[entry.path().filename().string()] = {{"bytes", bytes.size()},
                                               {"xxh64", io::ChecksumHex(io::Checksum64(bytes))}};
  }
  json manifest = {{"format", kCheckpointFormat}, {"step", step}, {"files", files}};
  std::ofstream(dir / "manifest.json") << manifest.dump(2) << "\n";
}

void VerifyCheckpoint(const fs::path& dir) {
  const fs::path manifest_path = dir / "manifest.json";
  if (!fs::exists(manifest_path)) {
    throw Error(
        fmt::format("checkpoint {} is incomplete or not a bellman checkpoint: no "
                    "manifest.json",
                    dir.string()));
  }
  json manifest;
  try {
    manifest = json::parse(io::ReadFile(manifest_path));
  } catch (const json::exception& e) {
    throw Error(
        fmt::format("checkpoint {}: manifest.json is corrupt ({})", dir.string(), e.what()));
  }
  if (manifest.value("format", 0) != kCheckpointFormat) {
    throw Error(fmt::format("checkpoint {}: format {}, this build reads format {}", dir.string(),
                            manifest.value("format", 0), kCheckpointFormat));
  }
  for (const auto& [name, info] : manifest.at("files").items()) {
    const fs::path path = dir / name;
    if (!fs::exists(path)) {
      throw Error(fmt::format("checkpoint {}: file {} is missing", dir.string(), name));
    }
    const std::string bytes = io::ReadFile(path);
    const size_t want = info.at("bytes").get<size_t>();
    if (bytes.size() != want) {
      throw Error(
          fmt::format("checkpoint {}: {} is truncated or resized: manifest says {} bytes, "
                      "the file has {}",
                      dir.string(), name, want, bytes.size()));
    }
    const std::string have = io::ChecksumHex(io::Checksum64(bytes));
    if (have != info.at("xxh64").get<std::string>()) {
      throw Error(
          fmt::format("checkpoint {}: {} is corrupt: XXH64 {} in the manifest, {} on "
                      "disk",
                      dir.string(), name, info.at("xxh64").get<std::string>(), have));
    }
  }
}

void VerifyCheckpointOrPointBack(const fs::path& dir, const std::string& command) {
  try {
    VerifyCheckpoint(dir);
    return;
  } catch (const Error& damaged) {
    // The run's other checkpoints, newest first, older than the damaged one.
    const std::optional<int64_t> step = io::ParseCheckpointName(dir.filename().string());
    std::vector<std::pair<int64_t, fs::path>> older;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir.parent_path(), ec)) {
      const std::optional<int64_t> s = io::ParseCheckpointName(e.path().filename().string());
      if (s && e.is_directory() && (!step || *s < *step)) older.emplace_back(*s, e.path());
    }
    std::sort(older.begin(), older.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    for (const auto& [s, path] : older) {
      try {
        VerifyCheckpoint(path);
      } catch (const Error&) {
        continue;
      }
      throw Error(fmt::format("{}; the newest intact checkpoint is {} (step {}): {} {}",
                              damaged.what(), path.string(), s, command, path.string()));
    }
    throw Error(fmt::format("{}; no older intact checkpoint is left in {}", damaged.what(),
                            dir.parent_path().string()));
  }
}

}  // namespace bellman::train
