// Require: the one validation helper of configs and arguments. The message is formatted only
// when the check fails, so a Validate() full of checks costs nothing on the happy path.
//   Require(gamma >= 0.0 && gamma <= 1.0, "{}.gamma must be in [0, 1], got {}", algo, gamma);
#pragma once

#include <fmt/format.h>

#include <utility>

#include "bellman/core/error.h"

namespace bellman {

// Throws bellman::Error(fmt::format(format, args...)) unless `ok`.
template <class... Args>
void Require(bool ok, fmt::format_string<Args...> format, Args&&... args) {
  if (!ok) throw Error(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace bellman
