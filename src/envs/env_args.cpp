#include "bellman/envs/env_args.h"

#include <fmt/format.h>

#include "bellman/core/error.h"

namespace bellman {

namespace {

EnvArg FromNode(const YAML::Node& node, const std::string& text) {
  if (node.IsNull()) return std::monostate{};
  if (node.IsSequence()) {
    std::vector<std::string> items;
    for (const auto& item : node) {
      if (!item.IsScalar()) {
        throw Error(fmt::format("env argument value '{}' must be a list of strings", text));
      }
      items.push_back(item.Scalar());
    }
    return items;
  }
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
      const std::string text = a.substr(eq + 1);
      args[a.substr(0, eq)] = FromNode(YAML::Load(text), text);
    } catch (const YAML::Exception& e) {
      throw Error(fmt::format("--env-arg '{}': {}", a, e.msg));
    }
  }
  return args;
}

EnvArgs EnvArgsFromYaml(const YAML::Node& node, const std::string& where) {
  EnvArgs args;
  if (!node || node.IsNull()) return args;
  if (!node.IsMap()) {
    throw Error(fmt::format("config key '{}' must be a map of env argument: value", where));
  }
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    YAML::Emitter text;
    text << kv.second;
    args[key] = FromNode(kv.second, fmt::format("{}.{}: {}", where, key, text.c_str()));
  }
  return args;
}

YAML::Node EnvArgsToYaml(const EnvArgs& args) {
  YAML::Node out(YAML::NodeType::Map);
  for (const auto& [key, value] : args) {
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::monostate>) {
            out[key] = YAML::Node(YAML::NodeType::Null);
          } else {
            out[key] = v;
          }
        },
        value);
  }
  return out;
}

}  // namespace bellman
