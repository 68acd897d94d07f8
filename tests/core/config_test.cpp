#include "bellman/core/config.h"

#include <gtest/gtest.h>

namespace bellman {
namespace {

struct NetConfig {
  std::vector<int64_t> hidden = {64, 64};
  std::string activation = "relu";
  template <class V>
  void Fields(V& v) {
    v("hidden", hidden);
    v("activation", activation);
  }
};

struct AgentConfig {
  double gamma = 0.99;
  int64_t batch_size = 32;
  bool double_q = true;
  NetConfig net;
  template <class V>
  void Fields(V& v) {
    v("gamma", gamma);
    v("batch_size", batch_size);
    v("double_q", double_q);
    v("net", net);
  }
};

TEST(Config, DefaultsWhenKeysAreMissing) {
  AgentConfig c = LoadConfig<AgentConfig>(YAML::Load("{}"));
  EXPECT_EQ(c.gamma, 0.99);
  EXPECT_EQ(c.batch_size, 32);
  EXPECT_EQ(c.net.hidden, (std::vector<int64_t>{64, 64}));
}

TEST(Config, ReadsNestedValues) {
  AgentConfig c = LoadConfig<AgentConfig>(
      YAML::Load("gamma: 0.9\nbatch_size: 128\ndouble_q: false\nnet: {hidden: [256, 256, 32]}"));
  EXPECT_EQ(c.gamma, 0.9);
  EXPECT_EQ(c.batch_size, 128);
  EXPECT_FALSE(c.double_q);
  EXPECT_EQ(c.net.hidden, (std::vector<int64_t>{256, 256, 32}));
  EXPECT_EQ(c.net.activation, "relu");
}

TEST(Config, UnknownKeySuggestsNearest) {
  try {
    LoadConfig<AgentConfig>(YAML::Load("gama: 0.9"));
    FAIL() << "no error";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("unknown config key 'gama'"), std::string::npos) << m;
    EXPECT_NE(m.find("did you mean 'gamma'"), std::string::npos) << m;
  }
  try {
    LoadConfig<AgentConfig>(YAML::Load("net: {hiden: [1]}"));
    FAIL() << "no error";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("'hiden' in 'net'"), std::string::npos) << m;
    EXPECT_NE(m.find("did you mean 'hidden'"), std::string::npos) << m;
  }
}

TEST(Config, WrongTypeNamesKeyAndExpectedType) {
  try {
    LoadConfig<AgentConfig>(YAML::Load("batch_size: 0.5"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "config key 'batch_size' must be an integer, got '0.5'");
  }
  EXPECT_THROW(LoadConfig<AgentConfig>(YAML::Load("net: {hidden: 5}")), Error);
  EXPECT_THROW(LoadConfig<AgentConfig>(YAML::Load("double_q: maybe")), Error);
}

TEST(Config, OverridesAndDumpRoundTrip) {
  YAML::Node root = YAML::Load("gamma: 0.9");
  ApplyOverride(root, "batch_size=7");
  ApplyOverride(root, "net.hidden=[8, 8]");
  ApplyOverride(root, "gamma=0.5");
  AgentConfig c = LoadConfig<AgentConfig>(root);
  EXPECT_EQ(c.gamma, 0.5);
  EXPECT_EQ(c.batch_size, 7);
  EXPECT_EQ(c.net.hidden, (std::vector<int64_t>{8, 8}));
  AgentConfig again = LoadConfig<AgentConfig>(YAML::Load(YAML::Dump(DumpConfig(c))));
  EXPECT_EQ(again.gamma, 0.5);
  EXPECT_EQ(again.net.hidden, c.net.hidden);
  EXPECT_THROW(ApplyOverride(root, "novalue"), Error);
  YAML::Node bad = YAML::Load("{}");
  ApplyOverride(bad, "gamam=1");
  EXPECT_THROW(LoadConfig<AgentConfig>(bad), Error);
}

TEST(Config, MissingFileIsAClearError) {
  try {
    LoadYamlFile("/nonexistent/x.yaml");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/x.yaml"), std::string::npos);
  }
}

// Message of the bellman::Error that f() throws ("" if none).
template <class F>
std::string ErrorOf(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Config, IntegralNumbersAreIntegersAndOutOfRangeIsNamed) {
  // RL Zoo writes budgets as 1e5: an integral number reads as an integer.
  EXPECT_EQ(LoadConfig<AgentConfig>(YAML::Load("batch_size: 1e5")).batch_size, 100000);
  EXPECT_EQ(LoadConfig<AgentConfig>(YAML::Load("batch_size: !!float 2.5e2")).batch_size, 250);
  const std::string big = ErrorOf([] { LoadConfig<AgentConfig>(YAML::Load("batch_size: 1e23")); });
  EXPECT_NE(big.find("config key 'batch_size' = 1e23 is out of range"), std::string::npos) << big;
  const std::string digits =
      ErrorOf([] { LoadConfig<AgentConfig>(YAML::Load("batch_size: 100000000000000000000000")); });
  EXPECT_NE(digits.find("out of range"), std::string::npos) << digits;
  const std::string half = ErrorOf([] { LoadConfig<AgentConfig>(YAML::Load("batch_size: 0.5")); });
  EXPECT_NE(half.find("must be an integer, got '0.5'"), std::string::npos) << half;
}

TEST(Config, DuplicateKeysAreAnErrorAtAnyDepth) {
  const std::string top = ErrorOf(
      [] { CheckNoDuplicateKeys(YAML::Load("gamma: 0.9\nbatch_size: 1\ngamma: 0.5"), "f"); });
  EXPECT_EQ(top, "f: key 'gamma' appears twice (lines 1 and 3); keep one");
  const std::string nested = ErrorOf(
      [] { CheckNoDuplicateKeys(YAML::Load("net:\n  hidden: [1]\n  hidden: [2]\n"), "f"); });
  EXPECT_EQ(nested, "f: key 'hidden' appears twice (lines 2 and 3); keep one");
  EXPECT_EQ(ErrorOf([] { CheckNoDuplicateKeys(YAML::Load("a: {b: 1}\nc: {b: 2}"), "f"); }), "");
}

TEST(Config, LoadYamlFileRejectsADirectory) {
  const std::string m = ErrorOf([] { LoadYamlFile("/tmp"); });
  EXPECT_EQ(m, "config file '/tmp' is a directory; expected a YAML file");
}

}  // namespace
}  // namespace bellman
