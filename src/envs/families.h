// Private: each environment family registers its ids here (called by the registry once).
#pragma once

#include <vector>

#include "bellman/envs/registry.h"

namespace bellman {

void RegisterClassicControl(std::vector<EnvRegistration>& out);
void RegisterToyText(std::vector<EnvRegistration>& out);
void RegisterMinAtar(std::vector<EnvRegistration>& out);
void RegisterMujoco(std::vector<EnvRegistration>& out);
void RegisterBoardGames(std::vector<EnvRegistration>& out);

}  // namespace bellman
