// Checkpoint files of a run: the manifest (sizes + XXH64 of every file), its verification
// before anything is loaded, and the exact text forms (hex doubles, RNG states, raw bytes) that
// trainer_state.json uses so that a resume is bit-exact. Internal to src/train/.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "bellman/core/rng.h"

namespace bellman::algos {
class Algorithm;
}

namespace bellman::train {

std::string HexDouble(double x);
double ParseHexDouble(const nlohmann::json& j);
nlohmann::json RngToJson(const RngState& s);
RngState RngFromJson(const nlohmann::json& j);
std::string BytesHex(const void* data, size_t n);
void HexBytes(const std::string& hex, void* data, size_t n);

// The algorithm's declared state (algos::SaveState) as <dir>/<algo_name>.pt, written
// atomically (the manifest then covers it), and back. Errors name the file: "<path>: q_net:
// missing", "<path>: not a state archive (...)".
void SaveAlgorithmState(algos::Algorithm& algo, const std::string& algo_name,
                        const std::filesystem::path& dir);
void LoadAlgorithmState(algos::Algorithm& algo, const std::string& algo_name,
                        const std::filesystem::path& dir);

// manifest.json for every regular file now in `dir`.
void WriteManifest(const std::filesystem::path& dir, int64_t step);

// Checks every file named in the manifest; throws bellman::Error saying what does not match.
void VerifyCheckpoint(const std::filesystem::path& dir);

// VerifyCheckpoint, and on failure an error that also names the newest intact checkpoint of
// the same run older than `dir` and the command that uses it (`command` + " " + its path,
// e.g. "bellman train --resume"), or says that none is left.
void VerifyCheckpointOrPointBack(const std::filesystem::path& dir, const std::string& command);

}  // namespace bellman::train
