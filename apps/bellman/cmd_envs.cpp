// `bellman envs`: every registered id with its spaces and time limit.
#include <fmt/format.h>

#include "bellman/envs/registry.h"
#include "commands.h"

namespace bellman::cli {

void AddEnvsCommand(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("envs", "List environment ids with their spaces");
  cmd->callback([] {
    fmt::print("{:<36} {:<9} {:<29} {}\n", "id", "max_steps", "action_space", "observation_space");
    for (const std::string& id : EnvIds()) {
      const EnvRegistration* reg = FindEnv(id);
      std::unique_ptr<Env> env = MakeEnv(id);
      std::string limit = env->spec().max_episode_steps > 0
                              ? fmt::format("{}", env->spec().max_episode_steps)
                              : "-";
      std::string name = reg->alias_of.empty() ? id : fmt::format("{} (= {})", id, reg->alias_of);
      fmt::print("{:<36} {:<9} {:<29} {}\n", name, limit, env->action_space().ToString(),
                 env->observation_space().ToString());
    }
  });
}

}  // namespace bellman::cli
