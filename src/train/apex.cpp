// Ape-X's actors and learner on the run's key-value store (src/train/apex.h).
#include "train/apex.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iostream>
#include <thread>
#include <utility>

#include "bellman/core/error.h"

namespace bellman::train {

namespace {

using Clock = std::chrono::steady_clock;

constexpr int64_t kMagic = 0x3158504142;  // "BAPX1"
constexpr int64_t kMaxInFlight = 4;       // unread blocks an actor may have in the store
constexpr double kBeatSeconds = 1.0;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

void Nap() { std::this_thread::sleep_for(std::chrono::milliseconds(1)); }

// Bytes appended to / read from a block (fixed layout: header of int64 words, then columns;
// the length is checked against the header before anything is read).
void Put(std::string& out, const void* data, size_t bytes) {
  out.append(static_cast<const char*>(data), bytes);
}

class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  void Get(void* out, size_t n) {
    if (n > bytes_.size() - at_) {
      throw Error(fmt::format("Ape-X block of {} bytes ends at byte {} (expected {} more)",
                              bytes_.size(), at_, n));
    }
    std::memcpy(out, bytes_.data() + at_, n);
    at_ += n;
  }
  int64_t Int() {
    int64_t v = 0;
    Get(&v, sizeof v);
    return v;
  }
  bool done() const { return at_ == bytes_.size(); }

 private:
  std::string_view bytes_;
  size_t at_ = 0;
};

}  // namespace

double ApexEpsilon(int actor, int actors) {
  if (actors <= 1) return 0.4;
  return std::pow(0.4, 1.0 + 7.0 * actor / (actors - 1));
}

ApexBlock DecodeApexBlock(std::string_view bytes, size_t obs_bytes, size_t action_bytes) {
  Reader r(bytes);
  if (r.Int() != kMagic) throw Error("not an Ape-X block (bad magic number)");
  const int64_t n = r.Int(), ob = r.Int(), ab = r.Int();
  ApexBlock b;
  b.env_steps = r.Int();
  const int64_t episodes = r.Int();
  if (ob != static_cast<int64_t>(obs_bytes) || ab != static_cast<int64_t>(action_bytes)) {
    throw Error(fmt::format(
        "Ape-X block rows of {} observation and {} action bytes; this learner's env has {} and "
        "{} (are every rank's env and config the same?)",
        ob, ab, obs_bytes, action_bytes));
  }
  if (n < 0 || episodes < 0 || b.env_steps < 0 || n > (1 << 26) || episodes > (1 << 26)) {
    throw Error(fmt::format("corrupt Ape-X block header ({} rows, {} episodes, {} env steps)", n,
                            episodes, b.env_steps));
  }
  const auto rows = static_cast<size_t>(n);
  b.obs.resize(rows * obs_bytes);
  b.next_obs.resize(rows * obs_bytes);
  b.action.resize(rows * action_bytes);
  std::vector<float> reward(rows), discount(rows);
  b.terminated.resize(rows);
  b.truncated.resize(rows);
  b.td_errors.resize(rows);
  r.Get(b.obs.data(), b.obs.size());
  r.Get(b.action.data(), b.action.size());
  r.Get(reward.data(), rows * sizeof(float));
  r.Get(discount.data(), rows * sizeof(float));
  r.Get(b.next_obs.data(), b.next_obs.size());
  r.Get(b.terminated.data(), rows);
  r.Get(b.truncated.data(), rows);
  r.Get(b.td_errors.data(), rows * sizeof(float));
  b.episode_returns.resize(static_cast<size_t>(episodes));
  b.episode_lengths.resize(static_cast<size_t>(episodes));
  r.Get(b.episode_returns.data(), b.episode_returns.size() * sizeof(double));
  r.Get(b.episode_lengths.data(), b.episode_lengths.size() * sizeof(int64_t));
  if (!r.done()) throw Error("Ape-X block has bytes after its last column");
  b.reward.assign(reward.begin(), reward.end());
  b.discount.assign(discount.begin(), discount.end());
  b.rows = TransitionRows{.n = n,
                          .obs = b.obs.data(),
                          .action = b.action.data(),
                          .reward = b.reward.data(),
                          .next_obs = b.next_obs.data(),
                          .terminated = b.terminated.data(),
                          .truncated = b.truncated.data(),
                          .discount = b.discount.data()};
  return b;
}

// ---------------------------------------------------------------------------------------------
// Actor

// A store call; when the learner is gone, reconnects (a restarted learner serves a new, empty
// store: numbering starts again and the parameters must be fetched again) and calls again.
template <class F>
auto ApexActor::WithReconnect(F&& f) {
  try {
    return f();
  } catch (const StoreUnreachable& e) {
    std::cerr << fmt::format("{}the learner is unreachable ({}); reconnecting for up to {} s\n",
                             prefix_, e.what(), timeout_s_)
              << std::flush;
    store_.Reconnect(timeout_s_);
    ++reconnects_;
    params_version_ = 0;
    seq_ = store_.Add(prefix_ + "sent", 0);
    return f();
  }
}

ApexActor::ApexActor(KeyValueStore& store, int actor, const Space& observation_space,
                     const Space& action_space, int num_envs, int n_step, double gamma,
                     int64_t block_steps, double timeout_s)
    : store_(store),
      prefix_(fmt::format("apex/a{}/", actor)),
      timeout_s_(timeout_s),
      block_steps_(block_steps),
      block_((block_steps + n_step) * num_envs, observation_space, action_space),
      last_beat_(Clock::now()) {
  for (int i = 0; i < num_envs; ++i) {
    accumulators_.emplace_back(n_step, gamma, block_.obs_bytes(), block_.action_bytes());
  }
  seq_ = WithReconnect([&] { return store_.Add(prefix_ + "sent", 0); });
  Beat();
}

void ApexActor::Beat() {
  WithReconnect([&] { return store_.Add(prefix_ + "beat", 1); });
  last_beat_ = Clock::now();
}

std::string WaitApexRunDir(KeyValueStore& store, double timeout_s) {
  const Clock::time_point t0 = Clock::now();
  for (;;) {
    if (auto dir = store.TryGet("apex/run_dir")) return *dir;
    if (Since(t0) > timeout_s) {
      throw Error(fmt::format(
          "no Ape-X learner published its run directory within dist.timeout_s = {} s", timeout_s));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void ApexActor::SyncParams(algos::Algorithm& algo, bool wait) {
  const Clock::time_point t0 = Clock::now();
  for (;;) {
    const int64_t v = WithReconnect([&] { return store_.Add("apex/params_v", 0); });
    if (v != params_version_ && v > 0) {
      // The version is bumped after the parameters are written: these are at least version v.
      const auto bytes = WithReconnect([&] { return store_.TryGet("apex/params"); });
      if (bytes) {
        algos::LoadParams(algo, *bytes);
        params_version_ = v;
        ++param_loads_;
        return;
      }
    }
    if (!wait || params_version_ > 0) return;
    if (Since(t0) > timeout_s_) {
      throw Error(fmt::format("{}: no parameters from the learner within dist.timeout_s = {} s",
                              prefix_, timeout_s_));
    }
    if (Since(last_beat_) > kBeatSeconds) Beat();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void ApexActor::Step(const TransitionRows& rows, const double* episode_returns,
                     const int64_t* episode_lengths, int finished,
                     algos::OffPolicyAlgorithm& algo) {
  for (int64_t i = 0; i < rows.n; ++i) {
    const TransitionRows ready = accumulators_[static_cast<size_t>(i)].PushRow(rows, i);
    if (ready.n > 0) block_.Add(ready);
  }
  for (int k = 0; k < finished; ++k) {
    returns_.push_back(episode_returns[k]);
    lengths_.push_back(episode_lengths[k]);
  }
  env_steps_in_block_ += rows.n;
  if (++steps_in_block_ < block_steps_) return;
  Send(algo);
  steps_in_block_ = 0;
}

void ApexActor::Send(algos::OffPolicyAlgorithm& algo) {
  const int64_t n = block_.size();
  td_.clear();
  if (n > 0) {
    block_.PrepareBatch(n, batch_);
    for (int64_t i = 0; i < n; ++i) batch_.indices_data()[i] = i;
    block_.Gather(batch_);
    algo.TdErrorsOf(batch_, td_);
  }
  const auto rows = static_cast<size_t>(n);
  std::string bytes;
  const int64_t header[6] = {kMagic,
                             n,
                             static_cast<int64_t>(block_.obs_bytes()),
                             static_cast<int64_t>(block_.action_bytes()),
                             env_steps_in_block_,
                             static_cast<int64_t>(returns_.size())};
  Put(bytes, header, sizeof header);
  if (n > 0) {
    Put(bytes, batch_.obs_data(), rows * block_.obs_bytes());
    Put(bytes, batch_.action_data(), rows * block_.action_bytes());
    Put(bytes, batch_.reward().data(), rows * sizeof(float));
    Put(bytes, batch_.discount().data(), rows * sizeof(float));
    Put(bytes, batch_.next_obs_data(), rows * block_.obs_bytes());
    Put(bytes, batch_.terminated().data(), rows);
    Put(bytes, batch_.truncated().data(), rows);
    Put(bytes, td_.data(), rows * sizeof(float));
  }
  Put(bytes, returns_.data(), returns_.size() * sizeof(double));
  Put(bytes, lengths_.data(), lengths_.size() * sizeof(int64_t));
  block_.Clear();
  returns_.clear();
  lengths_.clear();
  env_steps_in_block_ = 0;

  // Wait while the learner is kMaxInFlight blocks behind (it trains at its own replay ratio);
  // then the block, then its number: the learner reads block k once `sent` > k.
  for (;;) {
    const bool stop = WithReconnect([&] { return store_.TryGet("apex/stop").has_value(); });
    if (stop) {
      stop_ = true;
      WithReconnect([&] { return store_.Add("apex/done", 1); });
      return;
    }
    const int64_t read = WithReconnect([&] { return store_.Add(prefix_ + "read", 0); });
    if (seq_ - read < kMaxInFlight) break;
    if (Since(last_beat_) > kBeatSeconds) Beat();
    Nap();
  }
  // The block, then its count, in one retried call: after a reconnect both are written again
  // into the new store with its numbering (seq_), never a count without its block.
  seq_ = WithReconnect([&] {
    store_.Set(fmt::format("{}b{}", prefix_, seq_), bytes);
    return store_.Add(prefix_ + "sent", 1);
  });
  ++blocks_sent_;
  bytes_sent_ += static_cast<int64_t>(bytes.size());
  Beat();
  SyncParams(algo, /*wait=*/params_version_ == 0);
}

// ---------------------------------------------------------------------------------------------
// Learner

ApexLearner::ApexLearner(KeyValueStore& store, int actors, double timeout_s,
                         std::function<void(const std::string&)> log)
    : store_(store), timeout_s_(timeout_s), log_(std::move(log)) {
  actors_.resize(static_cast<size_t>(actors));
  for (Actor& a : actors_) a.seen = Clock::now();
}

void ApexLearner::PublishRunDir(const std::string& dir) { store_.Set("apex/run_dir", dir); }

void ApexLearner::PublishParams(const std::string& bytes) {
  store_.Set("apex/params", bytes);
  version_ = store_.Add("apex/params_v", 1);
}

int ApexLearner::Poll(const std::function<void(std::string_view)>& ingest) {
  int got = 0;
  for (size_t i = 0; i < actors_.size(); ++i) {
    Actor& a = actors_[i];
    const std::string prefix = fmt::format("apex/a{}/", i);
    const int64_t beat = store_.Add(prefix + "beat", 0);
    if (beat != a.beat) {
      a.beat = beat;
      a.seen = Clock::now();
      if (!a.alive) {
        a.alive = true;
        log_(fmt::format("Ape-X actor {} (rank {}) is back", i, i + 1));
      }
    }
    const int64_t sent = store_.Add(prefix + "sent", 0);
    if (sent > a.next) {
      const std::string key = fmt::format("{}b{}", prefix, a.next);
      if (const auto bytes = store_.TryGet(key)) {
        store_.Delete(key);
        ++a.next;
        store_.Add(prefix + "read", 1);
        a.seen = Clock::now();
        ++blocks_read_;
        bytes_read_ += static_cast<int64_t>(bytes->size());
        ++got;
        ingest(*bytes);
      } else {
        // Counted but absent: an actor's write that a learner restart cut in two (its block went
        // to the dead store). Skip it rather than wait for it forever.
        ++a.next;
        store_.Add(prefix + "read", 1);
        log_(fmt::format("Ape-X actor {} (rank {}): block {} was lost; skipped", i, i + 1,
                         a.next - 1));
      }
    }
    if (a.alive && Since(a.seen) > timeout_s_) {
      a.alive = false;
      ++drops_;
      log_(fmt::format(
          "Ape-X actor {} (rank {}) silent for {:.0f} s (dist.timeout_s): dropped; training "
          "goes on with {} actor(s)",
          i, i + 1, Since(a.seen), alive()));
    }
  }
  return got;
}

void ApexLearner::Stop() {
  store_.Set("apex/stop", "1");
  // Actors see the key at their next block; the store (this process) must outlive that, or
  // they would take the learner's exit for a crash and try to reconnect.
  const Clock::time_point t0 = Clock::now();
  while (store_.Add("apex/done", 0) < alive() && Since(t0) < std::min(timeout_s_, 30.0)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

int ApexLearner::alive() const {
  int n = 0;
  for (const Actor& a : actors_) n += a.alive ? 1 : 0;
  return n;
}

bool ApexLearner::every_actor_read() const {
  for (const Actor& a : actors_)
    if (a.alive && a.next == 0) return false;
  return true;
}

double ApexLearner::seconds_since_any() const {
  double best = INFINITY;
  for (const Actor& a : actors_) best = std::min(best, Since(a.seen));
  return best;
}

}  // namespace bellman::train
