// bellman: the command-line face of the library. Thin: parse, build from registries, call in.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "bellman/core/error.h"
#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{"bellman: value-function reinforcement learning in C++"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "bellman 0.1.0");
  bellman::cli::AddEnvsCommand(app);
  bellman::cli::AddSolveCommand(app);
  bellman::cli::AddBenchCommand(app);
  bellman::cli::AddTrainCommands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const bellman::Error& e) {
    fmt::print(stderr, "bellman: error: {}\n", e.what());
    return 2;
  }
  return 0;
}
