// Typed configuration from YAML.
//
// A config is a plain struct with defaults and a `Fields(visitor)` method that names each field
// once; loading, dumping (the fully resolved config.yaml of a run) and unknown-key detection all
// come from that one list:
//
//   struct QLearningConfig {
//     double gamma = 0.99;
//     int64_t episodes = 1000;
//     template <class V> void Fields(V& v) { v("gamma", gamma); v("episodes", episodes); }
//     void Validate() const;
//   };
//   auto cfg = LoadConfig<QLearningConfig>(YAML::LoadFile(path), "qlearning");
//
// Unknown keys throw bellman::Error naming the key and suggesting the nearest known one.
// Overrides from the command line (`--set gamma=0.9`, `--set net.hidden=[64,64]`) go through
// ApplyOverride before loading, so they are checked the same way.
#pragma once

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "bellman/core/error.h"
#include "bellman/core/suggest.h"

namespace bellman {

namespace config_detail {

template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};

template <class T, class = void>
struct HasFields : std::false_type {};
template <class T>
struct HasFields<T, std::void_t<decltype(&T::template Fields<int>)>> : std::true_type {};

std::string TypeName(const std::string&);
std::string TypeName(bool);
std::string TypeName(int64_t);
std::string TypeName(int);
std::string TypeName(double);

// Reads a scalar, throwing a bellman::Error that names the key path and expected type.
template <class T>
T ReadScalar(const YAML::Node& node, const std::string& path) {
  if (!node.IsScalar()) {
    throw Error(fmt::format("config key '{}' must be {}, got a {}", path, TypeName(T{}),
                            node.IsSequence() ? "list" : "map"));
  }
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      // RL Zoo writes budgets as 1e5 (`!!float 1e5`): an integral number is an integer, and
      // one past the type's range is named as such rather than as "not an integer".
      double d = 0.0;
      if (YAML::convert<double>::decode(node, d) && std::isfinite(d) && std::floor(d) == d) {
        if (d < static_cast<double>(std::numeric_limits<T>::min()) ||
            d >= -static_cast<double>(std::numeric_limits<T>::min())) {
          throw Error(fmt::format(
              "config key '{}' = {} is out of range: expected an integer in "
              "[{}, {}]",
              path, node.Scalar(), std::numeric_limits<T>::min(), std::numeric_limits<T>::max()));
        }
        return static_cast<T>(d);
      }
    }
    throw Error(
        fmt::format("config key '{}' must be {}, got '{}'", path, TypeName(T{}), node.Scalar()));
  }
}

}  // namespace config_detail

// Visitor that reads fields from a YAML map and remembers which keys it knows.
class ConfigLoader {
 public:
  ConfigLoader(const YAML::Node& node, std::string path) : node_(node), path_(std::move(path)) {
    if (node_ && !node_.IsNull() && !node_.IsMap()) {
      throw Error(fmt::format("config '{}' must be a map of key: value", path_));
    }
  }

  template <class T>
  void operator()(const char* key, T& field) {
    known_.emplace_back(key);
    if (!node_ || node_.IsNull()) return;
    YAML::Node child = node_[key];
    if (!child) return;
    std::string path = path_.empty() ? key : path_ + "." + key;
    Read(child, path, field);
  }

  // Throws for keys that no field claimed.
  void Finish() const {
    if (!node_ || node_.IsNull()) return;
    for (const auto& kv : node_) {
      std::string key = kv.first.as<std::string>();
      if (std::find(known_.begin(), known_.end(), key) == known_.end()) {
        std::string where = path_.empty() ? "" : " in '" + path_ + "'";
        throw Error(fmt::format("unknown config key '{}'{}{}; known keys: {}", key, where,
                                DidYouMean(key, known_), fmt::join(known_, ", ")));
      }
    }
  }

 private:
  template <class T>
  static void Read(const YAML::Node& node, const std::string& path, T& field) {
    if constexpr (config_detail::HasFields<T>::value) {
      ConfigLoader sub(node, path);
      field.Fields(sub);
      sub.Finish();
    } else if constexpr (config_detail::IsVector<T>::value) {
      if (!node.IsSequence()) {
        throw Error(fmt::format("config key '{}' must be a list", path));
      }
      T out;
      for (size_t i = 0; i < node.size(); ++i) {
        typename T::value_type v{};
        Read(node[i], fmt::format("{}[{}]", path, i), v);
        out.push_back(std::move(v));
      }
      field = std::move(out);
    } else {
      field = config_detail::ReadScalar<T>(node, path);
    }
  }

  YAML::Node node_;
  std::string path_;
  std::vector<std::string> known_;
};

// Visitor that writes fields into a YAML map (for the resolved config.yaml).
class ConfigDumper {
 public:
  template <class T>
  void operator()(const char* key, const T& field) {
    node_[key] = ToNode(field);
  }
  const YAML::Node& node() const { return node_; }

 private:
  template <class T>
  static YAML::Node ToNode(const T& field) {
    if constexpr (config_detail::HasFields<T>::value) {
      ConfigDumper sub;
      const_cast<T&>(field).Fields(sub);
      return sub.node_;
    } else if constexpr (config_detail::IsVector<T>::value) {
      YAML::Node seq(YAML::NodeType::Sequence);
      for (const auto& v : field) seq.push_back(ToNode(v));
      return seq;
    } else {
      return YAML::Node(field);
    }
  }
  YAML::Node node_{YAML::NodeType::Map};
};

// Loads a config struct from a YAML map over `cfg` (the defaults: a default-constructed C, or
// e.g. Rainbow's own); `path` prefixes keys in error messages.
template <class C>
C LoadConfig(const YAML::Node& node, const std::string& path = "", C cfg = C()) {
  ConfigLoader loader(node, path);
  cfg.Fields(loader);
  loader.Finish();
  return cfg;
}

template <class C>
YAML::Node DumpConfig(const C& cfg) {
  ConfigDumper dumper;
  const_cast<C&>(cfg).Fields(dumper);
  return dumper.node();
}

// Applies "a.b.c=value" to a YAML tree (value parsed as YAML: 0.5, true, [64, 64]).
void ApplyOverride(YAML::Node& root, const std::string& assignment);
// Parses a YAML file with a bellman::Error naming the file and line on failure: a path that is
// a directory or missing, a syntax error, a key written twice in one map.
YAML::Node LoadYamlFile(const std::string& path);
// Throws bellman::Error naming the key and its two lines when a map in `node` (at any depth)
// holds the same key twice; yaml-cpp keeps both and lookups see only the first.
void CheckNoDuplicateKeys(const YAML::Node& node, const std::string& where);

}  // namespace bellman
