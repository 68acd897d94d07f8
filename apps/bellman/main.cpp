// bellman: the command-line face of the library. Thin: parse, build from registries, call in.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "bellman/core/error.h"
#include "bellman/core/suggest.h"
#include "commands.h"

namespace {

// Every failure the user can cause ends the same way: one line on stderr, exit code 2.
int Fail(const std::string& message) {
  fmt::print(stderr, "bellman: error: {}\n", message);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bellman: value-function reinforcement learning in C++"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "bellman 0.1.0");
  bellman::cli::AddEnvsCommand(app);
  bellman::cli::AddSolveCommand(app);
  bellman::cli::AddGameCommand(app);
  bellman::cli::AddAlphaZeroCommand(app);
  bellman::cli::AddMuZeroCommand(app);
  bellman::cli::AddMultiAgentCommand(app);
  bellman::cli::AddIpdCommand(app);
  bellman::cli::AddBenchCommand(app);
  bellman::cli::AddTrainCommands(app);
  bellman::cli::AddDatasetCommands(app);
  bellman::cli::AddOpeCommand(app);
  bellman::cli::AddLaunchCommand(app);
  // CLI11 reads an unknown first word as a stray positional ("A subcommand is required"): name
  // it as the unknown command it is.
  if (argc > 1 && argv[1][0] != '-') {
    std::vector<std::string> commands;
    for (const CLI::App* sub : app.get_subcommands({})) commands.push_back(sub->get_name());
    if (std::find(commands.begin(), commands.end(), argv[1]) == commands.end()) {
      return Fail(fmt::format("unknown command '{}'{}; commands: {}", argv[1],
                              bellman::DidYouMean(argv[1], commands), fmt::join(commands, ", ")));
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return Fail(fmt::format("{} (see bellman --help)", e.what()));
  } catch (const bellman::Error& e) {
    return Fail(e.what());
  }
  return 0;
}
