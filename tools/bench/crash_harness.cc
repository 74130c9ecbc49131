// crash_harness: kills the real ledgerd with SIGKILL at random moments while concurrent
// gRPC clients append, restarts it, and checks after every restart that
//   - every acknowledged event is stored, at its acknowledged position, with the content
//     that was sent (by event id);
//   - no event is stored that was not sent, and the log has no gap;
//   - the chain verifies (Verify RPC) and the prefix checked before is unchanged;
//   - every projection answers the same before and after a rebuild from zero
//     (receivables aging, relationship scorecards; Rebuild RPCs).
// Clients send single events and batches of 2..8 events across their own client streams,
// re-send acknowledged batches now and then (the answer must be `duplicate` with the
// same positions), and after a kill retry the batch whose outcome they never learned
// (it was either stored before the kill or is stored by the retry, never twice).
//
// The seed fixes the kill delays and the batches; it is printed, so a failure can be
// replayed (the thread interleaving is not reproducible). Exit codes: 0 every check
// passed; 1 a check failed (the first failure is printed); 2 bad flags or ledgerd would
// not start. BENCHMARKS.md has the figures; CTest runs the CI-sized run (50 cycles).
#include <fcntl.h>
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
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/grpcpp.h"
#include "sixhearts/ledger/v1/event_store.grpc.pb.h"
#include "sixhearts/ledger/v1/receivables.grpc.pb.h"
#include "sixhearts/ledger/v1/relationships.grpc.pb.h"

namespace sixhearts::crash {
namespace {

namespace v1 = ::sixhearts::ledger::v1;
namespace fs = std::filesystem;

struct Options {
  std::string ledgerd;
  int cycles = 50;
  uint64_t seed = 0;  // 0: from the clock
  int clients = 4;
  // How long the clients append before each kill, drawn uniformly.
  int min_run_ms = 20;
  int max_run_ms = 250;
  // Scan the whole log and every acknowledged event every this many cycles (and after
  // the last); other cycles scan what was appended since the previous check.
  int full_check_every = 10;
  // Compare the projections with a rebuild every this many cycles (and after the last).
  int projection_check_every = 1;
  // Passed to ledgerd: small, so that kills land between and during checkpoints.
  int checkpoint_every_events = 128;
  int snapshot_every_events = 2048;
  std::string work_dir;  // empty: a fresh temporary directory, removed on success
};

// ------------------------------------------------------------------------ bookkeeping

std::string Canonical(const v1::Event& event) {
  v1::Event copy = event;
  copy.clear_position();
  copy.clear_stream_version();
  copy.clear_recorded_at();
  copy.clear_actor();
  copy.clear_hash();
  copy.clear_schema_version();
  copy.clear_previous_stream_position();
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    copy.SerializeToCodedStream(&coded);
  }
  return out;
}

struct SentEvent {
  std::string content;
  uint64_t acked_position = 0;   // from an Append answer
  uint64_t stored_position = 0;  // where a scan found it
};

struct Counters {
  uint64_t batches_acked = 0;
  uint64_t events_acked = 0;  // distinct events
  uint64_t resends = 0;       // re-sends of acknowledged batches, answered duplicate
  uint64_t retries_found_stored = 0;
  uint64_t retries_stored_now = 0;
  uint64_t events_checked = 0;  // events read back and compared
  uint64_t projection_checks = 0;
  uint64_t kills = 0;
  // Where the time went, in seconds: appending before the kills, restarts (recovery up
  // to "serving on"), log checks, projection checks.
  double append_s = 0;
  double restart_s = 0;
  double log_check_s = 0;
  double projection_check_s = 0;
};

// Everything the clients sent and learned, and the first failure.
class Ledger {
 public:
  void Sent(const v1::AppendRequest& request) {
    absl::MutexLock lock(&mu_);
    for (const v1::Event& e : request.events()) {
      events_.try_emplace(e.event_id(), SentEvent{Canonical(e), 0, 0});
    }
  }

  // An Append answer. `first_send`: the batch was never sent before, so it cannot be a
  // duplicate; `resend`: it was acknowledged before, so it must be one.
  void Acked(const v1::AppendRequest& request, const v1::AppendResponse& response, bool first_send,
             bool resend, bool retry) {
    absl::MutexLock lock(&mu_);
    if (response.positions_size() != request.events_size()) {
      return FailLocked("an Append answer has the wrong number of positions");
    }
    if (first_send && response.duplicate()) {
      return FailLocked(
          absl::StrCat("a new batch was answered as a duplicate: ", request.events(0).event_id()));
    }
    if (resend && !response.duplicate()) {
      return FailLocked(
          absl::StrCat("an acknowledged batch was stored again: ", request.events(0).event_id()));
    }
    if (retry)
      ++(response.duplicate() ? counters_.retries_found_stored : counters_.retries_stored_now);
    if (resend) ++counters_.resends;
    ++counters_.batches_acked;
    for (int i = 0; i < request.events_size(); ++i) {
      SentEvent& e = events_[request.events(i).event_id()];
      const uint64_t position = response.positions(i);
      if (e.acked_position != 0 && e.acked_position != position) {
        return FailLocked(absl::StrCat("event ", request.events(i).event_id(),
                                       " acknowledged at position ", e.acked_position,
                                       " and later at ", position));
      }
      if (e.stored_position != 0 && e.stored_position != position) {
        return FailLocked(absl::StrCat("event ", request.events(i).event_id(), " is stored at ",
                                       e.stored_position, " but acknowledged at ", position));
      }
      if (e.acked_position == 0) ++counters_.events_acked;
      e.acked_position = position;
    }
  }

  // A stored event found by a scan.
  void Found(const v1::Event& event) {
    absl::MutexLock lock(&mu_);
    ++counters_.events_checked;
    auto it = events_.find(event.event_id());
    if (it == events_.end()) {
      return FailLocked(absl::StrCat("position ", event.position(), " holds event ",
                                     event.event_id(), ", which no client sent"));
    }
    SentEvent& e = it->second;
    if (e.content != Canonical(event)) {
      return FailLocked(absl::StrCat("position ", event.position(), " holds event ",
                                     event.event_id(), " with other content than was sent"));
    }
    if (e.acked_position != 0 && e.acked_position != event.position()) {
      return FailLocked(absl::StrCat("event ", event.event_id(), " was acknowledged at position ",
                                     e.acked_position, " but is stored at ", event.position()));
    }
    if (e.stored_position != 0 && e.stored_position != event.position()) {
      return FailLocked(absl::StrCat("event ", event.event_id(), " moved from position ",
                                     e.stored_position, " to ", event.position()));
    }
    e.stored_position = event.position();
  }

  // After a scan of (from, head]: every event acknowledged in that range was found.
  void CheckAckedFound(uint64_t from_exclusive, uint64_t head) {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, e] : events_) {
      if (e.acked_position == 0 || e.acked_position <= from_exclusive) continue;
      if (e.acked_position > head) {
        return FailLocked(absl::StrCat("event ", id, " was acknowledged at position ",
                                       e.acked_position, " but the log ends at ", head));
      }
      if (e.stored_position != e.acked_position) {
        return FailLocked(absl::StrCat("acknowledged event ", id, " (position ", e.acked_position,
                                       ") is missing"));
      }
    }
  }

  void Fail(const std::string& what) {
    absl::MutexLock lock(&mu_);
    FailLocked(what);
  }
  std::optional<std::string> failure() const {
    absl::MutexLock lock(&mu_);
    return failure_;
  }
  Counters counters() const {
    absl::MutexLock lock(&mu_);
    return counters_;
  }
  void CountKill() {
    absl::MutexLock lock(&mu_);
    ++counters_.kills;
  }
  void CountProjectionCheck() {
    absl::MutexLock lock(&mu_);
    ++counters_.projection_checks;
  }
  void AddTime(double Counters::*phase, absl::Duration d) {
    absl::MutexLock lock(&mu_);
    counters_.*phase += absl::ToDoubleSeconds(d);
  }

 private:
  void FailLocked(const std::string& what) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!failure_) failure_ = what;
  }

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, SentEvent> events_ ABSL_GUARDED_BY(mu_);
  Counters counters_ ABSL_GUARDED_BY(mu_);
  std::optional<std::string> failure_ ABSL_GUARDED_BY(mu_);
};

// ------------------------------------------------------------------- event generation

v1::Date Day(int offset) {
  const absl::CivilDay day = absl::CivilDay(2025, 1, 1) + offset;
  v1::Date d;
  d.set_year(static_cast<int32_t>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

// Events of one stream stay within 300 days of 2025-01-01, so every business date is
// before kLiveAsOf and the projections answer from their live fold.
constexpr int kMaxEventsPerStream = 300;

struct Invoice {
  std::string id;
  int64_t remaining_minor = 0;
};

struct Stream {
  std::string client_id;
  int events = 0;
  std::vector<Invoice> invoices;
};

// One client: its streams, the batch whose outcome it does not know, and its RNG.
// Streams are its own, so what it generates is valid whatever the other clients do.
class Client {
 public:
  Client(int index, uint64_t seed) : index_(index), rng_(seed) {}

  // The next request to send and what kind of send it is.
  struct Next {
    v1::AppendRequest request;
    bool first_send = false;
    bool resend = false;
    bool retry = false;
  };

  Next Choose() {
    Next next;
    if (pending_) {
      next.request = *pending_;
      next.retry = true;
    } else if (!acked_.empty() && Uniform(0, 9) == 0) {
      next.request = acked_[Uniform(0, static_cast<int>(acked_.size()) - 1)];
      next.resend = true;
    } else {
      const int n = Uniform(0, 9) < 4 ? 1 : Uniform(2, 8);
      for (int i = 0; i < n; ++i) *next.request.add_events() = NextEvent();
      next.first_send = true;
    }
    return next;
  }

  void Acked(const Next& next) {
    pending_.reset();
    // Keep a bounded sample of acknowledged batches to re-send.
    if (!next.resend) {
      if (acked_.size() < 32) {
        acked_.push_back(next.request);
      } else {
        acked_[Uniform(0, 31)] = next.request;
      }
    }
  }
  // The outcome is unknown: send the same batch again next time.
  void Unknown(const Next& next) {
    if (!next.resend) pending_ = next.request;
  }

 private:
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  v1::Event Envelope(Stream& stream) {
    v1::Event e;
    e.set_event_id(absl::StrFormat("%08x-0000-4000-8000-%012x", 0xc0000000u + index_, ++ids_));
    e.set_stream("client-" + stream.client_id);
    const absl::CivilDay day = absl::CivilDay(2025, 1, 1) + stream.events;
    e.mutable_occurred_at()->set_seconds(
        absl::ToUnixSeconds(absl::FromCivil(day, absl::UTCTimeZone())) + 12 * 3600);
    return e;
  }

  v1::Event NextEvent() {
    if (streams_.empty() || streams_.back().events >= kMaxEventsPerStream ||
        (streams_.size() < 64 && Uniform(0, 19) == 0)) {
      Stream stream;
      stream.client_id = absl::StrCat("c", index_, "s", streams_.size());
      streams_.push_back(stream);
      Stream& s = streams_.back();
      v1::Event e = Envelope(s);
      auto* p = e.mutable_client_registered();
      p->set_client_id(s.client_id);
      p->set_name(absl::StrCat("Bureau ", s.client_id));
      p->set_jurisdiction(v1::JURISDICTION_CN);
      p->set_client_kind(v1::CLIENT_KIND_GOVERNMENT_ORGAN);
      p->set_seller_is_sme(true);
      ++s.events;
      return e;
    }
    Stream& s = streams_[Uniform(0, static_cast<int>(streams_.size()) - 1)];
    if (s.events >= kMaxEventsPerStream) return NextEventOnNewStream();
    v1::Event e = Envelope(s);
    const int kind = Uniform(0, 99);
    Invoice* open = nullptr;
    for (Invoice& invoice : s.invoices) {
      if (invoice.remaining_minor > 0) open = &invoice;
    }
    if (kind < 35 || (kind < 65 && open == nullptr)) {
      Invoice invoice{absl::StrCat("INV-", s.invoices.size() + 1), Uniform(1, 5000) * 100};
      auto* p = e.mutable_invoice_issued();
      p->set_invoice_id(invoice.id);
      p->mutable_amount()->set_amount_minor(invoice.remaining_minor);
      p->mutable_amount()->set_currency("CNY");
      *p->mutable_issue_date() = Day(s.events);
      *p->mutable_due_date() = Day(s.events + 30);
      s.invoices.push_back(invoice);
    } else if (kind < 65) {
      const int64_t paid = std::min<int64_t>(open->remaining_minor, Uniform(1, 3000) * 100);
      auto* p = e.mutable_payment_received();
      p->set_payment_id(absl::StrCat("PAY-", s.events));
      p->mutable_amount()->set_amount_minor(paid);
      p->mutable_amount()->set_currency("CNY");
      *p->mutable_value_date() = Day(s.events);
      auto* a = p->add_allocations();
      a->set_invoice_id(open->id);
      a->set_amount_minor(paid);
      open->remaining_minor -= paid;
    } else {
      auto* p = e.mutable_interaction_logged();
      p->set_interaction_id(absl::StrCat("X-", s.events));
      p->set_kind(static_cast<v1::InteractionKind>(Uniform(1, 13)));
      p->set_summary("met the finance bureau");
    }
    ++s.events;
    return e;
  }

  v1::Event NextEventOnNewStream() {
    streams_.back().events = kMaxEventsPerStream;  // forces a new stream
    return NextEvent();
  }

  int index_;
  std::mt19937_64 rng_;
  uint64_t ids_ = 0;
  std::vector<Stream> streams_;
  std::optional<v1::AppendRequest> pending_;
  std::vector<v1::AppendRequest> acked_;
};

// Sends until `stop` or until the server goes away.
void RunClient(Client* client, Ledger* ledger, const std::string& address,
               const std::atomic<bool>* stop) {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto stub = v1::EventStore::NewStub(channel);
  while (!stop->load() && !ledger->failure()) {
    Client::Next next = client->Choose();
    ledger->Sent(next.request);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::AppendResponse response;
    const grpc::Status status = stub->Append(&context, next.request, &response);
    if (status.ok()) {
      ledger->Acked(next.request, response, next.first_send, next.resend, next.retry);
      client->Acked(next);
      continue;
    }
    switch (status.error_code()) {
      case grpc::StatusCode::UNAVAILABLE:
      case grpc::StatusCode::CANCELLED:
      case grpc::StatusCode::DEADLINE_EXCEEDED:
      case grpc::StatusCode::UNKNOWN:
      case grpc::StatusCode::INTERNAL:  // a connection torn mid-message
        client->Unknown(next);
        return;  // the server is gone; the harness restarts it
      default:
        ledger->Fail(absl::StrCat("Append refused a valid batch: ", status.error_message()));
        return;
    }
  }
}

// ------------------------------------------------------------------------ the server

class Server {
 public:
  Server(const Options& options, fs::path dir) : options_(options), dir_(std::move(dir)) {}
  ~Server() {
    if (pid_ > 0) Kill();
  }

  // Starts ledgerd on port 0 and waits for "serving on HOST:PORT".
  bool Start() {
    const std::string log = (dir_ / "ledgerd.log").string();
    const std::string data = (dir_ / "ledger").string();
    const std::string checkpoint = std::to_string(options_.checkpoint_every_events);
    const std::string snapshot = std::to_string(options_.snapshot_every_events);
    std::vector<std::string> argv = {options_.ledgerd,
                                     "--data-dir",
                                     data,
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--metrics-listen",
                                     "127.0.0.1:0",
                                     "--checkpoint-every-events",
                                     checkpoint,
                                     "--snapshot-every-events",
                                     snapshot};
    // Gone before the fork, so the previous run's "serving on" is never read as this one's.
    fs::remove(log);
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (absl::Now() < deadline) {
      const std::string out = Log();
      const size_t at = out.find("serving on ");
      if (at != std::string::npos) {
        const size_t end = out.find(' ', at + 11);
        address_ = out.substr(at + 11, end - at - 11);
        return true;
      }
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
    return false;
  }

  void Kill() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  // SIGTERM; true when it stopped cleanly.
  bool Stop() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }

  std::string Log() const {
    std::ifstream in(dir_ / "ledgerd.log");
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  }
  const std::string& address() const { return address_; }

 private:
  const Options& options_;
  fs::path dir_;
  pid_t pid_ = -1;
  std::string address_;
};

// ------------------------------------------------------------------------- the checks

// The largest report answer the checker accepts.
constexpr int kMaxAnswerBytes = 256 << 20;

class Checker {
 public:
  Checker(Ledger* ledger, const std::string& address) : ledger_(ledger) {
    // Reports over a long run outgrow gRPC's default 4 MiB answers (the scorecard of
    // ~500 clients was 4.4 MB after 560 kills).
    grpc::ChannelArguments arguments;
    arguments.SetMaxReceiveMessageSize(kMaxAnswerBytes);
    auto channel =
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), arguments);
    store_ = v1::EventStore::NewStub(channel);
    receivables_ = v1::Receivables::NewStub(channel);
    relationships_ = v1::Relationships::NewStub(channel);
  }

  // Reads (checked_head, head], compares each event, checks the hash at checked_head is
  // unchanged and the chain verifies from there. Updates checked_head and its hash.
  bool CheckLog(uint64_t* checked_head, std::string* checked_hash, bool full) {
    const uint64_t from = full ? 0 : *checked_head;
    v1::DigestResponse digest;
    {
      grpc::ClientContext context;
      if (!Ok(store_->Digest(&context, {}, &digest), "Digest")) return false;
    }
    if (digest.head_position() < *checked_head) {
      ledger_->Fail(
          absl::StrCat("the log shrank from ", *checked_head, " to ", digest.head_position()));
      return false;
    }
    v1::ReadLogRequest read;
    read.set_from_position(from == 0 ? 1 : from);
    grpc::ClientContext context;
    auto reader = store_->ReadLog(&context, read);
    v1::ReadResponse page;
    uint64_t expected = from == 0 ? 1 : from;
    std::string last_hash;
    while (reader->Read(&page)) {
      for (const v1::Event& event : page.events()) {
        if (event.position() != expected) {
          ledger_->Fail(
              absl::StrCat("gap: position ", expected, " is followed by ", event.position()));
          return false;
        }
        if (event.position() == *checked_head && *checked_head != 0 &&
            event.hash() != *checked_hash) {
          ledger_->Fail(absl::StrCat("the chain hash at position ", *checked_head,
                                     " changed after a restart"));
          return false;
        }
        ledger_->Found(event);
        last_hash = event.hash();
        ++expected;
        if (event.position() == digest.head_position()) break;
      }
    }
    if (!Ok(reader->Finish(), "ReadLog")) return false;
    if (expected - 1 < digest.head_position()) {
      ledger_->Fail(absl::StrCat("ReadLog ended at ", expected - 1, ", before the head ",
                                 digest.head_position()));
      return false;
    }
    ledger_->CheckAckedFound(full ? 0 : *checked_head, digest.head_position());

    v1::VerifyRequest verify_request;
    verify_request.set_from_position(from);
    v1::VerifyResponse verify;
    grpc::ClientContext verify_context;
    if (!Ok(store_->Verify(&verify_context, verify_request, &verify), "Verify")) return false;
    if (!verify.ok()) {
      ledger_->Fail(absl::StrCat("the chain does not verify at position ",
                                 verify.first_bad_position(), ": ", verify.problem()));
      return false;
    }
    if (verify.head_hash() != digest.head_hash()) {
      ledger_->Fail("Verify's recomputed head hash differs from Digest's");
      return false;
    }
    *checked_head = digest.head_position();
    if (*checked_head > 0) *checked_hash = digest.head_hash();
    return !ledger_->failure();
  }

  // The projections' answers, live, then after a rebuild from zero: equal.
  bool CheckProjections(uint64_t head) {
    if (!WaitCaughtUp(head)) return false;
    const std::string before = Answers();
    if (before.empty()) return false;
    {
      grpc::ClientContext context;
      auto reader = receivables_->Rebuild(&context, {});
      v1::RebuildResponse message;
      while (reader->Read(&message)) {
      }
      if (!Ok(reader->Finish(), "Receivables.Rebuild")) return false;
    }
    {
      grpc::ClientContext context;
      auto reader = relationships_->Rebuild(&context, {});
      v1::RelationshipsRebuildResponse message;
      while (reader->Read(&message)) {
      }
      if (!Ok(reader->Finish(), "Relationships.Rebuild")) return false;
    }
    const std::string after = Answers();
    if (after.empty()) return false;
    if (before != after) {
      ledger_->Fail(absl::StrCat("a projection differs from its rebuild at head ", head,
                                 "\n--- live:\n", before.substr(0, 2000), "\n--- rebuilt:\n",
                                 after.substr(0, 2000)));
      return false;
    }
    ledger_->CountProjectionCheck();
    return true;
  }

 private:
  bool Ok(const grpc::Status& status, const std::string& what) {
    if (status.ok()) return true;
    ledger_->Fail(absl::StrCat(what, " failed after restart: ", status.error_code(), " ",
                               status.error_message()));
    return false;
  }

  bool WaitCaughtUp(uint64_t head) {
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (absl::Now() < deadline) {
      v1::ProjectionStatusResponse r;
      v1::RelationshipsProjectionStatusResponse s;
      grpc::ClientContext c1;
      grpc::ClientContext c2;
      if (!Ok(receivables_->ProjectionStatus(&c1, {}, &r), "ProjectionStatus")) return false;
      if (!Ok(relationships_->ProjectionStatus(&c2, {}, &s), "ProjectionStatus")) return false;
      if (r.position() == head && s.position() == head) return true;
      absl::SleepFor(absl::Milliseconds(5));
    }
    ledger_->Fail("the projections did not catch up with the head within 60 s");
    return false;
  }

  // Text of the answers that depend on the live folds (aging by client with every
  // invoice, scorecards over the whole history, as of a day after every event), and of
  // one aging as of a day in the middle, which starts from a snapshot.
  std::string Answers() {
    std::string out;
    for (const auto& [y, m, d] : {std::tuple{2025, 12, 31}, std::tuple{2025, 4, 30}}) {
      v1::AgingRequest aging;
      aging.mutable_as_of()->set_year(y);
      aging.mutable_as_of()->set_month(m);
      aging.mutable_as_of()->set_day(d);
      aging.set_include_invoices(true);
      v1::AgingResponse aging_response;
      grpc::ClientContext context;
      if (!Ok(receivables_->Aging(&context, aging, &aging_response), "Aging")) return "";
      absl::StrAppend(&out, aging_response.DebugString());
    }
    v1::ScorecardRequest scorecard;
    scorecard.mutable_as_of()->set_year(2025);
    scorecard.mutable_as_of()->set_month(12);
    scorecard.mutable_as_of()->set_day(31);
    scorecard.set_window_days(3650);
    v1::ScorecardResponse scorecard_response;
    grpc::ClientContext context;
    if (!Ok(relationships_->Scorecard(&context, scorecard, &scorecard_response), "Scorecard")) {
      return "";
    }
    absl::StrAppend(&out, scorecard_response.DebugString());
    return out;
  }

  Ledger* ledger_;
  std::unique_ptr<v1::EventStore::Stub> store_;
  std::unique_ptr<v1::Receivables::Stub> receivables_;
  std::unique_ptr<v1::Relationships::Stub> relationships_;
};

int Run(const Options& options) {
  const uint64_t seed =
      options.seed != 0 ? options.seed : static_cast<uint64_t>(absl::ToUnixNanos(absl::Now()));
  std::cout << "crash_harness: seed " << seed << " (replay the kill schedule with --seed " << seed
            << ")" << std::endl;
  fs::path dir = options.work_dir;
  const bool own_dir = dir.empty();
  if (own_dir) {
    dir = fs::temp_directory_path() / absl::StrCat("crash_harness-", ::getpid(), "-", seed);
  }
  fs::create_directories(dir);

  std::mt19937_64 rng(seed);
  Ledger ledger;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < options.clients; ++i) {
    clients.push_back(std::make_unique<Client>(i, rng()));
  }
  Server server(options, dir);
  if (!server.Start()) {
    std::cerr << "crash_harness: ledgerd did not start:\n" << server.Log() << std::endl;
    return 2;
  }
  const absl::Time started = absl::Now();
  uint64_t checked_head = 0;
  std::string checked_hash;
  int cycle = 0;
  for (; cycle < options.cycles && !ledger.failure(); ++cycle) {
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (auto& client : clients) {
      threads.emplace_back(RunClient, client.get(), &ledger, server.address(), &stop);
    }
    const int run_ms =
        std::uniform_int_distribution<int>(options.min_run_ms, options.max_run_ms)(rng);
    absl::SleepFor(absl::Milliseconds(run_ms));
    server.Kill();
    ledger.CountKill();
    stop = true;
    for (auto& t : threads) t.join();
    ledger.AddTime(&Counters::append_s, absl::Milliseconds(run_ms));
    absl::Time phase = absl::Now();
    if (!server.Start()) {
      ledger.Fail(
          absl::StrCat("ledgerd did not restart after kill ", cycle + 1, ":\n", server.Log()));
      break;
    }
    ledger.AddTime(&Counters::restart_s, absl::Now() - phase);
    const bool last = cycle + 1 == options.cycles;
    Checker checker(&ledger, server.address());
    const bool full = last || (cycle + 1) % options.full_check_every == 0;
    phase = absl::Now();
    if (!checker.CheckLog(&checked_head, &checked_hash, full)) break;
    ledger.AddTime(&Counters::log_check_s, absl::Now() - phase);
    if (last || (cycle + 1) % options.projection_check_every == 0) {
      phase = absl::Now();
      if (!checker.CheckProjections(checked_head)) break;
      ledger.AddTime(&Counters::projection_check_s, absl::Now() - phase);
    }
    if ((cycle + 1) % 10 == 0) {
      const Counters c = ledger.counters();
      std::cout << absl::StrFormat("  %d kills, head %d, %d events acknowledged, %.1f s", cycle + 1,
                                   checked_head, c.events_acked,
                                   absl::ToDoubleSeconds(absl::Now() - started))
                << std::endl;
    }
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - started);
  if (auto failure = ledger.failure()) {
    std::cout << "crash_harness: FAILED after " << ledger.counters().kills << " kills (seed "
              << seed << "): " << *failure << "\nledgerd's last log:\n"
              << server.Log() << "\nwork directory kept: " << dir.string() << std::endl;
    return 1;
  }
  if (!server.Stop()) {
    std::cout << "crash_harness: FAILED: ledgerd did not stop cleanly on SIGTERM\n"
              << server.Log() << std::endl;
    return 1;
  }
  const Counters c = ledger.counters();
  std::cout << absl::StrFormat(
                   "crash_harness: OK: %d kills survived in %.1f s; log head %d; %d events in %d "
                   "acknowledged batches, every one found at its position with its content; "
                   "%d stored events read back and compared; %d re-sends answered as "
                   "duplicates; after a kill, %d unanswered batches were found stored and %d "
                   "were stored by their retry; %d projection comparisons with a rebuild; "
                   "seed %d",
                   c.kills, seconds, checked_head, c.events_acked, c.batches_acked,
                   c.events_checked, c.resends, c.retries_found_stored, c.retries_stored_now,
                   c.projection_checks, seed)
            << std::endl;
  std::cout << absl::StrFormat(
                   "crash_harness: time: appending %.1f s, restarts %.1f s (%.0f ms each), log "
                   "checks %.1f s, projection checks %.1f s",
                   c.append_s, c.restart_s, 1000 * c.restart_s / std::max<uint64_t>(c.kills, 1),
                   c.log_check_s, c.projection_check_s)
            << std::endl;
  if (own_dir) fs::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace sixhearts::crash

int main(int argc, char** argv) {
  sixhearts::crash::Options options;
  CLI::App app{"crash_harness: SIGKILL ledgerd under concurrent appends and check what survives"};
  app.add_option("--ledgerd", options.ledgerd, "Path of the ledgerd binary")->required();
  app.add_option("--cycles", options.cycles, "Kill and restart cycles")->capture_default_str();
  app.add_option("--seed", options.seed, "RNG seed (default: from the clock; printed)");
  app.add_option("--clients", options.clients, "Concurrent gRPC clients")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--min-run-ms", options.min_run_ms, "Shortest append time before a kill")
      ->capture_default_str();
  app.add_option("--max-run-ms", options.max_run_ms, "Longest append time before a kill")
      ->capture_default_str();
  app.add_option("--full-check-every", options.full_check_every,
                 "Scan the whole log every N cycles (others scan what is new)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--projection-check-every", options.projection_check_every,
                 "Compare projections with a rebuild every N cycles")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--checkpoint-every-events", options.checkpoint_every_events,
                 "ledgerd's projection checkpoint cadence")
      ->capture_default_str();
  app.add_option("--snapshot-every-events", options.snapshot_every_events,
                 "ledgerd's projection snapshot cadence")
      ->capture_default_str();
  app.add_option("--work-dir", options.work_dir,
                 "Directory for the data and ledgerd's log (default: a temporary one, removed "
                 "on success)");
  CLI11_PARSE(app, argc, argv);
  if (options.min_run_ms < 0 || options.max_run_ms < options.min_run_ms) {
    std::cerr << "crash_harness: --min-run-ms must be >= 0 and <= --max-run-ms" << std::endl;
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  return sixhearts::crash::Run(options);
}
