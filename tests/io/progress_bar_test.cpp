#include "bellman/io/progress_bar.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <sstream>

#include "bellman/core/error.h"

namespace bellman::io {
namespace {

TEST(FormatDuration, Units) {
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(4.4), "4s");
  EXPECT_EQ(FormatDuration(59.4), "59s");
  EXPECT_EQ(FormatDuration(59.6), "1m00s");
  EXPECT_EQ(FormatDuration(65), "1m05s");
  EXPECT_EQ(FormatDuration(3599), "59m59s");
  EXPECT_EQ(FormatDuration(3600), "1h00m00s");
  EXPECT_EQ(FormatDuration(7387), "2h03m07s");
  EXPECT_EQ(FormatDuration(-1), "?");
  EXPECT_EQ(FormatDuration(std::numeric_limits<double>::infinity()), "?");
}

// A clock the test moves by hand.
struct ManualClock {
  std::shared_ptr<double> t = std::make_shared<double>(100.0);
  ProgressBar::Clock fn() const {
    return [t = t] { return *t; };
  }
  void Advance(double dt) const { *t += dt; }
};

TEST(ProgressBar, PlainLinesEveryTenPercent) {
  std::ostringstream out;
  ManualClock clock;
  ProgressBar bar(1000, out, /*is_tty=*/false, clock.fn());
  for (int64_t step = 10; step <= 1000; step += 10) {
    clock.Advance(0.1);  // 100 steps per second
    if (step == 500) bar.SetEpisodeReturn(21.0);
    bar.Update(step);
  }
  bar.Finish();
  std::istringstream lines(out.str());
  std::vector<std::string> got;
  for (std::string line; std::getline(lines, line);) got.push_back(line);
  ASSERT_EQ(got.size(), 10u) << out.str();
  EXPECT_EQ(got[0], " 10% 100/1000 | 100 fps | return - | elapsed 1s | ETA 9s");
  EXPECT_EQ(got[4], " 50% 500/1000 | 100 fps | return 21.00 | elapsed 5s | ETA 5s");
  EXPECT_EQ(got[9], "100% 1000/1000 | 100 fps | return 21.00 | elapsed 10s | ETA 0s");
  EXPECT_EQ(out.str().find('\r'), std::string::npos);
}

TEST(ProgressBar, PlainLinesAlsoByTime) {
  std::ostringstream out;
  ManualClock clock;
  ProgressBar::Options options;
  options.plain_every_fraction = 0;  // only the time trigger
  options.plain_every_seconds = 30;
  ProgressBar bar(100000, out, false, clock.fn(), 0, options);
  int64_t step = 0;
  for (int i = 0; i < 100; ++i) {  // 100 s at 100 steps per second
    clock.Advance(1.0);
    step += 100;
    bar.Update(step);
  }
  // Lines at 30 s, 60 s, 90 s.
  EXPECT_EQ(out.str(),
            "  3% 3000/100000 | 100 fps | return - | elapsed 30s | ETA 16m10s\n"
            "  6% 6000/100000 | 100 fps | return - | elapsed 1m00s | ETA 15m40s\n"
            "  9% 9000/100000 | 100 fps | return - | elapsed 1m30s | ETA 15m10s\n");
  bar.Finish();  // the final state, once
  bar.Finish();
  const std::string all = out.str();
  EXPECT_EQ(std::count(all.begin(), all.end(), '\n'), 4);
}

TEST(ProgressBar, TtyRedrawsInPlaceAtMostTenTimesPerSecond) {
  std::ostringstream out;
  ManualClock clock;
  ProgressBar bar(1000, out, /*is_tty=*/true, clock.fn());
  for (int64_t step = 1; step <= 1000; ++step) {
    clock.Advance(0.001);  // 1 s in total
    bar.Update(step);
  }
  const std::string s = out.str();
  const auto redraws = std::count(s.begin(), s.end(), '\r');
  EXPECT_GE(redraws, 9);
  EXPECT_LE(redraws, 12);
  EXPECT_EQ(s.find('\n'), std::string::npos);  // one line, redrawn
  bar.Finish();
  EXPECT_TRUE(out.str().ends_with("\n"));
  const std::string last = out.str().substr(out.str().rfind('\r') + 1);
  EXPECT_EQ(last,
            "[####################] 100% 1000/1000 | 1000 fps | return - | elapsed 1s | "
            "ETA 0s\n");
}

TEST(ProgressBar, TtyPadsAShorterLine) {
  std::ostringstream out;
  ManualClock clock;
  ProgressBar bar(100, out, true, clock.fn());
  bar.SetSuffix("eval 123456.0");
  bar.Update(1);
  const size_t first_len = out.str().size() - 1;  // without '\r'
  bar.SetSuffix("");
  clock.Advance(1);
  bar.Update(2);
  const std::string second = out.str().substr(first_len + 1);
  EXPECT_EQ(second.size(), first_len + 1);  // '\r' + line + spaces up to the old length
  EXPECT_TRUE(second.ends_with("  ")) << second;
}

TEST(ProgressBar, BarAndEtaOnResume) {
  std::ostringstream out;
  ManualClock clock;
  // Resumed at step 40000 of 50000: FPS and ETA count this process's steps only.
  ProgressBar bar(50000, out, true, clock.fn(), /*start_step=*/40000);
  clock.Advance(2.0);
  bar.SetEpisodeReturn(-12.5);
  bar.Update(42000);
  EXPECT_EQ(bar.Line(),
            "[################----]  84% 42000/50000 | 1000 fps | return -12.50 | elapsed 2s | "
            "ETA 8s");
}

TEST(ProgressBar, BeforeAnyProgressEtaIsUnknown) {
  std::ostringstream out;
  ManualClock clock;
  ProgressBar bar(10, out, false, clock.fn());
  EXPECT_EQ(bar.Line(), "  0% 0/10 | - fps | return - | elapsed 0s | ETA ?");
}

TEST(ProgressBar, BadArgumentsAreErrors) {
  std::ostringstream out;
  EXPECT_THROW(ProgressBar(0, out, false), Error);
  EXPECT_THROW(ProgressBar(10, out, false, {}, 11), Error);
}

}  // namespace
}  // namespace bellman::io
