// EnvPool: a vector env stepped by worker threads, in sync or async mode (after EnvPool,
// Weng et al. 2022). Same interface and buffers as VectorEnv (vector_env.h).
//
// Threads: num_threads counts the caller. The N envs are split into num_threads fixed
// contiguous shards; the caller steps shard 0 and num_threads - 1 persistent worker threads
// step the others, woken per step (spin briefly, then sleep on a futex); the caller waits for
// all. A worker only ever touches its own shard's envs and rows. When the caller has finished
// its shard it also takes any shard whose worker has not started it yet (one compare-exchange
// decides who steps it), so a worker the OS has not scheduled costs at most the speed of one
// thread, never a wait. With num_threads == 1 there is no worker thread and no
// synchronisation: the caller steps every env inline. At most num_envs threads are used. Each
// env owns its generator and writes only its rows, so sync results are bit-identical for any
// num_threads and whichever thread steps a shard.
//
// Async mode (batch_size < num_envs), like EnvPool's send/recv: Send(actions, env_ids) hands
// envs to the workers, Recv() waits for the first batch_size envs that finished and returns
// their results with their env ids. Which envs come first depends on timing; each env's own
// trajectory depends only on its seed and the actions sent to it. The caller steps queued envs
// itself while it waits in Recv (so num_threads == 1 works, in send order).
//
// Worker threads never call torch; the destructor stops and joins them.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "bellman/envs/vector_env.h"

namespace bellman {

class EnvPool final : public VecEnv {
 public:
  // batch_size 0 means num_envs (sync mode). Throws for num_envs <= 0, num_threads <= 0,
  // batch_size outside [1, num_envs], and unknown ids/args.
  EnvPool(const std::string& id, int num_envs, const EnvArgs& args = {}, int num_threads = 1,
          int batch_size = 0);
  EnvPool(std::vector<std::unique_ptr<Env>> envs, int num_threads, int batch_size = 0);
  ~EnvPool() override;

  int num_threads() const { return num_threads_; }  // threads actually used (<= num_envs)
  int batch_size() const { return batch_size_; }
  // Envs handed to the pool by Send/AsyncReset and not yet returned by Recv.
  int num_in_flight() const { return in_flight_; }

  // Async API. AsyncReset(seed) queues a reset of every env (env i with seed + i); Recv()
  // returns them batch_size at a time. Send queues one step for each listed env with its row of
  // `actions` (copied: the buffer may be reused at once). An env may be sent only when the pool
  // is not holding it (after Reset, or after Recv returned it). Recv throws if fewer than
  // batch_size envs are in flight (it would wait forever), or if an env threw (naming it; the
  // pool then needs Reset).
  void AsyncReset(uint64_t seed);
  void Send(std::span<const int64_t> actions, std::span<const int> env_ids);
  void Send(std::span<const float> actions, std::span<const int> env_ids);
  VecEnvBatch Recv();

  // How long a waiting thread (worker, or the caller in Step/Recv) spins before it sleeps on a
  // futex, in microseconds. Stepping a batch of small envs takes about a microsecond while a
  // futex wake-up takes 5 to 50, so workers that sleep between steps would cost more than the
  // work; spinning longer burns a core while the caller does something else (docs/vector-envs.md
  // has the measurements). 0: sleep at once.
  static constexpr int kDefaultSpinUs = 100;
  void set_spin_us(int us) { spin_us_.store(us, std::memory_order_relaxed); }

 protected:
  void ResetAll(uint64_t seed) override;
  void StepAll(const std::byte* actions) override;
  void CheckCanStep() const override;

 private:
  enum class JobKind : uint8_t { kReset, kStep };
  enum class EnvState : uint8_t { kIdle, kInFlight };
  // One cache line per shard, written by the thread that steps it: in the steady state only
  // its worker writes it, so claiming costs no cache-line transfer.
  struct alignas(64) Shard {
    int begin = 0, end = 0;
    // sync_gen_ of the last job whose envs of this shard someone took (see TryClaim).
    std::atomic<uint32_t> claimed{0};
    // sync_gen_ of the last job the worker finished on this shard; the caller waits on it.
    std::atomic<uint32_t> done{0};
    int failed_env = -1;  // first env of the shard that threw in the current job
    std::string error;
  };
  // A fixed-capacity FIFO of env ids (each env is queued at most once: capacity N suffices).
  class IdQueue {
   public:
    void Init(int capacity) { ids_.assign(static_cast<size_t>(capacity), 0); }
    bool empty() const { return size_ == 0; }
    int size() const { return size_; }
    void Push(int id);
    int Pop();
    void Clear() { head_ = size_ = 0; }

   private:
    std::vector<int> ids_;
    int head_ = 0, size_ = 0;
  };

  void Init(int requested_threads, int batch_size);
  void RunSyncJob(JobKind kind, const std::byte* actions, uint64_t seed);
  void RunShard(Shard& shard);
  // Takes shard s for job `gen` if nobody has: its worker, or the caller once its own shard is
  // done (so that the caller never waits for a worker that has not started, e.g. one the OS has
  // not scheduled yet). Exactly one thread steps each shard per job.
  bool TryClaim(Shard& s, uint32_t gen);
  void WorkerLoop(int k);
  void Ring();  // wakes the workers after new work was posted
  // Pops one queued env and runs it in this thread; false if the queue was empty.
  bool RunOneQueued();
  void SendChecked(DType dtype, const void* actions, size_t count, std::span<const int> env_ids);
  // After an env threw in async mode: drops queued work, waits for the envs being stepped, and
  // throws the failure (the pool then needs Reset).
  [[noreturn]] void DrainAfterFailure();
  // Makes sure shard k of job `gen` gets stepped: waits for its worker, or steps it here.
  void FinishShard(int k, uint32_t gen, std::chrono::steady_clock::duration grace);

  int num_threads_ = 1;
  int batch_size_ = 0;
  std::atomic<int> spin_us_{kDefaultSpinUs};
  std::unique_ptr<Shard[]> shards_;   // num_threads_ of them; shard 0 is the caller's
  std::vector<std::thread> workers_;  // worker k-1 runs shard k

  // Sync job, published by bumping sync_gen_ (release) and read by workers after seeing it.
  alignas(64) std::atomic<uint32_t> bell_{0};  // bumped whenever there is new work or stop
  std::atomic<uint32_t> sync_gen_{0};
  std::atomic<bool> stop_{false};
  JobKind job_kind_ = JobKind::kStep;
  const std::byte* job_actions_ = nullptr;
  uint64_t job_seed_ = 0;

  // Async state. The queues and error are guarded by mu_; env_state_ and in_flight_ belong to
  // the caller's thread.
  alignas(64) std::mutex mu_;
  IdQueue todo_, done_;
  int failed_env_ = -1;  // first env that threw in async mode
  const char* failed_op_ = "";
  std::string failure_;
  std::atomic<uint32_t> done_seq_{0};  // bumped per finished env; Recv sleeps on it
  std::vector<EnvState> env_state_;
  std::vector<JobKind> queued_kind_;   // per env: what its queue entry does
  std::vector<uint64_t> queued_seed_;  // per env: seed of a queued reset
  AlignedBytes queued_actions_;        // [N, action row]: copies of sent actions
  int in_flight_ = 0;
  // Recv's output rows.
  std::vector<int> batch_ids_;
  AlignedBytes batch_obs_, batch_final_obs_;
  std::vector<double> batch_rewards_, batch_return_;
  std::vector<uint8_t> batch_terminated_, batch_truncated_, batch_has_final_;
  std::vector<int64_t> batch_length_;
};

}  // namespace bellman
