// `--env-arg key=value` -> EnvArgs, the CLI's spelling of gym.make(id, key=value).
#pragma once

#include <string>
#include <vector>

#include "bellman/envs/env.h"

namespace bellman::cli {

// Values are read as YAML scalars: true/false -> bool, 3 -> int, 0.5 -> double, null -> None,
// [a, b] -> list of strings, anything else -> string.
EnvArgs ParseEnvArgs(const std::vector<std::string>& assignments);

}  // namespace bellman::cli
