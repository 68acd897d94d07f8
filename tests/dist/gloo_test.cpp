// The c10d-backed Collective (src/dist/gloo.cpp) and data-parallel gradient averaging
// (nets/grad_sync.h), with the ranks as threads of this process: TCPStore and Gloo do not care.
#include "bellman/dist/gloo.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bellman/core/error.h"
#include "bellman/nets/grad_sync.h"
#include "bellman/nets/optim.h"
#include "dist/free_port.h"

namespace bellman::dist {
namespace {

using bellman::test_util::FreePort;

// Runs body(group) on `world` ranks, one thread each; rethrows the first rank's exception.
void OnRanks(int world, const std::function<void(GlooCollective&)>& body, double timeout_s = 30) {
  const int port = FreePort();
  std::vector<std::exception_ptr> errors(static_cast<size_t>(world));
  std::vector<std::thread> threads;
  for (int r = 0; r < world; ++r) {
    threads.emplace_back([&, r] {
      try {
        GlooCollective group(WorldInfo{.rank = r,
                                       .world_size = world,
                                       .local_rank = r,
                                       .master_addr = "127.0.0.1",
                                       .master_port = port},
                             timeout_s);
        body(group);
      } catch (...) {
        errors[static_cast<size_t>(r)] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

TEST(GlooCollective, AllReduceMeanGivesEveryRankTheSameMean) {
  std::vector<std::vector<float>> out(3);
  OnRanks(3, [&](GlooCollective& g) {
    const auto r = static_cast<float>(g.rank());
    std::vector<float> x = {r, 10.0f * r, 0.1f + r};
    g.AllReduceMean(x.data(), 3);
    out[static_cast<size_t>(g.rank())] = x;
    EXPECT_EQ(g.bytes_reduced(), 12);
  });
  // (0 + 1 + 2) / 3 = 1; (0 + 10 + 20) / 3 = 10; (0.1 + 1.1 + 2.1) / 3.
  EXPECT_FLOAT_EQ(out[0][0], 1.0f);
  EXPECT_FLOAT_EQ(out[0][1], 10.0f);
  EXPECT_NEAR(out[0][2], 1.1f, 1e-6);
  EXPECT_EQ(out[1], out[0]);  // bit for bit
  EXPECT_EQ(out[2], out[0]);
}

TEST(GlooCollective, MinMaxBroadcastAndParameterChecks) {
  OnRanks(2, [](GlooCollective& g) {
    int64_t lo = 5 + g.rank(), hi = lo;
    g.AllReduceMin(&lo, 1);
    g.AllReduceMax(&hi, 1);
    EXPECT_EQ(lo, 5);
    EXPECT_EQ(hi, 6);
    EXPECT_EQ(g.BroadcastString(g.rank() == 0 ? "runs/x" : "ignored", 0), "runs/x");
    EXPECT_EQ(g.BroadcastString(g.rank() == 1 ? "second" : "", 1), "second");
    g.CheckSame(42, "the test's parameters");
    EXPECT_EQ(g.checks(), 1);
    try {
      g.CheckSame(static_cast<uint64_t>(g.rank()), "the test's parameters");
      ADD_FAILURE() << "different hashes passed the check";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("diverged"), std::string::npos) << e.what();
    }
  });
}

TEST(GlooCollective, MissingRankIsAClearErrorAfterTheTimeout) {
  const int port = FreePort();
  try {
    GlooCollective alone(WorldInfo{.rank = 0, .world_size = 2, .master_port = port}, 1.0);
    FAIL() << "a world of 2 formed with one rank";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("rank 0 of 2"), std::string::npos) << e.what();
  }
}

TEST(WorldFromEnvironment, ReadsTorchrunVariablesAndNamesBadOnes) {
  ::unsetenv("WORLD_SIZE");
  EXPECT_FALSE(WorldFromEnvironment().has_value());
  ::setenv("WORLD_SIZE", "4", 1);
  ::setenv("RANK", "3", 1);
  ::setenv("MASTER_ADDR", "node0", 1);
  ::setenv("MASTER_PORT", "29501", 1);
  ::unsetenv("LOCAL_RANK");
  const auto w = WorldFromEnvironment();
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->rank, 3);
  EXPECT_EQ(w->world_size, 4);
  EXPECT_EQ(w->local_rank, 3);
  EXPECT_EQ(w->master_addr, "node0");
  EXPECT_EQ(w->master_port, 29501);
  ::setenv("RANK", "4", 1);
  EXPECT_THROW(
      {
        try {
          WorldFromEnvironment();
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find("RANK=4"), std::string::npos) << e.what();
          throw;
        }
      },
      Error);
  ::setenv("RANK", "1", 1);
  ::unsetenv("MASTER_PORT");
  EXPECT_THROW(WorldFromEnvironment(), Error);
  ::setenv("MASTER_PORT", "http", 1);
  EXPECT_THROW(WorldFromEnvironment(), Error);
  for (const char* v : {"WORLD_SIZE", "RANK", "MASTER_ADDR", "MASTER_PORT"}) ::unsetenv(v);
}

// Two ranks, the same initial parameters, different data: after GradientSync every gradient is
// the mean of the two ranks' (checked against the hand-computed mean), and after the optimizer
// step the parameters are identical bit for bit.
TEST(GradientSync, AveragesGradientsAndKeepsParametersIdentical) {
  std::vector<std::vector<float>> grads(2), params(2), own(2);
  OnRanks(2, [&](GlooCollective& g) {
    torch::Tensor w = torch::arange(6, torch::kFloat32).reshape({2, 3}).div(10).requires_grad_();
    torch::Tensor b = torch::zeros({2}).requires_grad_();
    nets::FlatAdam opt({w, b}, torch::optim::AdamOptions(0.1));
    nets::GradientSync sync(&g, /*check_interval=*/1, "the test's layer");
    const float r = static_cast<float>(g.rank());
    torch::Tensor x = torch::tensor({1.0f + r, -2.0f, 0.5f * r}).reshape({1, 3});
    opt.zero_grad();
    (torch::linear(x, w, b).pow(2).sum()).backward();
    const auto k = static_cast<size_t>(g.rank());
    for (const torch::Tensor& t : {w.grad(), b.grad()}) {
      const torch::Tensor c = t.contiguous();
      own[k].insert(own[k].end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    }
    sync.AllReduce(opt);
    EXPECT_EQ(sync.bytes_per_call(), 8 * 4);
    for (const torch::Tensor& t : {w.grad(), b.grad()}) {
      const torch::Tensor c = t.contiguous();
      grads[k].insert(grads[k].end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    }
    opt.step();
    sync.AllReduce(opt);  // the next call checks the stepped parameters across ranks
    EXPECT_EQ(g.checks(), 2);
    for (const torch::Tensor& t : {w, b}) {
      const torch::Tensor c = t.detach().contiguous();
      params[k].insert(params[k].end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    }
  });
  ASSERT_EQ(grads[0].size(), 8u);
  for (size_t i = 0; i < 8; ++i) EXPECT_FLOAT_EQ(grads[0][i], (own[0][i] + own[1][i]) / 2) << i;
  EXPECT_NE(own[0], own[1]);  // the ranks' own gradients differed
  EXPECT_EQ(grads[0], grads[1]);
  EXPECT_EQ(params[0], params[1]);
}

}  // namespace
}  // namespace bellman::dist
