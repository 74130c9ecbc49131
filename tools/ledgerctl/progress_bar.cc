// Progress text and when to draw it.
#include "tools/ledgerctl/progress_bar.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tools/ledgerctl/limits.h"
#include "tools/ledgerctl/table.h"

namespace sixhearts::ledgerctl {
namespace {

constexpr int kBarCells = 24;

}  // namespace

std::string FormatProgress(const ProgressSnapshot& s) {
  std::string text;
  if (s.total_bytes > 0) {
    const int64_t bytes = std::clamp<int64_t>(s.bytes, 0, s.total_bytes);
    const int percent = static_cast<int>(bytes * 100 / s.total_bytes);
    const int filled = static_cast<int>(bytes * kBarCells / s.total_bytes);
    absl::StrAppend(&text, "[", std::string(filled, '#'), std::string(kBarCells - filled, '.'),
                    "] ", absl::StrFormat("%3d%%", percent), "  ");
  }
  const double seconds = absl::ToDoubleSeconds(s.elapsed);
  const int64_t rate = seconds > 0 ? static_cast<int64_t>(s.events / seconds) : 0;
  absl::StrAppend(&text, GroupThousands(absl::StrCat(s.rows)), " rows  ",
                  GroupThousands(absl::StrCat(s.events)), " events  ",
                  GroupThousands(absl::StrCat(rate)), " events/s");
  return text;
}

ProgressBar::ProgressBar(std::ostream* out, bool terminal, int64_t total_bytes,
                         std::function<absl::Time()> now)
    : out_(out), terminal_(terminal), total_bytes_(total_bytes), now_(std::move(now)) {
  start_ = now_();
  // Off a terminal the first line waits a full interval: a quick import prints only its
  // summary.
  last_draw_ = terminal_ ? absl::InfinitePast() : start_;
}

void ProgressBar::Update(int64_t rows, int64_t bytes, int64_t events) {
  if (finished_) return;
  const absl::Duration every =
      terminal_ ? absl::Milliseconds(kProgressRedrawMs) : absl::Milliseconds(kProgressLineMs);
  const absl::Time now = now_();
  if (now - last_draw_ < every) return;
  last_draw_ = now;
  Draw(rows, bytes, events);
}

void ProgressBar::Finish(int64_t rows, int64_t bytes, int64_t events) {
  if (finished_) return;
  finished_ = true;
  // Off a terminal the final line only closes a series of progress lines.
  if (!terminal_ && !drawn_) return;
  Draw(rows, bytes, events);
  if (terminal_) *out_ << '\n';
  out_->flush();
}

void ProgressBar::Draw(int64_t rows, int64_t bytes, int64_t events) {
  drawn_ = true;
  const std::string text = FormatProgress({rows, bytes, total_bytes_, events, now_() - start_});
  if (terminal_) {
    // Spaces wipe what a longer previous line left behind.
    *out_ << '\r' << text
          << std::string(last_width_ > text.size() ? last_width_ - text.size() : 0, ' ');
    last_width_ = text.size();
  } else {
    *out_ << "import: " << text << '\n';
  }
  out_->flush();
}

}  // namespace sixhearts::ledgerctl
