// bellman::Collective on torch c10d: TCPStore rendezvous + ProcessGroupGloo (bellman/dist/gloo.h).
#include "bellman/dist/gloo.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <vector>

#include "bellman/core/error.h"
#include "bellman/core/validate.h"

namespace bellman::dist {

namespace {

std::optional<std::string> Variable(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

int64_t Integer(const char* name, const std::string& text, int64_t lo, int64_t hi) {
  size_t used = 0;
  int64_t value = 0;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || value < lo || value > hi) {
    throw Error(fmt::format("environment variable {}={} must be an integer in [{}, {}]", name, text,
                            lo, hi));
  }
  return value;
}

bool Loopback(const std::string& addr) {
  return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1";
}

}  // namespace

std::optional<WorldInfo> WorldFromEnvironment() {
  const auto size = Variable("WORLD_SIZE");
  if (!size) return std::nullopt;
  WorldInfo w;
  w.world_size = static_cast<int>(Integer("WORLD_SIZE", *size, 1, 1 << 20));
  if (w.world_size == 1 && !Variable("RANK")) return w;
  const auto need = [&](const char* name) {
    auto v = Variable(name);
    if (!v) {
      throw Error(fmt::format(
          "WORLD_SIZE={} but {} is not set; a multi-process run needs RANK, WORLD_SIZE, "
          "MASTER_ADDR and MASTER_PORT (bellman launch sets them; docs/distributed.md)",
          w.world_size, name));
    }
    return *v;
  };
  w.rank = static_cast<int>(Integer("RANK", need("RANK"), 0, w.world_size - 1));
  w.master_addr = need("MASTER_ADDR");
  w.master_port = static_cast<int>(Integer("MASTER_PORT", need("MASTER_PORT"), 1, 65535));
  const auto local = Variable("LOCAL_RANK");
  w.local_rank = local ? static_cast<int>(Integer("LOCAL_RANK", *local, 0, 1 << 20)) : w.rank;
  return w;
}

struct GlooCollective::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
  std::chrono::milliseconds timeout;
};

namespace {

// c10d reports a dead peer or a timeout as a c10::Error or std::runtime_error deep in Gloo;
// the user gets one line that says which rank and which step of the protocol.
template <class F>
auto Guard(const WorldInfo& w, const char* what, F&& f) {
  try {
    return f();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    std::string msg = e.what();
    if (const size_t nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
    throw Error(
        fmt::format("rank {} of {}: {} failed (a rank died, hung or never started; "
                    "dist.timeout_s bounds the wait): {}",
                    w.rank, w.world_size, what, msg));
  }
}

}  // namespace

GlooCollective::GlooCollective(const WorldInfo& world, double timeout_s)
    : world_(world), impl_(std::make_unique<Impl>()) {
  Require(timeout_s > 0.0, "dist.timeout_s must be > 0, got {}", timeout_s);
  impl_->timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000.0));
  Guard(world_, "joining the group at MASTER_ADDR:MASTER_PORT", [&] {
    c10d::TCPStoreOptions o;
    o.port = static_cast<uint16_t>(world_.master_port);
    o.isServer = world_.rank == 0;
    o.numWorkers = static_cast<size_t>(world_.world_size);
    o.waitWorkers = true;
    o.timeout = impl_->timeout;
    auto tcp = c10::make_intrusive<c10d::TCPStore>(world_.master_addr, o);
    impl_->store = c10::make_intrusive<c10d::PrefixStore>("bellman", tcp);
    auto options = c10d::ProcessGroupGloo::Options::create(impl_->timeout);
    if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname) {
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    } else if (Loopback(world_.master_addr)) {
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    } else {
      options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    }
    options->threads = 1;
    impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, world_.rank,
                                                               world_.world_size, options);
    return 0;
  });
}

GlooCollective::~GlooCollective() = default;

void GlooCollective::AllReduceInt64(int64_t* data, int64_t n, bool max) {
  Guard(world_, max ? "all-reduce (max)" : "all-reduce (min)", [&] {
    std::vector<at::Tensor> t = {torch::from_blob(data, {n}, torch::kInt64)};
    c10d::AllreduceOptions o;
    o.reduceOp = max ? c10d::ReduceOp::MAX : c10d::ReduceOp::MIN;
    impl_->group->allreduce(t, o)->wait(impl_->timeout);
    return 0;
  });
}

void GlooCollective::AllReduceMean(float* data, int64_t n) {
  if (n == 0) return;
  Guard(world_, "all-reduce of gradients", [&] {
    std::vector<at::Tensor> t = {torch::from_blob(data, {n}, torch::kFloat32)};
    impl_->group->allreduce(t)->wait(impl_->timeout);
    return 0;
  });
  // Divided after the sum, on every rank the same way: identical bits everywhere.
  const auto size = static_cast<float>(world_.world_size);
  for (int64_t i = 0; i < n; ++i) data[i] /= size;
  bytes_reduced_ += n * static_cast<int64_t>(sizeof(float));
}

void GlooCollective::AllReduceMin(int64_t* data, int64_t n) {
  AllReduceInt64(data, n, /*max=*/false);
}

void GlooCollective::AllReduceMax(int64_t* data, int64_t n) {
  AllReduceInt64(data, n, /*max=*/true);
}

std::string GlooCollective::BroadcastString(const std::string& value, int root) {
  const std::string key = fmt::format("broadcast/{}", broadcasts_++);
  return Guard(world_, "broadcast through the store", [&] {
    if (world_.rank == root) {
      impl_->store->set(key, std::vector<uint8_t>(value.begin(), value.end()));
      return value;
    }
    const std::vector<uint8_t> got = impl_->store->get(key);
    return std::string(got.begin(), got.end());
  });
}

}  // namespace bellman::dist
