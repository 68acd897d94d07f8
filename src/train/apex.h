// Ape-X (Horgan et al. 2018) on the run's key-value store (core/kv_store.h; docs/distributed.md):
// the actors' side (blocks of n-step transitions with initial priorities, parameter fetches,
// reconnecting after a learner restart) and the learner's (reading blocks in order, publishing
// parameters, noticing silent actors). run.cpp drives both. Internal to src/train/.
//
// Store keys (every value a byte string, counters through KeyValueStore::Add):
//   apex/run_dir                  the learner's run directory (actors write <run_dir>/rank<r>)
//   apex/params, apex/params_v    the latest parameters (algos::SaveParams) and their version
//   apex/stop                     set when the learner is done: actors finish
//   apex/a<i>/sent, apex/a<i>/b<k> actor i's block count and block k (deleted once read)
//   apex/a<i>/read                blocks of actor i the learner has read (actors wait when
//                                 kMaxInFlight of theirs are unread)
//   apex/a<i>/beat                actor i's heartbeat, bumped at least every kBeatSeconds
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bellman/algos/algorithm.h"
#include "bellman/core/kv_store.h"
#include "bellman/core/space.h"
#include "bellman/replay/batch.h"
#include "bellman/replay/n_step.h"
#include "bellman/replay/storage.h"

namespace bellman::train {

// Horgan et al. 2018, section 4.1: epsilon_i = 0.4^(1 + 7 i / (N - 1)) for actor i of N
// (0.4 for a single actor).
double ApexEpsilon(int actor, int actors);

// One block as the learner reads it: complete (n-step) transitions, their initial |TD errors|,
// how many env steps the actor took to collect them, and the episodes that ended meanwhile.
struct ApexBlock {
  TransitionRows rows;  // points into the decoded buffers below
  std::vector<float> td_errors;
  int64_t env_steps = 0;
  std::vector<double> episode_returns;
  std::vector<int64_t> episode_lengths;
  // Storage of rows.
  std::vector<std::byte> obs, next_obs, action;
  std::vector<double> reward, discount;
  std::vector<uint8_t> terminated, truncated;
};

// Decodes a block's bytes; throws bellman::Error naming what does not fit the spaces.
ApexBlock DecodeApexBlock(std::string_view bytes, size_t obs_bytes, size_t action_bytes);

// The learner's run directory, waiting up to timeout_s for the learner to publish it.
std::string WaitApexRunDir(KeyValueStore& store, double timeout_s);

// An actor: turns its vector steps into blocks, sends them, fetches parameters.
class ApexActor {
 public:
  ApexActor(KeyValueStore& store, int actor, const Space& observation_space,
            const Space& action_space, int num_envs, int n_step, double gamma, int64_t block_steps,
            double timeout_s);

  // Loads the newest parameters into algo when there are new ones. wait: block until the first
  // version exists (start and after a reconnect).
  void SyncParams(algos::Algorithm& algo, bool wait);
  // One vector step. When block_steps steps are in, computes the block's priorities with algo,
  // sends it (waiting while too many are unread) and syncs parameters.
  void Step(const TransitionRows& rows, const double* episode_returns,
            const int64_t* episode_lengths, int finished, algos::OffPolicyAlgorithm& algo);
  bool stop_requested() const { return stop_; }

  int64_t blocks_sent() const { return blocks_sent_; }
  int64_t bytes_sent() const { return bytes_sent_; }
  int64_t param_loads() const { return param_loads_; }
  int64_t reconnects() const { return reconnects_; }

 private:
  template <class F>
  auto WithReconnect(F&& f);
  void Send(algos::OffPolicyAlgorithm& algo);
  void Beat();

  KeyValueStore& store_;
  std::string prefix_;  // apex/a<i>/
  double timeout_s_;
  int64_t block_steps_;
  int64_t steps_in_block_ = 0;
  std::vector<NStepAccumulator> accumulators_;
  ReplayStorage block_;
  Batch batch_;
  std::vector<float> td_;
  std::vector<double> returns_;
  std::vector<int64_t> lengths_;
  int64_t env_steps_in_block_ = 0;
  int64_t seq_ = 0;             // blocks sent to this store (a restarted learner starts at 0)
  int64_t params_version_ = 0;  // of this store
  bool stop_ = false;
  int64_t blocks_sent_ = 0, bytes_sent_ = 0, param_loads_ = 0, reconnects_ = 0;
  std::chrono::steady_clock::time_point last_beat_;
};

// The learner's side.
class ApexLearner {
 public:
  // log: one line per actor dropped or back (the learner's stdout).
  ApexLearner(KeyValueStore& store, int actors, double timeout_s,
              std::function<void(const std::string&)> log);

  void PublishRunDir(const std::string& dir);
  void PublishParams(const std::string& bytes);
  // Reads at most one new block per actor (in each actor's order), hands each to ingest and
  // returns how many were read; notes heartbeats and drops actors silent for timeout_s.
  int Poll(const std::function<void(std::string_view)>& ingest);
  void Stop();

  int alive() const;
  // Whether every live actor has had a block read (a solved evaluation ends the run only then:
  // a result never depends on an actor that had not started yet).
  bool every_actor_read() const;
  int64_t blocks_read() const { return blocks_read_; }
  int64_t bytes_read() const { return bytes_read_; }
  int64_t params_published() const { return version_; }
  int64_t drops() const { return drops_; }
  // Seconds since any actor last sent a block or a heartbeat.
  double seconds_since_any() const;

 private:
  struct Actor {
    int64_t next = 0;  // next block to read
    int64_t beat = -1;
    std::chrono::steady_clock::time_point seen;
    bool alive = true;
  };
  KeyValueStore& store_;
  double timeout_s_;
  std::function<void(const std::string&)> log_;
  std::vector<Actor> actors_;
  int64_t version_ = 0;
  int64_t blocks_read_ = 0, bytes_read_ = 0, drops_ = 0;
};

}  // namespace bellman::train
