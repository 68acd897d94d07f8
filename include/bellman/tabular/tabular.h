// The tabular module: planning on an explicit P (value iteration, policy evaluation, policy
// iteration), TD control from samples (Q-learning, SARSA, expected SARSA, Double Q-learning) and
// grid pictures for grid-world envs, options and SMDPs (options.h). Torch-free. docs/tabular.md.
#pragma once

#include "bellman/tabular/grid.h"
#include "bellman/tabular/options.h"
#include "bellman/tabular/planning.h"
#include "bellman/tabular/td.h"
