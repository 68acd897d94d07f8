// The training progress line: steps, percent, FPS, last episode return, ETA.
//
// On a terminal it redraws one line in place ('\r') at most every `redraw_seconds`; elsewhere
// (a log file, CI) it prints plain lines, one each time another `plain_every_fraction` of the
// total is done or `plain_every_seconds` have passed, whichever comes first, so logs stay short
// but show that the run is alive. The stream, the TTY flag and the clock are injected so that
// tests can drive it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>

namespace bellman::io {

// "42s", "1m05s", "2h03m07s"; rounded to the nearest second; "?" for a negative or non-finite
// value (an ETA before any progress).
std::string FormatDuration(double seconds);

class ProgressBar {
 public:
  // Monotonic seconds (any origin).
  using Clock = std::function<double()>;

  struct Options {
    double redraw_seconds = 0.1;        // TTY: at most ~10 redraws per second
    double plain_every_fraction = 0.1;  // not a TTY: a line every 10% of total (0: never)
    double plain_every_seconds = 60.0;  // ...and at least once a minute (0: never)
    int bar_width = 20;                 // TTY: width of the [####----] bar (0: no bar)
  };

  // `total` steps expected; `start_step` is where counting starts (the checkpoint step on
  // resume), so FPS and ETA measure this process only. `clock` defaults to steady_clock.
  ProgressBar(int64_t total, std::ostream& out, bool is_tty, Clock clock = {},
              int64_t start_step = 0);
  ProgressBar(int64_t total, std::ostream& out, bool is_tty, Clock clock, int64_t start_step,
              Options options);

  // Progress on stdout, as a terminal if stdout is one.
  static ProgressBar ForStdout(int64_t total, int64_t start_step = 0);

  // Reports that `step` steps are done; draws if it is time to.
  void Update(int64_t step);
  // Records the return of the episode that just ended (shown from the next draw on).
  void SetEpisodeReturn(double episode_return) { last_return_ = episode_return; }
  // Free text appended to the line, e.g. "eval 500.0".
  void SetSuffix(std::string suffix) { suffix_ = std::move(suffix); }
  // Draws the final state and ends the line. Idempotent.
  void Finish();

  // The text of the line for the current state (without '\r' or '\n').
  std::string Line() const;

 private:
  void Draw(double now);

  int64_t total_;
  std::ostream* out_;
  bool is_tty_;
  Clock clock_;
  Options options_;
  int64_t start_step_;
  int64_t step_;
  double start_time_;
  double last_draw_time_;
  int64_t last_drawn_step_ = -1;
  int64_t next_plain_step_ = 0;
  size_t last_line_length_ = 0;
  std::optional<double> last_return_;
  std::string suffix_;
  bool finished_ = false;
  double now_ = 0;
};

}  // namespace bellman::io
