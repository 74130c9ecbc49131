// compliance_bench: how long a compliance report as of a past business day takes over a
// large log from the demo scenario (tools/scenario), read at a past record time (so the
// three projections replay from their snapshots) and at the head. Method and figures:
// BENCHMARKS.md ("Compliance report (issue 5)").
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "ledger/clock.h"
#include "ledger/event_store.h"
#include "services/compliance/compliance_service.h"
#include "services/compliance/compliance_state.h"
#include "services/compliance/compliance_view.h"
#include "services/compliance/render.h"
#include "services/projection/projection_engine.h"
#include "services/projection/view_store.h"
#include "services/receivables/receivables_fold.h"
#include "services/receivables/receivables_view.h"
#include "services/relationships/relationships_fold.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"
#include "tools/scenario/scenario.h"

namespace sixhearts::bench {
namespace {

namespace v1 = ledger::v1;
namespace fs = std::filesystem;
namespace compliance = services::compliance;
namespace projection = services::projection;
using SteadyClock = std::chrono::steady_clock;

constexpr char kActor[] = "bench";
constexpr int kDryCountClients = 50;
constexpr int kMonths = 24;
// Share of the log recorded by the past record time the first report reads.
constexpr double kPastCutShare = 0.9;

struct Flags {
  uint64_t events = 200'000;  // CI-sized default
  int repeats = 3;
  std::string data_dir;
  bool keep = false;
  uint64_t snapshot_every = 1'000'000;
  uint64_t seed = 1;
  std::string as_of = "2026-05-31";
  bool stored_views = false;
};

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

std::string Grouped(double value) {
  std::string digits = absl::StrFormat("%.0f", value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    out.push_back(digits[i]);
    const size_t left = digits.size() - 1 - i;
    if (left > 0 && left % 3 == 0) out.push_back(',');
  }
  return out;
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return absl::StrCat(one, " ", five, " ", fifteen);
}

double PeakRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

int Fail(const absl::Status& status, const std::string& what) {
  std::fprintf(stderr, "compliance_bench: %s: %s\n", what.c_str(), status.ToString().c_str());
  return 1;
}

struct Timed {
  double read_s = 0;    // projections read at the cut + report built
  double json_s = 0;    // JSON rendered
  double html_s = 0;    // HTML rendered
  size_t invoices = 0;  // invoice lines listed
  size_t json_bytes = 0;
  size_t html_bytes = 0;
  uint64_t position = 0;
};

absl::StatusOr<Timed> TimeReport(const compliance::ComplianceSources& sources,
                                 const compliance::ReportRequest& request) {
  Timed t;
  auto start = SteadyClock::now();
  auto report = compliance::ReadComplianceReport(sources, request, {}, nullptr);
  if (!report.ok()) return report.status();
  t.read_s = SecondsSince(start);
  start = SteadyClock::now();
  t.json_bytes =
      compliance::RenderComplianceReport(*report, compliance::ReportFormat::kJson).size();
  t.json_s = SecondsSince(start);
  start = SteadyClock::now();
  t.html_bytes =
      compliance::RenderComplianceReport(*report, compliance::ReportFormat::kHtml).size();
  t.html_s = SecondsSince(start);
  t.invoices = report->invoices.size();
  t.position = report->digest.position;
  return t;
}

int Main(int argc, char** argv) {
  Flags flags;
  CLI::App app{"Compliance report as of a past day over a large scenario log (BENCHMARKS.md)"};
  app.add_option("--events", flags.events,
                 "Events to generate (default 200,000, CI-sized; 10,000,000 by hand)")
      ->check(CLI::Range(uint64_t{1'000}, uint64_t{100'000'000}));
  app.add_option("--repeats", flags.repeats, "Reports timed per cut")->check(CLI::Range(1, 100));
  app.add_option("--as-of", flags.as_of, "Business day of the report (YYYY-MM-DD)");
  app.add_option("--data-dir", flags.data_dir, "Parent of the fresh data directory");
  app.add_flag("--keep", flags.keep, "Keep the generated data directory");
  app.add_option("--snapshot-every", flags.snapshot_every, "EngineOptions::snapshot_every_events")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1'000'000'000}));
  app.add_option("--seed", flags.seed, "Scenario seed");
  app.add_flag("--stored-views", flags.stored_views,
               "Keep receivables and compliance as the stored views ledgerd runs (DIR.views, "
               "removed with the generated directory) instead of whole folds with snapshots");
  CLI11_PARSE(app, argc, argv);
  absl::CivilDay as_of;
  if (!absl::ParseCivilTime(flags.as_of, &as_of)) {
    std::fprintf(stderr, "--as-of: not a date: %s\n", flags.as_of.c_str());
    return 2;
  }
  const std::string command = absl::StrJoin(std::vector<std::string>(argv, argv + argc), " ");
  std::fprintf(stderr, "compliance_bench: nproc %u, load average %s\n  %s\n",
               std::thread::hardware_concurrency(), LoadAverage().c_str(), command.c_str());

  // Clients for about --events events over kMonths months, from a dry count.
  scenario::ScenarioOptions dry;
  dry.seed = flags.seed;
  dry.clients = kDryCountClients;
  dry.months = kMonths;
  auto dry_summary =
      scenario::GenerateScenario(dry, [](std::vector<v1::Event>&&) { return absl::OkStatus(); });
  if (!dry_summary.ok()) return Fail(dry_summary.status(), "dry count");
  const double per_client = static_cast<double>(dry_summary->events) / kDryCountClients;
  scenario::ScenarioOptions options;
  options.seed = flags.seed;
  options.months = kMonths;
  options.clients =
      std::clamp(static_cast<int>(std::ceil(static_cast<double>(flags.events) / per_client)), 1,
                 scenario::kMaxClients);

  const fs::path base =
      flags.data_dir.empty() ? fs::temp_directory_path() : fs::path(flags.data_dir);
  const std::string path =
      (base / absl::StrFormat("compliance_bench-%d", static_cast<int>(::getpid()))).string();
  fs::remove_all(path);
  fs::create_directories(path);
  struct Cleanup {
    std::string path;
    bool remove;
    ~Cleanup() {
      std::error_code ec;
      if (remove) fs::remove_all(path, ec);
    }
  } cleanup{path, !flags.keep}, views_cleanup{path + ".views", !flags.keep},
      keys_cleanup{path + ".keys", !flags.keep};

  // 1. Generate through EventStore::Append (sync=false: generation speed only). Record
  // times come from a manual clock, one second per chunk, so a past record time cuts the
  // log at a known share.
  ledger::ManualClock clock(
      absl::FromCivil(absl::CivilSecond(2026, 12, 1, 0, 0, 0), absl::UTCTimeZone()));
  ledger::EventStoreOptions store_options;
  store_options.data_dir = path;
  store_options.sync = false;
  store_options.clock = &clock;
  auto store = ledger::EventStore::Open(store_options);
  if (!store.ok()) return Fail(store.status(), "open store");
  uint64_t appended = 0;
  absl::Time past_cut = absl::InfinitePast();
  const uint64_t past_cut_events =
      static_cast<uint64_t>(kPastCutShare * static_cast<double>(flags.events));
  auto start = SteadyClock::now();
  auto last_print = start;
  v1::AppendRequest request;
  const absl::Status capped = absl::CancelledError("cap reached");
  auto summary =
      scenario::GenerateScenario(options, [&](std::vector<v1::Event>&& chunk) -> absl::Status {
        request.clear_events();
        for (v1::Event& e : chunk) {
          if (appended >= flags.events) break;
          *request.add_events() = std::move(e);
          ++appended;
        }
        if (request.events_size() > 0) {
          clock.Advance(absl::Seconds(1));
          auto r = (*store)->Append(request, kActor);
          if (!r.ok()) return r.status();
          if (past_cut == absl::InfinitePast() && appended >= past_cut_events)
            past_cut = clock.Now();
        }
        if (SecondsSince(last_print) >= 2.0) {
          last_print = SteadyClock::now();
          std::fprintf(stderr, "\r  generated %s events   ",
                       Grouped(static_cast<double>(appended)).c_str());
        }
        return appended >= flags.events ? capped : absl::OkStatus();
      });
  if (!summary.ok() && summary.status() != capped) return Fail(summary.status(), "generate");
  const double generate_s = SecondsSince(start);
  std::fprintf(stderr, "\ngenerated %s events (%d clients x %d months) in %.0f s\n",
               Grouped(static_cast<double>(appended)).c_str(), options.clients, kMonths,
               generate_s);
  if (past_cut == absl::InfinitePast()) past_cut = clock.Now();

  // 2. The three projections, as ledgerd starts them (no saved state: each catches up from
  // zero, snapshotting every --snapshot-every events).
  projection::EngineOptions engine_options;
  engine_options.snapshot_every_events = flags.snapshot_every;
  std::unique_ptr<projection::ViewStore> views;  // outlives the engines
  if (flags.stored_views) {
    projection::ViewStoreOptions view_options;
    view_options.dir = path + ".views";
    fs::remove_all(view_options.dir);
    auto opened = projection::ViewStore::Open(view_options, nullptr);
    if (!opened.ok()) return Fail(opened.status(), "open view store");
    views = *std::move(opened);
  }
  start = SteadyClock::now();
  auto receivables = flags.stored_views
                         ? projection::ProjectionEngine::StartStored(
                               store->get(), views.get(),
                               services::receivables::MakeReceivablesRows(), engine_options)
                         : projection::ProjectionEngine::Start(
                               store->get(), services::receivables::kReceivablesProjectionName,
                               services::receivables::MakeReceivablesFoldFactory(), engine_options);
  if (!receivables.ok()) return Fail(receivables.status(), "receivables engine");
  auto compliance_engine =
      flags.stored_views
          ? projection::ProjectionEngine::StartStored(
                store->get(), views.get(), compliance::MakeComplianceRows(), engine_options)
          : projection::ProjectionEngine::Start(store->get(), compliance::kComplianceProjectionName,
                                                compliance::MakeComplianceFoldFactory(),
                                                engine_options);
  if (!compliance_engine.ok()) return Fail(compliance_engine.status(), "compliance engine");
  auto relationships = projection::ProjectionEngine::Start(
      store->get(), services::relationships::kRelationshipsProjectionName,
      services::relationships::MakeRelationshipsFoldFactory(), engine_options);
  if (!relationships.ok()) return Fail(relationships.status(), "relationships engine");
  const uint64_t head = (*store)->head().position;
  for (auto* e : {receivables->get(), compliance_engine->get(), relationships->get()}) {
    if (!e->WaitFor(head, absl::Hours(3)))
      return Fail(absl::DeadlineExceededError("catch-up"), "catch-up");
  }
  const double catch_up_s = SecondsSince(start);
  std::fprintf(stderr, "three projections caught up with %s events in %.1f s\n",
               Grouped(static_cast<double>(head)).c_str(), catch_up_s);
  // Let the followers' checkpoints settle so they do not share the timings.
  absl::SleepFor(absl::Seconds(1));

  const compliance::ComplianceSources sources{store->get(), receivables->get(),
                                              compliance_engine->get(), relationships->get()};
  compliance::ReportRequest past;
  past.as_of = as_of;
  past.known_at = past_cut;
  compliance::ReportRequest now = past;
  now.known_at = clock.Now();
  // As of the last day with events, at the head: the live folds qualify, so this is the
  // cost of building the report alone, without a replay.
  compliance::ReportRequest live;
  live.as_of = options.end_date;
  live.known_at = clock.Now();
  std::vector<Timed> past_runs, now_runs, live_runs;
  for (int i = 0; i < flags.repeats; ++i) {
    auto p = TimeReport(sources, past);
    if (!p.ok()) return Fail(p.status(), "report at the past cut");
    past_runs.push_back(*p);
    auto n = TimeReport(sources, now);
    if (!n.ok()) return Fail(n.status(), "report at the head");
    now_runs.push_back(*n);
    auto l = TimeReport(sources, live);
    if (!l.ok()) return Fail(l.status(), "report from the live projections");
    live_runs.push_back(*l);
    std::fprintf(stderr, "  run %d: past cut %.2f s, head %.2f s, live %.2f s\n", i + 1, p->read_s,
                 n->read_s, l->read_s);
  }
  auto median = [](std::vector<Timed> runs) {
    std::sort(runs.begin(), runs.end(),
              [](const Timed& a, const Timed& b) { return a.read_s < b.read_s; });
    return runs[runs.size() / 2];
  };
  const Timed p = median(past_runs);
  const Timed n = median(now_runs);
  const Timed l = median(live_runs);

  std::string out;
  absl::StrAppend(&out, "Command: `", command, "`\n\n");
  absl::StrAppendFormat(
      &out,
      "Machine: nproc %u, load average at the end %s, peak RSS %.0f MiB. Scenario: %d "
      "clients x %d months, %s events (generated in %.0f s, sync=false). Three "
      "projections caught up from zero in %.1f s (receivables and compliance kept as %s). "
      "Report as of %s; median of %d.\n\n",
      std::thread::hardware_concurrency(), LoadAverage(), PeakRssMiB(), options.clients, kMonths,
      Grouped(static_cast<double>(appended)), generate_s, catch_up_s,
      flags.stored_views ? "stored views (DIR.views)" : "whole folds with snapshots",
      absl::FormatCivilTime(as_of), flags.repeats);
  absl::StrAppend(
      &out,
      "| record-time cut | log position | read + build (s) | JSON render (s) | JSON bytes | "
      "HTML render (s) | HTML bytes | invoices listed "
      "|\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
  auto row = [&](const char* name, const Timed& t) {
    absl::StrAppendFormat(&out, "| %s | %s | %.2f | %.2f | %s | %.2f | %s | %s |\n", name,
                          Grouped(static_cast<double>(t.position)), t.read_s, t.json_s,
                          Grouped(static_cast<double>(t.json_bytes)), t.html_s,
                          Grouped(static_cast<double>(t.html_bytes)),
                          Grouped(static_cast<double>(t.invoices)));
  };
  row("past (90% of the log recorded)", p);
  row("head", n);
  absl::StrAppendFormat(&out,
                        "\nAs of %s (the last day with events) at the head, from the live "
                        "projections without a replay:\n\n",
                        absl::FormatCivilTime(options.end_date));
  absl::StrAppend(
      &out,
      "| record-time cut | log position | read + build (s) | JSON render (s) | JSON bytes | "
      "HTML render (s) | HTML bytes | invoices listed "
      "|\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
  row("head, live", l);
  std::fputs(out.c_str(), stdout);
  for (auto* e : {receivables->get(), compliance_engine->get(), relationships->get()}) e->Stop();
  (*store)->Shutdown();
  return 0;
}

}  // namespace
}  // namespace sixhearts::bench

int main(int argc, char** argv) {
  // Logs go to stderr, so that stdout carries the results alone (--json stays parseable).
  spdlog::set_default_logger(spdlog::stderr_color_mt("bench"));
  return sixhearts::bench::Main(argc, argv);
}
