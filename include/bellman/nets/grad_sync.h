// GradientSync: data-parallel gradient averaging for an algorithm's optimizers
// (docs/distributed.md). After loss.backward() and before clipping and the optimizer step, as
// PyTorch's DistributedDataParallel does: every rank's gradients become their mean over the
// ranks, so the same step on the same parameters keeps every rank's parameters identical.
//
// One all-reduce per call over ONE flat buffer holding every gradient of the optimizer's
// parameters (a fused net's whole gradient is already one tensor), instead of one per tensor.
// Every `check_interval` calls the ranks compare a hash of the parameters (Collective::CheckSame)
// and stop with an error if they differ. Without a collective every call is a no-op.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bellman/core/collective.h"

namespace bellman::nets {

class GradientSync {
 public:
  // `what` names the parameters in errors ("dqn's Q-network"). check_interval 0: no checks.
  GradientSync(Collective* collective, int64_t check_interval, std::string what);

  bool enabled() const { return collective_ != nullptr && collective_->world_size() > 1; }
  // Gradients of `optimizer`'s parameters (those that have one) <- their mean over ranks.
  void AllReduce(torch::optim::Optimizer& optimizer);
  // Bytes each call hands to the all-reduce (the last call's).
  int64_t bytes_per_call() const { return static_cast<int64_t>(buffer_.size() * sizeof(float)); }

 private:
  Collective* collective_;
  int64_t check_interval_;
  std::string what_;
  int64_t calls_ = 0;
  std::vector<float> buffer_;
};

// FNV-1a over the bytes of every tensor (contiguous CPU float32), in order.
uint64_t ParameterHash(const std::vector<torch::Tensor>& params);

}  // namespace bellman::nets
