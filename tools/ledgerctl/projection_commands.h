// The `projections` and `rebuild` commands, shared by every projection: the receivables
// and relationships services answer with messages of the same shape.
#ifndef SIXHEARTS_TOOLS_LEDGERCTL_PROJECTION_COMMANDS_H_
#define SIXHEARTS_TOOLS_LEDGERCTL_PROJECTION_COMMANDS_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "tools/ledgerctl/commands.h"
#include "tools/ledgerctl/table.h"

namespace sixhearts::ledgerctl {

// Prints a projection status response (name, position, head, lag, saved, snapshots).
template <typename Status>
absl::StatusOr<int> PrintProjectionStatus(const CommandContext& context,
                                          const absl::StatusOr<Status>& status) {
  if (!status.ok()) return status.status();
  Record record;
  record.Add("name", status->name());
  record.Add("position", absl::StrCat(status->position()), ColumnKind::kNumber);
  record.Add("head_position", absl::StrCat(status->head_position()), ColumnKind::kNumber);
  record.Add("lag_events", absl::StrCat(status->lag_events()), ColumnKind::kGroupedNumber);
  record.Add("saved_position", absl::StrCat(status->saved_position()), ColumnKind::kNumber);
  record.Add("snapshots", absl::StrCat(status->snapshots()), ColumnKind::kGroupedNumber);
  *context.out << record.Render(context.format);
  return kExitOk;
}

// Runs `rebuild(progress)` with progress on stderr (redrawn in place on a terminal, a
// line every 5 s otherwise), then prints the position reached.
template <typename Response, typename RebuildFn>
absl::StatusOr<int> RebuildWithProgress(const CommandContext& context, std::string_view name,
                                        RebuildFn rebuild) {
  absl::Time last_line = context.now();
  bool drawn = false;
  auto progress = [&](const Response& p) {
    if (p.finished() || p.target_position() == 0) return;
    const std::string text =
        absl::StrFormat("rebuilding %s: %d%% (%d of %d positions)", name,
                        static_cast<int>(100 * p.done_position() / p.target_position()),
                        p.done_position(), p.target_position());
    if (context.err_is_terminal) {
      *context.err << "\r" << text << std::flush;
      drawn = true;
    } else if (context.now() - last_line >= absl::Seconds(5)) {
      *context.err << text << "\n";
      last_line = context.now();
    }
  };
  absl::StatusOr<Response> rebuilt = rebuild(progress);
  if (drawn) *context.err << "\n";
  if (!rebuilt.ok()) return rebuilt.status();
  Record record;
  record.Add("position", absl::StrCat(rebuilt->position()), ColumnKind::kNumber);
  *context.out << record.Render(context.format);
  return kExitOk;
}

}  // namespace sixhearts::ledgerctl

#endif  // SIXHEARTS_TOOLS_LEDGERCTL_PROJECTION_COMMANDS_H_
