// Env keyword arguments as text and as YAML: `--env-arg key=value` (the CLI's spelling of
// gym.make(id, key=value)) and the `env_kwargs:` map of a run config.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "bellman/envs/env.h"

namespace bellman {

// Values are read as YAML scalars: true/false -> bool, 3 -> int, 0.5 -> double, null -> None,
// [a, b] -> list of strings, anything else -> string ('quoted' -> always a string).
EnvArgs ParseEnvArgs(const std::vector<std::string>& assignments);

// A YAML map of key: value (the same value rules) -> EnvArgs; a null node is no arguments.
// `where` names the map in errors ("env_kwargs").
EnvArgs EnvArgsFromYaml(const YAML::Node& node, const std::string& where);
// The inverse, for config.yaml: env args written so that EnvArgsFromYaml reads them back.
YAML::Node EnvArgsToYaml(const EnvArgs& args);

}  // namespace bellman
