// ledger_bench: append throughput of the ledger through gRPC, measured in the same run
// against the same writes straight into RocksDB and against an empty RPC (the gRPC
// ceiling); with --mode scan, a full scan of the log through the store (ReadLog pages, and
// the projections' pipelined scan of every event and of one type) against a raw RocksDB
// iterator. Method, figures and targets: BENCHMARKS.md (issue 2).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/codegen/client_unary_call.h"
#include "ledger/event_store.h"
#include "ledger/format.h"
#include "ledger/merkle_tree.h"
#include "ledger/validate.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"
#include "services/event_store_service.h"
#include "services/server.h"
#include "sixhearts/ledger/v1/event_store.grpc.pb.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace sixhearts::bench {
namespace {

namespace v1 = ledger::v1;
namespace format = ledger::format;
namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

// Serialized size the generator aims at for each event as the caller sends it (the
// stored record adds position, version, recorded_at and actor, about 25 bytes more).
constexpr size_t kTargetEventBytes = 200;
// Latency samples kept per case in all; beyond this a reservoir keeps a uniform sample.
constexpr size_t kMaxLatencySamples = 1'000'000;
// The principal the unauthenticated server stamps on every event (services ActorOf).
constexpr char kActor[] = "anonymous";
// Targets of issue 13: batched appends at this share of raw RocksDB writing the same keys,
// and single-event appends from 64 clients at this share of the empty RPC.
constexpr double kBatchedTargetRatio = 0.6;
constexpr double kSingleTargetRatio = 0.8;
// Issue 14: appends with the Merkle tree maintained at this share of those without it.
constexpr double kTreeTargetRatio = 0.9;

struct Flags {
  std::vector<int> clients = {1, 16, 64};
  std::vector<int> batches = {1, 100, 1000};
  double seconds_per_case = 3.0;
  uint64_t events_per_case = 0;  // 0: no cap
  std::string data_dir;          // empty: a fresh temporary directory per case
  int streams = 1000;
  bool quick = false;
  bool json = false;
  bool shared_channel = false;
  int server_max_pollers = 0;  // 0: the real LedgerServer, unchanged
  std::string mode = "append";
  // Which append cases run; all by default. One kind alone is for profiling.
  std::vector<std::string> kinds = {"ledger", "store", "raw", "tree", "empty"};
  uint64_t scan_events = 200'000;
};

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

// "1234567" -> "1,234,567", so wide figures are readable in the terminal and the table.
std::string Grouped(double value) {
  std::string digits = absl::StrFormat("%.0f", value);
  std::string out;
  const size_t n = digits.size();
  for (size_t i = 0; i < n; ++i) {
    out.push_back(digits[i]);
    const size_t left = n - 1 - i;
    if (left > 0 && left % 3 == 0 && digits[i] != '-') out.push_back(',');
  }
  return out;
}

// ------------------------------------------------------------------------ latencies

// Request latencies of one thread in bounded memory: every sample until `capacity`,
// then a uniform reservoir (Algorithm R) so long cases do not grow without limit.
class LatencySamples {
 public:
  LatencySamples(size_t capacity, uint64_t seed) : capacity_(capacity), rng_(seed) {}

  void Add(double micros) {
    ++seen_;
    if (samples_.size() < capacity_) {
      samples_.push_back(micros);
      return;
    }
    std::uniform_int_distribution<uint64_t> pick(0, seen_ - 1);
    const uint64_t slot = pick(rng_);
    if (slot < capacity_) samples_[slot] = micros;
  }
  const std::vector<double>& samples() const { return samples_; }

 private:
  size_t capacity_;
  std::mt19937_64 rng_;
  uint64_t seen_ = 0;
  std::vector<double> samples_;
};

// Nearest-rank percentile of sorted samples, in milliseconds.
double PercentileMs(const std::vector<double>& sorted_micros, double p) {
  if (sorted_micros.empty()) return 0;
  size_t rank =
      static_cast<size_t>(p / 100.0 * static_cast<double>(sorted_micros.size()) + 0.999999);
  rank = std::clamp<size_t>(rank, 1, sorted_micros.size());
  return sorted_micros[rank - 1] / 1000.0;
}

// ------------------------------------------------------------------------ events

// Builds the append requests of one client thread. The first call builds B realistic
// events; later calls rewrite only the event ids, streams and business ids in place,
// so the measured loop does not pay for building messages and memory stays bounded
// (pre-generating a whole case would take gigabytes at the batched rates).
//
// Every id is unique across threads and runs: event ids are random v4 UUIDs and the
// business ids carry the thread index and a sequence number, so no append is taken for
// an idempotent retry and no business id collides within a stream.
class EventGenerator {
 public:
  EventGenerator(int thread, int streams, uint64_t seed)
      : thread_(thread), streams_(streams), rng_(seed) {}

  // Refills `request` with `batch` fresh events; stream_of(i) names event i's stream.
  void Next(v1::AppendRequest* request, int batch) {
    if (request->events_size() != batch) {
      request->Clear();
      stream_index_.assign(batch, 0);
      for (int i = 0; i < batch; ++i) Build(request->add_events(), i);
    }
    for (int i = 0; i < batch; ++i) Rewrite(request->mutable_events(i), i);
  }
  int stream_of(int i) const { return stream_index_[i]; }

  // The mean serialized size of the events built, as the run reports it.
  size_t SampleBytes() {
    v1::AppendRequest request;
    Next(&request, 2);
    return (request.events(0).ByteSizeLong() + request.events(1).ByteSizeLong()) / 2;
  }

 private:
  // Half the events are invoices and half interactions, the two commonest kinds; each
  // is padded with plausible text to kTargetEventBytes.
  void Build(v1::Event* e, int i) {
    e->set_schema_version(1);
    e->mutable_occurred_at()->set_seconds(1'740'787'200);  // 2025-03-01T00:00:00Z
    auto date = [](v1::Date* d, int year, int month, int day) {
      d->set_year(year);
      d->set_month(month);
      d->set_day(day);
    };
    if (i % 2 == 0) {
      auto* p = e->mutable_invoice_issued();
      p->mutable_amount()->set_amount_minor(1'250'000 + i);
      p->mutable_amount()->set_currency("CNY");
      date(p->mutable_issue_date(), 2025, 3, 1);
      date(p->mutable_due_date(), 2025, 4, 30);
      date(p->mutable_delivery_date(), 2025, 2, 20);
      date(p->mutable_received_date(), 2025, 3, 2);
      Rewrite(e, i);  // the ids count toward the size padded to
      Pad(e, e->mutable_correlation_id());
    } else {
      auto* p = e->mutable_interaction_logged();
      p->set_kind(v1::INTERACTION_KIND_CALL);
      p->add_hearts(v1::HEART_COMMUNICATION);
      p->mutable_contact()->set_name("Li Wei");
      p->mutable_contact()->set_role("finance director");
      p->set_owner("account.owner");
      p->set_channel(v1::CHANNEL_PHONE);
      p->set_sentiment(1);
      Rewrite(e, i);
      Pad(e, p->mutable_summary());
    }
  }

  // Appends text to `field` until the event is kTargetEventBytes (ids are fixed width,
  // so the size found here holds for every rewrite).
  static void Pad(v1::Event* e, std::string* field) {
    static constexpr char kText[] =
        "Called the finance director about the March invoices; the payment run is "
        "scheduled after approval by the project office, follow up next week.";
    for (size_t i = 0; e->ByteSizeLong() < kTargetEventBytes && i + 1 < sizeof(kText); ++i) {
      field->push_back(kText[i]);
    }
  }

  void Rewrite(v1::Event* e, int i) {
    const uint64_t hi = rng_();
    const uint64_t lo = rng_();
    // A version-4, variant-1 UUID in canonical lower-case text.
    e->set_event_id(absl::StrFormat("%08x-%04x-4%03x-%04x-%012x", hi >> 32, (hi >> 16) & 0xffff,
                                    hi & 0x0fff, ((lo >> 48) & 0x3fff) | 0x8000,
                                    lo & 0xffffffffffffULL));
    const int stream = static_cast<int>(rng_() % static_cast<uint64_t>(streams_));
    stream_index_[i] = stream;
    e->set_stream(absl::StrFormat("client-%04d", stream));
    const std::string id = absl::StrFormat("t%03d-%010d", thread_, sequence_++);
    if (e->has_interaction_logged()) {
      e->mutable_interaction_logged()->set_interaction_id(absl::StrCat("int-", id));
    } else {
      e->mutable_invoice_issued()->set_invoice_id(absl::StrCat("inv-", id));
    }
  }

  int thread_;
  int streams_;
  std::mt19937_64 rng_;
  int64_t sequence_ = 0;
  std::vector<int> stream_index_ = std::vector<int>(2, 0);
};

std::string SerializeDeterministic(const v1::Event& event) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    event.SerializeToCodedStream(&coded);
    coded.Trim();
    out.resize(static_cast<size_t>(coded.ByteCount()));
  }
  return out;
}

// ------------------------------------------------------------------------ cases

enum class CaseKind { kLedger, kStore, kRaw, kTree, kEmpty };

std::string KindName(CaseKind kind) {
  switch (kind) {
    case CaseKind::kLedger:
      return "ledger";
    case CaseKind::kStore:
      return "store";
    case CaseKind::kRaw:
      return "raw";
    case CaseKind::kTree:
      return "tree";
    case CaseKind::kEmpty:
      return "empty";
  }
  return "?";
}

struct CaseResult {
  CaseKind kind = CaseKind::kLedger;
  int clients = 0;
  int batch = 0;  // 0 for the empty RPC
  uint64_t events = 0;
  uint64_t requests = 0;
  double seconds = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  std::string error;  // the first failure; the figures are then meaningless

  double events_per_second() const { return seconds > 0 ? events / seconds : 0; }
  double requests_per_second() const { return seconds > 0 ? requests / seconds : 0; }
};

// Shared by the threads of one case: when to stop and the first error.
class CaseControl {
 public:
  CaseControl(double seconds, uint64_t max_events)
      : seconds_(seconds), max_events_(max_events == 0 ? UINT64_MAX : max_events) {}

  void Start() {
    deadline_ = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(
                                         std::chrono::duration<double>(seconds_));
    started_ = SteadyClock::now();
    go_.Notify();
  }
  void WaitForStart() { go_.WaitForNotification(); }
  SteadyClock::time_point started() const { return started_; }

  // Reserves `events` more events of the case; false once the time or the cap is used
  // up or a thread failed.
  bool Claim(uint64_t events) {
    if (failed_.load(std::memory_order_relaxed)) return false;
    if (SteadyClock::now() >= deadline_) return false;
    return claimed_.fetch_add(events, std::memory_order_relaxed) + events <= max_events_;
  }

  void Fail(std::string error) {
    absl::MutexLock lock(&mu_);
    if (error_.empty()) error_ = std::move(error);
    failed_.store(true);
  }
  std::string error() {
    absl::MutexLock lock(&mu_);
    return error_;
  }

 private:
  const double seconds_;
  const uint64_t max_events_;
  absl::Notification go_;
  SteadyClock::time_point started_;
  SteadyClock::time_point deadline_;
  std::atomic<uint64_t> claimed_{0};
  std::atomic<bool> failed_{false};
  absl::Mutex mu_;
  std::string error_ ABSL_GUARDED_BY(mu_);
};

struct ThreadTally {
  explicit ThreadTally(size_t capacity, uint64_t seed) : latencies(capacity, seed) {}
  uint64_t events = 0;
  uint64_t requests = 0;
  LatencySamples latencies;
};

// Runs `body` on `clients` threads that start together; wall time runs from the start
// signal until the last thread has finished its last request.
// Registers the clients of the streams the generator writes to (client-0000 ...): a
// client event needs its ClientRegistered. Done before any timing starts.
absl::Status RegisterStreams(ledger::EventStore* store, int streams) {
  constexpr int kBatch = 1000;
  for (int first = 0; first < streams; first += kBatch) {
    v1::AppendRequest request;
    for (int s = first; s < std::min(streams, first + kBatch); ++s) {
      v1::Event* e = request.add_events();
      e->set_schema_version(1);
      e->set_event_id(absl::StrFormat("c11e0000-0000-4000-8000-%012x", s));
      e->set_stream(absl::StrFormat("client-%04d", s));
      e->mutable_occurred_at()->set_seconds(1'740'787'200);  // 2025-03-01T00:00:00Z
      auto* p = e->mutable_client_registered();
      p->set_client_id(absl::StrFormat("%04d", s));
      p->set_name(absl::StrFormat("Bureau %04d", s));
      p->set_jurisdiction(v1::JURISDICTION_CN);
      p->set_client_kind(v1::CLIENT_KIND_GOVERNMENT_ORGAN);
    }
    if (auto appended = store->Append(request, kActor); !appended.ok()) return appended.status();
  }
  return absl::OkStatus();
}

CaseResult RunThreads(CaseKind kind, int clients, int batch, const Flags& flags,
                      const std::function<void(int, CaseControl&, ThreadTally&)>& body) {
  CaseControl control(flags.seconds_per_case, flags.events_per_case);
  std::vector<std::unique_ptr<ThreadTally>> tallies;
  const size_t capacity = kMaxLatencySamples / static_cast<size_t>(clients);
  for (int t = 0; t < clients; ++t) {
    tallies.push_back(std::make_unique<ThreadTally>(capacity, 0x5eed + t));
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      control.WaitForStart();
      body(t, control, *tallies[t]);
    });
  }
  control.Start();
  for (auto& thread : threads) thread.join();

  CaseResult result;
  result.kind = kind;
  result.clients = clients;
  result.batch = batch;
  result.seconds = SecondsSince(control.started());
  std::vector<double> all;
  for (const auto& tally : tallies) {
    result.events += tally->events;
    result.requests += tally->requests;
    all.insert(all.end(), tally->latencies.samples().begin(), tally->latencies.samples().end());
  }
  std::sort(all.begin(), all.end());
  result.p50_ms = PercentileMs(all, 50);
  result.p99_ms = PercentileMs(all, 99);
  result.error = control.error();
  return result;
}

// A fresh directory for one case: under --data-dir when given, else under the system
// temporary directory. Removed when the case ends.
class CaseDir {
 public:
  CaseDir(const Flags& flags, const std::string& name) {
    static std::atomic<int> counter{0};
    const fs::path base =
        flags.data_dir.empty() ? fs::temp_directory_path() : fs::path(flags.data_dir);
    path_ = base / absl::StrFormat("ledger_bench-%d-%03d-%s", static_cast<int>(::getpid()),
                                   counter.fetch_add(1), name);
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~CaseDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

// ------------------------------------------------------------------------ gRPC cases

// One channel per client thread. A unique channel argument keeps gRPC from sharing one
// subchannel (one TCP connection, one HTTP/2 transport) among them: concurrent clients
// of a ledger are separate processes with their own connections, so that is the
// realistic shape. --shared-channel measures the other one.
// One connected channel per client thread (or one for all with `shared`).
std::vector<std::shared_ptr<grpc::Channel>> ConnectChannels(const std::string& address, int clients,
                                                            bool shared) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::shared_ptr<grpc::Channel> shared_channel;
  for (int t = 0; t < clients; ++t) {
    std::shared_ptr<grpc::Channel> channel = shared_channel;
    if (channel == nullptr) {
      grpc::ChannelArguments args;
      args.SetInt("sixhearts.bench.client", t);
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      args.SetMaxReceiveMessageSize(64 << 20);
      channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
      if (shared) shared_channel = channel;
    }
    // Connect before the clock starts: the handshake is not part of an append.
    channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10));
    channels.push_back(std::move(channel));
  }
  return channels;
}

std::vector<std::unique_ptr<v1::EventStore::Stub>> ConnectClients(const std::string& address,
                                                                  int clients, bool shared) {
  std::vector<std::unique_ptr<v1::EventStore::Stub>> stubs;
  for (auto& channel : ConnectChannels(address, clients, shared)) {
    stubs.push_back(v1::EventStore::NewStub(channel));
  }
  return stubs;
}

// The server under test. By default the real LedgerServer, started as ledgerd starts it.
// With --server-max-pollers (a diagnosis, not the product) the same service over the
// same store options on a server whose sync thread pool keeps up to that many idle
// polling threads, to measure what creating a thread per blocked Append costs.
class BenchServer {
 public:
  static absl::StatusOr<std::unique_ptr<BenchServer>> Start(const std::string& dir,
                                                            const Flags& flags) {
    auto self = std::unique_ptr<BenchServer>(new BenchServer());
    if (flags.server_max_pollers == 0) {
      services::ServerOptions options;
      options.data_dir = dir;
      options.listen = "127.0.0.1:0";
      options.store.sync = true;  // the durability under test
      auto server = services::LedgerServer::Start(options);
      if (!server.ok()) return server.status();
      self->ledger_server_ = std::move(*server);
      self->address_ = self->ledger_server_->address();
      if (absl::Status s = RegisterStreams(self->store(), flags.streams); !s.ok()) return s;
      return self;
    }
    ledger::EventStoreOptions options;
    options.data_dir = dir;
    options.sync = true;
    auto store = ledger::EventStore::Open(options);
    if (!store.ok()) return store.status();
    self->store_ = std::move(*store);
    self->service_.Attach(self->store_.get());
    grpc::ServerBuilder builder;
    builder.SetMaxReceiveMessageSize(static_cast<int>(options.limits.max_message_bytes));
    builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                                flags.server_max_pollers);
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&self->service_);
    self->grpc_server_ = builder.BuildAndStart();
    if (self->grpc_server_ == nullptr || port == 0) {
      return absl::UnavailableError("cannot start the tuned server");
    }
    self->address_ = absl::StrCat("127.0.0.1:", port);
    if (absl::Status s = RegisterStreams(self->store(), flags.streams); !s.ok()) return s;
    return self;
  }

  ~BenchServer() { Shutdown(); }

  const std::string& address() const { return address_; }
  ledger::EventStore* store() {
    return ledger_server_ != nullptr ? ledger_server_->store() : store_.get();
  }
  void Shutdown() {
    if (ledger_server_ != nullptr) ledger_server_->Shutdown();
    if (grpc_server_ != nullptr) {
      store_->Shutdown();
      grpc_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
      grpc_server_->Wait();
      grpc_server_.reset();
    }
  }

 private:
  BenchServer() = default;
  std::string address_;
  std::unique_ptr<services::LedgerServer> ledger_server_;
  std::unique_ptr<ledger::EventStore> store_;
  services::EventStoreService service_;
  std::unique_ptr<grpc::Server> grpc_server_;
};

CaseResult RunLedgerCase(int clients, int batch, const Flags& flags) {
  CaseDir dir(flags, absl::StrFormat("ledger-c%d-b%d", clients, batch));
  auto server = BenchServer::Start(dir.path(), flags);
  if (!server.ok()) {
    CaseResult failed;
    failed.error = server.status().ToString();
    return failed;
  }
  auto stubs = ConnectClients((*server)->address(), clients, flags.shared_channel);
  CaseResult result = RunThreads(
      CaseKind::kLedger, clients, batch, flags,
      [&](int t, CaseControl& control, ThreadTally& tally) {
        EventGenerator generator(t, flags.streams, 0xa99e0d + static_cast<uint64_t>(t) * 7919);
        v1::AppendRequest request;
        v1::AppendResponse response;
        while (control.Claim(static_cast<uint64_t>(batch))) {
          generator.Next(&request, batch);
          grpc::ClientContext context;
          const auto start = SteadyClock::now();
          const grpc::Status status = stubs[t]->Append(&context, request, &response);
          const double micros = SecondsSince(start) * 1e6;
          if (!status.ok()) {
            control.Fail(absl::StrCat("Append: ", status.error_message()));
            return;
          }
          if (response.positions_size() != batch || response.duplicate()) {
            control.Fail("Append: unexpected response (duplicate or wrong count)");
            return;
          }
          tally.latencies.Add(micros);
          tally.events += static_cast<uint64_t>(batch);
          ++tally.requests;
        }
      });
  // Every acknowledged event must be in the log, gap-free: otherwise the rate counts
  // work the ledger did not do.
  const uint64_t head = (*server)->store()->head().position;
  // The log also holds the registrations of the streams (RegisterStreams).
  if (result.error.empty() && head != result.events + static_cast<uint64_t>(flags.streams)) {
    result.error = absl::StrCat("head position ", head, " after ", flags.streams,
                                " registrations and ", result.events, " events");
  }
  (*server)->Shutdown();
  return result;
}

// The gRPC ceiling: the health service's Check (grpc.health.v1.Health, registered on the
// real server) with an empty request, so it costs one unary round trip through the same
// server, interceptors, threads and connections as Append, and no work of the ledger's.
// (EventStore.Digest was the empty RPC until it began signing a checkpoint per call.)
// The call is made as the generated stubs make theirs (a blocking unary call over the
// channel), with the request and answer as raw bytes: the project has no generated
// health stubs, and the answer is only checked for an OK status.
constexpr char kEmptyMethod[] = "/grpc.health.v1.Health/Check";
CaseResult RunEmptyCase(int clients, const Flags& flags) {
  CaseDir dir(flags, absl::StrFormat("empty-c%d", clients));
  auto server = BenchServer::Start(dir.path(), flags);
  if (!server.ok()) {
    CaseResult failed;
    failed.error = server.status().ToString();
    return failed;
  }
  auto channels = ConnectChannels((*server)->address(), clients, flags.shared_channel);
  const grpc::internal::RpcMethod method(kEmptyMethod, grpc::internal::RpcMethod::NORMAL_RPC);
  CaseResult result = RunThreads(
      CaseKind::kEmpty, clients, 0, flags, [&](int t, CaseControl& control, ThreadTally& tally) {
        // An empty HealthCheckRequest (zero bytes): the server as a whole.
        grpc::Slice no_bytes;
        const grpc::ByteBuffer request(&no_bytes, 1);
        grpc::ByteBuffer response;
        while (control.Claim(1)) {
          grpc::ClientContext context;
          const auto start = SteadyClock::now();
          const grpc::Status status =
              grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
                  channels[t].get(), method, &context, request, &response);
          const double micros = SecondsSince(start) * 1e6;
          if (!status.ok()) {
            control.Fail(absl::StrCat("Health.Check: ", status.error_message()));
            return;
          }
          tally.latencies.Add(micros);
          ++tally.events;
          ++tally.requests;
        }
      });
  (*server)->Shutdown();
  return result;
}

// The event store without gRPC: the same requests handed to EventStore::Append from the
// same number of threads. Not a target, a diagnosis: ledger/store is what the RPC layer
// costs, store/raw what validation, the lookups and the single writer cost.
CaseResult RunStoreCase(int clients, int batch, const Flags& flags) {
  CaseDir dir(flags, absl::StrFormat("store-c%d-b%d", clients, batch));
  ledger::EventStoreOptions options;
  options.data_dir = dir.path();
  options.sync = true;
  auto store = ledger::EventStore::Open(options);
  if (!store.ok()) {
    CaseResult failed;
    failed.error = store.status().ToString();
    return failed;
  }
  if (absl::Status registered = RegisterStreams(store->get(), flags.streams); !registered.ok()) {
    CaseResult failed;
    failed.error = registered.ToString();
    return failed;
  }
  CaseResult result = RunThreads(
      CaseKind::kStore, clients, batch, flags,
      [&](int t, CaseControl& control, ThreadTally& tally) {
        EventGenerator generator(t, flags.streams, 0xa99e0d + static_cast<uint64_t>(t) * 7919);
        v1::AppendRequest request;
        while (control.Claim(static_cast<uint64_t>(batch))) {
          generator.Next(&request, batch);
          const auto start = SteadyClock::now();
          auto response = (*store)->Append(request, kActor);
          const double micros = SecondsSince(start) * 1e6;
          if (!response.ok()) {
            control.Fail(absl::StrCat("Append: ", response.status().ToString()));
            return;
          }
          tally.latencies.Add(micros);
          tally.events += static_cast<uint64_t>(batch);
          ++tally.requests;
        }
      });
  const uint64_t head = (*store)->head().position;
  // The log also holds the registrations of the streams (RegisterStreams).
  if (result.error.empty() && head != result.events + static_cast<uint64_t>(flags.streams)) {
    result.error = absl::StrCat("head position ", head, " after ", flags.streams,
                                " registrations and ", result.events, " events");
  }
  return result;
}

// ------------------------------------------------------------------------ raw RocksDB

// RocksDB opened with the event store's column families and options (the copy of
// EventStore::Impl::Open's settings is deliberate: the baseline must not be faster
// because of a different configuration).
class RawDb {
 public:
  static absl::StatusOr<std::unique_ptr<RawDb>> Open(const std::string& dir) {
    rocksdb::DBOptions db_options;
    db_options.create_if_missing = true;
    db_options.create_missing_column_families = true;
    db_options.IncreaseParallelism(2);
    db_options.max_background_jobs = 2;
    db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
    auto cache = rocksdb::NewLRUCache(64 << 20);
    auto family = [&](bool point_lookups) {
      rocksdb::ColumnFamilyOptions cf;
      rocksdb::BlockBasedTableOptions table;
      table.block_cache = cache;
      if (point_lookups) {
        table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
        table.whole_key_filtering = true;
      }
      cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
      cf.compression = rocksdb::kLZ4Compression;
      return cf;
    };
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {
        {rocksdb::kDefaultColumnFamilyName, family(false)},
        {format::kLogFamily, family(false)},
        {format::kStreamsFamily, family(true)},
        {format::kIdsFamily, family(true)},
        {format::kEntitiesFamily, family(true)},
    };
    // A store written by the ledger may hold families this baseline does not write
    // (RocksDB refuses to open a database without all of them); open those plainly.
    std::vector<std::string> existing;
    if (rocksdb::DB::ListColumnFamilies(db_options, dir, &existing).ok()) {
      for (const std::string& name : existing) {
        const bool known = std::any_of(families.begin(), families.end(),
                                       [&](const auto& f) { return f.name == name; });
        if (!known) families.emplace_back(name, family(false));
      }
    }
    auto self = std::unique_ptr<RawDb>(new RawDb());
    rocksdb::Status s = rocksdb::DB::Open(db_options, dir, families, &self->handles_, &self->db_);
    if (!s.ok()) return absl::UnavailableError(absl::StrCat("open ", dir, ": ", s.ToString()));
    return self;
  }

  ~RawDb() {
    for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
    if (db_ != nullptr) {
      db_->Close().PermitUncheckedError();
      delete db_;
    }
  }

  rocksdb::DB* db() { return db_; }
  rocksdb::ColumnFamilyHandle* tree() { return handles_[0]; }
  rocksdb::ColumnFamilyHandle* log() { return handles_[1]; }
  rocksdb::ColumnFamilyHandle* streams() { return handles_[2]; }
  rocksdb::ColumnFamilyHandle* ids() { return handles_[3]; }
  rocksdb::ColumnFamilyHandle* entities() { return handles_[4]; }

 private:
  RawDb() = default;
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

google::protobuf::Timestamp NowTimestamp() {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  google::protobuf::Timestamp ts;
  ts.set_seconds(micros / 1'000'000);
  ts.set_nanos(static_cast<int32_t>((micros % 1'000'000) * 1000));
  return ts;
}

// The Merkle tree's right edge for the `tree` case (the work of ledger/merkle_store.cc's
// TreeWriter, done here over the baseline's own keys): each leaf is put, and each subtree
// it completes (one per trailing one bit of its index). Keys have the shape and length of
// the store's ("tree" 0x00, level, index big-endian) in the `default` family, so the
// bytes written per event are the store's; the baseline's tree is not read back.
class RawTree {
 public:
  // Stages the nodes `leaves` add, in the order of the calls. Thread-safe.
  void Stage(const std::vector<format::Hash>& leaves, rocksdb::WriteBatch& batch,
             rocksdb::ColumnFamilyHandle* family) {
    absl::MutexLock lock(&mu_);
    for (const format::Hash& leaf : leaves) {
      uint64_t index = size_++;
      Put(batch, family, 0, index, leaf);
      format::Hash hash = leaf;
      int level = 0;
      while ((index & 1) == 1) {
        hash = ledger::merkle::HashChildren(edge_.back(), hash);
        edge_.pop_back();
        index >>= 1;
        ++level;
        Put(batch, family, level, index, hash);
      }
      edge_.push_back(hash);
    }
  }

 private:
  static void Put(rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* family, int level,
                  uint64_t index, const format::Hash& hash) {
    std::string key("tree", 4);
    key.push_back('\0');
    key.push_back(static_cast<char>(level));
    key += format::EncodeUint64(index);
    batch.Put(family, key, rocksdb::Slice(reinterpret_cast<const char*>(hash.data()), hash.size()))
        .PermitUncheckedError();
  }

  absl::Mutex mu_;
  uint64_t size_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<format::Hash> edge_ ABSL_GUARDED_BY(mu_);
};

// The same writes as an append, straight into RocksDB: for each event the log record
// (with its chain hash), the stream and id index entries and the business-object
// entry, in one synced WriteBatch per request. It skips what the ledger adds on top:
// the RPC, validation, the idempotency and reference lookups and the single writer.
// Positions come from an atomic counter and each thread hashes its own chain, so the
// log it leaves is not one gap-free chain; the bytes written per event are the same.
// With `with_tree` (the `tree` case) each request also hashes its leaves (RFC 9162,
// SHA-256(0x00 || event bytes)) and writes the Merkle tree nodes they complete, as the
// store does at append: `tree` ÷ `raw` is the share of throughput left with the tree.
CaseResult RunRawCase(int clients, int batch, const Flags& flags, bool with_tree) {
  CaseDir dir(flags, absl::StrFormat("%s-c%d-b%d", with_tree ? "tree" : "raw", clients, batch));
  auto raw = RawDb::Open(dir.path());
  if (!raw.ok()) {
    CaseResult failed;
    failed.error = raw.status().ToString();
    return failed;
  }
  RawDb& db = **raw;
  std::atomic<uint64_t> last_position{0};
  std::vector<std::atomic<uint64_t>> stream_versions(static_cast<size_t>(flags.streams));
  const auto invoice_kind = static_cast<char>(ledger::EntityKind::kInvoice);
  const auto interaction_kind = static_cast<char>(ledger::EntityKind::kInteraction);
  RawTree tree;
  return RunThreads(
      with_tree ? CaseKind::kTree : CaseKind::kRaw, clients, batch, flags,
      [&](int t, CaseControl& control, ThreadTally& tally) {
        EventGenerator generator(t, flags.streams, 0xa99e0d + static_cast<uint64_t>(t) * 7919);
        v1::AppendRequest request;
        rocksdb::WriteBatch write_batch;
        rocksdb::WriteOptions write_options;
        write_options.sync = true;
        format::Hash chain = format::ZeroHash();
        std::vector<format::Hash> leaves;
        while (control.Claim(static_cast<uint64_t>(batch))) {
          generator.Next(&request, batch);
          const auto start = SteadyClock::now();
          write_batch.Clear();
          leaves.clear();
          const uint64_t first = last_position.fetch_add(static_cast<uint64_t>(batch)) + 1;
          const google::protobuf::Timestamp recorded_at = NowTimestamp();
          for (int i = 0; i < batch; ++i) {
            v1::Event& e = *request.mutable_events(i);
            const uint64_t position = first + static_cast<uint64_t>(i);
            const uint64_t version =
                stream_versions[static_cast<size_t>(generator.stream_of(i))].fetch_add(1) + 1;
            e.set_position(position);
            e.set_stream_version(version);
            *e.mutable_recorded_at() = recorded_at;
            e.set_actor(kActor);
            const std::string bytes = SerializeDeterministic(e);
            chain = format::ChainHashOfEvent(chain, position, bytes);
            format::EntityValue entity;
            std::string entity_key;
            if (e.has_invoice_issued()) {
              entity.currency = e.invoice_issued().amount().currency();
              entity.amount_minor = e.invoice_issued().amount().amount_minor();
              entity_key =
                  format::EntityKey(e.stream(), invoice_kind, e.invoice_issued().invoice_id());
            } else {
              entity_key = format::EntityKey(e.stream(), interaction_kind,
                                             e.interaction_logged().interaction_id());
            }
            entity.position = position;
            write_batch.Put(db.entities(), entity_key, format::EncodeEntity(entity));
            write_batch.Put(db.log(), format::PositionKey(position),
                            format::EncodeRecord(chain, bytes));
            write_batch.Put(db.streams(), format::StreamKey(e.stream(), version),
                            format::EncodeUint64(position));
            write_batch.Put(db.ids(), *format::IdKey(e.event_id()), format::EncodeUint64(position));
            if (with_tree) leaves.push_back(ledger::merkle::HashLeaf(bytes));
          }
          if (with_tree) tree.Stage(leaves, write_batch, db.tree());
          const rocksdb::Status s = db.db()->Write(write_options, &write_batch);
          const double micros = SecondsSince(start) * 1e6;
          if (!s.ok()) {
            control.Fail(absl::StrCat("Write: ", s.ToString()));
            return;
          }
          tally.latencies.Add(micros);
          tally.events += static_cast<uint64_t>(batch);
          ++tally.requests;
        }
      });
}

// ------------------------------------------------------------------------ scan

struct ScanResult {
  uint64_t events = 0;
  double ledger_seconds = 0;
  double raw_seconds = 0;
  // EventStore::ForEachEventPipelined over every event, and with a filter on InvoiceIssued
  // (half of the events: the other half is skipped before parsing, as a fold's filter does).
  double pipelined_seconds = 0;
  double filtered_seconds = 0;
  std::string error;
  double ledger_rate() const { return ledger_seconds > 0 ? events / ledger_seconds : 0; }
  double raw_rate() const { return raw_seconds > 0 ? events / raw_seconds : 0; }
  double pipelined_rate() const { return pipelined_seconds > 0 ? events / pipelined_seconds : 0; }
  double filtered_rate() const { return filtered_seconds > 0 ? events / filtered_seconds : 0; }
};

// A full forward scan of the log, parsing every event: EventStore::ReadLog page by
// page (what a subscription's catch-up calls) and ForEachEventPipelined (what a projection
// rebuild calls) against a raw iterator over the `log` family parsing into one reused
// message (the least a rebuild could do). All run on the same data after a reopen, twice
// each alternately; the faster of each is kept. Events/s count every position passed, so
// the filtered scan's rate is over the skipped events too.
ScanResult RunScan(const Flags& flags) {
  ScanResult result;
  CaseDir dir(flags, "scan");
  ledger::EventStoreOptions options;
  options.data_dir = dir.path();
  {
    auto store = ledger::EventStore::Open(options);
    if (!store.ok()) {
      result.error = store.status().ToString();
      return result;
    }
    if (absl::Status registered = RegisterStreams(store->get(), flags.streams); !registered.ok()) {
      result.error = registered.ToString();
      return result;
    }
    result.events = static_cast<uint64_t>(flags.streams);  // they are scanned too
    EventGenerator generator(0, flags.streams, 0x5ca9);
    v1::AppendRequest request;
    constexpr int kFillBatch = 1000;
    while (result.events < flags.scan_events) {
      generator.Next(&request, kFillBatch);
      auto appended = (*store)->Append(request, kActor);
      if (!appended.ok()) {
        result.error = appended.status().ToString();
        return result;
      }
      result.events += kFillBatch;
    }
  }
  for (int round = 0; round < 2; ++round) {
    {
      auto store = ledger::EventStore::Open(options);
      if (!store.ok()) {
        result.error = store.status().ToString();
        return result;
      }
      const auto start = SteadyClock::now();
      uint64_t seen = 0;
      uint64_t from = 1;
      const v1::EventFilter no_filter;
      while (true) {
        auto page = (*store)->ReadLog(from, /*backward=*/false, 0, no_filter);
        if (!page.ok()) {
          result.error = page.status().ToString();
          return result;
        }
        seen += page->events.size();
        if (page->end || page->scanned_to_position == 0) break;
        from = page->scanned_to_position + 1;
      }
      const double seconds = SecondsSince(start);
      if (seen != result.events) {
        result.error = absl::StrCat("ReadLog returned ", seen, " of ", result.events, " events");
        return result;
      }
      if (round == 0 || seconds < result.ledger_seconds) result.ledger_seconds = seconds;
      for (bool filtered : {false, true}) {
        v1::EventFilter filter;
        if (filtered) filter.add_types("InvoiceIssued");
        const auto scan_start = SteadyClock::now();
        uint64_t handed = 0;
        absl::Status scanned = (*store)->ForEachEventPipelined(0, 0, filter, [&](const v1::Event&) {
          ++handed;
          return absl::OkStatus();
        });
        const double scan_seconds = SecondsSince(scan_start);
        const uint64_t generated = result.events - static_cast<uint64_t>(flags.streams);
        const uint64_t want = filtered ? (generated + 1) / 2 : result.events;
        if (!scanned.ok() || handed != want) {
          result.error = absl::StrCat("ForEachEventPipelined handed over ", handed, " of ", want,
                                      " events: ", scanned.ToString());
          return result;
        }
        double& best = filtered ? result.filtered_seconds : result.pipelined_seconds;
        if (round == 0 || scan_seconds < best) best = scan_seconds;
      }
    }
    {
      auto raw = RawDb::Open(dir.path());
      if (!raw.ok()) {
        result.error = raw.status().ToString();
        return result;
      }
      const auto start = SteadyClock::now();
      uint64_t seen = 0;
      v1::Event event;
      std::unique_ptr<rocksdb::Iterator> it(
          (*raw)->db()->NewIterator(rocksdb::ReadOptions(), (*raw)->log()));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        auto record = format::DecodeRecord(it->value().ToStringView());
        if (!record || !event.ParseFromArray(record->event_bytes.data(),
                                             static_cast<int>(record->event_bytes.size()))) {
          result.error = "a raw record does not parse";
          return result;
        }
        ++seen;
      }
      const double seconds = SecondsSince(start);
      if (!it->status().ok() || seen != result.events) {
        result.error = absl::StrCat("raw scan saw ", seen, " of ", result.events, " events");
        return result;
      }
      if (round == 0 || seconds < result.raw_seconds) result.raw_seconds = seconds;
    }
  }
  return result;
}

// ------------------------------------------------------------------------ report

struct Report {
  std::vector<CaseResult> cases;
  std::optional<ScanResult> scan;

  const CaseResult* Find(CaseKind kind, int clients, int batch) const {
    for (const auto& c : cases) {
      if (c.kind == kind && c.clients == clients && c.batch == batch) return &c;
    }
    return nullptr;
  }
  // ledger events/s ÷ raw events/s; nullopt when either is missing or failed.
  std::optional<double> LedgerOverRaw(int clients, int batch) const {
    const CaseResult* ledger = Find(CaseKind::kLedger, clients, batch);
    const CaseResult* raw = Find(CaseKind::kRaw, clients, batch);
    if (ledger == nullptr || raw == nullptr || !ledger->error.empty() || !raw->error.empty() ||
        raw->events_per_second() == 0) {
      return std::nullopt;
    }
    return ledger->events_per_second() / raw->events_per_second();
  }
  // raw-with-tree events/s ÷ raw events/s.
  std::optional<double> TreeOverRaw(int clients, int batch) const {
    const CaseResult* tree = Find(CaseKind::kTree, clients, batch);
    const CaseResult* raw = Find(CaseKind::kRaw, clients, batch);
    if (tree == nullptr || raw == nullptr || !tree->error.empty() || !raw->error.empty() ||
        raw->events_per_second() == 0) {
      return std::nullopt;
    }
    return tree->events_per_second() / raw->events_per_second();
  }
  // ledger requests/s ÷ empty-RPC calls/s at the same client count.
  std::optional<double> LedgerOverEmpty(int clients, int batch) const {
    const CaseResult* ledger = Find(CaseKind::kLedger, clients, batch);
    const CaseResult* empty = Find(CaseKind::kEmpty, clients, 0);
    if (ledger == nullptr || empty == nullptr || !ledger->error.empty() || !empty->error.empty() ||
        empty->requests_per_second() == 0) {
      return std::nullopt;
    }
    return ledger->requests_per_second() / empty->requests_per_second();
  }
};

std::string Ratio(std::optional<double> ratio) {
  return ratio ? absl::StrFormat("%.2f", *ratio) : std::string("-");
}
// Three decimals where a verdict is given, so 0.497 does not print as a failing 0.50.
std::string PreciseRatio(std::optional<double> ratio) {
  return ratio ? absl::StrFormat("%.3f", *ratio) : std::string("-");
}
std::string Verdict(std::optional<double> ratio, double target) {
  if (!ratio) return "not measured";
  return *ratio >= target ? "PASS" : "FAIL";
}

std::string CaseLine(const CaseResult& c) {
  std::string line = absl::StrFormat(
      "%-6s clients=%-3d batch=%-5s %12s events/s %10s req/s  p50 %8.3f ms  p99 %8.3f ms  "
      "(%s events in %.2f s)",
      KindName(c.kind), c.clients, c.batch == 0 ? std::string("-") : absl::StrCat(c.batch),
      Grouped(c.events_per_second()), Grouped(c.requests_per_second()), c.p50_ms, c.p99_ms,
      Grouped(static_cast<double>(c.events)), c.seconds);
  if (!c.error.empty()) absl::StrAppend(&line, "  ERROR: ", c.error);
  return line;
}

// Issue 13: batched durable appends (batch >= 100) at kBatchedTargetRatio of raw RocksDB,
// single-event appends from 64 clients at kSingleTargetRatio of the empty RPC there.
// Issue 14: raw RocksDB with the Merkle tree at kTreeTargetRatio of raw without it, in
// every case (the tree's whole cost: leaf hashes, node hashes and node writes).
struct Targets {
  using Cases = std::vector<std::pair<std::string, std::optional<double>>>;  // one per case
  Cases batched;
  std::optional<double> single_at_64;
  Cases tree;
  static bool AllPass(const Cases& cases, double target) {
    if (cases.empty()) return false;
    for (const auto& [name, ratio] : cases) {
      if (!ratio || *ratio < target) return false;
    }
    return true;
  }
  bool batched_pass() const { return AllPass(batched, kBatchedTargetRatio); }
  bool single_pass() const { return single_at_64 && *single_at_64 >= kSingleTargetRatio; }
  bool tree_pass() const { return AllPass(tree, kTreeTargetRatio); }
};

Targets EvaluateTargets(const Report& report, const Flags& flags) {
  Targets targets;
  for (int clients : flags.clients) {
    for (int batch : flags.batches) {
      if (batch < 100) continue;
      targets.batched.emplace_back(absl::StrFormat("clients=%d batch=%d", clients, batch),
                                   report.LedgerOverRaw(clients, batch));
    }
  }
  targets.single_at_64 = report.LedgerOverEmpty(64, 1);
  for (int clients : flags.clients) {
    for (int batch : flags.batches) {
      const std::optional<double> ratio = report.TreeOverRaw(clients, batch);
      if (ratio) {
        targets.tree.emplace_back(absl::StrFormat("clients=%d batch=%d", clients, batch), ratio);
      }
    }
  }
  return targets;
}

std::string MarkdownSummary(const Report& report, const Flags& flags) {
  std::string out;
  absl::StrAppend(
      &out,
      "| clients | batch | ledger events/s | ledger req/s | ledger p50 ms | "
      "ledger p99 ms | store events/s | store p50 ms | raw events/s | raw p50 ms | "
      "raw p99 ms | tree events/s | ledger/raw | ledger/store | tree/raw | "
      "ledger req/s ÷ empty calls/s |\n",
      "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
      "\n");
  auto rate = [](const CaseResult* c) {
    return c == nullptr ? std::string("-") : Grouped(c->events_per_second());
  };
  auto p50 = [](const CaseResult* c) {
    return c == nullptr ? std::string("-") : absl::StrFormat("%.2f", c->p50_ms);
  };
  for (int clients : flags.clients) {
    for (int batch : flags.batches) {
      const CaseResult* ledger = report.Find(CaseKind::kLedger, clients, batch);
      const CaseResult* store = report.Find(CaseKind::kStore, clients, batch);
      const CaseResult* raw = report.Find(CaseKind::kRaw, clients, batch);
      const CaseResult* tree = report.Find(CaseKind::kTree, clients, batch);
      if (ledger == nullptr && store == nullptr && raw == nullptr && tree == nullptr) continue;
      std::optional<double> over_store;
      if (ledger != nullptr && store != nullptr && store->events_per_second() > 0) {
        over_store = ledger->events_per_second() / store->events_per_second();
      }
      absl::StrAppend(
          &out, absl::StrFormat(
                    "| %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | "
                    "%s |\n",
                    clients, batch, rate(ledger),
                    ledger == nullptr ? std::string("-") : Grouped(ledger->requests_per_second()),
                    p50(ledger),
                    ledger == nullptr ? std::string("-") : absl::StrFormat("%.2f", ledger->p99_ms),
                    rate(store), p50(store), rate(raw), p50(raw),
                    raw == nullptr ? std::string("-") : absl::StrFormat("%.2f", raw->p99_ms),
                    rate(tree), Ratio(report.LedgerOverRaw(clients, batch)), Ratio(over_store),
                    Ratio(report.TreeOverRaw(clients, batch)),
                    batch == 1 ? Ratio(report.LedgerOverEmpty(clients, batch)) : std::string("-")));
    }
  }
  absl::StrAppend(&out, "\n| clients | empty RPC (Health.Check) calls/s | p50 ms | p99 ms |\n",
                  "|---:|---:|---:|---:|\n");
  for (int clients : flags.clients) {
    const CaseResult* empty = report.Find(CaseKind::kEmpty, clients, 0);
    if (empty == nullptr) continue;
    absl::StrAppend(
        &out, absl::StrFormat("| %d | %s | %.2f | %.2f |\n", clients,
                              Grouped(empty->requests_per_second()), empty->p50_ms, empty->p99_ms));
  }
  const Targets targets = EvaluateTargets(report, flags);
  absl::StrAppend(&out, "\nTargets:\n");
  for (const auto& [name, ratio] : targets.batched) {
    absl::StrAppend(&out, "- batched ledger/raw >= ", absl::StrFormat("%.1f", kBatchedTargetRatio),
                    ", ", name, ": ", PreciseRatio(ratio), " ", Verdict(ratio, kBatchedTargetRatio),
                    "\n");
  }
  absl::StrAppend(
      &out, "- every batched case: ",
      targets.batched.empty() ? "not measured" : (targets.batched_pass() ? "PASS" : "FAIL"), "\n");
  absl::StrAppend(&out, "- single-event appends from 64 clients ÷ empty RPC at 64 clients >= ",
                  absl::StrFormat("%.1f", kSingleTargetRatio), ": ",
                  PreciseRatio(targets.single_at_64), " ",
                  Verdict(targets.single_at_64, kSingleTargetRatio), "\n");
  if (const CaseResult* single = report.Find(CaseKind::kLedger, 64, 1); single != nullptr) {
    absl::StrAppend(&out, "- single-event appends from 64 clients, p99: ",
                    absl::StrFormat("%.2f", single->p99_ms),
                    " ms (compare with the baseline run in BENCHMARKS.md)\n");
  }
  for (const auto& [name, ratio] : targets.tree) {
    absl::StrAppend(&out, "- with the Merkle tree ÷ without (raw RocksDB) >= ",
                    absl::StrFormat("%.1f", kTreeTargetRatio), ", ", name, ": ",
                    PreciseRatio(ratio), " ", Verdict(ratio, kTreeTargetRatio), "\n");
  }
  if (report.scan) {
    const ScanResult& s = *report.scan;
    absl::StrAppend(
        &out, "\n| scan of | events | ReadLog events/s | raw iterator events/s | ReadLog/raw |\n",
        "|---|---:|---:|---:|---:|\n",
        absl::StrFormat("| log, every event parsed | %s | %s | %s | %s |\n",
                        Grouped(static_cast<double>(s.events)), Grouped(s.ledger_rate()),
                        Grouped(s.raw_rate()),
                        s.raw_rate() > 0 ? absl::StrFormat("%.2f", s.ledger_rate() / s.raw_rate())
                                         : std::string("-")));
    absl::StrAppend(
        &out, "\n| `ForEachEventPipelined` over | events/s | ÷ raw iterator |\n",
        "|---|---:|---:|\n",
        absl::StrFormat("| every event | %s | %s |\n", Grouped(s.pipelined_rate()),
                        s.raw_rate() > 0
                            ? absl::StrFormat("%.2f", s.pipelined_rate() / s.raw_rate())
                            : std::string("-")),
        absl::StrFormat("| InvoiceIssued only (half skipped unparsed) | %s | %s |\n",
                        Grouped(s.filtered_rate()),
                        s.raw_rate() > 0 ? absl::StrFormat("%.2f", s.filtered_rate() / s.raw_rate())
                                         : std::string("-")));
  }
  return out;
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppend(&out, absl::StrFormat("\\u%04x", static_cast<int>(c)));
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string JsonNumber(std::optional<double> value) {
  return value ? absl::StrFormat("%.4f", *value) : std::string("null");
}

std::string JsonReport(const Report& report, const Flags& flags) {
  std::vector<std::string> cases;
  for (const auto& c : report.cases) {
    cases.push_back(absl::StrFormat(
        "{\"kind\":%s,\"clients\":%d,\"batch\":%d,\"events\":%d,\"requests\":%d,"
        "\"seconds\":%.4f,\"events_per_second\":%.1f,\"requests_per_second\":%.1f,"
        "\"p50_ms\":%.4f,\"p99_ms\":%.4f,\"error\":%s}",
        JsonString(KindName(c.kind)), c.clients, c.batch, c.events, c.requests, c.seconds,
        c.events_per_second(), c.requests_per_second(), c.p50_ms, c.p99_ms, JsonString(c.error)));
  }
  std::vector<std::string> ratios;
  for (int clients : flags.clients) {
    for (int batch : flags.batches) {
      ratios.push_back(absl::StrFormat(
          "{\"clients\":%d,\"batch\":%d,\"ledger_over_raw\":%s,\"ledger_requests_over_empty\":%s,"
          "\"tree_over_raw\":%s}",
          clients, batch, JsonNumber(report.LedgerOverRaw(clients, batch)),
          JsonNumber(report.LedgerOverEmpty(clients, batch)),
          JsonNumber(report.TreeOverRaw(clients, batch))));
    }
  }
  const Targets targets = EvaluateTargets(report, flags);
  std::string scan = "null";
  if (report.scan) {
    const ScanResult& s = *report.scan;
    scan = absl::StrFormat(
        "{\"events\":%d,\"read_log_events_per_second\":%.1f,\"raw_events_per_second\":%.1f,"
        "\"pipelined_events_per_second\":%.1f,\"filtered_events_per_second\":%.1f,"
        "\"error\":%s}",
        s.events, s.ledger_rate(), s.raw_rate(), s.pipelined_rate(), s.filtered_rate(),
        JsonString(s.error));
  }
  return absl::StrCat(
      "{\"hardware_threads\":", std::thread::hardware_concurrency(),
      ",\"seconds_per_case\":", absl::StrFormat("%.3f", flags.seconds_per_case),
      ",\"event_bytes\":", EventGenerator(0, flags.streams, 1).SampleBytes(), ",\"cases\":[",
      absl::StrJoin(cases, ","), "],\"ratios\":[", absl::StrJoin(ratios, ","),
      "],\"targets\":{\"batched_over_raw_met\":", targets.batched_pass() ? "true" : "false",
      ",\"batched_over_raw_target\":", absl::StrFormat("%.2f", kBatchedTargetRatio),
      ",\"single_at_64_over_empty\":", JsonNumber(targets.single_at_64),
      ",\"single_at_64_over_empty_met\":", targets.single_pass() ? "true" : "false",
      ",\"single_at_64_over_empty_target\":", absl::StrFormat("%.2f", kSingleTargetRatio),
      ",\"tree_over_raw_met\":", targets.tree_pass() ? "true" : "false",
      ",\"tree_over_raw_target\":", absl::StrFormat("%.2f", kTreeTargetRatio), "},\"scan\":", scan,
      "}\n");
}

int Main(int argc, char** argv) {
  Flags flags;
  CLI::App app{
      "Append throughput of the ledger through gRPC against raw RocksDB and an empty RPC "
      "(BENCHMARKS.md)"};
  auto* clients_flag =
      app.add_option("--clients", flags.clients, "Concurrent client threads, one case each")
          ->delimiter(',')
          ->check(CLI::Range(1, 1024));
  auto* batch_flag = app.add_option("--batch", flags.batches, "Events per append request")
                         ->delimiter(',')
                         ->check(CLI::Range(1, 10'000));
  auto* seconds_flag =
      app.add_option("--seconds-per-case", flags.seconds_per_case, "Measured time of each case")
          ->check(CLI::Range(0.05, 600.0));
  app.add_option("--events-per-case", flags.events_per_case,
                 "Stop a case after this many events (0: no cap)");
  app.add_option("--data-dir", flags.data_dir,
                 "Parent of the fresh per-case directories (default: the system temp dir)");
  app.add_option("--streams", flags.streams, "Client streams the events spread over")
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--mode", flags.mode, "append, scan or all")
      ->check(CLI::IsMember({"append", "scan", "all"}));
  app.add_option("--kinds", flags.kinds,
                 "Append cases to run: ledger, store, raw, tree (raw plus the Merkle tree), empty")
      ->delimiter(',')
      ->check(CLI::IsMember({"ledger", "store", "raw", "tree", "empty"}));
  auto* scan_flag =
      app.add_option("--scan-events", flags.scan_events, "Events written before the scan");
  app.add_flag("--quick", flags.quick, "A CI-sized run of a few seconds in all");
  app.add_flag("--json", flags.json, "Print the results as JSON instead of markdown");
  app.add_option("--server-max-pollers", flags.server_max_pollers,
                 "Diagnosis: serve from a copy of the server whose sync pool keeps this many "
                 "idle pollers (0: the real LedgerServer)")
      ->check(CLI::Range(0, 4096));
  app.add_flag("--shared-channel", flags.shared_channel,
               "All client threads share one channel (one HTTP/2 connection)");
  CLI11_PARSE(app, argc, argv);
  if (flags.quick) {
    // Explicit flags still win, so a CI run can pin one case.
    if (clients_flag->count() == 0) flags.clients = {1, 16};
    if (batch_flag->count() == 0) flags.batches = {1, 100};
    if (seconds_flag->count() == 0) flags.seconds_per_case = 0.3;
    if (scan_flag->count() == 0) flags.scan_events = 20'000;
  }

  EventGenerator sizing(0, flags.streams, 1);
  std::fprintf(stderr,
               "ledger_bench: %u hardware threads, events of about %zu bytes over %d streams, "
               "%.2f s per case, durable (synced) writes\n",
               std::thread::hardware_concurrency(), sizing.SampleBytes(), flags.streams,
               flags.seconds_per_case);
  std::fprintf(stderr,
               "raw baseline: positions from an atomic counter, one hash chain per thread (not "
               "one gap-free chain); empty RPC: grpc.health.v1.Health/Check\n");

  Report report;
  bool failed = false;
  auto add = [&](CaseResult result) {
    std::fprintf(stderr, "%s\n", CaseLine(result).c_str());
    failed = failed || !result.error.empty();
    report.cases.push_back(std::move(result));
  };
  if (flags.mode != "scan") {
    // Kinds interleave per client count, so drift in the machine's load (it is shared)
    // falls on all three alike rather than on one kind.
    auto wanted = [&](const std::string& kind) {
      return std::find(flags.kinds.begin(), flags.kinds.end(), kind) != flags.kinds.end();
    };
    for (int clients : flags.clients) {
      if (wanted("empty")) add(RunEmptyCase(clients, flags));
      for (int batch : flags.batches) {
        if (wanted("ledger")) add(RunLedgerCase(clients, batch, flags));
        if (wanted("store")) add(RunStoreCase(clients, batch, flags));
        if (wanted("raw")) add(RunRawCase(clients, batch, flags, /*with_tree=*/false));
        if (wanted("tree")) add(RunRawCase(clients, batch, flags, /*with_tree=*/true));
      }
    }
  }
  if (flags.mode != "append") {
    report.scan = RunScan(flags);
    const ScanResult& s = *report.scan;
    std::fprintf(stderr,
                 "scan   %s events: ReadLog %s events/s, pipelined %s events/s, pipelined "
                 "InvoiceIssued %s events/s, raw iterator %s events/s%s\n",
                 Grouped(static_cast<double>(s.events)).c_str(), Grouped(s.ledger_rate()).c_str(),
                 Grouped(s.pipelined_rate()).c_str(), Grouped(s.filtered_rate()).c_str(),
                 Grouped(s.raw_rate()).c_str(),
                 s.error.empty() ? "" : absl::StrCat("  ERROR: ", s.error).c_str());
    failed = failed || !s.error.empty();
  }
  if (flags.json) {
    std::fputs(JsonReport(report, flags).c_str(), stdout);
  } else {
    std::fputs(MarkdownSummary(report, flags).c_str(), stdout);
  }
  // Exit status reports broken runs (an append failed), not missed targets: the figures
  // depend on the machine, so a slow machine is not an error.
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace sixhearts::bench

int main(int argc, char** argv) {
  // Logs go to stderr, so that stdout carries the results alone (--json stays parseable).
  spdlog::set_default_logger(spdlog::stderr_color_mt("bench"));
  return sixhearts::bench::Main(argc, argv);
}
