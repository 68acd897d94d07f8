#include "bellman/envs/env_pool.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "bellman/core/error.h"

namespace bellman {

namespace {

// One iteration of a spin-wait: tells the core we are spinning (frees the pipeline for the
// sibling hyperthread and saves power).
inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Spins until done() or until spin_us microseconds have passed; true if done() became true.
// A spin is bounded in time, not iterations: `pause` takes 10 to 150 cycles depending on the CPU.
template <typename Pred>
bool SpinUntil(Pred done, int spin_us) {
  if (done()) return true;
  if (spin_us <= 0) return false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(spin_us);
  for (;;) {
    for (int s = 0; s < 16; ++s) {
      CpuRelax();
      if (done()) return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) return done();
  }
}

}  // namespace

void EnvPool::IdQueue::Push(int id) {
  const int cap = static_cast<int>(ids_.size());
  ids_[static_cast<size_t>((head_ + size_) % cap)] = id;
  ++size_;
}

int EnvPool::IdQueue::Pop() {
  const int id = ids_[static_cast<size_t>(head_)];
  head_ = (head_ + 1) % static_cast<int>(ids_.size());
  --size_;
  return id;
}

EnvPool::EnvPool(const std::string& id, int num_envs, const EnvArgs& args, int num_threads,
                 int batch_size)
    : VecEnv(MakeEnvs(id, num_envs, args, "EnvPool"), "EnvPool") {
  Init(num_threads, batch_size);
}

EnvPool::EnvPool(std::vector<std::unique_ptr<Env>> envs, int num_threads, int batch_size)
    : VecEnv(std::move(envs), "EnvPool") {
  Init(num_threads, batch_size);
}

void EnvPool::Init(int requested_threads, int batch_size) {
  const int n = num_envs();
  if (requested_threads <= 0) {
    throw Error(fmt::format("{}: num_threads must be >= 1, got {}", Name(), requested_threads));
  }
  if (batch_size == 0) batch_size = n;
  if (batch_size < 1 || batch_size > n) {
    throw Error(fmt::format("{}: batch_size must be in [1, num_envs={}] (0: num_envs), got {}",
                            Name(), n, batch_size));
  }
  num_threads_ = std::min(requested_threads, n);
  batch_size_ = batch_size;

  // Fixed contiguous shards; shard k = [k*N/T, (k+1)*N/T).
  shards_ = std::make_unique<Shard[]>(static_cast<size_t>(num_threads_));
  for (int k = 0; k < num_threads_; ++k) {
    shards_[k].begin = static_cast<int>(static_cast<int64_t>(k) * n / num_threads_);
    shards_[k].end = static_cast<int>(static_cast<int64_t>(k + 1) * n / num_threads_);
  }

  const size_t un = static_cast<size_t>(n);
  env_state_.assign(un, EnvState::kIdle);
  queued_kind_.assign(un, JobKind::kStep);
  queued_seed_.assign(un, 0);
  queued_actions_ = AlignedBytes(un * action_bytes());
  todo_.Init(n);
  done_.Init(n);
  const size_t b = static_cast<size_t>(batch_size_);
  batch_ids_.assign(b, 0);
  batch_obs_ = AlignedBytes(b * obs_bytes());
  batch_final_obs_ = AlignedBytes(b * obs_bytes());
  batch_rewards_.assign(b, 0.0);
  batch_return_.assign(b, 0.0);
  batch_terminated_.assign(b, 0);
  batch_truncated_.assign(b, 0);
  batch_has_final_.assign(b, 0);
  batch_length_.assign(b, 0);

  try {
    for (int k = 1; k < num_threads_; ++k) workers_.emplace_back([this, k] { WorkerLoop(k); });
  } catch (...) {
    // Thread creation failed: stop the ones already running before the members go away.
    stop_.store(true, std::memory_order_release);
    Ring();
    for (std::thread& t : workers_) t.join();
    throw;
  }
}

EnvPool::~EnvPool() {
  // No sync job can be running here (Step/Reset wait for every shard, even on failure); a worker
  // busy with an async env finishes it, then sees stop_.
  stop_.store(true, std::memory_order_release);
  Ring();
  for (std::thread& t : workers_) t.join();
}

void EnvPool::Ring() {
  // seq_cst: notify_all skips the futex wake when its waiter count (read seq_cst) is zero; the
  // bump must not be reordered after that read, or a worker going to sleep could be missed.
  bell_.fetch_add(1, std::memory_order_seq_cst);
  bell_.notify_all();  // a cheap check when no worker sleeps
}

void EnvPool::WorkerLoop(int k) {
  Shard& shard = shards_[k];
  uint32_t seen_gen = 0;
  for (;;) {
    const uint32_t bell = bell_.load(std::memory_order_acquire);
    if (stop_.load(std::memory_order_acquire)) return;
    const uint32_t gen = sync_gen_.load(std::memory_order_acquire);
    if (gen != seen_gen) {
      seen_gen = gen;
      if (TryClaim(shard, gen)) {
        RunShard(shard);
        // seq_cst for the same reason as in Ring(); release publishes the shard's rows.
        shard.done.store(gen, std::memory_order_seq_cst);
        shard.done.notify_one();
      }
      continue;
    }
    if (RunOneQueued()) continue;
    // Nothing to do. Spin first: a batch of small envs steps in about a microsecond, far less
    // than a futex wake-up, so sleeping at once would cost more than the work.
    const bool rung = SpinUntil([&] { return bell_.load(std::memory_order_relaxed) != bell; },
                                spin_us_.load(std::memory_order_relaxed));
    if (!rung) bell_.wait(bell, std::memory_order_acquire);
  }
}

bool EnvPool::TryClaim(Shard& s, uint32_t gen) {
  // Every job's shard is claimed before the job ends, so it holds gen - 1 until someone takes
  // it for job gen. A worker that wakes up late sees a newer value and leaves it alone.
  uint32_t expected = gen - 1;
  if (s.claimed.load(std::memory_order_relaxed) != expected) return false;
  return s.claimed.compare_exchange_strong(expected, gen, std::memory_order_acq_rel,
                                           std::memory_order_relaxed);
}

void EnvPool::RunShard(Shard& shard) {
  // Shard state is written only on failure, so that neighbouring shards share no written line.
  int i = shard.begin;
  try {
    if (job_kind_ == JobKind::kStep) {
      StepRange(i, shard.end, job_actions_);
    } else {
      for (; i < shard.end; ++i) ResetEnv(i, job_seed_ + static_cast<uint64_t>(i));
    }
  } catch (const std::exception& e) {
    shard.failed_env = i;
    shard.error = e.what();
  } catch (...) {
    shard.failed_env = i;
    shard.error = "unknown exception";
  }
}

void EnvPool::FinishShard(int k, uint32_t gen, std::chrono::steady_clock::duration grace) {
  Shard& s = shards_[k];
  auto finished = [&] { return s.done.load(std::memory_order_acquire) == gen; };
  // Shards are equal, so a running worker finishes about when the caller did: wait that long
  // before looking at the claim. Reading the claim word pulls the worker's line into this
  // core's cache, and the worker's next claim would then have to fetch it back first.
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (!finished()) {
    if (std::chrono::steady_clock::now() >= deadline) break;
    CpuRelax();
  }
  if (finished()) return;
  if (TryClaim(s, gen)) {  // the worker has not started: step the shard here
    RunShard(s);
    return;
  }
  SpinUntil(finished, spin_us_.load(std::memory_order_relaxed));
  for (uint32_t d; (d = s.done.load(std::memory_order_acquire)) != gen;) {
    s.done.wait(d, std::memory_order_acquire);
  }
}

void EnvPool::RunSyncJob(JobKind kind, const std::byte* actions, uint64_t seed) {
  job_kind_ = kind;
  job_actions_ = actions;
  job_seed_ = seed;
  if (num_threads_ > 1) {
    const uint32_t gen = sync_gen_.load(std::memory_order_relaxed) + 1;
    sync_gen_.store(gen, std::memory_order_release);  // publishes the job fields above
    Ring();
    const auto start = std::chrono::steady_clock::now();
    RunShard(shards_[0]);  // the caller's shard
    const auto grace = std::chrono::steady_clock::now() - start + std::chrono::microseconds(1);
    // Then wait for the workers' shards, or step the ones whose worker has not started.
    for (int k = 1; k < num_threads_; ++k) FinishShard(k, gen, grace);
  } else {
    RunShard(shards_[0]);
  }
  // Report the lowest failing env, whichever thread saw it first.
  int failed = -1;
  std::string what;
  for (int k = 0; k < num_threads_; ++k) {
    Shard& s = shards_[k];
    if (s.failed_env >= 0) {
      if (failed < 0) {
        failed = s.failed_env;
        what = std::move(s.error);
      }
      s.failed_env = -1;
      s.error.clear();
    }
  }
  if (failed >= 0) {
    ready_ = false;
    throw EnvFailure(failed, kind == JobKind::kReset ? "Reset" : "Step", what);
  }
}

void EnvPool::CheckCanStep() const {
  VecEnv::CheckCanStep();
  if (in_flight_ > 0) {
    throw Error(
        fmt::format("{}: Step() while {} envs are in flight (handed over by Send or "
                    "AsyncReset); Recv() them first",
                    Name(), in_flight_));
  }
}

void EnvPool::ResetAll(uint64_t seed) {
  if (in_flight_ > 0) {
    throw Error(
        fmt::format("{}: Reset() while {} envs are in flight (handed over by Send or "
                    "AsyncReset); Recv() them first",
                    Name(), in_flight_));
  }
  RunSyncJob(JobKind::kReset, nullptr, seed);
}

void EnvPool::StepAll(const std::byte* actions) { RunSyncJob(JobKind::kStep, actions, 0); }

void EnvPool::AsyncReset(uint64_t seed) {
  if (in_flight_ > 0) {
    throw Error(fmt::format("{}: AsyncReset() while {} envs are in flight; Recv() them first",
                            Name(), in_flight_));
  }
  const int n = num_envs();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int i = 0; i < n; ++i) {
      queued_kind_[static_cast<size_t>(i)] = JobKind::kReset;
      queued_seed_[static_cast<size_t>(i)] = seed + static_cast<uint64_t>(i);
      todo_.Push(i);
    }
  }
  std::fill(env_state_.begin(), env_state_.end(), EnvState::kInFlight);
  in_flight_ = n;
  ready_ = true;
  Ring();
}

void EnvPool::Send(std::span<const int64_t> actions, std::span<const int> env_ids) {
  SendChecked(DType::kInt64, actions.data(), actions.size(), env_ids);
}

void EnvPool::Send(std::span<const float> actions, std::span<const int> env_ids) {
  SendChecked(DType::kFloat32, actions.data(), actions.size(), env_ids);
}

void EnvPool::SendChecked(DType dtype, const void* actions, size_t count,
                          std::span<const int> env_ids) {
  if (!ready_) {
    throw Error(fmt::format(
        "{}: Send() called before Reset(seed)/AsyncReset(seed) (or after an env failed); reset "
        "first",
        Name()));
  }
  CheckActions(dtype, count, env_ids.size(), "Send");
  const int n = num_envs();
  // Validate every id before queueing any; mark as we go so that duplicates are caught, and
  // undo the marks if one is bad.
  for (size_t j = 0; j < env_ids.size(); ++j) {
    const int id = env_ids[j];
    std::string problem;
    if (id < 0 || id >= n) {
      problem = fmt::format("env id {} is out of range [0, {})", id, n);
    } else if (env_state_[static_cast<size_t>(id)] == EnvState::kInFlight) {
      problem = fmt::format(
          "env {} is already in flight (listed twice, or sent and not yet returned by Recv)", id);
    }
    if (!problem.empty()) {
      for (size_t u = 0; u < j; ++u) env_state_[static_cast<size_t>(env_ids[u])] = EnvState::kIdle;
      throw Error(fmt::format("{}: Send(): {}", Name(), problem));
    }
    env_state_[static_cast<size_t>(id)] = EnvState::kInFlight;
  }
  const size_t row = action_bytes();
  const std::byte* src = static_cast<const std::byte*>(actions);
  for (size_t j = 0; j < env_ids.size(); ++j) {
    const size_t id = static_cast<size_t>(env_ids[j]);
    std::memcpy(queued_actions_.data() + id * row, src + j * row, row);
    queued_kind_[id] = JobKind::kStep;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const int id : env_ids) todo_.Push(id);
  }
  in_flight_ += static_cast<int>(env_ids.size());
  Ring();
}

bool EnvPool::RunOneQueued() {
  int id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (todo_.empty()) return false;
    id = todo_.Pop();
  }
  const size_t k = static_cast<size_t>(id);
  const JobKind kind = queued_kind_[k];
  bool ok = true;
  std::string what;
  try {
    if (kind == JobKind::kStep) {
      StepEnv(id, queued_actions_.data() + k * action_bytes());
    } else {
      ResetEnv(id, queued_seed_[k]);
    }
  } catch (const std::exception& e) {
    ok = false;
    what = e.what();
  } catch (...) {
    ok = false;
    what = "unknown exception";
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    done_.Push(id);
    if (!ok && failed_env_ < 0) {
      failed_env_ = id;
      failed_op_ = kind == JobKind::kStep ? "Step" : "Reset";
      failure_ = std::move(what);
    }
  }
  done_seq_.fetch_add(1, std::memory_order_seq_cst);  // seq_cst: see Ring()
  done_seq_.notify_one();                             // only the caller waits on it, in Recv
  return true;
}

VecEnvBatch EnvPool::Recv() {
  if (in_flight_ < batch_size_) {
    throw Error(fmt::format(
        "{}: Recv() needs batch_size={} envs in flight, but {} are; Send() more envs first "
        "(or AsyncReset)",
        Name(), batch_size_, in_flight_));
  }
  for (;;) {
    const uint32_t seq = done_seq_.load(std::memory_order_acquire);
    bool failed = false, have = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      failed = failed_env_ >= 0;
      have = done_.size() >= batch_size_;
      if (have && !failed) {
        for (int& id : batch_ids_) id = done_.Pop();
      }
    }
    if (failed) DrainAfterFailure();
    if (have) break;
    // Help the workers rather than wait idle (with num_threads == 1 the caller does all work).
    if (RunOneQueued()) continue;
    const bool moved = SpinUntil([&] { return done_seq_.load(std::memory_order_relaxed) != seq; },
                                 spin_us_.load(std::memory_order_relaxed));
    if (!moved) done_seq_.wait(seq, std::memory_order_acquire);
  }
  in_flight_ -= batch_size_;

  // Gather the finished envs' rows into the contiguous batch buffers.
  const size_t ob = obs_bytes();
  const std::byte* obs = static_cast<const std::byte*>(obs_data());
  const std::byte* final_obs = static_cast<const std::byte*>(final_obs_data());
  for (size_t j = 0; j < batch_ids_.size(); ++j) {
    const size_t id = static_cast<size_t>(batch_ids_[j]);
    env_state_[id] = EnvState::kIdle;
    std::memcpy(batch_obs_.data() + j * ob, obs + id * ob, ob);
    batch_rewards_[j] = rewards()[id];
    batch_terminated_[j] = terminated()[id];
    batch_truncated_[j] = truncated()[id];
    batch_has_final_[j] = has_final_obs()[id];
    if (batch_has_final_[j]) {
      std::memcpy(batch_final_obs_.data() + j * ob, final_obs + id * ob, ob);
      batch_return_[j] = episode_return()[id];
      batch_length_[j] = episode_length()[id];
    }
  }
  VecEnvBatch b;
  b.size = batch_size_;
  b.env_ids = batch_ids_.data();
  b.obs = batch_obs_.data();
  b.rewards = batch_rewards_.data();
  b.terminated = batch_terminated_.data();
  b.truncated = batch_truncated_.data();
  b.final_obs = batch_final_obs_.data();
  b.has_final_obs = batch_has_final_.data();
  b.episode_return = batch_return_.data();
  b.episode_length = batch_length_.data();
  return b;
}

void EnvPool::DrainAfterFailure() {
  for (;;) {
    const uint32_t seq = done_seq_.load(std::memory_order_acquire);
    {
      std::lock_guard<std::mutex> lock(mu_);
      // Queued envs are dropped; envs being stepped by a worker must finish before the pool
      // can be reset.
      in_flight_ -= todo_.size();
      todo_.Clear();
      if (done_.size() == in_flight_) break;
    }
    const bool moved = SpinUntil([&] { return done_seq_.load(std::memory_order_relaxed) != seq; },
                                 spin_us_.load(std::memory_order_relaxed));
    if (!moved) done_seq_.wait(seq, std::memory_order_acquire);
  }
  int env;
  const char* op;
  std::string what;
  {
    std::lock_guard<std::mutex> lock(mu_);
    done_.Clear();
    env = failed_env_;
    op = failed_op_;
    what = std::move(failure_);
    failed_env_ = -1;
    failure_.clear();
  }
  in_flight_ = 0;
  std::fill(env_state_.begin(), env_state_.end(), EnvState::kIdle);
  ready_ = false;
  throw EnvFailure(env, op, what);
}

}  // namespace bellman
