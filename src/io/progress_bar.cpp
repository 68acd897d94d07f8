#include "bellman/io/progress_bar.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "bellman/core/error.h"

namespace bellman::io {

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const double rounded = std::round(seconds);
  if (rounded >= 1e12) return "?";  // years: not an ETA anyone can use
  const auto total = static_cast<int64_t>(rounded);
  const int64_t h = total / 3600, m = (total / 60) % 60, s = total % 60;
  if (h > 0) return fmt::format("{}h{:02d}m{:02d}s", h, m, s);
  if (m > 0) return fmt::format("{}m{:02d}s", m, s);
  return fmt::format("{}s", s);
}

namespace {

double SteadySeconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

ProgressBar::ProgressBar(int64_t total, std::ostream& out, bool is_tty, Clock clock,
                         int64_t start_step)
    : ProgressBar(total, out, is_tty, std::move(clock), start_step, Options{}) {}

ProgressBar::ProgressBar(int64_t total, std::ostream& out, bool is_tty, Clock clock,
                         int64_t start_step, Options options)
    : total_(total),
      out_(&out),
      is_tty_(is_tty),
      clock_(clock ? std::move(clock) : Clock(SteadySeconds)),
      options_(options),
      start_step_(start_step),
      step_(start_step) {
  if (total <= 0) throw Error(fmt::format("ProgressBar: total steps must be > 0, got {}", total));
  if (start_step < 0 || start_step > total) {
    throw Error(
        fmt::format("ProgressBar: start_step must be in [0, {}], got {}", total, start_step));
  }
  if (options.redraw_seconds < 0 || options.plain_every_fraction < 0 ||
      options.plain_every_seconds < 0 || options.bar_width < 0) {
    throw Error("ProgressBar: options must be >= 0");
  }
  start_time_ = now_ = last_draw_time_ = clock_();
  next_plain_step_ = start_step_;
  if (options_.plain_every_fraction > 0) {
    const auto every =
        std::max<int64_t>(1, static_cast<int64_t>(std::ceil(static_cast<double>(total_) *
                                                            options_.plain_every_fraction)));
    next_plain_step_ = (start_step_ / every + 1) * every;
  } else {
    next_plain_step_ = total_;  // only the final line
  }
}

ProgressBar ProgressBar::ForStdout(int64_t total, int64_t start_step) {
  const char* term = std::getenv("TERM");
  const bool is_tty =
      ::isatty(STDOUT_FILENO) == 1 && !(term != nullptr && std::strcmp(term, "dumb") == 0);
  return ProgressBar(total, std::cout, is_tty, {}, start_step);
}

void ProgressBar::Update(int64_t step) {
  if (finished_) return;
  step_ = step;
  const double now = clock_();
  now_ = now;
  bool draw;
  if (is_tty_) {
    draw = last_drawn_step_ < 0 || now - last_draw_time_ >= options_.redraw_seconds ||
           (step >= total_ && last_drawn_step_ != step);
  } else {
    draw = step >= next_plain_step_ || (options_.plain_every_seconds > 0 &&
                                        now - last_draw_time_ >= options_.plain_every_seconds);
    if (draw && options_.plain_every_fraction > 0) {
      const auto every =
          std::max<int64_t>(1, static_cast<int64_t>(std::ceil(static_cast<double>(total_) *
                                                              options_.plain_every_fraction)));
      next_plain_step_ = std::max(next_plain_step_, (step / every + 1) * every);
    }
  }
  if (draw) Draw(now);
}

void ProgressBar::Finish() {
  if (finished_) return;
  now_ = clock_();
  if (is_tty_) {
    Draw(now_);
    *out_ << '\n';
    out_->flush();
  } else if (last_drawn_step_ != step_) {
    Draw(now_);
  }
  finished_ = true;
}

std::string ProgressBar::Line() const {
  const int64_t shown = std::clamp<int64_t>(step_, 0, total_);
  const double fraction = static_cast<double>(shown) / static_cast<double>(total_);
  std::string line;
  if (is_tty_ && options_.bar_width > 0) {
    const auto filled =
        static_cast<int>(std::floor(fraction * static_cast<double>(options_.bar_width)));
    line.push_back('[');
    line.append(filled, '#');
    line.append(options_.bar_width - filled, '-');
    line.append("] ");
  }
  line += fmt::format("{:3d}% {}/{}", shown * 100 / total_, step_, total_);
  const double elapsed = now_ - start_time_;
  const int64_t done = step_ - start_step_;
  const double fps = elapsed > 0 && done > 0 ? static_cast<double>(done) / elapsed : 0.0;
  line += fps > 0 ? fmt::format(" | {:.0f} fps", fps) : std::string(" | - fps");
  line += last_return_ ? fmt::format(" | return {:.2f}", *last_return_) : " | return -";
  line += " | elapsed " + FormatDuration(elapsed);
  const double remaining = static_cast<double>(std::max<int64_t>(0, total_ - step_));
  line += " | ETA " +
          (remaining == 0 ? std::string("0s") : FormatDuration(fps > 0 ? remaining / fps : -1.0));
  if (!suffix_.empty()) line += " | " + suffix_;
  return line;
}

void ProgressBar::Draw(double now) {
  const std::string line = Line();
  if (is_tty_) {
    // Overwrite the previous line; pad with spaces where it was longer.
    *out_ << '\r' << line;
    if (line.size() < last_line_length_) *out_ << std::string(last_line_length_ - line.size(), ' ');
  } else {
    *out_ << line << '\n';
  }
  out_->flush();
  last_line_length_ = line.size();
  last_draw_time_ = now;
  last_drawn_step_ = step_;
}

}  // namespace bellman::io
