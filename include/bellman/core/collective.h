// Collective: the processes of one data-parallel training run, seen by the trainer and the
// algorithms without torch or sockets (docs/distributed.md). src/dist/ implements it on torch's
// c10d (a TCPStore rendezvous and ProcessGroupGloo); tests may implement it in-process.
//
// Every call is collective: all ranks make the same calls in the same order, or they block until
// the group's timeout and throw bellman::Error.
#pragma once

#include <cstdint>
#include <string>

namespace bellman {

class Collective {
 public:
  virtual ~Collective() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;

  // data[i] <- (sum over ranks of data[i]) / world_size, in place. Every rank receives the same
  // bits (the sum is reduced once and then broadcast), so identical updates keep identical
  // parameters.
  virtual void AllReduceMean(float* data, int64_t n) = 0;
  // data[i] <- min (or max) over ranks of data[i], in place.
  virtual void AllReduceMin(int64_t* data, int64_t n) = 0;
  virtual void AllReduceMax(int64_t* data, int64_t n) = 0;
  // Rank `root`'s value, on every rank (through the rendezvous store).
  virtual std::string BroadcastString(const std::string& value, int root) = 0;

  // Parameter checks (dist.check_interval): every rank hashes its parameters and the group
  // compares; a difference throws bellman::Error naming `what`. The checks so far and a hash of
  // every value checked, for summary.json (equal on every rank iff every check passed).
  void CheckSame(uint64_t hash, const std::string& what);
  int64_t checks() const { return checks_; }
  uint64_t check_chain() const { return check_chain_; }

 private:
  int64_t checks_ = 0;
  uint64_t check_chain_ = 0xcbf29ce484222325ull;
};

// FNV-1a over bytes, continuing from `hash` (the parameter fingerprint of CheckSame).
uint64_t Fnv1a(const void* data, size_t bytes, uint64_t hash = 0xcbf29ce484222325ull);

}  // namespace bellman
