// FusedMlp: one autograd node, direct BLAS calls (see include/bellman/nets/fused_mlp.h).
#include "bellman/nets/fused_mlp.h"

#include <cblas.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "bellman/core/error.h"
#include "nets/simd.h"

namespace bellman::nets {

namespace fused_detail {

// Immutable description of the layers: sizes and offsets into the flat parameter.
struct Plan {
  std::vector<int64_t> sizes;          // {input, hidden..., last}; last = outputs (+1 if dueling)
  std::vector<int64_t> weight_offset;  // per layer, into flat
  std::vector<int64_t> bias_offset;
  int64_t num_params = 0;
  int64_t num_outputs = 0;  // what forward returns per row
  Activation activation = Activation::kRelu;
  bool activate_output = false;
  bool dueling = false;

  int64_t num_layers() const { return static_cast<int64_t>(sizes.size()) - 1; }
  // The last layer writes into the workspace (not straight into the output tensor) when its
  // values are needed again: by the activation's backward or by the dueling combination.
  bool buffer_last() const { return activate_output || dueling; }
};

// Float buffer aligned to 64 bytes (a cache line, an AVX-512 vector) that grows, never shrinks.
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer() { std::free(data_); }
  void Reserve(int64_t n) {
    if (n <= capacity_) return;
    std::free(data_);
    const size_t bytes = (static_cast<size_t>(n) * sizeof(float) + 63) / 64 * 64;
    data_ = static_cast<float*>(std::aligned_alloc(64, bytes));
    if (data_ == nullptr) throw std::bad_alloc();
    capacity_ = n;
  }
  float* data() const { return data_; }

 private:
  float* data_ = nullptr;
  int64_t capacity_ = 0;
};

// Per-forward buffers: the activations of every layer that writes into the workspace (all but
// an unbuffered last layer), and two gradient buffers that backward ping-pongs between.
struct Workspace : torch::CustomClassHolder {
  explicit Workspace(std::shared_ptr<const Plan> p) : plan(std::move(p)) {}

  void Reserve(int64_t batch) {
    if (batch <= batch_capacity) return;
    const Plan& pl = *plan;
    activation_offset.assign(pl.num_layers(), 0);
    int64_t total = 0;
    int64_t widest = 1;
    for (int64_t l = 0; l < pl.num_layers(); ++l) {
      activation_offset[l] = total;
      total += batch * pl.sizes[l + 1];
      widest = std::max(widest, pl.sizes[l + 1]);
    }
    activations.Reserve(std::max<int64_t>(total, 1));
    grad[0].Reserve(batch * widest);
    grad[1].Reserve(batch * widest);
    batch_capacity = batch;
  }
  float* activation(int64_t layer) const { return activations.data() + activation_offset[layer]; }

  std::shared_ptr<const Plan> plan;
  int64_t batch_capacity = 0;
  std::vector<int64_t> activation_offset;
  AlignedBuffer activations;
  AlignedBuffer grad[2];
};

namespace {

BELLMAN_VECTOR_CLONES
void Relu(float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = y[i] < 0.0f ? 0.0f : y[i];  // NaN stays NaN, as torch.relu
}

void Activate(Activation activation, float* y, int64_t n) {
  if (activation == Activation::kRelu) {
    Relu(y, n);
  } else {
    // ATen's vectorised tanh: the same values as the plain module's torch::tanh.
    torch::from_blob(y, {n}).tanh_();
  }
}

// grad_z = grad_h * f'(z), from the activation's output h (in place allowed: grad_z == grad_h).
// relu: torch's threshold_backward (h <= 0 -> 0); tanh: torch's tanh_backward, g * (1 - h * h).
BELLMAN_VECTOR_CLONES
void ReluBackward(const float* grad_h, const float* __restrict h, float* grad_z, int64_t n) {
  for (int64_t i = 0; i < n; ++i) grad_z[i] = h[i] <= 0.0f ? 0.0f : grad_h[i];
}

BELLMAN_VECTOR_CLONES
void TanhBackward(const float* grad_h, const float* __restrict h, float* grad_z, int64_t n) {
  for (int64_t i = 0; i < n; ++i) grad_z[i] = grad_h[i] * (1.0f - h[i] * h[i]);
}

void ActivationBackward(Activation activation, const float* grad_h, const float* h, float* grad_z,
                        int64_t n) {
  if (activation == Activation::kRelu) {
    ReluBackward(grad_h, h, grad_z, n);
  } else {
    TanhBackward(grad_h, h, grad_z, n);
  }
}

// db[j] = sum_r dz[r, j], rows in order (vectorised across j).
BELLMAN_VECTOR_CLONES
void ColumnSums(const float* __restrict dz, int64_t batch, int64_t n, float* __restrict db) {
  for (int64_t j = 0; j < n; ++j) db[j] = 0.0f;
  for (int64_t r = 0; r < batch; ++r) {
    const float* row = dz + r * n;
    for (int64_t j = 0; j < n; ++j) db[j] += row[j];
  }
}

// Q[r, j] = (V[r] + A[r, j]) - mean_j A[r, j] from rows [V, A_1..A_n] (Wang et al. 2016, eq. 9),
// in the order of torch's `v + a - a.mean(1, true)`.
void DuelingForward(const float* va, int64_t batch, int64_t n, float* q) {
  for (int64_t r = 0; r < batch; ++r) {
    const float* row = va + r * (n + 1);
    const float v = row[0];
    const float* a = row + 1;
    float sum = 0.0f;
    for (int64_t j = 0; j < n; ++j) sum += a[j];
    const float mean = sum / static_cast<float>(n);
    float* out = q + r * n;
    for (int64_t j = 0; j < n; ++j) out[j] = (v + a[j]) - mean;
  }
}

// dV = sum_j dQ_j; dA_j = dQ_j + (-sum_j dQ_j) / n (the mean's backward).
void DuelingBackward(const float* grad_q, int64_t batch, int64_t n, float* grad_va) {
  for (int64_t r = 0; r < batch; ++r) {
    const float* g = grad_q + r * n;
    float sum = 0.0f;
    for (int64_t j = 0; j < n; ++j) sum += g[j];
    const float from_mean = -sum / static_cast<float>(n);
    float* out = grad_va + r * (n + 1);
    out[0] = sum;
    for (int64_t j = 0; j < n; ++j) out[j + 1] = g[j] + from_mean;
  }
}

}  // namespace

// Runs the net on `batch` rows of x, writing [batch, num_outputs] into out.
void Forward(const Plan& plan, Workspace& ws, const float* x, int64_t batch, const float* params,
             float* out) {
  ws.Reserve(batch);
  const int64_t last = plan.num_layers() - 1;
  const float* in = x;
  for (int64_t l = 0; l <= last; ++l) {
    const int64_t n_in = plan.sizes[l];
    const int64_t n_out = plan.sizes[l + 1];
    float* y = (l == last && !plan.buffer_last()) ? out : ws.activation(l);
    // Y[batch, n_out] = b + X[batch, n_in] W[n_out, n_in]^T: Y is filled with b and the GEMM
    // accumulates into it (beta = 1), the way torch's addmm computes nn.Linear; bit for bit the
    // same outputs as the plain module.
    const float* bias = params + plan.bias_offset[l];
    for (int64_t r = 0; r < batch; ++r) std::memcpy(y + r * n_out, bias, n_out * sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(batch),
                static_cast<int>(n_out), static_cast<int>(n_in), 1.0f, in, static_cast<int>(n_in),
                params + plan.weight_offset[l], static_cast<int>(n_in), 1.0f, y,
                static_cast<int>(n_out));
    if (l < last || plan.activate_output) Activate(plan.activation, y, batch * n_out);
    in = y;
  }
  if (plan.dueling) {
    DuelingForward(in, batch, plan.num_outputs, out);
  } else if (plan.activate_output) {
    std::memcpy(out, in, batch * plan.num_outputs * sizeof(float));
  }
}

// Backward of Forward given dL/d(out); the workspace holds that forward's activations.
// grad_params (all of flat) and grad_x ([batch, input]) may each be null when not needed.
void Backward(const Plan& plan, Workspace& ws, const float* x, int64_t batch, const float* params,
              const float* grad_out, float* grad_params, float* grad_x) {
  const int64_t last = plan.num_layers() - 1;
  const int64_t n_last = plan.sizes[last + 1];
  int buf = 0;  // the workspace gradient buffer that the next dZ goes to
  const float* dz = grad_out;
  if (plan.dueling) {
    DuelingBackward(grad_out, batch, plan.num_outputs, ws.grad[buf].data());
    dz = ws.grad[buf].data();
    buf ^= 1;
  } else if (plan.activate_output) {
    ActivationBackward(plan.activation, grad_out, ws.activation(last), ws.grad[buf].data(),
                       batch * n_last);
    dz = ws.grad[buf].data();
    buf ^= 1;
  }
  const int b = static_cast<int>(batch);
  for (int64_t l = last; l >= 0; --l) {
    const int n_in = static_cast<int>(plan.sizes[l]);
    const int n_out = static_cast<int>(plan.sizes[l + 1]);
    const float* in = l == 0 ? x : ws.activation(l - 1);
    const float* w = params + plan.weight_offset[l];
    if (grad_params != nullptr) {
      // dW = dZ^T X (torch: grad_output.t().mm(input)); db = column sums of dZ.
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n_out, n_in, b, 1.0f, dz, n_out, in,
                  n_in, 0.0f, grad_params + plan.weight_offset[l], n_in);
      ColumnSums(dz, batch, n_out, grad_params + plan.bias_offset[l]);
    }
    if (l > 0) {
      // dH = dZ W, then dZ_prev = dH * f'(H) in place.
      float* dh = ws.grad[buf].data();
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, n_in, n_out, 1.0f, dz, n_out, w,
                  n_in, 0.0f, dh, n_in);
      ActivationBackward(plan.activation, dh, ws.activation(l - 1), dh, batch * n_in);
      dz = dh;
      buf ^= 1;
    } else if (grad_x != nullptr) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, n_in, n_out, 1.0f, dz, n_out, w,
                  n_in, 0.0f, grad_x, n_in);
    }
  }
}

}  // namespace fused_detail

using fused_detail::Plan;
using fused_detail::Workspace;

// The autograd node. Inputs: x, flat (tensors) and the module (for its workspaces).
struct FusedMlpFunction : public torch::autograd::Function<FusedMlpFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& flat, FusedMlpImpl* module) {
    c10::intrusive_ptr<Workspace> ws = module->AcquireWorkspace();
    const Plan& plan = *ws->plan;
    const int64_t batch = x.size(0);
    torch::Tensor out = torch::empty({batch, plan.num_outputs});
    if (batch > 0) {
      fused_detail::Forward(plan, *ws, x.data_ptr<float>(), batch, flat.data_ptr<float>(),
                            out.data_ptr<float>());
    }
    ctx->save_for_backward({x, flat});
    // The workspace (its activations) lives as long as this node.
    ctx->saved_data["ws"] = c10::IValue::make_capsule(ws);
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    if (torch::GradMode::is_enabled()) {
      // create_graph: the BLAS calls below record nothing, so second derivatives would be wrong.
      throw Error("FusedMlp does not support double backward (create_graph=true); use a plain Mlp");
    }
    const torch::autograd::variable_list saved = ctx->get_saved_variables();
    const torch::Tensor& x = saved[0];
    const torch::Tensor& flat = saved[1];
    auto ws = c10::static_intrusive_pointer_cast<Workspace>(ctx->saved_data["ws"].toCapsule());
    const Plan& plan = *ws->plan;
    const int64_t batch = x.size(0);
    const torch::Tensor grad_out = grad_outputs[0].contiguous();
    torch::Tensor grad_x;
    torch::Tensor grad_flat;
    if (ctx->needs_input_grad(0)) grad_x = torch::empty({batch, plan.sizes[0]});
    if (ctx->needs_input_grad(1)) grad_flat = torch::empty({plan.num_params});
    if (batch == 0) {
      if (grad_flat.defined()) grad_flat.zero_();
    } else if (grad_x.defined() || grad_flat.defined()) {
      fused_detail::Backward(plan, *ws, x.data_ptr<float>(), batch, flat.data_ptr<float>(),
                             grad_out.data_ptr<float>(),
                             grad_flat.defined() ? grad_flat.data_ptr<float>() : nullptr,
                             grad_x.defined() ? grad_x.data_ptr<float>() : nullptr);
    }
    return {grad_x, grad_flat, torch::Tensor()};
  }
};

FusedMlpImpl::FusedMlpImpl(const MlpOptions& options, Rng& rng, bool dueling)
    : options_(options), dueling_(dueling) {
  options_.Validate();
  if (dueling_ && options_.activate_output) {
    throw Error("FusedMlp: a dueling output layer cannot also be activated (activate_output)");
  }
  auto plan = std::make_shared<Plan>();
  plan->sizes = options_.LayerSizes();
  if (dueling_) plan->sizes.back() += 1;  // [V, A_1..A_n]
  int64_t offset = 0;
  for (int64_t l = 0; l < plan->num_layers(); ++l) {
    plan->weight_offset.push_back(offset);
    offset += plan->sizes[l + 1] * plan->sizes[l];
    plan->bias_offset.push_back(offset);
    offset += plan->sizes[l + 1];
  }
  plan->num_params = offset;
  plan->num_outputs = options_.output_size;
  plan->activation = options_.activation;
  plan->activate_output = options_.activate_output;
  plan->dueling = dueling_;
  plan_ = std::move(plan);
  flat_ = register_parameter("flat", torch::empty({plan_->num_params}));
  InitLinears(linears(), rng);
}

FusedMlpImpl::~FusedMlpImpl() = default;

int64_t FusedMlpImpl::num_layers() const { return plan_->num_layers(); }

torch::Tensor FusedMlpImpl::weight(int64_t layer) const {
  if (layer < 0 || layer >= num_layers()) {
    throw Error(fmt::format("FusedMlp: layer {} out of range [0, {})", layer, num_layers()));
  }
  return flat_.narrow(0, plan_->weight_offset[layer], plan_->sizes[layer + 1] * plan_->sizes[layer])
      .view({plan_->sizes[layer + 1], plan_->sizes[layer]});
}

torch::Tensor FusedMlpImpl::bias(int64_t layer) const {
  if (layer < 0 || layer >= num_layers()) {
    throw Error(fmt::format("FusedMlp: layer {} out of range [0, {})", layer, num_layers()));
  }
  return flat_.narrow(0, plan_->bias_offset[layer], plan_->sizes[layer + 1]);
}

std::vector<LinearView> FusedMlpImpl::linears() const {
  std::vector<LinearView> out;
  const int64_t last = num_layers() - 1;
  for (int64_t l = 0; l < last; ++l) out.push_back({weight(l), bias(l)});
  if (dueling_) {
    const int64_t n = options_.output_size;
    out.push_back({weight(last).narrow(0, 0, 1), bias(last).narrow(0, 0, 1)});
    out.push_back({weight(last).narrow(0, 1, n), bias(last).narrow(0, 1, n)});
  } else {
    out.push_back({weight(last), bias(last)});
  }
  return out;
}

c10::intrusive_ptr<Workspace> FusedMlpImpl::AcquireWorkspace() {
  // A workspace referenced only from here is free: no live autograd node holds it.
  for (const auto& ws : workspaces_) {
    if (ws.use_count() == 1) return ws;
  }
  workspaces_.push_back(c10::make_intrusive<Workspace>(plan_));
  return workspaces_.back();
}

torch::Tensor FusedMlpImpl::forward(const torch::Tensor& x) {
  if (flat_.device() != torch::kCPU || flat_.scalar_type() != torch::kFloat32 ||
      !flat_.is_contiguous()) {
    throw Error(fmt::format(
        "FusedMlp runs on CPU float32 only, its parameter is {} {}; build a plain Mlp for other "
        "devices (MakeQNetwork does)",
        flat_.device().str(), c10::toString(flat_.scalar_type())));
  }
  if (x.dim() != 2 || x.size(1) != options_.input_size || x.device() != torch::kCPU ||
      x.scalar_type() != torch::kFloat32) {
    throw Error(
        fmt::format("FusedMlp: input must be a CPU float32 [batch, {}] tensor, got [{}] {} {}",
                    options_.input_size, fmt::join(x.sizes(), ", "), x.device().str(),
                    c10::toString(x.scalar_type())));
  }
  const torch::Tensor xc = x.contiguous();
  if (torch::GradMode::is_enabled() && (xc.requires_grad() || flat_.requires_grad())) {
    return FusedMlpFunction::apply(xc, flat_, this);
  }
  // No graph to record: skip autograd and run the kernels directly.
  c10::intrusive_ptr<Workspace> ws = AcquireWorkspace();
  const int64_t batch = xc.size(0);
  torch::Tensor out = torch::empty({batch, plan_->num_outputs});
  if (batch > 0) {
    fused_detail::Forward(*plan_, *ws, xc.data_ptr<float>(), batch, flat_.data_ptr<float>(),
                          out.data_ptr<float>());
  }
  return out;
}

}  // namespace bellman::nets
