#include "env_args.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "bellman/core/error.h"

namespace bellman::cli {

namespace {

EnvArg ParseValue(const std::string& text) {
  YAML::Node node = YAML::Load(text);
  if (node.IsNull()) return std::monostate{};
  if (node.IsSequence()) return node.as<std::vector<std::string>>();
  if (!node.IsScalar()) throw Error(fmt::format("env argument value '{}' is not a scalar", text));
  if (node.Tag() == "!") return node.Scalar();  // quoted: always a string
  bool b;
  if (YAML::convert<bool>::decode(node, b)) return b;
  int64_t i;
  if (YAML::convert<int64_t>::decode(node, i)) return i;
  double d;
  if (YAML::convert<double>::decode(node, d)) return d;
  return node.Scalar();
}

}  // namespace

EnvArgs ParseEnvArgs(const std::vector<std::string>& assignments) {
  EnvArgs args;
  for (const std::string& a : assignments) {
    size_t eq = a.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw Error(
          fmt::format("--env-arg '{}' must look like key=value (e.g. is_slippery=false)", a));
    }
    try {
      args[a.substr(0, eq)] = ParseValue(a.substr(eq + 1));
    } catch (const YAML::Exception& e) {
      throw Error(fmt::format("--env-arg '{}': {}", a, e.msg));
    }
  }
  return args;
}

}  // namespace bellman::cli
