// StateDict: every piece of an algorithm's state a checkpoint holds, declared once by name.
//
// An algorithm lists its modules, optimizers, counters, generators and buffers in one
// DeclareState(StateDict&) (algorithm.h); the same list saves and loads, so the two cannot drift
// apart. Save() gives bytes (a torch archive, one key per entry) and Load() reads them back into
// the declared objects; files, atomic writes and checksums are train/'s business (DESIGN.md:
// algorithms write no files). Tests reach an algorithm's networks through module(name).
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bellman/core/rng.h"

namespace bellman::nets {

class StateDict {
 public:
  // A module's parameters and buffers. frozen: its parameters stay requires_grad = false after
  // a load (target networks).
  void AddModule(const std::string& name, torch::nn::Module& module, bool frozen = false);
  void AddOptimizer(const std::string& name, torch::optim::Optimizer& optimizer);
  // A tensor loaded in place (copy_, no grad): it keeps its identity, so an optimizer that holds
  // it (a free parameter such as PPO's log_std) still does. Shape and dtype must match.
  void AddTensor(const std::string& name, torch::Tensor& tensor);
  void AddInt(const std::string& name, int64_t& value);
  void AddReal(const std::string& name, double& value);
  void AddRng(const std::string& name, Rng& rng);
  // A float buffer of fixed size (a rollout in progress); the loaded one must have the same size.
  void AddFloats(const std::string& name, std::vector<float>& values);

  // The state as bytes (a torch archive with one key per entry).
  std::string Save() const;
  // Reads bytes written by Save() of a StateDict with the same entries into the declared
  // objects. Throws bellman::Error naming the entry that is missing or does not fit ("q_net:
  // ...", "counters: ...") or saying the bytes are not a state archive.
  void Load(std::string_view bytes) const;

  // The same declarations, modules only (network parameters and buffers for Ape-X's parameter
  // broadcasts; optimizers, counters and generators stay where they are).
  StateDict ModulesOnly() const;

  // The module declared as `name`; throws bellman::Error listing the declared modules.
  torch::nn::Module& module(const std::string& name) const;
  // Declared entry names, in declaration order.
  std::vector<std::string> names() const;

 private:
  enum class Kind { kModule, kOptimizer, kTensor, kInt, kReal, kRng, kFloats };
  struct Entry {
    std::string name;
    Kind kind;
    void* object;
    bool frozen = false;
  };
  void Add(const std::string& name, Kind kind, void* object, bool frozen = false);
  std::vector<Entry> entries_;
};

// RngState as 6 int64 words: state hi/lo, inc hi/lo, has_uint32, uinteger.
torch::Tensor RngToTensor(const RngState& s);
// Throws bellman::Error naming `what` when the tensor is not 6 int64 words.
RngState RngFromTensor(const torch::Tensor& t, const std::string& what);

}  // namespace bellman::nets
