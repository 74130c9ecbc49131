// proof_bench: the costs of issue 14's proofs at a chosen scale (BENCHMARKS.md, "Proofs
// (issue 14 item 8)"): the latency of GetInclusionProof and GetConsistencyProof (p50, p99)
// through the real gRPC method, the size of one client's audit export on proofs against
// the chain export from the same year-old checkpoint, and how long opening a directory
// written before the tree existed takes to build it.
//
// The log is built with EventStore::Append directly (sync=false: building speed only):
// every client's ClientRegistered (its name sealed, as any), then InteractionLogged events
// without personal text spread over 24 months of business time, each on a client drawn at
// random (--events-per-client on average). The
// proofs and exports are then served by services::EventStoreService, the EventStore
// service ledgerd serves, on its own gRPC server over loopback (no projections, whose
// catch-up would share the CPU with the timings).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <streambuf>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "ledger/checkpoint.h"
#include "ledger/dates.h"
#include "ledger/event_store.h"
#include "ledger/proofs.h"
#include "rocksdb/db.h"
#include "services/event_store_service.h"
#include "sixhearts/ledger/v1/event_store.grpc.pb.h"
#include "tools/ledgerctl/audit_command.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace sixhearts::bench {
namespace {

namespace v1 = ledger::v1;
namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

constexpr char kActor[] = "bench";
// Events per Append while building the log (at most Limits::max_batch_events).
constexpr size_t kBuildBatchEvents = 1'000;
// Business time of the log: 24 months; the audited period is the last 12 of them, and
// the auditor's last checkpoint is the tree when that period began.
constexpr absl::CivilDay kFirstDay(2024, 12, 1);
constexpr absl::CivilDay kPeriodFrom(2025, 12, 1);
constexpr absl::CivilDay kLastDay(2026, 11, 30);
// Untimed calls before each timed series (connection, caches of the first reads).
constexpr int kWarmUpCalls = 100;
// The tree's keys in the `default` family (ledger/FORMAT.md "Merkle tree"): "tree" 0x00
// level index; removing them makes a directory written before the tree existed.
constexpr char kTreeKeyPrefix[] = {'t', 'r', 'e', 'e', '\0'};

struct Flags {
  uint64_t events = 200'000;  // CI-sized default; the figures are at 10,000,000
  uint64_t events_per_client = 1'000;
  int proofs = 2'000;
  std::string data_dir;
  bool keep = false;
  bool json = false;
  bool skip_tree_build = false;
  bool skip_chain_export = false;
  uint64_t seed = 1;
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
  std::fprintf(stderr, "proof_bench: %s: %s\n", what.c_str(), status.ToString().c_str());
  return 1;
}

absl::Status FromGrpc(const grpc::Status& s, const std::string& what) {
  if (s.ok()) return absl::OkStatus();
  return absl::UnknownError(absl::StrCat(what, ": ", s.error_code(), " ", s.error_message()));
}

std::string ClientId(uint64_t i) { return absl::StrFormat("c-%06d", i); }

google::protobuf::Timestamp At(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

// ------------------------------------------------------------------ building the log

struct BuiltLog {
  uint64_t head = 0;
  uint64_t clients = 0;
  uint64_t year_old_size = 0;  // the tree when the audited period began
  std::string root;            // the tree's root at the head, as built at append
  double build_s = 0;
};

absl::StatusOr<BuiltLog> BuildLog(const std::string& path, const Flags& flags) {
  ledger::EventStoreOptions options;
  options.data_dir = path;
  options.sync = false;
  auto store = ledger::EventStore::Open(options);
  if (!store.ok()) return store.status();
  BuiltLog log;
  log.clients = std::max<uint64_t>(1, flags.events / flags.events_per_client);
  std::mt19937_64 rng(flags.seed);
  const absl::Time first = absl::FromCivil(kFirstDay, absl::UTCTimeZone());
  const absl::Time period = absl::FromCivil(kPeriodFrom, absl::UTCTimeZone());
  const absl::Duration span = ledger::EndOfUtcDay(kLastDay) - first;
  const uint64_t interactions = flags.events > log.clients ? flags.events - log.clients : 0;
  const auto start = SteadyClock::now();
  auto last_print = start;
  v1::AppendRequest request;
  uint64_t appended = 0;
  auto flush = [&]() -> absl::Status {
    if (request.events_size() == 0) return absl::OkStatus();
    auto r = (*store)->Append(request, kActor);
    if (!r.ok()) return r.status();
    appended += request.events_size();
    request.clear_events();
    if (SecondsSince(last_print) >= 2.0) {
      last_print = SteadyClock::now();
      std::fprintf(stderr, "\r  appended %s events   ",
                   Grouped(static_cast<double>(appended)).c_str());
    }
    return absl::OkStatus();
  };
  for (uint64_t c = 0; c < log.clients; ++c) {
    v1::Event* e = request.add_events();
    e->set_event_id(absl::StrFormat("b0000000-0000-4000-8000-%012x", c));
    e->set_stream(absl::StrCat("client-", ClientId(c)));
    *e->mutable_occurred_at() = At(first);
    auto* p = e->mutable_client_registered();
    p->set_client_id(ClientId(c));
    p->set_name(absl::StrCat("Bench client ", c));
    p->set_jurisdiction(v1::JURISDICTION_CN);
    p->set_client_kind(v1::CLIENT_KIND_PUBLIC_INSTITUTION);
    p->set_region("bench");
    if (request.events_size() >= static_cast<int>(kBuildBatchEvents)) {
      if (absl::Status s = flush(); !s.ok()) return s;
    }
  }
  for (uint64_t i = 0; i < interactions; ++i) {
    const absl::Time occurred =
        first + span * (static_cast<double>(i) / static_cast<double>(interactions));
    if (occurred < period) log.year_old_size = log.clients + i + 1;
    v1::Event* e = request.add_events();
    e->set_event_id(absl::StrFormat("a0000000-0000-4000-8000-%012x", i));
    const uint64_t client = rng() % log.clients;
    e->set_stream(absl::StrCat("client-", ClientId(client)));
    *e->mutable_occurred_at() = At(occurred);
    auto* p = e->mutable_interaction_logged();
    p->set_interaction_id(absl::StrFormat("i-%d", i));
    p->set_kind(v1::INTERACTION_KIND_CHECK_IN_CALL);
    p->add_hearts(v1::HEART_COMMUNICATION);
    p->set_owner("owner-1");
    p->set_channel(v1::CHANNEL_PHONE);
    p->set_sentiment(static_cast<int32_t>(rng() % 5) - 2);
    if (request.events_size() >= static_cast<int>(kBuildBatchEvents)) {
      if (absl::Status s = flush(); !s.ok()) return s;
    }
  }
  if (absl::Status s = flush(); !s.ok()) return s;
  log.build_s = SecondsSince(start);
  log.head = (*store)->head().position;
  auto root = ledger::TreeHeadAt(**store, 0);
  if (!root.ok()) return root.status();
  log.root = root->root;
  (*store)->Shutdown();
  std::fprintf(stderr, "\rbuilt %s events (%s clients) in %.1f s\n",
               Grouped(static_cast<double>(log.head)).c_str(),
               Grouped(static_cast<double>(log.clients)).c_str(), log.build_s);
  return log;
}

// Removes every tree node, as in a directory written before the tree existed.
absl::Status RemoveTree(const std::string& path) {
  std::vector<std::string> names;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies({}, path, &names);
  if (!s.ok()) return absl::InternalError(s.ToString());
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const auto& name : names) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  s = rocksdb::DB::Open({}, path, families, &handles, &db);
  if (!s.ok()) return absl::InternalError(s.ToString());
  const std::string from(kTreeKeyPrefix, sizeof(kTreeKeyPrefix));
  std::string to = from;
  to.back() = '\x01';
  s = db->DeleteRange({}, db->DefaultColumnFamily(), from, to);
  if (s.ok()) s = db->CompactRange({}, db->DefaultColumnFamily(), nullptr, nullptr);
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  delete db;
  if (!s.ok()) return absl::InternalError(s.ToString());
  return absl::OkStatus();
}

// ------------------------------------------------------------------ timings and sizes

struct Latency {
  int calls = 0;
  double p50_us = 0;
  double p99_us = 0;
  double max_us = 0;
  double mean_hashes = 0;  // hashes per proof
};

Latency Summarize(std::vector<double> us, double hashes) {
  std::sort(us.begin(), us.end());
  Latency l;
  l.calls = static_cast<int>(us.size());
  if (us.empty()) return l;
  l.p50_us = us[us.size() / 2];
  l.p99_us = us[std::min(us.size() - 1, us.size() * 99 / 100)];
  l.max_us = us.back();
  l.mean_hashes = hashes / static_cast<double>(us.size());
  return l;
}

absl::StatusOr<Latency> TimeInclusion(v1::EventStore::Stub& stub, uint64_t head, int calls,
                                      std::mt19937_64& rng) {
  std::vector<double> us;
  double hashes = 0;
  for (int i = -kWarmUpCalls; i < calls; ++i) {
    v1::GetInclusionProofRequest request;
    request.set_position(1 + rng() % head);
    v1::GetInclusionProofResponse response;
    grpc::ClientContext context;
    const auto start = SteadyClock::now();
    grpc::Status s = stub.GetInclusionProof(&context, request, &response);
    const double elapsed = SecondsSince(start) * 1e6;
    if (absl::Status e = FromGrpc(s, "GetInclusionProof"); !e.ok()) return e;
    if (i < 0) continue;
    us.push_back(elapsed);
    hashes += response.path_size();
  }
  return Summarize(std::move(us), hashes);
}

absl::StatusOr<Latency> TimeConsistency(v1::EventStore::Stub& stub, uint64_t head, int calls,
                                        std::mt19937_64& rng) {
  std::vector<double> us;
  double hashes = 0;
  for (int i = -kWarmUpCalls; i < calls; ++i) {
    v1::GetConsistencyProofRequest request;
    request.set_first(1 + rng() % head);
    v1::GetConsistencyProofResponse response;
    grpc::ClientContext context;
    const auto start = SteadyClock::now();
    grpc::Status s = stub.GetConsistencyProof(&context, request, &response);
    const double elapsed = SecondsSince(start) * 1e6;
    if (absl::Status e = FromGrpc(s, "GetConsistencyProof"); !e.ok()) return e;
    if (i < 0) continue;
    us.push_back(elapsed);
    hashes += response.path_size();
  }
  return Summarize(std::move(us), hashes);
}

// Counts what is written to it.
class CountingBuffer final : public std::streambuf {
 public:
  uint64_t bytes() const { return bytes_; }

 protected:
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) ++bytes_;
    return c;
  }
  std::streamsize xsputn(const char*, std::streamsize n) override {
    bytes_ += static_cast<uint64_t>(n);
    return n;
  }

 private:
  uint64_t bytes_ = 0;
};

struct ExportSize {
  uint64_t json_bytes = 0;
  uint64_t positions = 0;      // records written
  uint64_t client_events = 0;  // records with the client's event
  double seconds = 0;          // the export streamed and written (not stored)
};

// One client's export over the audited period from the year-old checkpoint, written as
// `ledgerctl report audit` writes it (JSON), counted instead of stored.
absl::StatusOr<ExportSize> MeasureExport(v1::EventStore::Stub& stub, const std::string& client,
                                         uint64_t verified, bool proofs) {
  v1::ExportAuditRequest request;
  request.set_client_id(client);
  *request.mutable_from() = ledger::FromCivilDay(kPeriodFrom);
  *request.mutable_to() = ledger::FromCivilDay(kLastDay);
  request.set_verified_position(verified);
  request.set_proofs(proofs);
  CountingBuffer buffer;
  std::ostream out(&buffer);
  auto writer = ledgerctl::MakeAuditExportWriter("json", &out);
  ExportSize size;
  grpc::ClientContext context;
  const auto start = SteadyClock::now();
  auto reader = stub.ExportAudit(&context, request);
  v1::ExportAuditResponse page;
  while (reader->Read(&page)) {
    if (page.has_header()) writer->Header(page.header());
    for (const v1::AuditRecord& record : page.records()) {
      writer->Record(record);
      ++size.positions;
      if (!record.event_bytes().empty()) ++size.client_events;
    }
  }
  if (absl::Status s = FromGrpc(reader->Finish(), "ExportAudit"); !s.ok()) return s;
  writer->Finish();
  out.flush();
  size.seconds = SecondsSince(start);
  size.json_bytes = buffer.bytes();
  return size;
}

struct Results {
  BuiltLog log;
  std::string client;
  double tree_build_s = -1;       // -1: not measured; first to last progress line
  double tree_build_open_s = -1;  // the open that built the tree
  double plain_open_s = -1;       // the next open, with the tree in place
  Latency inclusion;
  Latency consistency;
  ExportSize proof_export;
  std::optional<ExportSize> chain_export;
  std::string load_start;
  std::string load_end;
};

std::string Markdown(const Results& r, const std::string& command) {
  std::string out;
  absl::StrAppend(&out, "Command: `", command, "`\n\n");
  absl::StrAppendFormat(
      &out,
      "Machine: nproc %u, load average at the start %s, at the end %s, peak RSS %.0f MiB. "
      "Log: %s events (%s clients' ClientRegistered, then InteractionLogged over 24 months), "
      "built with the tree in %.1f s (sync=false).\n\n",
      std::thread::hardware_concurrency(), r.load_start, r.load_end, PeakRssMiB(),
      Grouped(static_cast<double>(r.log.head)), Grouped(static_cast<double>(r.log.clients)),
      r.log.build_s);
  absl::StrAppend(&out,
                  "| gRPC method (tree of the head) | calls | p50 (µs) | p99 (µs) | max (µs) | "
                  "hashes per proof |\n|---|---:|---:|---:|---:|---:|\n");
  auto row = [&](const char* name, const Latency& l) {
    absl::StrAppendFormat(&out, "| %s | %d | %.0f | %.0f | %.0f | %.1f |\n", name, l.calls,
                          l.p50_us, l.p99_us, l.max_us, l.mean_hashes);
  };
  row("GetInclusionProof, random position", r.inclusion);
  row("GetConsistencyProof, random first size", r.consistency);
  absl::StrAppendFormat(&out,
                        "\nOne client's audit export (%s, period %s..%s, from the checkpoint of "
                        "tree size %s, written as `ledgerctl report audit` writes JSON):\n\n",
                        r.client, absl::FormatCivilTime(kPeriodFrom),
                        absl::FormatCivilTime(kLastDay),
                        Grouped(static_cast<double>(r.log.year_old_size)));
  absl::StrAppend(&out,
                  "| export | positions | client events | JSON bytes | streamed in (s) |\n"
                  "|---|---:|---:|---:|---:|\n");
  auto size_row = [&](const char* name, const ExportSize& s) {
    absl::StrAppendFormat(&out, "| %s | %s | %s | %s | %.2f |\n", name,
                          Grouped(static_cast<double>(s.positions)),
                          Grouped(static_cast<double>(s.client_events)),
                          Grouped(static_cast<double>(s.json_bytes)), s.seconds);
  };
  size_row("on proofs (`--proofs`)", r.proof_export);
  if (r.chain_export) size_row("on the chain (today's)", *r.chain_export);
  if (r.tree_build_s >= 0) {
    absl::StrAppendFormat(&out,
                          "\nTree build on open of the same directory without its tree: %s "
                          "leaves in %.2f s (first to last progress line), %s leaves/s; the "
                          "open blocks until it is done and took %.2f s in all; the next open, "
                          "with the tree in place, %.2f s.\n",
                          Grouped(static_cast<double>(r.log.head)), r.tree_build_s,
                          Grouped(static_cast<double>(r.log.head) / r.tree_build_s),
                          r.tree_build_open_s, r.plain_open_s);
  }
  return out;
}

std::string Json(const Results& r, const std::string& command) {
  auto latency = [](const Latency& l) {
    return absl::StrFormat(
        "{\"calls\": %d, \"p50_us\": %.1f, \"p99_us\": %.1f, \"max_us\": %.1f, "
        "\"hashes_per_proof\": %.2f}",
        l.calls, l.p50_us, l.p99_us, l.max_us, l.mean_hashes);
  };
  auto size = [](const ExportSize& s) {
    return absl::StrFormat(
        "{\"positions\": %d, \"client_events\": %d, \"json_bytes\": %d, \"seconds\": %.3f}",
        s.positions, s.client_events, s.json_bytes, s.seconds);
  };
  std::string out = "{\n";
  absl::StrAppendFormat(&out, "  \"command\": \"%s\",\n", absl::CEscape(command));
  absl::StrAppendFormat(&out, "  \"nproc\": %u,\n  \"load_start\": \"%s\",\n",
                        std::thread::hardware_concurrency(), r.load_start);
  absl::StrAppendFormat(&out, "  \"load_end\": \"%s\",\n  \"peak_rss_mib\": %.0f,\n", r.load_end,
                        PeakRssMiB());
  absl::StrAppendFormat(&out,
                        "  \"events\": %d,\n  \"clients\": %d,\n  \"build_s\": %.2f,\n"
                        "  \"year_old_tree_size\": %d,\n  \"client\": \"%s\",\n",
                        r.log.head, r.log.clients, r.log.build_s, r.log.year_old_size, r.client);
  absl::StrAppendFormat(&out, "  \"inclusion\": %s,\n  \"consistency\": %s,\n",
                        latency(r.inclusion), latency(r.consistency));
  absl::StrAppendFormat(&out, "  \"proof_export\": %s,\n", size(r.proof_export));
  absl::StrAppendFormat(&out, "  \"chain_export\": %s,\n",
                        r.chain_export ? size(*r.chain_export) : std::string("null"));
  if (r.tree_build_s >= 0) {
    absl::StrAppendFormat(&out,
                          "  \"tree_build_s\": %.3f,\n  \"tree_build_leaves_per_s\": %.0f,\n"
                          "  \"tree_build_open_s\": %.3f,\n  \"plain_open_s\": %.3f\n",
                          r.tree_build_s, static_cast<double>(r.log.head) / r.tree_build_s,
                          r.tree_build_open_s, r.plain_open_s);
  } else {
    absl::StrAppend(&out,
                    "  \"tree_build_s\": null,\n  \"tree_build_leaves_per_s\": null,\n"
                    "  \"tree_build_open_s\": null,\n  \"plain_open_s\": null\n");
  }
  absl::StrAppend(&out, "}\n");
  return out;
}

int Main(int argc, char** argv) {
  Flags flags;
  CLI::App app{"Merkle proof latency, audit export sizes and the tree build (BENCHMARKS.md)"};
  app.add_option("--events", flags.events,
                 "Events in the log (default 200,000, CI-sized; the issue's figures: 10,000,000)")
      ->check(CLI::Range(uint64_t{1'000}, uint64_t{100'000'000}));
  app.add_option("--events-per-client", flags.events_per_client,
                 "Events per client, on average (default 1,000)")
      ->check(CLI::Range(uint64_t{10}, uint64_t{10'000'000}));
  app.add_option("--proofs", flags.proofs, "Timed calls of each proof method (default 2,000)")
      ->check(CLI::Range(1, 10'000'000));
  app.add_option("--data-dir", flags.data_dir, "Parent of the fresh data directory");
  app.add_flag("--keep", flags.keep, "Keep the generated data directory");
  app.add_flag("--json", flags.json, "Print the results as JSON instead of markdown");
  app.add_flag("--skip-tree-build", flags.skip_tree_build,
               "Do not measure the tree build on open (it reads the whole log once more)");
  app.add_flag("--skip-chain-export", flags.skip_chain_export,
               "Do not measure the chain export (it streams every position since the "
               "year-old checkpoint)");
  app.add_option("--seed", flags.seed, "Seed of the clients' draw and the proofs' positions");
  CLI11_PARSE(app, argc, argv);
  const std::string command = absl::StrJoin(std::vector<std::string>(argv, argv + argc), " ");
  Results results;
  results.load_start = LoadAverage();
  std::fprintf(stderr, "proof_bench: nproc %u, load average %s\n  %s\n",
               std::thread::hardware_concurrency(), results.load_start.c_str(), command.c_str());

  const fs::path base =
      flags.data_dir.empty() ? fs::temp_directory_path() : fs::path(flags.data_dir);
  const std::string parent =
      (base / absl::StrFormat("proof_bench-%d", static_cast<int>(::getpid()))).string();
  fs::remove_all(parent);
  fs::create_directories(parent);
  struct Cleanup {
    std::string path;
    bool remove;
    ~Cleanup() {
      std::error_code ec;
      if (remove) fs::remove_all(path, ec);
    }
  } cleanup{parent, !flags.keep};
  const std::string path = (fs::path(parent) / "ledger").string();

  // 1. The log, with the tree maintained at append.
  auto log = BuildLog(path, flags);
  if (!log.ok()) return Fail(log.status(), "build the log");
  results.log = *log;
  results.client = ClientId(log->clients / 2);

  // 2. The same directory without its tree: the open builds it, and gets the same root.
  if (!flags.skip_tree_build) {
    if (absl::Status s = RemoveTree(path); !s.ok()) return Fail(s, "remove the tree");
  }
  ledger::EventStoreOptions options;
  options.data_dir = path;
  options.sync = false;
  // The build's own time: from its first progress line to its last.
  std::string last_progress;
  std::optional<SteadyClock::time_point> first_line, last_line;
  options.on_progress = [&](std::string_view line) {
    if (!first_line) first_line = SteadyClock::now();
    last_line = SteadyClock::now();
    last_progress = std::string(line);
  };
  auto start = SteadyClock::now();
  auto store = ledger::EventStore::Open(options);
  if (!store.ok()) return Fail(store.status(), "open the store");
  if (!flags.skip_tree_build) {
    results.tree_build_open_s = SecondsSince(start);
    if (first_line) {
      results.tree_build_s = std::chrono::duration<double>(*last_line - *first_line).count();
    }
    std::fprintf(stderr, "open with the tree build: %.2f s, the build %.2f s (%s)\n",
                 results.tree_build_open_s, results.tree_build_s, last_progress.c_str());
  }
  if (!flags.skip_tree_build) {
    // The same open with the tree in place: what the build adds is the difference.
    (*store)->Shutdown();
    store->reset();
    start = SteadyClock::now();
    store = ledger::EventStore::Open(options);
    if (!store.ok()) return Fail(store.status(), "open the store again");
    results.plain_open_s = SecondsSince(start);
  }
  auto root = ledger::TreeHeadAt(**store, 0);
  if (!root.ok()) return Fail(root.status(), "tree head");
  if (root->root != log->root) {
    return Fail(absl::DataLossError("the built tree's root is not the one kept at append"),
                "tree build");
  }

  // 3. The EventStore service over loopback, with a checkpoint key of its own.
  auto signer = ledger::CheckpointSigner::LoadOrCreate(
      (fs::path(parent) / "checkpoint.key").string(), "sixhearts-ledger");
  if (!signer.ok()) return Fail(signer.status(), "checkpoint key");
  services::EventStoreService service;
  service.Attach(store->get(), signer->get());
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) return Fail(absl::UnavailableError("no port"), "serve");
  grpc::ChannelArguments channel_args;
  channel_args.SetMaxReceiveMessageSize(-1);
  auto stub = v1::EventStore::NewStub(grpc::CreateCustomChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials(), channel_args));

  std::mt19937_64 rng(flags.seed + 1);
  auto inclusion = TimeInclusion(*stub, log->head, flags.proofs, rng);
  if (!inclusion.ok()) return Fail(inclusion.status(), "inclusion proofs");
  results.inclusion = *inclusion;
  auto consistency = TimeConsistency(*stub, log->head, flags.proofs, rng);
  if (!consistency.ok()) return Fail(consistency.status(), "consistency proofs");
  results.consistency = *consistency;
  std::fprintf(stderr, "inclusion p50 %.0f µs p99 %.0f µs; consistency p50 %.0f µs p99 %.0f µs\n",
               inclusion->p50_us, inclusion->p99_us, consistency->p50_us, consistency->p99_us);

  // 4. One client's exports from the year-old checkpoint.
  auto proof_export = MeasureExport(*stub, results.client, log->year_old_size, true);
  if (!proof_export.ok()) return Fail(proof_export.status(), "export on proofs");
  results.proof_export = *proof_export;
  if (!flags.skip_chain_export) {
    auto chain_export = MeasureExport(*stub, results.client, log->year_old_size, false);
    if (!chain_export.ok()) return Fail(chain_export.status(), "chain export");
    results.chain_export = *chain_export;
  }
  results.load_end = LoadAverage();

  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  server->Wait();
  (*store)->Shutdown();
  const std::string report = flags.json ? Json(results, command) : Markdown(results, command);
  std::fputs(report.c_str(), stdout);
  return 0;
}

}  // namespace
}  // namespace sixhearts::bench

int main(int argc, char** argv) {
  // Logs go to stderr, so that stdout carries the results alone (--json stays parseable).
  spdlog::set_default_logger(spdlog::stderr_color_mt("bench"));
  return sixhearts::bench::Main(argc, argv);
}
