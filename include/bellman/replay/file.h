// Replay files: a buffer's storage, priorities and open n-step transitions in one binary file,
// so that a resumed run continues exactly where it stopped. Layout in docs/replay.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "bellman/io/checksum.h"
#include "bellman/replay/n_step.h"
#include "bellman/replay/sampler.h"
#include "bellman/replay/storage.h"

namespace bellman {

// Version of the format written by SaveReplay; LoadReplay reads exactly this version.
inline constexpr uint32_t kReplayFileVersion = 1;

// Writes `path` atomically with io::AtomicFileWriter: into a temporary ".tmp-<name>.XXXXXX" next
// to it, fsync, rename over `path`, fsync the directory, so a crash leaves either the old file or
// the new one (and at worst a stale temporary file). `per` (may be null) adds the priorities and
// the annealing step; `n_step` adds the open transitions of each env's accumulator.
// Throws bellman::Error naming the path and the system error when writing fails.
void SaveReplay(const std::string& path, const ReplayStorage& storage,
                const PrioritizedSampler* per = nullptr,
                std::span<const NStepAccumulator> n_step = {});

// Reads `path` into objects built with the same configuration. Everything is checked before any
// of them changes: the magic ("not a bellman replay file"), the version, the file size against
// the header (a truncated file names both sizes), the header and payload CRC-32s, and every
// layout field against the objects (capacity, observation/action dtype and shape, prioritized
// or not and its alpha/beta0/beta_steps/eps, n_step, gamma, number of envs). Each failure is a
// bellman::Error naming the path, the field, the file's value and the expected one.
void LoadReplay(const std::string& path, ReplayStorage& storage, PrioritizedSampler* per = nullptr,
                std::span<NStepAccumulator> n_step = {});

// CRC-32 (IEEE 802.3, zlib's crc32), continuing from `crc` (0 to start): the checksum of replay
// files, io::Crc32Extend under the argument order this header has always had.
inline uint32_t Crc32(const void* data, size_t size, uint32_t crc = 0) {
  return io::Crc32Extend(crc, data, size);
}

}  // namespace bellman
