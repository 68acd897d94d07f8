// The processes of a multi-process run on torch's distributed engine (c10d), the one PyTorch's
// DistributedDataParallel and torchrun use: a TCPStore rendezvous at MASTER_ADDR:MASTER_PORT
// (rank 0 serves it) and ProcessGroupGloo for the collectives on CPU tensors. No socket code or
// wire format of bellman's own (docs/distributed.md, docs/decisions.md).
//
// Torch-free header (the CLI includes it); src/dist/gloo.cpp holds the c10d objects.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "bellman/core/collective.h"

namespace bellman::dist {

// torchrun's variables: RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT.
struct WorldInfo {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
};

// The world this process belongs to, from the environment; nullopt when WORLD_SIZE is unset.
// Throws bellman::Error naming a variable that is not a number, out of range (RANK outside
// [0, WORLD_SIZE)), or missing while WORLD_SIZE > 1 says it is needed (RANK, MASTER_ADDR,
// MASTER_PORT).
std::optional<WorldInfo> WorldFromEnvironment();

class GlooCollective final : public Collective {
 public:
  // Joins the group: every rank must construct one within timeout_s (else bellman::Error), and
  // every collective call waits at most timeout_s for the others (a dead rank is an error).
  // The Gloo device binds the interface named by GLOO_SOCKET_IFNAME as torch does; else the
  // loopback interface when MASTER_ADDR is a loopback address, else the host name's address.
  GlooCollective(const WorldInfo& world, double timeout_s);
  ~GlooCollective() override;
  GlooCollective(const GlooCollective&) = delete;
  GlooCollective& operator=(const GlooCollective&) = delete;

  int rank() const override { return world_.rank; }
  int world_size() const override { return world_.world_size; }
  void AllReduceMean(float* data, int64_t n) override;
  void AllReduceMin(int64_t* data, int64_t n) override;
  void AllReduceMax(int64_t* data, int64_t n) override;
  std::string BroadcastString(const std::string& value, int root) override;

  // Bytes handed to all-reduces so far (this rank's payload, not the ring's wire traffic).
  int64_t bytes_reduced() const { return bytes_reduced_; }

 private:
  struct Impl;
  void AllReduceInt64(int64_t* data, int64_t n, bool max);
  WorldInfo world_;
  std::unique_ptr<Impl> impl_;
  int64_t broadcasts_ = 0;
  int64_t bytes_reduced_ = 0;
};

}  // namespace bellman::dist
