// MlpNet, FrozenParams, StandardNormal (mlp_net.h).
#include "bellman/nets/mlp_net.h"

#include "bellman/nets/params.h"

namespace bellman::nets {

MlpNetImpl::MlpNetImpl(const MlpOptions& options, Rng& rng, bool fused)
    : options_(options), fused_(fused) {
  if (fused_) {
    fast_ = register_module("mlp", FusedMlp(options_, rng));
  } else {
    plain_ = register_module("mlp", Mlp(options_, rng));
  }
}

torch::Tensor MlpNetImpl::forward(const torch::Tensor& x) {
  return fused_ ? fast_->forward(x) : plain_->forward(x);
}

std::shared_ptr<MlpNetImpl> MlpNetImpl::CloneTarget() const {
  Rng unused(0);  // the weights are overwritten by the copy below
  auto copy = std::make_shared<MlpNetImpl>(options_, unused, fused_);
  HardUpdate(*copy, *this);
  for (auto& p : copy->parameters()) p.requires_grad_(false);
  return copy;
}

FrozenParams::FrozenParams(const std::vector<MlpNet>& nets) {
  for (const auto& n : nets) {
    for (auto& p : n->parameters()) {
      if (p.requires_grad()) {
        p.requires_grad_(false);
        params_.push_back(p);
      }
    }
  }
}

FrozenParams::~FrozenParams() {
  for (auto& p : params_) p.requires_grad_(true);
}

torch::Tensor StandardNormal(Rng& rng, at::IntArrayRef shape) {
  torch::Tensor t = torch::empty(shape, torch::kFloat32);
  float* p = t.data_ptr<float>();
  const int64_t n = t.numel();
  for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(rng.StandardNormal());
  return t;
}

}  // namespace bellman::nets
