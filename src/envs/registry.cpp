#include "bellman/envs/registry.h"

#include <fmt/format.h>

#include <algorithm>

#include "bellman/core/error.h"
#include "bellman/core/suggest.h"
#include "envs/families.h"

namespace bellman {

namespace {

const std::vector<EnvRegistration>& Table() {
  static const std::vector<EnvRegistration> table = [] {
    std::vector<EnvRegistration> t;
    RegisterClassicControl(t);
    RegisterToyText(t);
    RegisterMinAtar(t);
    RegisterMujoco(t);
    RegisterBoardGames(t);
    return t;
  }();
  return table;
}

const char* KindName(const EnvArg& v) {
  switch (v.index()) {
    case 0:
      return "None";
    case 1:
      return "a bool";
    case 2:
      return "an int";
    case 3:
      return "a float";
    case 4:
      return "a string";
    default:
      return "a list of strings";
  }
}

}  // namespace

const EnvRegistration* FindEnv(const std::string& id) {
  for (const EnvRegistration& r : Table()) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

std::vector<std::string> EnvIds() {
  std::vector<std::string> ids;
  for (const EnvRegistration& r : Table()) ids.push_back(r.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::unique_ptr<Env> MakeEnv(const std::string& id, const EnvArgs& args) {
  const EnvRegistration* r = FindEnv(id);
  if (!r) {
    throw Error(fmt::format("unknown environment id '{}'{}; `bellman envs` lists them", id,
                            DidYouMean(id, EnvIds())));
  }
  // max_episode_steps belongs to the TimeLimit, not to the env: gym.make handles it the same way.
  auto it = args.find("max_episode_steps");
  if (it == args.end()) return r->factory(args);
  const int64_t* steps = std::get_if<int64_t>(&it->second);
  if (!steps || *steps < 0) {
    throw Error(fmt::format("{}: max_episode_steps must be an int >= 0 (0: no limit)", id));
  }
  EnvArgs rest = args;
  rest.erase("max_episode_steps");
  std::unique_ptr<Env> env = r->factory(rest);
  env->set_max_episode_steps(*steps);
  return env;
}

const EnvArg* EnvArgReader::Find(const std::string& key) {
  known_.push_back(key);
  auto it = args_.find(key);
  return it == args_.end() ? nullptr : &it->second;
}

bool EnvArgReader::GetBool(const std::string& key, bool def) {
  const EnvArg* v = Find(key);
  if (!v) return def;
  if (auto* b = std::get_if<bool>(v)) return *b;
  throw Error(fmt::format("{}: argument '{}' must be a bool, got {}", id_, key, KindName(*v)));
}

int64_t EnvArgReader::GetInt(const std::string& key, int64_t def) {
  const EnvArg* v = Find(key);
  if (!v) return def;
  if (auto* i = std::get_if<int64_t>(v)) return *i;
  throw Error(fmt::format("{}: argument '{}' must be an int, got {}", id_, key, KindName(*v)));
}

double EnvArgReader::GetDouble(const std::string& key, double def) {
  const EnvArg* v = Find(key);
  if (!v) return def;
  if (auto* d = std::get_if<double>(v)) return *d;
  if (auto* i = std::get_if<int64_t>(v)) return static_cast<double>(*i);
  throw Error(fmt::format("{}: argument '{}' must be a number, got {}", id_, key, KindName(*v)));
}

std::string EnvArgReader::GetString(const std::string& key, const std::string& def) {
  const EnvArg* v = Find(key);
  if (!v) return def;
  if (auto* s = std::get_if<std::string>(v)) return *s;
  throw Error(fmt::format("{}: argument '{}' must be a string, got {}", id_, key, KindName(*v)));
}

std::optional<std::vector<std::string>> EnvArgReader::GetStringList(const std::string& key) {
  const EnvArg* v = Find(key);
  if (!v) return std::nullopt;
  if (auto* s = std::get_if<std::vector<std::string>>(v)) return *s;
  throw Error(
      fmt::format("{}: argument '{}' must be a list of strings, got {}", id_, key, KindName(*v)));
}

bool EnvArgReader::IsNone(const std::string& key) const {
  auto it = args_.find(key);
  return it != args_.end() && std::holds_alternative<std::monostate>(it->second);
}

void EnvArgReader::Finish() const {
  for (const auto& [key, value] : args_) {
    if (std::find(known_.begin(), known_.end(), key) == known_.end()) {
      throw Error(fmt::format("{}: unknown argument '{}'{}; it accepts: {}", id_, key,
                              DidYouMean(key, known_), fmt::join(known_, ", ")));
    }
  }
}

}  // namespace bellman
