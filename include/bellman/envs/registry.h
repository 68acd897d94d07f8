// Env registry: ids ("CartPole-v1") -> factories. CLI, Python and configs only see ids.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bellman/envs/env.h"

namespace bellman {

using EnvFactory = std::function<std::unique_ptr<Env>(const EnvArgs&)>;

struct EnvRegistration {
  std::string id;
  EnvFactory factory;
  std::string alias_of;  // non-empty for aliases such as Taxi-v3 -> Taxi-v4
};

// gym.make(id, **kwargs). Unknown ids and unknown kwargs throw bellman::Error with a
// suggestion of the nearest valid name.
std::unique_ptr<Env> MakeEnv(const std::string& id, const EnvArgs& args = {});
// All registered ids (aliases included), sorted.
std::vector<std::string> EnvIds();
const EnvRegistration* FindEnv(const std::string& id);

// Helpers for factories: read a kwarg with a type check, and reject unknown ones.
class EnvArgReader {
 public:
  EnvArgReader(const std::string& id, const EnvArgs& args) : id_(id), args_(args) {}
  bool GetBool(const std::string& key, bool def);
  int64_t GetInt(const std::string& key, int64_t def);
  double GetDouble(const std::string& key, double def);
  std::string GetString(const std::string& key, const std::string& def);
  std::optional<std::vector<std::string>> GetStringList(const std::string& key);
  bool Has(const std::string& key) const { return args_.count(key) > 0; }
  // True when the kwarg is given as None (Python) / monostate (C++), e.g. map_name=None.
  bool IsNone(const std::string& key) const;
  // Throws for any kwarg that no Get* asked for, suggesting the nearest known key.
  void Finish() const;

 private:
  const EnvArg* Find(const std::string& key);
  std::string id_;
  const EnvArgs& args_;
  std::vector<std::string> known_;
};

}  // namespace bellman
