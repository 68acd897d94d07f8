// The CLI's subcommands. Each Add* registers its options on the app and the callback that runs
// it; main.cpp turns a bellman::Error into one line on stderr and exit code 2.
#pragma once

#include <CLI/CLI.hpp>

namespace bellman::cli {

void AddEnvsCommand(CLI::App& app);
void AddSolveCommand(CLI::App& app);
void AddGameCommand(CLI::App& app);       // game: two-player zero-sum Markov games
void AddAlphaZeroCommand(CLI::App& app);  // alphazero: self-play on a turn-based game
void AddMuZeroCommand(CLI::App& app);     // muzero: MCTS on a learned model
void AddIpdCommand(CLI::App& app);
void AddMultiAgentCommand(CLI::App& app);  // multiagent: DQN learners on a multi-agent env // ipd:
                                           // naive learners and LOQA on the IPD
void AddBenchCommand(CLI::App& app);
void AddBenchMctsCommand(CLI::App& bench);  // bench mcts (under bench)
void AddTrainCommands(CLI::App& app);       // train, eval, enjoy
void AddDatasetCommands(CLI::App& app);     // collect, dataset info/export
void AddOpeCommand(CLI::App& app);
void AddLaunchCommand(CLI::App& app);  // launch: N local ranks of a multi-process run

}  // namespace bellman::cli
