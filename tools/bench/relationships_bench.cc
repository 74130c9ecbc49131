// relationships_bench: how fast the relationship projection rebuilds from a large scenario
// log, against a raw RocksDB scan that parses every event in the same run, and the
// latency of scorecards for every client and of one client's timeline, from the live
// projection or the stored view's rows each report reads. Method and figures:
// BENCHMARKS.md ("Relationships projection (issue 4)").
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "ledger/event_store.h"
#include "ledger/format.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/table.h"
#include "services/projection/projection_engine.h"
#include "services/projection/view_store.h"
#include "services/receivables/receivables_state.h"
#include "services/relationships/analytics.h"
#include "services/relationships/relationships_fold.h"
#include "services/relationships/relationships_view.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"
#include "tools/scenario/scenario.h"

namespace sixhearts::bench {
namespace {

namespace v1 = ledger::v1;
namespace format = ledger::format;
namespace fs = std::filesystem;
namespace projection = services::projection;
namespace relationships = services::relationships;
using SteadyClock = std::chrono::steady_clock;

constexpr char kActor[] = "anonymous";
// The store's default block cache, given to the raw scan too.
constexpr size_t kBlockCacheBytes = 64 << 20;
// The dry count that measures events per client-month: this many clients over the
// chosen months (capped), generated and counted, never stored.
constexpr int kDryCountClients = 100;
constexpr double kTargetRatio = 0.5;

struct Flags {
  int clients = 10'000;
  int months = 0;  // 0: chosen from the dry count so that the log is about events_target
  uint64_t events_target = 10'000'000;
  bool quick = false;
  int queries = 50;
  std::string data_dir;
  bool keep = false;
  uint64_t snapshot_every = 1'000'000;
  uint64_t seed = 1;
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
    if (left > 0 && left % 3 == 0 && digits[i] != '-') out.push_back(',');
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
  std::fprintf(stderr, "relationships_bench: %s: %s\n", what.c_str(), status.ToString().c_str());
  return 1;
}

double Percentile(std::vector<double> ms, double p) {
  if (ms.empty()) return 0;
  std::sort(ms.begin(), ms.end());
  const auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(ms.size())));
  return ms[std::clamp<size_t>(rank, 1, ms.size()) - 1];
}

// Events per client-month of the scenario: a small portfolio generated and counted.
absl::StatusOr<double> EventsPerClientMonth(const Flags& flags, int months) {
  scenario::ScenarioOptions options;
  options.seed = flags.seed;
  options.clients = std::min(flags.clients, kDryCountClients);
  options.months = months;
  auto summary = scenario::GenerateScenario(
      options, [](std::vector<v1::Event>&&) { return absl::OkStatus(); });
  if (!summary.ok()) return summary.status();
  return static_cast<double>(summary->events) / options.clients / months;
}

struct Generated {
  uint64_t events = 0;
  double seconds = 0;
  absl::CivilDay end_date;
};

// The scenario through EventStore::Append (validation, idempotency, hash chain, indexes)
// with sync = false, for generation speed only: no figure measures appends. Stops
// appending at --events-target when one was given.
absl::StatusOr<Generated> Generate(const Flags& flags, bool cap, const std::string& dir) {
  ledger::EventStoreOptions store_options;
  store_options.data_dir = dir;
  store_options.sync = false;
  auto store = ledger::EventStore::Open(store_options);
  if (!store.ok()) return store.status();
  scenario::ScenarioOptions options;
  options.seed = flags.seed;
  options.clients = flags.clients;
  options.months = flags.months;
  Generated result;
  result.end_date = options.end_date;
  const auto start = SteadyClock::now();
  auto last_progress = start;
  v1::AppendRequest request;
  absl::Status capped = absl::CancelledError("cap reached");
  auto summary =
      scenario::GenerateScenario(options, [&](std::vector<v1::Event>&& chunk) -> absl::Status {
        request.clear_events();
        for (v1::Event& event : chunk) {
          if (cap && result.events >= flags.events_target) break;
          *request.add_events() = std::move(event);
          ++result.events;
        }
        if (request.events_size() > 0) {
          auto appended = (*store)->Append(request, kActor);
          if (!appended.ok()) return appended.status();
        }
        if (SecondsSince(last_progress) >= 2.0) {
          last_progress = SteadyClock::now();
          std::fprintf(stderr, "\r  generated %s events, %s events/s   ",
                       Grouped(static_cast<double>(result.events)).c_str(),
                       Grouped(static_cast<double>(result.events) / SecondsSince(start)).c_str());
        }
        if (cap && result.events >= flags.events_target) return capped;
        return absl::OkStatus();
      });
  std::fprintf(stderr, "\n");
  (*store)->Shutdown();
  if (!summary.ok() && !(cap && summary.status() == capped)) return summary.status();
  result.seconds = SecondsSince(start);
  return result;
}

struct ScanResult {
  uint64_t events = 0;
  double seconds = 0;
  double rate() const { return seconds > 0 ? static_cast<double>(events) / seconds : 0; }
};

// A raw read-only forward iterator over the `log` family parsing every event into one
// reused message (the least any rebuild must do); with `fold`, each event also goes into
// a RelationshipsFold (no snapshots). Run while no store holds the directory.
absl::StatusOr<ScanResult> RawScan(const std::string& dir, bool fold) {
  rocksdb::DBOptions db_options;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  std::vector<std::string> names;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(db_options, dir, &names);
  if (!s.ok()) return absl::UnavailableError(s.ToString());
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(kBlockCacheBytes);
  rocksdb::ColumnFamilyOptions cf;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const std::string& name : names) families.emplace_back(name, cf);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw_db = nullptr;
  s = rocksdb::DB::OpenForReadOnly(db_options, dir, families, &handles, &raw_db);
  if (!s.ok()) return absl::UnavailableError(s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw_db);
  rocksdb::ColumnFamilyHandle* log = nullptr;
  for (auto* handle : handles) {
    if (handle->GetName() == format::kLogFamily) log = handle;
  }
  ScanResult result;
  absl::Status status;
  if (log != nullptr) {
    relationships::RelationshipsFold folded;
    v1::Event event;
    const auto start = SteadyClock::now();
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), log));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto record = format::DecodeRecord(it->value().ToStringView());
      if (!record || !event.ParseFromArray(record->event_bytes.data(),
                                           static_cast<int>(record->event_bytes.size()))) {
        status = absl::DataLossError(absl::StrCat("record ", result.events + 1));
        break;
      }
      ++result.events;
      if (fold) folded.Apply(event);
    }
    if (status.ok() && !it->status().ok()) status = absl::DataLossError(it->status().ToString());
    result.seconds = SecondsSince(start);
  } else {
    status = absl::NotFoundError("no log column family");
  }
  for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
  if (!status.ok()) return status;
  return result;
}

int Main(int argc, char** argv) {
  Flags flags;
  CLI::App app{
      "Relationship projection: rebuild rate against a raw RocksDB scan, and scorecard "
      "latency for every client from the live projection (BENCHMARKS.md, issue 4)"};
  auto* clients_flag = app.add_option("--clients", flags.clients, "Scenario clients")
                           ->check(CLI::Range(1, scenario::kMaxClients));
  auto* months_flag =
      app.add_option("--months", flags.months,
                     "Scenario months (default: chosen from a dry count so the log is about "
                     "--events-target events)")
          ->check(CLI::Range(1, scenario::kMaxMonths));
  auto* target_flag = app.add_option("--events-target", flags.events_target,
                                     "Events to aim for (default 10,000,000); when given, "
                                     "also a cap on the events appended");
  app.add_flag("--quick", flags.quick, "CI-sized: 200 clients, 24 months");
  app.add_option("--queries", flags.queries, "Scorecard samples")->check(CLI::Range(1, 100'000));
  app.add_option("--data-dir", flags.data_dir,
                 "Parent of the fresh data directory (default: the system temp dir)");
  app.add_flag("--keep", flags.keep, "Keep the generated data directory");
  app.add_option("--snapshot-every", flags.snapshot_every, "EngineOptions::snapshot_every_events")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1'000'000'000}));
  app.add_option("--seed", flags.seed, "Scenario seed");
  app.add_flag("--stored-views", flags.stored_views,
               "Keep the projection as the stored view ledgerd runs (DIR.views, removed with "
               "the generated directory) instead of a whole fold with snapshots");
  CLI11_PARSE(app, argc, argv);
  if (flags.quick) {
    if (clients_flag->count() == 0) flags.clients = 200;
    if (months_flag->count() == 0) flags.months = 24;
  }
  const bool cap = target_flag->count() > 0;

  std::vector<std::string> args(argv, argv + argc);
  const std::string command = absl::StrJoin(args, " ");
  std::fprintf(stderr, "relationships_bench: nproc %u, load average %s\n  %s\n",
               std::thread::hardware_concurrency(), LoadAverage().c_str(), command.c_str());

  // Events per client-month, measured with a dry count over the months to be used (or
  // 24 when they are still to be chosen, then again over the chosen months).
  const int dry_months = flags.months > 0 ? flags.months : 24;
  auto per_client_month = EventsPerClientMonth(flags, dry_months);
  if (!per_client_month.ok()) return Fail(per_client_month.status(), "dry count");
  if (flags.months == 0) {
    const double months = static_cast<double>(flags.events_target) /
                          (*per_client_month * static_cast<double>(flags.clients));
    flags.months = std::clamp(static_cast<int>(std::ceil(months)), 1, scenario::kMaxMonths);
    if (months > scenario::kMaxMonths) {
      std::fprintf(stderr,
                   "--events-target needs %.0f months, above the scenario's %d: capped (more "
                   "--clients reach it)\n",
                   months, scenario::kMaxMonths);
    }
    per_client_month = EventsPerClientMonth(flags, flags.months);
    if (!per_client_month.ok()) return Fail(per_client_month.status(), "dry count");
  }
  std::fprintf(stderr,
               "dry count (%d clients, %d months): %.2f events per client-month; %d clients x "
               "%d months -> about %s events\n",
               std::min(flags.clients, kDryCountClients), flags.months, *per_client_month,
               flags.clients, flags.months,
               Grouped(*per_client_month * flags.clients * flags.months).c_str());

  const fs::path base =
      flags.data_dir.empty() ? fs::temp_directory_path() : fs::path(flags.data_dir);
  const std::string path =
      (base / absl::StrFormat("relationships_bench-%d", static_cast<int>(::getpid()))).string();
  fs::remove_all(path);
  fs::create_directories(path);
  struct Cleanup {
    std::string path;
    bool remove;
    ~Cleanup() {
      std::error_code ec;
      if (remove) fs::remove_all(path, ec);
    }
  } cleanup{path, !flags.keep}, views_cleanup{path + ".views", !flags.keep};

  // 1. Generation (sync=false), then the raw baseline with the store closed.
  auto generated = Generate(flags, cap, path);
  if (!generated.ok()) return Fail(generated.status(), "generate");
  std::fprintf(stderr, "generated %s events in %.0f s (%s events/s, sync=false)\n",
               Grouped(static_cast<double>(generated->events)).c_str(), generated->seconds,
               Grouped(static_cast<double>(generated->events) / generated->seconds).c_str());
  auto raw_before = RawScan(path, false);
  if (!raw_before.ok()) return Fail(raw_before.status(), "raw scan");
  std::fprintf(stderr, "raw scan: %s events/s\n", Grouped(raw_before->rate()).c_str());
  auto raw_fold = RawScan(path, true);
  if (!raw_fold.ok()) return Fail(raw_fold.status(), "raw scan + fold");
  std::fprintf(stderr, "raw scan + fold: %s events/s\n", Grouped(raw_fold->rate()).c_str());

  // 2. Start (no saved state: it builds the projection) and Rebuild (drops the state and
  // snapshots, replays from zero, snapshot every --snapshot-every events).
  double start_seconds = 0, rebuild_seconds = 0;
  uint64_t rebuild_position = 0;
  size_t snapshots = 0;
  std::vector<double> ms, whole_cut_ms, timeline_ms;
  std::vector<std::string> client_ids;
  size_t timeline_entries = 0;
  size_t scorecard_clients = 0;
  double mean_health = 0;
  {
    ledger::EventStoreOptions options;
    options.data_dir = path;
    auto store = ledger::EventStore::Open(options);
    if (!store.ok()) return Fail(store.status(), "open store");
    projection::EngineOptions engine_options;
    engine_options.snapshot_every_events = flags.snapshot_every;
    std::unique_ptr<projection::ViewStore> views;  // outlives the engine
    auto t = SteadyClock::now();
    absl::StatusOr<std::unique_ptr<projection::ProjectionEngine>> engine;
    if (flags.stored_views) {
      projection::ViewStoreOptions view_options;
      view_options.dir = path + ".views";
      auto opened = projection::ViewStore::Open(view_options, nullptr);
      if (!opened.ok()) return Fail(opened.status(), "open view store");
      views = *std::move(opened);
      engine = projection::ProjectionEngine::StartStored(
          store->get(), views.get(), relationships::MakeRelationshipsRows(), engine_options);
    } else {
      engine = projection::ProjectionEngine::Start(
          store->get(), relationships::kRelationshipsProjectionName,
          relationships::MakeRelationshipsFoldFactory(), engine_options);
    }
    if (!engine.ok()) return Fail(engine.status(), "start engine");
    // With no saved state the follower catches up in the background: timed to the head,
    // and finished before the rebuild so the two do not share the machine.
    const uint64_t head = (*store)->head().position;
    if (!(*engine)->WaitFor(head, absl::Hours(2))) {
      return Fail(absl::DeadlineExceededError("follower"), "catch up");
    }
    start_seconds = SecondsSince(t);
    std::fprintf(stderr, "Start + follower catch-up to %s: %.2f s\n",
                 Grouped(static_cast<double>(head)).c_str(), start_seconds);
    auto last_print = SteadyClock::now();
    t = SteadyClock::now();
    auto reached = (*engine)->Rebuild([&](uint64_t done, uint64_t target) {
      if (SecondsSince(last_print) < 2.0 && done != target) return;
      last_print = SteadyClock::now();
      std::fprintf(stderr, "\r  rebuild %s / %s   ", Grouped(static_cast<double>(done)).c_str(),
                   Grouped(static_cast<double>(target)).c_str());
    });
    rebuild_seconds = SecondsSince(t);
    std::fprintf(stderr, "\n");
    if (!reached.ok()) return Fail(reached.status(), "rebuild");
    rebuild_position = *reached;
    snapshots = (*engine)->status().snapshots;
    std::fprintf(stderr, "rebuild: %.2f s, %s events/s, %zu snapshots\n", rebuild_seconds,
                 Grouped(static_cast<double>(rebuild_position) / rebuild_seconds).c_str(),
                 snapshots);

    // 3. Scorecards of every client and timelines of one client each, as the service
    // reads them: from the live fold, or from the stored view's rows each report covers
    // (ReadViewCut: every client's summary rows; one client's rows and timeline), as of
    // the scenario's end date. The timelines' receivables are left empty: this measures
    // the relationship rows.
    const absl::CivilDay day = generated->end_date;
    const projection::AsOf as_of{.business_day = day};
    const services::receivables::ReceivablesState no_money;
    auto score = [&](const relationships::RelationshipsState& state) -> absl::Status {
      auto report = relationships::ComputeScorecard(state, day);
      if (!report.ok()) return report.status();
      scorecard_clients = report->clients.size();
      client_ids.clear();
      double sum = 0;
      size_t n = 0;
      for (const auto& client : report->clients) {
        client_ids.push_back(client.client_id);
        if (!client.health_index) continue;
        sum += *client.health_index;
        ++n;
      }
      mean_health = n > 0 ? sum / static_cast<double>(n) : 0;
      return absl::OkStatus();
    };
    auto whole = [&](auto use) {
      return (*engine)->Read(as_of, [&](const projection::Fold& fold, uint64_t) {
        return use(static_cast<const relationships::RelationshipsFold&>(fold).state());
      });
    };
    // The stored view's rows that `add` reads into a state, to `use`.
    auto stored = [&](auto add, auto use) -> absl::Status {
      absl::StatusOr<bool> read = (*engine)->ReadViewCut(
          as_of, [&](const projection::ViewCut& cut, uint64_t) -> absl::Status {
            relationships::RelationshipsState state;
            if (absl::Status s = add(cut, state); !s.ok()) return s;
            return use(state);
          });
      if (!read.ok()) return read.status();
      return *read ? absl::OkStatus() : absl::FailedPreconditionError("view behind the cut");
    };
    for (int i = 0; i < flags.queries; ++i) {
      t = SteadyClock::now();
      absl::Status s =
          flags.stored_views
              ? stored(
                    [&](const projection::ViewCut& cut, relationships::RelationshipsState& state) {
                      return relationships::AddClientsRows(cut, day, state);
                    },
                    score)
              : whole(score);
      if (!s.ok()) return Fail(s, "scorecard");
      ms.push_back(SecondsSince(t) * 1e3);
      if (flags.stored_views) {
        // The read ledgerd made before reports read only the rows they cover.
        t = SteadyClock::now();
        if (absl::Status w = whole(score); !w.ok()) return Fail(w, "scorecard of the whole cut");
        whole_cut_ms.push_back(SecondsSince(t) * 1e3);
      }
    }
    std::fprintf(stderr, "scorecards: p50 %.1f ms, p99 %.1f ms\n", Percentile(ms, 0.5),
                 Percentile(ms, 0.99));
    for (int i = 0; i < flags.queries && !client_ids.empty(); ++i) {
      const std::string& id = client_ids[static_cast<size_t>(i) % client_ids.size()];
      auto line = [&](const relationships::RelationshipsState& state) -> absl::Status {
        auto timeline = relationships::ComputeTimeline(state, no_money, id, day);
        if (!timeline.ok()) return timeline.status();
        timeline_entries += timeline->entries.size();
        return absl::OkStatus();
      };
      t = SteadyClock::now();
      absl::Status s =
          flags.stored_views
              ? stored(
                    [&](const projection::ViewCut& cut, relationships::RelationshipsState& state) {
                      return relationships::AddClientRows(cut, id, day, true, state);
                    },
                    line)
              : whole(line);
      if (!s.ok()) return Fail(s, "timeline");
      timeline_ms.push_back(SecondsSince(t) * 1e3);
    }
    std::fprintf(stderr, "timelines: p50 %.2f ms, p99 %.2f ms\n", Percentile(timeline_ms, 0.5),
                 Percentile(timeline_ms, 0.99));
    engine->reset();
  }
  auto raw_after = RawScan(path, false);
  if (!raw_after.ok()) return Fail(raw_after.status(), "raw scan");

  // ------------------------------------------------------------------ report (stdout)
  std::string out;
  absl::StrAppend(&out, "Command: `", command, "`\n\n");
  absl::StrAppendFormat(
      &out,
      "Machine: nproc %u, load average at the end %s, peak RSS %.0f MiB. Scenario: %d "
      "clients x %d months (dry count: %.2f events per client-month), ending %s.\n"
      "Generated in this run: %s events in %.0f s (%s events/s through EventStore::Append, "
      "sync=false, for generation speed only). Projection kept as %s.\n",
      std::thread::hardware_concurrency(), LoadAverage(), PeakRssMiB(), flags.clients, flags.months,
      *per_client_month, absl::FormatCivilTime(generated->end_date),
      Grouped(static_cast<double>(generated->events)), generated->seconds,
      Grouped(static_cast<double>(generated->events) / generated->seconds),
      flags.stored_views ? "a stored view (DIR.views)" : "a whole fold with snapshots");
  const double raw_rate = std::max(raw_before->rate(), raw_after->rate());
  absl::StrAppend(&out, "\n| pass over the log | events | seconds | events/s | ÷ raw scan |\n",
                  "|---|---:|---:|---:|---:|\n");
  auto row = [&](const std::string& name, uint64_t events, double seconds) {
    const double rate = static_cast<double>(events) / seconds;
    absl::StrAppendFormat(&out, "| %s | %s | %.2f | %s | %.2f |\n", name,
                          Grouped(static_cast<double>(events)), seconds, Grouped(rate),
                          rate / raw_rate);
  };
  row("raw RocksDB scan, parse every event (before)", raw_before->events, raw_before->seconds);
  row("raw RocksDB scan, parse every event (after)", raw_after->events, raw_after->seconds);
  row("raw scan + RelationshipsFold::Apply (no snapshots)", raw_fold->events, raw_fold->seconds);
  row(flags.stored_views ? "ProjectionEngine::StartStored, no view: builds it from the log"
                         : "ProjectionEngine::Start, no saved state: live follower catches up",
      rebuild_position, start_seconds);
  row(absl::StrFormat("**ProjectionEngine::Rebuild** (%zu snapshots, every %s events)", snapshots,
                      Grouped(static_cast<double>(flags.snapshot_every))),
      rebuild_position, rebuild_seconds);
  absl::StrAppend(&out, "\n| query | samples | p50 ms | p99 ms | max ms | note |\n",
                  "|---|---:|---:|---:|---:|---|\n");
  absl::StrAppendFormat(&out,
                        "| ComputeScorecard, all clients, %s (as of business_day %s) | %zu | "
                        "%.1f | %.1f | %.1f | %s clients, mean health index %.1f |\n",
                        flags.stored_views
                            ? "stored view (ReadViewCut, every client's summary rows)"
                            : "live projection (Read)",
                        absl::FormatCivilTime(generated->end_date), ms.size(), Percentile(ms, 0.5),
                        Percentile(ms, 0.99), Percentile(ms, 1.0),
                        Grouped(static_cast<double>(scorecard_clients)), mean_health);
  if (flags.stored_views) {
    absl::StrAppendFormat(&out,
                          "| ComputeScorecard, all clients, every row of the cut assembled (Read) "
                          "| %zu | %.1f | %.1f | %.1f | the read before per-report rows |\n",
                          whole_cut_ms.size(), Percentile(whole_cut_ms, 0.5),
                          Percentile(whole_cut_ms, 0.99), Percentile(whole_cut_ms, 1.0));
  }
  absl::StrAppendFormat(
      &out, "| ComputeTimeline, one client each, %s | %zu | %.2f | %.2f | %.2f | %s entries |\n",
      flags.stored_views ? "stored view (the client's rows)" : "live projection",
      timeline_ms.size(), Percentile(timeline_ms, 0.5), Percentile(timeline_ms, 0.99),
      Percentile(timeline_ms, 1.0), Grouped(static_cast<double>(timeline_entries)));
  const double ratio = static_cast<double>(rebuild_position) / rebuild_seconds / raw_rate;
  absl::StrAppendFormat(&out, "\nTarget: rebuild ≥ %.1f × raw scan: %.2f **%s**\n", kTargetRatio,
                        ratio, ratio >= kTargetRatio ? "PASS" : "FAIL");
  const bool failed = scorecard_clients != static_cast<size_t>(flags.clients);
  absl::StrAppendFormat(&out, "Check: scorecards cover %s of %d clients: %s.\n",
                        Grouped(static_cast<double>(scorecard_clients)), flags.clients,
                        failed ? "MISMATCH" : "agree");
  std::fputs(out.c_str(), stdout);
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace sixhearts::bench

int main(int argc, char** argv) {
  // Logs go to stderr, so that stdout carries the results alone (--json stays parseable).
  spdlog::set_default_logger(spdlog::stderr_color_mt("bench"));
  return sixhearts::bench::Main(argc, argv);
}
