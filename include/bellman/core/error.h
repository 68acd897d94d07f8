// bellman::Error: the one exception type thrown at boundaries (config, CLI, files, Python).
#pragma once

#include <stdexcept>
#include <string>

namespace bellman {

// Messages name the bad value and what was expected, e.g.
// "CartPole-v1: action 2 is outside Discrete(2)".
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace bellman
