// Data-parallel gradient averaging (bellman/nets/grad_sync.h).
#include "bellman/nets/grad_sync.h"

#include <cstring>
#include <utility>

#include "bellman/core/error.h"
#include "bellman/core/validate.h"

namespace bellman::nets {

GradientSync::GradientSync(Collective* collective, int64_t check_interval, std::string what)
    : collective_(collective), check_interval_(check_interval), what_(std::move(what)) {}

uint64_t ParameterHash(const std::vector<torch::Tensor>& params) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const torch::Tensor& p : params) {
    const torch::Tensor c = p.detach().contiguous();
    h = Fnv1a(c.data_ptr(), static_cast<size_t>(c.numel()) * c.element_size(), h);
  }
  return h;
}

void GradientSync::AllReduce(torch::optim::Optimizer& optimizer) {
  if (!enabled()) return;
  std::vector<torch::Tensor> grads, params;
  int64_t total = 0;
  for (auto& group : optimizer.param_groups()) {
    for (const torch::Tensor& p : group.params()) {
      params.push_back(p);
      const torch::Tensor& g = p.grad();
      if (!g.defined()) continue;
      Require(g.scalar_type() == torch::kFloat32 && g.device().is_cpu(),
              "data-parallel training averages CPU float32 gradients; {} has a {} gradient on {}",
              what_, c10::toString(g.scalar_type()), g.device().str());
      grads.push_back(g);
      total += g.numel();
    }
  }
  buffer_.resize(static_cast<size_t>(total));
  float* at = buffer_.data();
  for (const torch::Tensor& g : grads) {
    const torch::Tensor c = g.contiguous();
    std::memcpy(at, c.data_ptr<float>(), static_cast<size_t>(c.numel()) * sizeof(float));
    at += c.numel();
  }
  collective_->AllReduceMean(buffer_.data(), total);
  at = buffer_.data();
  for (torch::Tensor& g : grads) {
    g.copy_(torch::from_blob(at, g.sizes(), torch::kFloat32));
    at += g.numel();
  }
  ++calls_;
  if (check_interval_ > 0 && calls_ % check_interval_ == 0) {
    collective_->CheckSame(ParameterHash(params), what_);
  }
}

}  // namespace bellman::nets
