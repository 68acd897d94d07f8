// bellman::KeyValueStore on c10d's TCPStore (bellman/dist/store.h).
#include "bellman/dist/store.h"

#include <fmt/format.h>

#include <chrono>
#include <exception>
#include <thread>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <utility>
#include <vector>

#include "bellman/core/validate.h"

namespace bellman::dist {

namespace {

class TcpKeyValueStore final : public KeyValueStore {
 private:
  // c10d reports a dead server as c10::Error or std::runtime_error; the caller gets one line.
  template <class F>
  auto Guard(const char* what, F&& f) {
    try {
      return f();
    } catch (const std::exception& e) {
      std::string msg = e.what();
      if (const size_t nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
      throw StoreUnreachable(fmt::format("rank {}: {} at {}:{} failed: {}", world_.rank, what,
                                         world_.master_addr, world_.master_port, msg));
    }
  }

  // A call on a connection that a failed Reconnect left closed.
  template <class F>
  auto Call(const char* what, F&& f) {
    if (!store_) {
      throw StoreUnreachable(fmt::format("rank {}: the store at {}:{} is not connected",
                                         world_.rank, world_.master_addr, world_.master_port));
    }
    return Guard(what, std::forward<F>(f));
  }

 public:
  TcpKeyValueStore(const WorldInfo& world, bool serve, double timeout_s)
      : world_(world),
        serve_(serve),
        timeout_(std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000.0))) {
    Require(timeout_s > 0.0, "dist.timeout_s must be > 0, got {}", timeout_s);
    Open("opening the store");
  }

  void Set(const std::string& key, const std::string& value) override {
    Call("set", [&] {
      store_->set(key, std::vector<uint8_t>(value.begin(), value.end()));
      return 0;
    });
  }
  std::optional<std::string> TryGet(const std::string& key) override {
    return Call("get", [&]() -> std::optional<std::string> {
      if (!store_->check({key})) return std::nullopt;
      const std::vector<uint8_t> v = store_->get(key);
      return std::string(v.begin(), v.end());
    });
  }
  int64_t Add(const std::string& key, int64_t delta) override {
    return Call("add", [&] { return store_->add(key, delta); });
  }
  void Delete(const std::string& key) override {
    Call("delete", [&] {
      store_->deleteKey(key);
      return 0;
    });
  }
  void Reconnect(double timeout_s) override {
    Require(!serve_, "the store's server cannot reconnect to itself");
    store_.reset();
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000.0));
    for (;;) {
      try {
        Open("reconnecting to the store");
        return;
      } catch (const StoreUnreachable&) {
        if (std::chrono::steady_clock::now() >= deadline) throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    }
  }

 private:
  void Open(const char* what) {
    Guard(what, [&] {
      c10d::TCPStoreOptions o;
      o.port = static_cast<uint16_t>(world_.master_port);
      o.isServer = serve_;
      o.numWorkers = c10::nullopt;  // Ape-X ranks come and go: nobody waits for a full house
      o.waitWorkers = false;
      o.timeout = timeout_;
      store_ = c10::make_intrusive<c10d::TCPStore>(world_.master_addr, o);
      return 0;
    });
  }

  WorldInfo world_;
  bool serve_;
  std::chrono::milliseconds timeout_;
  c10::intrusive_ptr<c10d::TCPStore> store_;
};

}  // namespace

std::unique_ptr<KeyValueStore> OpenStore(const WorldInfo& world, bool serve, double timeout_s) {
  return std::make_unique<TcpKeyValueStore>(world, serve, timeout_s);
}

}  // namespace bellman::dist
