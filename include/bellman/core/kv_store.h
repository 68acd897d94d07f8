// KeyValueStore: the key-value store an Ape-X run's learner serves and its actors use
// (docs/distributed.md, "Ape-X"). Torch-free: src/dist/store.cpp implements it on c10d's
// TCPStore (the rendezvous store of torchrun and torch.distributed); tests may implement it in
// memory.
//
// Unlike a process group, the store outlives a dead client: an actor killed mid-run breaks
// nothing, and a client whose server went away gets StoreUnreachable and may Reconnect.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "bellman/core/error.h"

namespace bellman {

// The store's server is gone (the learner died or restarts), or never answered.
class StoreUnreachable : public Error {
 public:
  using Error::Error;
};

class KeyValueStore {
 public:
  virtual ~KeyValueStore() = default;
  virtual void Set(const std::string& key, const std::string& value) = 0;
  // The value, or nullopt when the key is absent (never waits).
  virtual std::optional<std::string> TryGet(const std::string& key) = 0;
  // Adds delta to the integer at key (absent: 0) and returns the new value; Add(key, 0) reads.
  virtual int64_t Add(const std::string& key, int64_t delta) = 0;
  virtual void Delete(const std::string& key) = 0;
  // Clients only: drops the connection and connects again, retrying for up to timeout_s (a
  // restarted server). Throws StoreUnreachable when none answers in time.
  virtual void Reconnect(double timeout_s) = 0;
};

}  // namespace bellman
