// `ledgerctl generate`: the demo scenario (tools/scenario) appended through Append in
// batches, or written as JSON lines for inspection.
//
// Idempotency: the scenario's event ids are deterministic and its events come in the same
// order for the same options, and batches are cut at fixed event counts, so a second run
// sends exactly the batches of the first and the ledger answers each as a duplicate. A
// batch that mixes stored and new events (an interrupted run's is stored whole or not at
// all, but a bigger --clients of the same seed starts with the same clients) comes back
// ALREADY_EXISTS and is appended event by event (AppendSplitting).
#include <fstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/dates.h"
#include "tools/ledgerctl/commands.h"
#include "tools/ledgerctl/event_output.h"
#include "tools/ledgerctl/import_append.h"
#include "tools/ledgerctl/limits.h"
#include "tools/ledgerctl/progress_bar.h"
#include "tools/scenario/scenario.h"

namespace sixhearts::ledgerctl {

absl::StatusOr<int> RunGenerate(const CommandContext& context, const GenerateOptions& options) {
  scenario::ScenarioOptions scenario_options;
  scenario_options.seed = options.seed;
  scenario_options.clients = options.clients;
  scenario_options.months = options.months;
  const std::optional<absl::CivilDay> end = ledger::ParseIsoDay(options.end_date);
  if (!end.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--end-date: expected YYYY-MM-DD, got \"", options.end_date, "\""));
  }
  scenario_options.end_date = *end;
  scenario_options.chunk_events =
      options.batch_events == 0 ? kDefaultAppendBatchEvents : options.batch_events;
  if (absl::Status s = scenario::CheckOptions(scenario_options); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("generate: ", s.message()));
  }

  std::ofstream jsonl;
  if (!options.jsonl.empty()) {
    jsonl.open(options.jsonl, std::ios::binary | std::ios::trunc);
    if (!jsonl.is_open()) {
      return absl::NotFoundError(absl::StrCat("--jsonl: cannot create ", options.jsonl));
    }
  }
  const bool append = options.jsonl.empty() && !options.dry_run;

  ProgressBar progress(context.err, context.err_is_terminal, 0, context.now);
  AppendCounts counts;
  int64_t batches = 0;
  int64_t generated = 0;
  // The sink's chunks are the batches: chunk_events is --batch, so they are cut at the
  // same events on every run.
  auto sink = [&](std::vector<v1::Event>&& events) -> absl::Status {
    ++batches;
    generated += static_cast<int64_t>(events.size());
    if (jsonl.is_open()) {
      for (const v1::Event& event : events) {
        absl::StatusOr<std::string> line = EventJson(event);
        if (!line.ok()) return line.status();
        jsonl << *line << '\n';
      }
      if (!jsonl) return absl::DataLossError(absl::StrCat("--jsonl: cannot write ", options.jsonl));
    }
    if (append) {
      absl::Status s = AppendSplitting(context.client, events, &counts);
      if (!s.ok()) {
        absl::Status located(
            s.code(), absl::StrCat("batch ", batches, ": ", s.message(), " (", counts.appended,
                                   " events were appended before; running the "
                                   "same command again appends only the rest)"));
        return IsServerError(s) ? ServerError(located) : located;
      }
    }
    progress.Update(batches, 0, generated);
    return absl::OkStatus();
  };
  absl::StatusOr<scenario::ScenarioSummary> summary =
      scenario::GenerateScenario(scenario_options, sink);
  progress.Finish(batches, 0, generated);
  if (!summary.ok()) return summary.status();
  if (jsonl.is_open()) {
    jsonl.close();
    if (!jsonl) return absl::DataLossError(absl::StrCat("--jsonl: cannot write ", options.jsonl));
  }

  Record record;
  const auto count = [&](std::string name, int64_t value) {
    record.Add(std::move(name), absl::StrCat(value), ColumnKind::kGroupedNumber);
  };
  record.Add("seed", absl::StrCat(options.seed), ColumnKind::kNumber);
  count("clients", summary->clients);
  record.Add("end_date", options.end_date);
  count("events", summary->events);
  count("batches", batches);
  count("events_appended", counts.appended);
  count("events_already_stored", counts.already_stored);
  for (const auto& [type, n] : summary->by_type) count(type, n);
  *context.out << record.Render(context.format);
  return kExitOk;
}

}  // namespace sixhearts::ledgerctl
