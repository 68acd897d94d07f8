#include "bellman/core/config.h"

#include <filesystem>
#include <map>

namespace bellman {

namespace config_detail {
std::string TypeName(const std::string&) { return "a string"; }
std::string TypeName(bool) { return "a bool (true/false)"; }
std::string TypeName(int64_t) { return "an integer"; }
std::string TypeName(int) { return "an integer"; }
std::string TypeName(double) { return "a number"; }
}  // namespace config_detail

void ApplyOverride(YAML::Node& root, const std::string& assignment) {
  size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw Error(
        fmt::format("override '{}' must look like key=value (e.g. gamma=0.98)", assignment));
  }
  std::string key = assignment.substr(0, eq);
  YAML::Node value;
  try {
    value = YAML::Load(assignment.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    throw Error(fmt::format("override '{}': value is not valid YAML: {}", assignment, e.msg));
  }
  if (!root || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  // Walk "a.b.c", creating maps as needed. yaml-cpp nodes are handles, so keep a chain.
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t dot = key.find('.', start);
    parts.push_back(key.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  YAML::Node node = root;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node child = node[parts[i]];
    if (!child || child.IsNull()) {
      node[parts[i]] = YAML::Node(YAML::NodeType::Map);
      child = node[parts[i]];
    } else if (!child.IsMap()) {
      throw Error(fmt::format("override '{}': '{}' is not a map", assignment, parts[i]));
    }
    node.reset(child);
  }
  node[parts.back()] = value;
}

void CheckNoDuplicateKeys(const YAML::Node& node, const std::string& where) {
  if (node.IsMap()) {
    std::map<std::string, int> seen;  // key -> 1-based line
    for (const auto& kv : node) {
      const std::string key = kv.first.Scalar();
      const int line = kv.first.Mark().line + 1;
      if (auto [it, fresh] = seen.emplace(key, line); !fresh) {
        throw Error(fmt::format("{}: key '{}' appears twice (lines {} and {}); keep one", where,
                                key, it->second, line));
      }
      CheckNoDuplicateKeys(kv.second, where);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) CheckNoDuplicateKeys(item, where);
  }
}

YAML::Node LoadYamlFile(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    throw Error(fmt::format("config file '{}' does not exist", path));
  }
  if (std::filesystem::is_directory(path)) {
    throw Error(fmt::format("config file '{}' is a directory; expected a YAML file", path));
  }
  try {
    YAML::Node root = YAML::LoadFile(path);
    CheckNoDuplicateKeys(root, fmt::format("config file '{}'", path));
    return root;
  } catch (const YAML::ParserException& e) {
    throw Error(fmt::format("config file '{}' line {}: {}", path, e.mark.line + 1, e.msg));
  } catch (const YAML::Exception& e) {
    throw Error(fmt::format("config file '{}': {}", path, e.msg));
  }
}

}  // namespace bellman
