// Rng states in torch archives (algorithm checkpoints).
#pragma once

#include <torch/torch.h>

#include "bellman/core/rng.h"

namespace bellman::algos {

// RngState as 6 int64 words: state hi/lo, inc hi/lo, has_uint32, uinteger.
torch::Tensor RngToTensor(const RngState& s);
// Throws bellman::Error naming `what` when the tensor is not 6 int64 words.
RngState RngFromTensor(const torch::Tensor& t, const char* what);

}  // namespace bellman::algos
