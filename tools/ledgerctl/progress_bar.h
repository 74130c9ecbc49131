// Import progress on stderr: a bar redrawn in place on a terminal, or a plain line every
// few seconds when stderr is a file or a pipe (logs stay readable).
#ifndef SIXHEARTS_TOOLS_LEDGERCTL_PROGRESS_BAR_H_
#define SIXHEARTS_TOOLS_LEDGERCTL_PROGRESS_BAR_H_

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

#include "absl/time/time.h"

namespace sixhearts::ledgerctl {

struct ProgressSnapshot {
  int64_t rows = 0;
  int64_t bytes = 0;
  // 0 when unknown (standard input): no percentage then.
  int64_t total_bytes = 0;
  int64_t events = 0;
  absl::Duration elapsed;
};

// The text of one update, e.g.
// "[#########...........]  45%  1,234 rows  2,468 events  1,200 events/s" (the bar and
// percentage only when total_bytes is known).
std::string FormatProgress(const ProgressSnapshot& snapshot);

// Not thread-safe; `out` is not owned.
class ProgressBar {
 public:
  // `now` is the clock (injected so that tests decide when lines are due).
  ProgressBar(std::ostream* out, bool terminal, int64_t total_bytes,
              std::function<absl::Time()> now);

  // Draws when due: on a terminal at most every kProgressRedrawMs, otherwise a line every
  // kProgressLineMs.
  void Update(int64_t rows, int64_t bytes, int64_t events);
  // Draws the final state once (terminal: then moves to a new line).
  void Finish(int64_t rows, int64_t bytes, int64_t events);

 private:
  void Draw(int64_t rows, int64_t bytes, int64_t events);

  std::ostream* out_;
  bool terminal_;
  int64_t total_bytes_;
  std::function<absl::Time()> now_;
  absl::Time start_;
  absl::Time last_draw_ = absl::InfinitePast();
  size_t last_width_ = 0;
  bool drawn_ = false;
  bool finished_ = false;
};

}  // namespace sixhearts::ledgerctl

#endif  // SIXHEARTS_TOOLS_LEDGERCTL_PROGRESS_BAR_H_
