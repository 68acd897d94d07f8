// Private: loading the embedded MJCF models (src/envs/mujoco_assets.h) into MuJoCo.
#pragma once

#include <mujoco/mujoco.h>

#include <memory>
#include <string>

namespace bellman {

// The compiled model of an embedded MJCF file ("hopper.xml"). Models are immutable after
// loading and shared: every env of one file (and all their clones) use the same mjModel while
// any of them lives. Thread-safe. Throws bellman::Error if the file is unknown or does not
// compile (MuJoCo's message included).
std::shared_ptr<const mjModel> LoadMjcfModel(const std::string& file);

// mjData owned by an env, deleted with mj_deleteData.
struct MjDataDeleter {
  void operator()(mjData* d) const { mj_deleteData(d); }
};
using MjDataPtr = std::unique_ptr<mjData, MjDataDeleter>;

}  // namespace bellman
