// soak: a bounded soak of the real ledgerd (issue 6 item 5). It starts the ledgerd binary
// on a fresh data directory, measures the append ceiling of its writers for a few
// seconds, then runs writers at half that rate together with readers and subscribers for
// --duration-s, and every --interval-s prints append and read p99 latency, subscriber lag
// and the server's resident memory (VmRSS from /proc/<pid>/status). Then a flood: many
// clients on their own connections append and read as fast as they can against a small
// max_in_flight_requests. At the end it checks that nothing failed (in the flood, nothing
// but RESOURCE_EXHAUSTED), every subscriber saw every event without a gap, the chain
// verifies, and the server's memory stayed under --max-rss-mb; the exit code says whether
// all held.
//
//   soak --ledgerd build/tools/ledgerd --duration-s 90          # the CI run (ctest -L soak)
//   soak --ledgerd build/tools/ledgerd --duration-s 3600 --interval-s 60   # by hand
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "grpcpp/grpcpp.h"
#include "sixhearts/ledger/v1/event_store.grpc.pb.h"
#include "sixhearts/ledger/v1/receivables.grpc.pb.h"

namespace sixhearts::soak {
namespace {

namespace v1 = ::sixhearts::ledger::v1;
using Clock = std::chrono::steady_clock;

struct Flags {
  std::string ledgerd;
  std::string work_dir;
  int duration_s = 90;
  int interval_s = 10;
  int calibrate_s = 5;
  int writers = 8;
  int batch_events = 10;
  int readers = 4;
  int subscribers = 4;
  // Each reader's calls per second (a ReadStream, a Digest, and every tenth an Aging).
  int reader_calls_per_s = 20;
  int max_rss_mb = 1024;
  std::string markdown_out;
  // After the soak: this many clients, each on its own connection, append 1,000-event
  // batches and read the whole log as fast as they can for flood_s, against a ledgerd
  // started with max_in_flight_requests = flood_in_flight. Only OK and RESOURCE_EXHAUSTED
  // may come back, and RSS may grow at most max_flood_growth_mb above the soak's peak: the
  // flood's accepted appends add state, but refused calls must not queue up memory. (An
  // absolute bound would depend on the machine: the soak writes at half its ceiling.)
  int max_flood_growth_mb = 768;
  int flood_clients = 256;
  int flood_s = 15;
  int flood_in_flight = 64;
};

// Latencies of one interval, in microseconds.
class Latencies {
 public:
  void Add(double micros) {
    std::lock_guard<std::mutex> lock(mu_);
    values_.push_back(micros);
  }
  // Empties the set and returns its p-th percentile in ms (0 when empty).
  std::pair<double, size_t> TakePercentileMs(double p) {
    std::vector<double> values;
    {
      std::lock_guard<std::mutex> lock(mu_);
      values.swap(values_);
    }
    if (values.empty()) return {0, 0};
    std::sort(values.begin(), values.end());
    const size_t index =
        std::min(values.size() - 1, static_cast<size_t>(p / 100.0 * values.size()));
    return {values[index] / 1000.0, values.size()};
  }

 private:
  std::mutex mu_;
  std::vector<double> values_;
};

struct Shared {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> appended_events{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> reads{0};
  Latencies append_latency;
  Latencies read_latency;
  std::mutex error_mu;
  std::string first_error;
  void Error(const std::string& what) {
    errors.fetch_add(1);
    std::lock_guard<std::mutex> lock(error_mu);
    if (first_error.empty()) first_error = what;
  }
};

std::string Uuid(uint32_t writer, uint64_t n) {
  return absl::StrFormat("50a50a50-%04x-4000-8000-%012x", writer, n);
}

v1::Event Envelope(uint32_t writer, uint64_t n, const std::string& client) {
  v1::Event e;
  e.set_event_id(Uuid(writer, n));
  e.set_stream("client-" + client);
  e.mutable_occurred_at()->set_seconds(1767614400);  // 2026-01-05 12:00 UTC
  return e;
}

// Writer `writer`'s n-th batch: the first event of each of its clients registers it; the
// rest are interactions spread over its 50 clients.
v1::AppendRequest MakeBatch(uint32_t writer, uint64_t* next_id, int batch_events) {
  constexpr uint64_t kClientsPerWriter = 50;
  v1::AppendRequest request;
  for (int i = 0; i < batch_events; ++i) {
    const uint64_t n = (*next_id)++;
    const std::string client = absl::StrCat("soak-", writer, "-", n % kClientsPerWriter);
    v1::Event event = Envelope(writer, n, client);
    if (n < kClientsPerWriter) {
      auto* p = event.mutable_client_registered();
      p->set_client_id(client);
      p->set_name("Bureau " + client);
      p->set_jurisdiction(v1::JURISDICTION_CN);
      p->set_client_kind(v1::CLIENT_KIND_GOVERNMENT_ORGAN);
      p->set_seller_is_sme(true);
    } else {
      auto* p = event.mutable_interaction_logged();
      p->set_interaction_id(absl::StrCat("SOAK-", writer, "-", n));
      p->set_kind(v1::INTERACTION_KIND_CALL);
      p->set_summary("called the finance bureau about the March invoice");
    }
    *request.add_events() = std::move(event);
  }
  return request;
}

double MicrosSince(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

// Appends batches until stopped; `events_per_s` 0 means as fast as it can.
void Writer(uint32_t writer, double events_per_s, int batch_events, v1::EventStore::Stub* stub,
            Shared* shared, uint64_t* next_id, Clock::time_point until) {
  const auto start = Clock::now();
  uint64_t batches = 0;
  while (!shared->stop.load() && Clock::now() < until) {
    if (events_per_s > 0) {
      // Open loop: batch k is due at start + k * batch / rate, whatever the latency was.
      const auto due =
          start + std::chrono::duration_cast<Clock::duration>(
                      std::chrono::duration<double>(batches * batch_events / events_per_s));
      if (due > Clock::now()) std::this_thread::sleep_until(due);
    }
    v1::AppendRequest request = MakeBatch(writer, next_id, batch_events);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::AppendResponse response;
    const auto t0 = Clock::now();
    grpc::Status status = stub->Append(&context, request, &response);
    shared->append_latency.Add(MicrosSince(t0));
    if (status.ok()) {
      shared->appended_events.fetch_add(batch_events);
    } else {
      shared->Error(absl::StrCat("append: ", status.error_code(), " ", status.error_message()));
    }
    ++batches;
  }
}

void Reader(uint32_t reader, const Flags& flags, v1::EventStore::Stub* stub,
            v1::Receivables::Stub* receivables, Shared* shared) {
  std::mt19937_64 random(reader);
  const auto start = Clock::now();
  uint64_t calls = 0;
  while (!shared->stop.load()) {
    const auto due =
        start + std::chrono::duration_cast<Clock::duration>(
                    std::chrono::duration<double>(calls / double(flags.reader_calls_per_s)));
    if (due > Clock::now()) std::this_thread::sleep_until(due);
    ++calls;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    const auto t0 = Clock::now();
    grpc::Status status;
    if (calls % 10 == 0) {
      v1::AgingRequest request;
      v1::AgingResponse response;
      status = receivables->Aging(&context, request, &response);
    } else if (calls % 2 == 0) {
      v1::DigestResponse response;
      status = stub->Digest(&context, v1::DigestRequest(), &response);
    } else {
      v1::ReadStreamRequest request;
      request.set_stream(
          absl::StrCat("client-soak-", random() % flags.writers, "-", random() % 50));
      request.set_limit(20);
      auto stream = stub->ReadStream(&context, request);
      v1::ReadResponse page;
      while (stream->Read(&page)) {
      }
      status = stream->Finish();
    }
    shared->read_latency.Add(MicrosSince(t0));
    shared->reads.fetch_add(1);
    if (!status.ok()) {
      shared->Error(absl::StrCat("read: ", status.error_code(), " ", status.error_message()));
    }
  }
}

// Follows the log from the start; counts events and checks positions have no gap.
void Subscriber(v1::EventStore::Stub* stub, Shared* shared, std::atomic<uint64_t>* checkpoint) {
  uint64_t after = 0;
  while (!shared->stop.load()) {
    grpc::ClientContext context;
    v1::SubscribeRequest request;
    request.set_after_position(after);
    auto stream = stub->Subscribe(&context, request);
    v1::SubscribeResponse response;
    while (stream->Read(&response)) {
      for (const v1::Event& event : response.events()) {
        if (event.position() != after + 1) {
          shared->Error(absl::StrCat("subscriber: position ", event.position(), " after ", after));
        }
        after = event.position();
      }
      checkpoint->store(after);
      if (shared->stop.load()) context.TryCancel();
    }
    grpc::Status status = stream->Finish();
    if (!status.ok() && !shared->stop.load()) {
      shared->Error(absl::StrCat("subscribe: ", status.error_code(), " ", status.error_message()));
    }
  }
}

uint64_t RssKiB(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  }
  return 0;
}

struct Sample {
  int at_s;
  uint64_t events;
  double append_events_per_s;
  double append_p99_ms;
  size_t appends;
  double read_p99_ms;
  size_t reads;
  uint64_t lag_events;
  uint64_t rss_mb;
};

int Run(const Flags& flags) {
  const std::string work =
      flags.work_dir.empty()
          ? (std::filesystem::temp_directory_path() / absl::StrCat("sixhearts-soak-", getpid()))
                .string()
          : flags.work_dir;
  std::filesystem::remove_all(work);
  std::filesystem::create_directories(work);
  const std::string log_path = work + "/ledgerd.log";
  const pid_t server = fork();
  if (server == 0) {
    FILE* log = std::freopen(log_path.c_str(), "w", stdout);
    (void)log;
    dup2(STDOUT_FILENO, STDERR_FILENO);
    const std::string in_flight = absl::StrCat(flags.flood_in_flight);
    execl(flags.ledgerd.c_str(), flags.ledgerd.c_str(), "--data-dir", (work + "/ledger").c_str(),
          "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--max-in-flight-requests",
          in_flight.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // ledgerd logs "serving on HOST:PORT" once it serves.
  std::string address;
  for (int i = 0; i < 500 && address.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::ifstream log(log_path);
    std::string line;
    while (std::getline(log, line)) {
      const size_t at = line.find("serving on ");
      if (at != std::string::npos)
        address = line.substr(at + 11, line.find(' ', at + 11) - at - 11);
    }
  }
  if (address.empty()) {
    std::cerr << "soak: ledgerd did not start; see " << log_path << "\n";
    kill(server, SIGKILL);
    return 1;
  }

  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto stub = v1::EventStore::NewStub(channel);
  auto receivables = v1::Receivables::NewStub(channel);
  Shared shared;
  std::vector<uint64_t> next_ids(flags.writers, 0);

  // 1. The ceiling: writers as fast as they can for calibrate_s.
  {
    const auto until = Clock::now() + std::chrono::seconds(flags.calibrate_s);
    std::vector<std::thread> threads;
    const auto t0 = Clock::now();
    for (int w = 0; w < flags.writers; ++w) {
      threads.emplace_back(Writer, w, 0.0, flags.batch_events, stub.get(), &shared, &next_ids[w],
                           until);
    }
    for (auto& t : threads) t.join();
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    const double ceiling = shared.appended_events.load() / seconds;
    shared.append_latency.TakePercentileMs(99);
    std::printf(
        "ceiling: %d writers x %d-event batches: %.0f events/s; soak at half: %.0f events/s\n",
        flags.writers, flags.batch_events, ceiling, ceiling / 2);
    shared.appended_events.store(0);
    // 2. The soak at half the ceiling.
    const double per_writer = ceiling / 2 / flags.writers;
    std::vector<std::atomic<uint64_t>> checkpoints(flags.subscribers);
    std::vector<std::thread> workers;
    const auto soak_until = Clock::now() + std::chrono::seconds(flags.duration_s);
    for (int w = 0; w < flags.writers; ++w) {
      workers.emplace_back(Writer, w, per_writer, flags.batch_events, stub.get(), &shared,
                           &next_ids[w], soak_until);
    }
    for (int r = 0; r < flags.readers; ++r) {
      workers.emplace_back(Reader, r, std::cref(flags), stub.get(), receivables.get(), &shared);
    }
    for (int s = 0; s < flags.subscribers; ++s) {
      workers.emplace_back(Subscriber, stub.get(), &shared, &checkpoints[s]);
    }
    std::vector<Sample> samples;
    const auto soak_start = Clock::now();
    uint64_t last_events = 0;
    std::printf("%6s %12s %10s %14s %12s %12s %10s %10s\n", "t_s", "events", "events/s",
                "append_p99_ms", "appends", "read_p99_ms", "reads", "rss_mb");
    for (int at = flags.interval_s; at <= flags.duration_s; at += flags.interval_s) {
      std::this_thread::sleep_until(soak_start + std::chrono::seconds(at));
      Sample s{};
      s.at_s = at;
      s.events = shared.appended_events.load();
      s.append_events_per_s = double(s.events - last_events) / flags.interval_s;
      last_events = s.events;
      std::tie(s.append_p99_ms, s.appends) = shared.append_latency.TakePercentileMs(99);
      std::tie(s.read_p99_ms, s.reads) = shared.read_latency.TakePercentileMs(99);
      s.rss_mb = RssKiB(server) / 1024;
      samples.push_back(s);
      std::printf("%6d %12llu %10.0f %14.2f %12zu %12.2f %10zu %10llu\n", s.at_s,
                  static_cast<unsigned long long>(s.events), s.append_events_per_s, s.append_p99_ms,
                  s.appends, s.read_p99_ms, s.reads, static_cast<unsigned long long>(s.rss_mb));
      std::fflush(stdout);
    }
    // Writers stop at soak_until; let subscribers catch up, then stop the rest.
    for (int w = 0; w < flags.writers; ++w) workers[w].join();
    grpc::ClientContext digest_context;
    v1::DigestResponse digest;
    (void)stub->Digest(&digest_context, v1::DigestRequest(), &digest);
    const auto catch_up_until = Clock::now() + std::chrono::seconds(30);
    bool caught_up = false;
    while (!caught_up && Clock::now() < catch_up_until) {
      caught_up = true;
      for (auto& c : checkpoints) caught_up = caught_up && c.load() >= digest.head_position();
      if (!caught_up) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    shared.stop.store(true);
    for (size_t i = flags.writers; i < workers.size(); ++i) workers[i].join();

    // 3. The flood.
    std::atomic<uint64_t> flood_ok{0}, flood_refused{0}, flood_other{0};
    std::mutex flood_mu;
    std::string flood_first_other;
    uint64_t flood_peak_rss = 0;
    if (flags.flood_clients > 0 && flags.flood_s > 0) {
      std::atomic<bool> flood_stop{false};
      std::vector<std::thread> flood;
      for (int c = 0; c < flags.flood_clients; ++c) {
        flood.emplace_back([&, c] {
          grpc::ChannelArguments arguments;
          arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection each
          auto own = v1::EventStore::NewStub(
              grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), arguments));
          uint64_t next_id = 0;  // its own clients (writer 1000 + c), registered first
          for (uint64_t round = 0; !flood_stop.load(); ++round) {
            grpc::ClientContext context;
            context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
            grpc::Status status;
            if (round % 2 == 0) {
              // A refused batch is sent again: its clients' registrations must be stored
              // before their interactions are (a client event needs its client).
              const uint64_t first_id = next_id;
              v1::AppendRequest request = MakeBatch(1000 + c, &next_id, 1000);
              v1::AppendResponse response;
              status = own->Append(&context, request, &response);
              if (!status.ok()) next_id = first_id;
            } else {
              auto stream = own->ReadLog(&context, v1::ReadLogRequest());
              v1::ReadResponse page;
              while (stream->Read(&page) && !flood_stop.load()) {
              }
              if (flood_stop.load()) context.TryCancel();
              status = stream->Finish();
              if (flood_stop.load()) continue;
            }
            if (status.ok()) {
              flood_ok.fetch_add(1);
            } else if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
              flood_refused.fetch_add(1);
            } else {
              flood_other.fetch_add(1);
              std::lock_guard<std::mutex> lock(flood_mu);
              if (flood_first_other.empty()) {
                flood_first_other = absl::StrCat(status.error_code(), " ", status.error_message());
              }
            }
          }
        });
      }
      const auto flood_until = Clock::now() + std::chrono::seconds(flags.flood_s);
      while (Clock::now() < flood_until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        flood_peak_rss = std::max<uint64_t>(flood_peak_rss, RssKiB(server) / 1024);
      }
      flood_stop.store(true);
      for (auto& t : flood) t.join();
      std::printf(
          "flood: %d clients for %d s against max_in_flight_requests=%d: %llu calls served, "
          "%llu refused with RESOURCE_EXHAUSTED, %llu other errors; ledgerd RSS peak %llu MB\n",
          flags.flood_clients, flags.flood_s, flags.flood_in_flight,
          static_cast<unsigned long long>(flood_ok.load()),
          static_cast<unsigned long long>(flood_refused.load()),
          static_cast<unsigned long long>(flood_other.load()),
          static_cast<unsigned long long>(flood_peak_rss));
    }

    grpc::ClientContext verify_context;
    v1::VerifyResponse verify;
    grpc::Status verified = stub->Verify(&verify_context, v1::VerifyRequest(), &verify);
    kill(server, SIGTERM);
    int wait_status = 0;
    waitpid(server, &wait_status, 0);

    const uint64_t first_rss = samples.empty() ? 0 : samples.front().rss_mb;
    uint64_t peak_rss = 0;
    for (const Sample& s : samples) peak_rss = std::max(peak_rss, s.rss_mb);
    const uint64_t last_rss = samples.empty() ? 0 : samples.back().rss_mb;
    std::vector<std::string> failures;
    if (shared.errors.load() > 0) {
      failures.push_back(
          absl::StrCat(shared.errors.load(), " errors; first: ", shared.first_error));
    }
    if (!caught_up) failures.push_back("a subscriber did not reach the head");
    if (flood_other.load() > 0) {
      failures.push_back(
          absl::StrCat("flood: ", flood_other.load(),
                       " errors other than RESOURCE_EXHAUSTED; first: ", flood_first_other));
    }
    if (flood_peak_rss > peak_rss + static_cast<uint64_t>(flags.max_flood_growth_mb)) {
      failures.push_back(absl::StrCat(
          "flood: ledgerd's RSS reached ", flood_peak_rss, " MB, more than --max-flood-growth-mb ",
          flags.max_flood_growth_mb, " above the soak's peak of ", peak_rss, " MB"));
    }
    if (!verified.ok() || !verify.ok()) failures.push_back("the chain does not verify");
    if (peak_rss > static_cast<uint64_t>(flags.max_rss_mb)) {
      failures.push_back(absl::StrCat("ledgerd's RSS reached ", peak_rss, " MB > --max-rss-mb ",
                                      flags.max_rss_mb));
    }
    if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0) {
      failures.push_back("ledgerd did not stop cleanly");
    }
    std::printf(
        "soak: %d s, %llu events appended (head %llu with the calibration), %llu reads, %d "
        "subscribers all at the head: %s, "
        "chain verified: %s (%llu events), ledgerd RSS first %llu MB, peak %llu MB, last %llu "
        "MB\n",
        flags.duration_s, static_cast<unsigned long long>(shared.appended_events.load()),
        static_cast<unsigned long long>(digest.head_position()),
        static_cast<unsigned long long>(shared.reads.load()), flags.subscribers,
        caught_up ? "yes" : "no", verify.ok() ? "yes" : "no",
        static_cast<unsigned long long>(verify.checked()),
        static_cast<unsigned long long>(first_rss), static_cast<unsigned long long>(peak_rss),
        static_cast<unsigned long long>(last_rss));
    if (!flags.markdown_out.empty()) {
      std::ofstream md(flags.markdown_out);
      md << absl::StrFormat(
          "ceiling %.0f events/s (%d writers, %d-event batches); soak at %.0f events/s with %d "
          "readers (%d calls/s each) and %d subscribers for %d s\n\n",
          ceiling, flags.writers, flags.batch_events, ceiling / 2, flags.readers,
          flags.reader_calls_per_s, flags.subscribers, flags.duration_s);
      md << "| t (s) | events | events/s | append p99 ms | read p99 ms | ledgerd RSS MB |\n"
            "|---:|---:|---:|---:|---:|---:|\n";
      for (const Sample& s : samples) {
        md << absl::StrFormat("| %d | %d | %.0f | %.2f | %.2f | %d |\n", s.at_s, s.events,
                              s.append_events_per_s, s.append_p99_ms, s.read_p99_ms, s.rss_mb);
      }
    }
    std::filesystem::remove_all(work);
    for (const std::string& f : failures) std::printf("FAILED: %s\n", f.c_str());
    return failures.empty() ? 0 : 1;
  }
}

}  // namespace
}  // namespace sixhearts::soak

int main(int argc, char** argv) {
  sixhearts::soak::Flags flags;
  CLI::App app{"soak: writers, readers and subscribers against ledgerd at half its ceiling"};
  app.add_option("--ledgerd", flags.ledgerd, "Path of the ledgerd binary")->required();
  app.add_option("--work-dir", flags.work_dir, "Scratch directory (removed at the end)");
  app.add_option("--duration-s", flags.duration_s, "Soak length")->capture_default_str();
  app.add_option("--interval-s", flags.interval_s, "Seconds between samples")
      ->capture_default_str();
  app.add_option("--calibrate-s", flags.calibrate_s, "Seconds measuring the ceiling")
      ->capture_default_str();
  app.add_option("--writers", flags.writers)->capture_default_str();
  app.add_option("--batch-events", flags.batch_events)->capture_default_str();
  app.add_option("--readers", flags.readers)->capture_default_str();
  app.add_option("--subscribers", flags.subscribers)->capture_default_str();
  app.add_option("--reader-calls-per-s", flags.reader_calls_per_s)->capture_default_str();
  app.add_option("--max-rss-mb", flags.max_rss_mb, "Fail when ledgerd's RSS passes this")
      ->capture_default_str();
  app.add_option("--max-flood-growth-mb", flags.max_flood_growth_mb,
                 "Fail when ledgerd's RSS during the flood passes the soak's peak by this")
      ->capture_default_str();
  app.add_option("--flood-clients", flags.flood_clients, "Clients of the flood (0: none)")
      ->capture_default_str();
  app.add_option("--flood-s", flags.flood_s, "Seconds of the flood")->capture_default_str();
  app.add_option("--flood-in-flight", flags.flood_in_flight,
                 "max_in_flight_requests of the ledgerd under test")
      ->capture_default_str();
  app.add_option("--markdown-out", flags.markdown_out, "Write the samples as a Markdown table");
  CLI11_PARSE(app, argc, argv);
  return sixhearts::soak::Run(flags);
}
