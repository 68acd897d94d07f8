// FusedMlp: the small-network fast path (DESIGN.md, "Determinism and speed rules").
//
// Why: for the nets of classic control and MuJoCo (64x64 .. 400x300, batches of 32-256) a libtorch
// update is dominated by per-op dispatch and autograd bookkeeping, not by FLOPs: each Linear,
// activation, and their backward is a separate op with its own allocation, and the tape holds a
// node per op. FusedMlp is the same function as an Mlp, computed as ONE autograd node:
//   - all weights and biases live in one flat float32 parameter (`flat`, the module's only
//     parameter), laid out weight0 [out, in] row-major, bias0, weight1, bias1, ...: the order of
//     Mlp::parameters(), so optimizers step one buffer in one loop (optim.h);
//   - forward and backward call cblas_sgemm (OpenBLAS) directly on activation buffers that are
//     allocated once and reused (grown only when a larger batch arrives), with activations applied
//     in place;
//   - backward returns the gradient for the input (only when it requires grad) and for the flat
//     parameter in one pass.
// It composes with any surrounding autograd graph (gather, losses, a target computed under
// NoGradGuard). Without grad (acting, target nets) forward skips autograd entirely.
//
// Limits: CPU, float32, 2-D input [batch, input_size], contiguous or not. One instance must not
// run forward from two threads at once (its buffers are shared). Moving it to another device or
// dtype is refused at the next forward; MakeQNetwork (q_network.h) builds plain modules there.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "bellman/core/rng.h"
#include "bellman/nets/mlp.h"

namespace bellman::nets {

namespace fused_detail {
struct Plan;
struct Workspace;
}  // namespace fused_detail

class FusedMlpImpl : public torch::nn::Module {
 public:
  // Same function as Mlp(options). With `dueling`, the output layer computes
  // [V, A_1..A_n] (n = options.output_size) and forward returns Q = V + A - mean(A)
  // (Wang et al. 2016, eq. 9): the same function as an Mlp torso with activate_output followed
  // by a DuelingHead without hidden layers. dueling requires !options.activate_output.
  // Parameters are drawn from `rng` in linears() order (identical to the plain modules).
  FusedMlpImpl(const MlpOptions& options, Rng& rng, bool dueling = false);
  ~FusedMlpImpl() override;

  // x: [batch, input_size] float32 on CPU -> [batch, output_size] (a new tensor each call).
  torch::Tensor forward(const torch::Tensor& x);

  const MlpOptions& options() const { return options_; }
  bool dueling() const { return dueling_; }
  // The one parameter: every weight and bias, in Mlp::parameters() order.
  const torch::Tensor& flat() const { return flat_; }
  int64_t num_layers() const;
  // Views into flat(): weight [out, in], bias [out] of Linear layer l (for a dueling net the last
  // layer has output_size + 1 rows, V first).
  torch::Tensor weight(int64_t layer) const;
  torch::Tensor bias(int64_t layer) const;
  // Canonical layer list, as the plain modules list theirs: the hidden layers, then the output
  // layer; for a dueling net the output layer appears as two layers, V's row then A's rows
  // (DuelingHead's value stream, then its advantage stream).
  std::vector<LinearView> linears() const;

 private:
  MlpOptions options_;
  bool dueling_;
  std::shared_ptr<const fused_detail::Plan> plan_;
  torch::Tensor flat_;
  // Buffers for forward/backward. A forward with grad keeps its workspace alive in its autograd
  // node until the graph is freed; the next forward takes a free one (there is one in the steady
  // state of a training loop, two when the same net also runs without grad meanwhile).
  std::vector<c10::intrusive_ptr<fused_detail::Workspace>> workspaces_;

  c10::intrusive_ptr<fused_detail::Workspace> AcquireWorkspace();
  friend struct FusedMlpFunction;
};
TORCH_MODULE(FusedMlp);

}  // namespace bellman::nets
