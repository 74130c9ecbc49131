// receivables_bench: how fast the receivables projection rebuilds from a large log,
// measured in the same run against a raw RocksDB scan that parses every event, and the
// latency of aging reads from the live projection and as of a past time (from snapshots
// and without them). Method, figures and targets: BENCHMARKS.md (issue 3).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
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
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "ledger/clock.h"
#include "ledger/dates.h"
#include "ledger/event_store.h"
#include "ledger/format.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/table.h"
#include "services/projection/projection_engine.h"
#include "services/projection/view_store.h"
#include "services/receivables/analytics.h"
#include "services/receivables/receivables_fold.h"
#include "services/receivables/receivables_state.h"
#include "services/receivables/receivables_view.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace sixhearts::bench {
namespace {

namespace v1 = ledger::v1;
namespace format = ledger::format;
namespace fs = std::filesystem;
namespace projection = services::projection;
namespace receivables = services::receivables;
using SteadyClock = std::chrono::steady_clock;

// The principal stamped on generated events (what an unauthenticated server stamps).
constexpr char kActor[] = "anonymous";
// A target is a ratio of at least this.
constexpr double kTargetRatio = 0.5;
// Events per Append while generating: the size a bulk import would send.
constexpr int kGenerateBatchEvents = 1'000;
// Business time of the generated traffic: three years from this day.
constexpr absl::CivilDay kFirstDay(2022, 1, 3);
constexpr int64_t kSpanDays = 1'096;
// Share of all events that issue an invoice; the rest are the invoice's follow-ups
// (payments, credit notes, disputes, promises, about 1.2 per invoice) and
// interactions, which the fold skips as it would in a real log.
constexpr double kInvoiceShare = 0.2;
constexpr double kFollowUpsPerInvoice = 1.2;
// Of the open invoices at the end, the share never paid (old, in the oldest buckets); the
// rest are paid later than the end of the log (recent, mostly not yet due).
constexpr double kNeverPaidShareOfOpen = 0.3;
// The store's block cache (EventStoreOptions default), given to the raw scan as well so
// neither side reads with a different cache.
constexpr size_t kBlockCacheBytes = 64 << 20;

struct Flags {
  uint64_t events = 10'000'000;
  uint64_t open_invoices = 100'000;
  uint32_t clients = 10'000;
  std::string data_dir;  // parent of the fresh data directory; empty: the system temp dir
  std::string reuse;     // a data directory used as is (generated into when empty)
  bool keep = false;
  bool quick = false;
  int queries = 200;
  // The business-day as-of read replays to the head (see BENCHMARKS.md), so its samples
  // are bounded by time as well as by count.
  double max_seconds_per_kind = 150;
  int no_snapshot_queries = 2;
  uint64_t snapshot_every = 100'000;
  uint64_t snapshot_growth = projection::EngineOptions().replay_snapshot_growth;
  std::vector<std::string> phases = {"scan", "rebuild", "aging", "asof", "nosnap"};
  uint64_t seed = 0x5eed;
  // The engine keeps receivables as the stored view ledgerd runs (DIR.views), not as a
  // whole fold with snapshots.
  bool stored_views = false;
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

void SetTime(int64_t unix_seconds, google::protobuf::Timestamp* out) {
  out->set_seconds(unix_seconds);
  out->set_nanos(0);
}

absl::Time ToTime(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

void SetDay(absl::CivilDay day, v1::Date* out) { *out = ledger::FromCivilDay(day); }

absl::CivilDay DayOfSeconds(int64_t unix_seconds) {
  return ledger::UtcDay(absl::FromUnixSeconds(unix_seconds));
}

// ------------------------------------------------------------------------ generator

struct GenClient {
  std::string id;
  std::string stream;
  std::string currency;
  uint32_t invoices = 0;
  uint32_t payments = 0;
  uint32_t credit_notes = 0;
  uint32_t disputes = 0;
  uint32_t promises = 0;
  uint32_t interactions = 0;
};

// What the generator remembers of an invoice so that every later event stays valid:
// allocations, credit notes and disputes never exceed what is still owed.
struct GenInvoice {
  uint32_t client = 0;
  uint32_t number = 0;
  int64_t amount_minor = 0;
  int64_t outstanding_minor = 0;
};

enum class ActionKind : uint8_t {
  kPay,             // pays what is still owed (sometimes on account, allocated later)
  kPartialPay,      // pays part of it
  kAllocate,        // applies cash received on account
  kCredit,          // a credit note against the invoice
  kDisputeOpen,     // the client disputes part of the invoice
  kDisputeResolve,  // ... rejected, or upheld with a credit note
  kPromise,         // the client promises to pay by the day it will pay
};

// A follow-up of an invoice, due at a business time.
struct Action {
  int64_t at_seconds = 0;
  uint64_t sequence = 0;  // ties in time keep the order they were scheduled in
  ActionKind kind = ActionKind::kPay;
  uint32_t invoice = 0;
  int64_t amount_minor = 0;
  uint32_t reference = 0;        // payment or dispute number
  int64_t promised_seconds = 0;  // kPromise: when the payment will come
  bool operator>(const Action& other) const {
    return at_seconds != other.at_seconds ? at_seconds > other.at_seconds
                                          : sequence > other.sequence;
  }
};

struct GenerationSummary {
  uint64_t events = 0;
  uint64_t invoices = 0;
  uint64_t open_invoices = 0;
  uint64_t interactions = 0;
  double seconds = 0;
};

// Receivables traffic in business-time order: clients registered first, then invoices
// and their follow-ups from a time-ordered queue, with interactions in between. Event
// k occurs at kFirstDay + k/N of the span, so business time advances evenly. Every event
// passes the store's validation (ids unique per stream, references to existing objects
// of the same stream and currency, amounts not above what they refer to).
class TrafficGenerator {
 public:
  TrafficGenerator(const Flags& flags)
      : flags_(flags),
        rng_(flags.seed),
        start_seconds_(absl::ToUnixSeconds(ledger::EndOfUtcDay(kFirstDay - 1))),
        span_seconds_(kSpanDays * 86'400) {
    const double registrations = 2.0 * flags.clients;
    const double expected_invoices =
        kInvoiceShare * (static_cast<double>(flags.events) - registrations);
    invoice_probability_ =
        kInvoiceShare / (1.0 - kInvoiceShare * (1.0 + kFollowUpsPerInvoice) + kInvoiceShare);
    never_paid_probability_ = std::clamp(
        kNeverPaidShareOfOpen * static_cast<double>(flags.open_invoices) / expected_invoices, 0.0,
        0.5);
    // Invoices in flight at the end = invoices per day x the mean payment delay.
    mean_delay_days_ =
        std::clamp((1.0 - kNeverPaidShareOfOpen) * static_cast<double>(flags.open_invoices) *
                       kSpanDays / expected_invoices,
                   10.0, 400.0);
    clients_.reserve(flags.clients);
    static const char* kCurrencies[] = {"CNY", "CNY", "CNY", "CNY", "CNY", "CNY",
                                        "CNY", "CNY", "USD", "USD", "USD", "EUR"};
    for (uint32_t c = 0; c < flags.clients; ++c) {
      GenClient client;
      client.id = absl::StrFormat("c%06u", c + 1);
      client.stream = absl::StrCat("client-", client.id);
      client.currency = kCurrencies[c % 12];
      clients_.push_back(std::move(client));
    }
  }

  double mean_delay_days() const { return mean_delay_days_; }
  double never_paid_probability() const { return never_paid_probability_; }

  // Fills `request` with the next `count` events (fewer at the end); the business time of
  // the last one in *last_occurred_seconds.
  void Next(v1::AppendRequest* request, int count, int64_t* last_occurred_seconds) {
    request->clear_events();
    for (int i = 0; i < count && emitted_ < flags_.events; ++i) {
      const int64_t now =
          start_seconds_ + static_cast<int64_t>((static_cast<unsigned __int128>(emitted_) *
                                                 static_cast<uint64_t>(span_seconds_)) /
                                                flags_.events);
      v1::Event* event = request->add_events();
      event->set_event_id(EventId(emitted_));
      SetTime(now, event->mutable_occurred_at());
      EmitOne(now, event);
      ++emitted_;
      *last_occurred_seconds = now;
    }
  }

  uint64_t emitted() const { return emitted_; }
  uint64_t invoices() const { return invoices_.size(); }
  uint64_t interactions() const { return interactions_; }
  uint64_t OpenInvoices() const {
    return static_cast<uint64_t>(
        std::count_if(invoices_.begin(), invoices_.end(),
                      [](const GenInvoice& invoice) { return invoice.outstanding_minor != 0; }));
  }

 private:
  // A canonical v4-shaped UUID, unique by construction: the counter is in the last
  // 48 bits and a hash of it spreads the first ones, as random ids would be spread.
  std::string EventId(uint64_t counter) const {
    uint64_t h = (counter + flags_.seed) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 29;
    return absl::StrFormat("%08x-%04x-4%03x-8%03x-%012x", static_cast<uint32_t>(h >> 32),
                           static_cast<uint32_t>((h >> 16) & 0xffff),
                           static_cast<uint32_t>(h & 0xfff),
                           static_cast<uint32_t>((h >> 12) & 0xfff), counter & 0xffffffffffffULL);
  }

  double Uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }
  uint64_t Below(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }

  void Schedule(Action action) {
    action.sequence = next_sequence_++;
    queue_.push(action);
  }

  void EmitOne(int64_t now, v1::Event* event) {
    if (emitted_ < 2ULL * clients_.size()) {
      Register(emitted_, event);
      return;
    }
    while (!queue_.empty() && queue_.top().at_seconds <= now) {
      const Action action = queue_.top();
      queue_.pop();
      if (EmitAction(action, now, event)) return;
    }
    if (Uniform() < invoice_probability_) {
      IssueInvoice(now, event);
    } else {
      Interaction(event);
    }
  }

  void Register(uint64_t index, v1::Event* event) {
    GenClient& client = clients_[index / 2];
    event->set_stream(client.stream);
    if (index % 2 == 0) {
      auto* p = event->mutable_client_registered();
      p->set_client_id(client.id);
      p->set_name(absl::StrCat("Client ", client.id, " Co., Ltd."));
      const bool cny = client.currency == "CNY";
      p->set_jurisdiction(cny                        ? v1::JURISDICTION_CN
                          : client.currency == "USD" ? v1::JURISDICTION_US
                                                     : v1::JURISDICTION_EU);
      p->set_client_kind(static_cast<v1::ClientKind>(1 + Below(4)));
      p->set_seller_is_sme(Below(2) == 0);
      p->set_region(cny ? "CN-31" : "US-VA");
    } else {
      event->mutable_account_owner_assigned()->set_owner(
          absl::StrFormat("owner-%02u", static_cast<uint32_t>(Below(40))));
    }
  }

  void IssueInvoice(int64_t now, v1::Event* event) {
    const auto client_index = static_cast<uint32_t>(Below(clients_.size()));
    GenClient& client = clients_[client_index];
    GenInvoice invoice;
    invoice.client = client_index;
    invoice.number = ++client.invoices;
    invoice.amount_minor = static_cast<int64_t>(100 * (1'000 + Below(199'000)));
    invoice.outstanding_minor = invoice.amount_minor;
    const auto index = static_cast<uint32_t>(invoices_.size());
    invoices_.push_back(invoice);

    static constexpr int kTermsDays[] = {30, 45, 60, 90};
    const absl::CivilDay issued = DayOfSeconds(now);
    const absl::CivilDay due = issued + kTermsDays[Below(4)];
    event->set_stream(client.stream);
    auto* p = event->mutable_invoice_issued();
    p->set_invoice_id(InvoiceId(invoice));
    p->mutable_amount()->set_amount_minor(invoice.amount_minor);
    p->mutable_amount()->set_currency(client.currency);
    SetDay(issued, p->mutable_issue_date());
    SetDay(due, p->mutable_due_date());
    SetDay(issued, p->mutable_delivery_date());

    if (Uniform() < never_paid_probability_) return;  // stays open: the oldest buckets
    const double delay_days = mean_delay_days_ * (0.5 + Uniform());
    const int64_t pay_at = now + static_cast<int64_t>(delay_days * 86'400);
    Schedule({.at_seconds = pay_at, .kind = ActionKind::kPay, .invoice = index});
    if (Uniform() < 0.10) {
      Schedule({.at_seconds = now + (pay_at - now) / 2,
                .kind = ActionKind::kPartialPay,
                .invoice = index});
    }
    if (Uniform() < 0.02) {
      Schedule({.at_seconds = now + 2 * 86'400,
                .kind = ActionKind::kCredit,
                .invoice = index,
                .amount_minor = invoice.amount_minor / 10});
    }
    if (delay_days >= 20 && Uniform() < 0.01) {
      Schedule(
          {.at_seconds = now + 5 * 86'400, .kind = ActionKind::kDisputeOpen, .invoice = index});
    }
    const int64_t due_seconds = absl::ToUnixSeconds(ledger::EndOfUtcDay(due));
    if (pay_at > due_seconds + 7 * 86'400 && Uniform() < 0.15) {
      Schedule({.at_seconds = due_seconds + 2 * 86'400,
                .kind = ActionKind::kPromise,
                .invoice = index,
                .promised_seconds = pay_at});
    }
  }

  std::string InvoiceId(const GenInvoice& invoice) const {
    return absl::StrFormat("INV-%06u", invoice.number);
  }

  // Payment of `amount_minor`, allocated to `invoice` in full when `allocate`.
  void Pay(GenInvoice& invoice, int64_t now, int64_t amount_minor, int64_t allocated_minor,
           v1::Event* event) {
    GenClient& client = clients_[invoice.client];
    event->set_stream(client.stream);
    auto* p = event->mutable_payment_received();
    p->set_payment_id(absl::StrFormat("PAY-%06u", ++client.payments));
    p->mutable_amount()->set_amount_minor(amount_minor);
    p->mutable_amount()->set_currency(client.currency);
    SetDay(DayOfSeconds(now), p->mutable_value_date());
    p->set_reference(absl::StrFormat("BANK-%s-%06u", client.id, client.payments));
    if (allocated_minor > 0) {
      auto* a = p->add_allocations();
      a->set_invoice_id(InvoiceId(invoice));
      a->set_amount_minor(allocated_minor);
      invoice.outstanding_minor -= allocated_minor;
    }
  }

  // False when the follow-up no longer applies (the invoice is already settled); the
  // caller then emits something else in its place.
  bool EmitAction(const Action& action, int64_t now, v1::Event* event) {
    GenInvoice& invoice = invoices_[action.invoice];
    GenClient& client = clients_[invoice.client];
    const absl::CivilDay today = DayOfSeconds(now);
    switch (action.kind) {
      case ActionKind::kPay: {
        if (invoice.outstanding_minor <= 0) return false;
        const double r = Uniform();
        if (r < 0.03) {  // cash on account, applied a few days later
          const int64_t amount = invoice.outstanding_minor;
          Pay(invoice, now, amount, 0, event);
          Schedule({.at_seconds = now + static_cast<int64_t>(3 + Below(8)) * 86'400,
                    .kind = ActionKind::kAllocate,
                    .invoice = action.invoice,
                    .amount_minor = amount,
                    .reference = client.payments});
        } else if (r < 0.05) {  // overpaid: the excess stays unapplied cash
          const int64_t owed = invoice.outstanding_minor;
          Pay(invoice, now, owed + owed / 20, owed, event);
        } else {
          const int64_t owed = invoice.outstanding_minor;
          Pay(invoice, now, owed, owed, event);
        }
        return true;
      }
      case ActionKind::kPartialPay: {
        const int64_t part = invoice.outstanding_minor * 2 / 5;
        if (part <= 0) return false;
        Pay(invoice, now, part, part, event);
        return true;
      }
      case ActionKind::kAllocate: {
        const int64_t amount = std::min(action.amount_minor, invoice.outstanding_minor);
        if (amount <= 0) return false;
        event->set_stream(client.stream);
        auto* p = event->mutable_payment_allocated();
        p->set_payment_id(absl::StrFormat("PAY-%06u", action.reference));
        auto* a = p->add_allocations();
        a->set_invoice_id(InvoiceId(invoice));
        a->set_amount_minor(amount);
        SetDay(today, p->mutable_allocated_on());
        invoice.outstanding_minor -= amount;
        return true;
      }
      case ActionKind::kCredit: {
        if (action.amount_minor <= 0 || action.amount_minor > invoice.outstanding_minor) {
          return false;
        }
        event->set_stream(client.stream);
        auto* p = event->mutable_credit_note_issued();
        p->set_credit_note_id(absl::StrFormat("CN-%06u", ++client.credit_notes));
        p->set_invoice_id(InvoiceId(invoice));
        p->mutable_amount()->set_amount_minor(action.amount_minor);
        p->mutable_amount()->set_currency(client.currency);
        SetDay(today, p->mutable_issue_date());
        p->set_reason("price adjustment agreed with the client");
        invoice.outstanding_minor -= action.amount_minor;
        return true;
      }
      case ActionKind::kDisputeOpen: {
        const int64_t amount = invoice.outstanding_minor / 5;
        if (amount <= 0) return false;
        event->set_stream(client.stream);
        auto* p = event->mutable_dispute_opened();
        p->set_dispute_id(absl::StrFormat("DSP-%06u", ++client.disputes));
        p->set_invoice_id(InvoiceId(invoice));
        p->set_amount_minor(amount);
        p->set_reason("quantity delivered differs from the invoice");
        SetDay(today, p->mutable_opened_on());
        Schedule({.at_seconds = now + static_cast<int64_t>(10 + Below(10)) * 86'400,
                  .kind = ActionKind::kDisputeResolve,
                  .invoice = action.invoice,
                  .amount_minor = amount,
                  .reference = client.disputes});
        return true;
      }
      case ActionKind::kDisputeResolve: {
        event->set_stream(client.stream);
        auto* p = event->mutable_dispute_resolved();
        p->set_dispute_id(absl::StrFormat("DSP-%06u", action.reference));
        const bool upheld = Uniform() < 0.3;
        p->set_outcome(upheld ? v1::DISPUTE_OUTCOME_UPHELD : v1::DISPUTE_OUTCOME_REJECTED);
        SetDay(today, p->mutable_resolved_on());
        p->set_note(upheld ? "short delivery confirmed" : "delivery note signed in full");
        if (upheld) {
          Schedule({.at_seconds = now + 1,
                    .kind = ActionKind::kCredit,
                    .invoice = action.invoice,
                    .amount_minor = action.amount_minor});
        }
        return true;
      }
      case ActionKind::kPromise: {
        if (invoice.outstanding_minor <= 0) return false;
        event->set_stream(client.stream);
        auto* p = event->mutable_promise_to_pay_made();
        p->set_promise_id(absl::StrFormat("PTP-%06u", ++client.promises));
        p->mutable_amount()->set_amount_minor(invoice.outstanding_minor);
        p->mutable_amount()->set_currency(client.currency);
        SetDay(DayOfSeconds(action.promised_seconds), p->mutable_promised_date());
        p->add_invoice_ids(InvoiceId(invoice));
        p->mutable_contact()->set_name("Finance contact");
        p->mutable_contact()->set_role("finance director");
        return true;
      }
    }
    return false;
  }

  void Interaction(v1::Event* event) {
    GenClient& client = clients_[Below(clients_.size())];
    ++interactions_;
    event->set_stream(client.stream);
    auto* p = event->mutable_interaction_logged();
    p->set_interaction_id(absl::StrFormat("INT-%07u", ++client.interactions));
    p->set_kind(static_cast<v1::InteractionKind>(1 + Below(16)));
    p->set_channel(static_cast<v1::Channel>(1 + Below(6)));
    p->set_summary("Reviewed the open items and the payment schedule; agreed the next call");
    p->mutable_contact()->set_role("accounts payable");
    p->set_owner(absl::StrFormat("owner-%02u", static_cast<uint32_t>(Below(40))));
    p->set_sentiment(static_cast<int32_t>(Below(5)) - 2);
  }

  const Flags& flags_;
  std::mt19937_64 rng_;
  const int64_t start_seconds_;
  const int64_t span_seconds_;
  double invoice_probability_ = 0;
  double never_paid_probability_ = 0;
  double mean_delay_days_ = 0;
  std::vector<GenClient> clients_;
  std::vector<GenInvoice> invoices_;
  std::priority_queue<Action, std::vector<Action>, std::greater<Action>> queue_;
  uint64_t next_sequence_ = 0;
  uint64_t emitted_ = 0;
  uint64_t interactions_ = 0;
};

// Writes the traffic through EventStore::Append (validation, idempotency, hash chain,
// indexes: the real write path) with sync = false, for generation speed only: no figure
// below measures appends. A ManualClock a minute behind business time makes recorded_at
// span the three years too, so "known at" queries can pick any point of the log.
absl::StatusOr<GenerationSummary> Generate(const Flags& flags, const std::string& dir) {
  TrafficGenerator generator(flags);
  std::fprintf(stderr,
               "generating %s events over %u clients: mean payment delay %.0f days, %.1f%% of "
               "invoices never paid\n",
               Grouped(static_cast<double>(flags.events)).c_str(), flags.clients,
               generator.mean_delay_days(), 100 * generator.never_paid_probability());
  ledger::ManualClock clock(ledger::EndOfUtcDay(kFirstDay - 1));
  ledger::EventStoreOptions options;
  options.data_dir = dir;
  options.sync = false;
  options.clock = &clock;
  auto store = ledger::EventStore::Open(options);
  if (!store.ok()) return store.status();
  GenerationSummary summary;
  const auto start = SteadyClock::now();
  auto last_progress = start;
  v1::AppendRequest request;
  while (generator.emitted() < flags.events) {
    int64_t last_occurred = 0;
    generator.Next(&request, kGenerateBatchEvents, &last_occurred);
    clock.Set(absl::FromUnixSeconds(last_occurred + 60));
    auto appended = (*store)->Append(request, kActor);
    if (!appended.ok()) {
      return absl::Status(appended.status().code(),
                          absl::StrCat("generated batch ending at event ", generator.emitted(),
                                       " rejected: ", appended.status().message()));
    }
    if (SecondsSince(last_progress) >= 2.0 || generator.emitted() == flags.events) {
      last_progress = SteadyClock::now();
      const double seconds = SecondsSince(start);
      const double rate = static_cast<double>(generator.emitted()) / seconds;
      std::fprintf(stderr, "\r  %s / %s events, %s events/s, ETA %.0f s   ",
                   Grouped(static_cast<double>(generator.emitted())).c_str(),
                   Grouped(static_cast<double>(flags.events)).c_str(), Grouped(rate).c_str(),
                   static_cast<double>(flags.events - generator.emitted()) / rate);
    }
  }
  std::fprintf(stderr, "\n");
  (*store)->Shutdown();
  summary.events = generator.emitted();
  summary.invoices = generator.invoices();
  summary.open_invoices = generator.OpenInvoices();
  summary.interactions = generator.interactions();
  summary.seconds = SecondsSince(start);
  return summary;
}

// ------------------------------------------------------------------------ raw scan

struct ScanResult {
  uint64_t events = 0;
  double seconds = 0;
  // With the fold: the time spent serializing the state every snapshot_every events
  // (not counted in `seconds`), how many times, and the last state's size.
  double serialize_seconds = 0;
  uint64_t serializations = 0;
  size_t state_bytes = 0;
  double restore_seconds = 0;  // one Restore of the last state
  double rate() const { return seconds > 0 ? static_cast<double>(events) / seconds : 0; }
};

// A raw forward iterator over the `log` column family, parsing every record's event into
// one reused message: the least any rebuild must do. Opened read-only with every column
// family listed (RocksDB requires them all) while no store holds the directory, with the
// store's block cache size. With `fold`, each event also goes into a ReceivablesFold and
// the state is serialized every `snapshot_every` events, timed apart: the engine's
// rebuild without its paging, split into its parts.
absl::StatusOr<ScanResult> RawScan(const std::string& dir, bool fold, uint64_t snapshot_every) {
  rocksdb::DBOptions db_options;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  std::vector<std::string> names;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(db_options, dir, &names);
  if (!s.ok()) return absl::UnavailableError(absl::StrCat("list families: ", s.ToString()));
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(kBlockCacheBytes);
  rocksdb::ColumnFamilyOptions cf;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const std::string& name : names) families.emplace_back(name, cf);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw_db = nullptr;
  s = rocksdb::DB::OpenForReadOnly(db_options, dir, families, &handles, &raw_db);
  if (!s.ok()) return absl::UnavailableError(absl::StrCat("open read-only: ", s.ToString()));
  std::unique_ptr<rocksdb::DB> db(raw_db);
  rocksdb::ColumnFamilyHandle* log = nullptr;
  for (auto* handle : handles) {
    if (handle->GetName() == format::kLogFamily) log = handle;
  }
  auto close = [&] {
    for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
    handles.clear();
  };
  if (log == nullptr) {
    close();
    return absl::NotFoundError(absl::StrCat(dir, " has no log column family"));
  }

  ScanResult result;
  receivables::ReceivablesFold folded;
  uint64_t since_snapshot = 0;
  const auto start = SteadyClock::now();
  {
    v1::Event event;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), log));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto record = format::DecodeRecord(it->value().ToStringView());
      if (!record || !event.ParseFromArray(record->event_bytes.data(),
                                           static_cast<int>(record->event_bytes.size()))) {
        close();
        return absl::DataLossError(absl::StrCat("record ", result.events + 1, " does not parse"));
      }
      ++result.events;
      if (!fold) continue;
      folded.Apply(event);
      if (++since_snapshot >= snapshot_every) {
        since_snapshot = 0;
        const auto serialize_start = SteadyClock::now();
        result.state_bytes = folded.Serialize().size();
        result.serialize_seconds += SecondsSince(serialize_start);
        ++result.serializations;
      }
    }
    if (!it->status().ok()) {
      close();
      return absl::DataLossError(it->status().ToString());
    }
  }
  result.seconds = SecondsSince(start) - result.serialize_seconds;
  if (fold) {
    const std::string state = folded.Serialize();
    result.state_bytes = state.size();
    receivables::ReceivablesFold restored;
    const auto restore_start = SteadyClock::now();
    if (absl::Status r = restored.Restore(state); !r.ok()) {
      close();
      return r;
    }
    result.restore_seconds = SecondsSince(restore_start);
  }
  close();
  return result;
}

// ------------------------------------------------------------------------ latency

struct Latency {
  std::string name;
  std::vector<double> ms;
  std::string note;

  // Nearest rank.
  double Percentile(double p) const {
    if (ms.empty()) return 0;
    std::vector<double> sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    const auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
    return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
  }
};

// The aging report's figures that must agree between two ways of reading the same view.
struct AgingFigures {
  size_t invoice_lines = 0;
  std::vector<std::pair<std::string, int64_t>> outstanding_by_currency;
  bool operator==(const AgingFigures&) const = default;
  std::string ToString() const {
    std::vector<std::string> parts;
    for (const auto& [currency, minor] : outstanding_by_currency) {
      parts.push_back(absl::StrCat(currency, " ", Grouped(static_cast<double>(minor) / 100)));
    }
    return absl::StrCat(Grouped(static_cast<double>(invoice_lines)), " open invoices (",
                        absl::StrJoin(parts, ", "), ")");
  }
};

// One aging read as the Receivables service does it: a stored view reads the items its
// index of open intervals lists, client by client (StoredAging); a whole fold (or a view
// behind the cut) hands the live fold or a snapshot plus replay to ComputeAging.
absl::StatusOr<AgingFigures> AgingRead(projection::ProjectionEngine& engine,
                                       const projection::AsOf& as_of, absl::CivilDay day) {
  AgingFigures figures;
  auto take = [&](const receivables::AgingReport& report) {
    for (const auto& row : report.rows) figures.invoice_lines += row.invoice_lines.size();
    for (const auto& total : report.totals) {
      figures.outstanding_by_currency.emplace_back(total.currency, total.outstanding_minor);
    }
  };
  absl::StatusOr<bool> streamed =
      engine.ReadViewCut(as_of, [&](const projection::ViewCut& cut, uint64_t) -> absl::Status {
        absl::StatusOr<receivables::AgingReport> report =
            receivables::StoredAging(cut, day, receivables::AgingOptions{});
        if (!report.ok()) return report.status();
        take(*report);
        return absl::OkStatus();
      });
  if (!streamed.ok()) return streamed.status();
  if (*streamed) return figures;
  absl::Status status = engine.Read(as_of, [&](const projection::Fold& fold, uint64_t) {
    const auto& state = static_cast<const receivables::ReceivablesFold&>(fold).state();
    absl::StatusOr<receivables::AgingReport> report = receivables::ComputeAging(state, day);
    if (!report.ok()) return report.status();
    take(*report);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return figures;
}

// ------------------------------------------------------------------------ main

// The log's business and record time range, read from its first and last events, so a
// reused directory needs no side file.
struct LogSpan {
  uint64_t head = 0;
  absl::Time first_occurred, last_occurred, first_recorded, last_recorded;
};

absl::StatusOr<LogSpan> ReadSpan(const ledger::EventStore& store) {
  LogSpan span;
  span.head = store.head().position;
  if (span.head == 0) return absl::FailedPreconditionError("the log is empty");
  auto first = store.ReadLog(1, false, 1, {});
  if (!first.ok()) return first.status();
  auto last = store.ReadLog(0, true, 1, {});
  if (!last.ok()) return last.status();
  if (first->events.empty() || last->events.empty()) {
    return absl::DataLossError("cannot read the first or last event");
  }
  span.first_occurred = ToTime(first->events[0].occurred_at());
  span.first_recorded = ToTime(first->events[0].recorded_at());
  span.last_occurred = ToTime(last->events[0].occurred_at());
  span.last_recorded = ToTime(last->events[0].recorded_at());
  return span;
}

bool Wanted(const Flags& flags, const std::string& phase) {
  return std::find(flags.phases.begin(), flags.phases.end(), phase) != flags.phases.end();
}

int Fail(const absl::Status& status, const std::string& what) {
  std::fprintf(stderr, "receivables_bench: %s: %s\n", what.c_str(), status.ToString().c_str());
  return 1;
}

// Removes the generated data directory on every way out, unless asked to keep it.
class DataDir {
 public:
  DataDir(std::string path, bool remove) : path_(std::move(path)), remove_(remove) {}
  ~DataDir() {
    if (!remove_) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
    fs::remove_all(path_ + ".views", ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool remove_;
};

int Main(int argc, char** argv) {
  Flags flags;
  CLI::App app{
      "Receivables projection: rebuild rate against a raw RocksDB scan, aging latency "
      "live and as of a past time (BENCHMARKS.md, issue 3)"};
  auto* events_flag = app.add_option("--events", flags.events, "Events in the log")
                          ->check(CLI::Range(uint64_t{1'000}, uint64_t{1'000'000'000}));
  auto* open_flag = app.add_option("--open-invoices", flags.open_invoices,
                                   "Invoices the generator leaves open at the end (about)");
  auto* clients_flag = app.add_option("--clients", flags.clients, "Client streams")
                           ->check(CLI::Range(1u, 1'000'000u));
  app.add_option("--data-dir", flags.data_dir,
                 "Parent of the fresh data directory (default: the system temp dir)");
  app.add_flag("--keep", flags.keep, "Keep the generated data directory");
  app.add_option("--reuse", flags.reuse,
                 "Use this data directory as is (generate into it when it is empty); never "
                 "deleted");
  app.add_flag("--quick", flags.quick,
               "CI-sized: 200,000 events, 10,000 open invoices, 2,000 clients, snapshots every "
               "10,000 events, 20 queries");
  auto* queries_flag = app.add_option("--queries", flags.queries, "Latency samples per query kind")
                           ->check(CLI::Range(1, 100'000));
  app.add_option("--max-seconds-per-kind", flags.max_seconds_per_kind,
                 "Stop sampling a query kind after this long (at least 3 samples)");
  app.add_option("--no-snapshot-queries", flags.no_snapshot_queries,
                 "Samples of each as-of query without snapshots (each replays from zero)")
      ->check(CLI::Range(0, 100));
  auto* snapshot_flag = app.add_option("--snapshot-every", flags.snapshot_every,
                                       "EngineOptions::snapshot_every_events")
                            ->check(CLI::Range(uint64_t{1}, uint64_t{1'000'000'000}));
  app.add_option("--replay-snapshot-growth", flags.snapshot_growth,
                 "EngineOptions::replay_snapshot_growth (1: a rebuild snapshots at a fixed "
                 "spacing)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{16}));
  app.add_option("--phases", flags.phases, "scan, rebuild, aging, asof, nosnap")
      ->delimiter(',')
      ->check(CLI::IsMember({"scan", "rebuild", "aging", "asof", "nosnap"}));
  app.add_option("--seed", flags.seed, "Generator seed");
  app.add_flag("--stored-views", flags.stored_views,
               "Keep receivables as ledgerd does, a stored view in DIR.views (built from the "
               "log when missing), instead of a whole fold with snapshots; compare peak RSS "
               "and the as-of p50 with a run without it");
  CLI11_PARSE(app, argc, argv);
  if (flags.quick) {
    // Explicit flags still win.
    if (events_flag->count() == 0) flags.events = 200'000;
    if (open_flag->count() == 0) flags.open_invoices = 10'000;
    if (clients_flag->count() == 0) flags.clients = 2'000;
    if (snapshot_flag->count() == 0) flags.snapshot_every = 10'000;
    if (queries_flag->count() == 0) flags.queries = 20;
  }
  if (4ULL * flags.clients > flags.events) {
    std::fprintf(stderr, "receivables_bench: --clients must be at most a quarter of --events\n");
    return 2;
  }

  std::vector<std::string> args(argv, argv + argc);
  const std::string command = absl::StrJoin(args, " ");
  std::fprintf(stderr, "receivables_bench: nproc %u, load average %s\n  %s\n",
               std::thread::hardware_concurrency(), LoadAverage().c_str(), command.c_str());

  // The data directory: --reuse's as is, else a fresh one removed at the end.
  std::string path;
  bool remove = false;
  if (!flags.reuse.empty()) {
    path = flags.reuse;
  } else {
    const fs::path base =
        flags.data_dir.empty() ? fs::temp_directory_path() : fs::path(flags.data_dir);
    path = (base / absl::StrFormat("receivables_bench-%d", static_cast<int>(::getpid()))).string();
    fs::remove_all(path);
    remove = !flags.keep;
  }
  DataDir dir(path, remove);
  std::optional<GenerationSummary> generated;
  std::error_code ec;
  const bool has_data = fs::exists(fs::path(path) / "CURRENT", ec);
  if (has_data) {
    std::fprintf(stderr, "reusing %s (not generated in this run)\n", path.c_str());
  } else {
    fs::create_directories(path);
    auto summary = Generate(flags, path);
    if (!summary.ok()) return Fail(summary.status(), "generate");
    generated = *summary;
    std::fprintf(stderr,
                 "generated %s events in %.0f s (%s events/s, sync=false): %s invoices, %s "
                 "open, %s interactions%s\n",
                 Grouped(static_cast<double>(summary->events)).c_str(), summary->seconds,
                 Grouped(static_cast<double>(summary->events) / summary->seconds).c_str(),
                 Grouped(static_cast<double>(summary->invoices)).c_str(),
                 Grouped(static_cast<double>(summary->open_invoices)).c_str(),
                 Grouped(static_cast<double>(summary->interactions)).c_str(),
                 flags.keep ? absl::StrCat(", kept in ", path).c_str() : "");
  }

  // 1. The raw baseline, and the same scan with the fold and snapshot serialization timed
  // apart (the rebuild's parts without the engine's paging).
  std::optional<ScanResult> raw_before, raw_fold;
  if (Wanted(flags, "scan")) {
    auto scanned = RawScan(path, false, 0);
    if (!scanned.ok()) return Fail(scanned.status(), "raw scan");
    raw_before = *scanned;
    std::fprintf(stderr, "raw scan: %s events in %.2f s, %s events/s\n",
                 Grouped(static_cast<double>(scanned->events)).c_str(), scanned->seconds,
                 Grouped(scanned->rate()).c_str());
    auto with_fold = RawScan(path, true, flags.snapshot_every);
    if (!with_fold.ok()) return Fail(with_fold.status(), "raw scan with fold");
    raw_fold = *with_fold;
    std::fprintf(
        stderr,
        "raw scan + fold: %.2f s (%s events/s) + %llu serializations in %.2f s; "
        "state %.1f MiB, restore %.2f s\n",
        with_fold->seconds, Grouped(with_fold->rate()).c_str(),
        static_cast<unsigned long long>(with_fold->serializations), with_fold->serialize_seconds,
        static_cast<double>(with_fold->state_bytes) / (1 << 20), with_fold->restore_seconds);
  }

  std::optional<double> rebuild_seconds;
  uint64_t rebuild_position = 0;
  size_t snapshots = 0;
  std::vector<Latency> latencies;
  std::optional<AgingFigures> live_figures;
  std::string consistency = "not checked";
  LogSpan span;
  {
    ledger::EventStoreOptions options;
    options.data_dir = path;
    auto store = ledger::EventStore::Open(options);
    if (!store.ok()) return Fail(store.status(), "open store");
    auto got_span = ReadSpan(**store);
    if (!got_span.ok()) return Fail(got_span.status(), "read the log's span");
    span = *got_span;
    projection::EngineOptions engine_options;
    engine_options.snapshot_every_events = flags.snapshot_every;
    engine_options.replay_snapshot_growth = flags.snapshot_growth;
    std::unique_ptr<projection::ViewStore> views;  // outlives the engine
    const auto start_engine = SteadyClock::now();
    absl::StatusOr<std::unique_ptr<projection::ProjectionEngine>> engine;
    if (flags.stored_views) {
      projection::ViewStoreOptions view_options;
      view_options.dir = path + ".views";
      auto opened = projection::ViewStore::Open(view_options, nullptr);
      if (!opened.ok()) return Fail(opened.status(), "open view store");
      views = *std::move(opened);
      engine = projection::ProjectionEngine::StartStored(
          store->get(), views.get(), receivables::MakeReceivablesRows(), engine_options);
    } else {
      engine = projection::ProjectionEngine::Start(
          store->get(), receivables::kReceivablesProjectionName,
          receivables::MakeReceivablesFoldFactory(), engine_options);
    }
    if (!engine.ok()) return Fail(engine.status(), "start engine");
    std::fprintf(stderr, "engine (%s) started in %.2f s\n",
                 flags.stored_views ? "stored view" : "whole fold", SecondsSince(start_engine));

    // 2. The rebuild: Rebuild() drops the saved state and snapshots and replays from zero
    // through ReadLog, writing a snapshot every snapshot_every events, then saves.
    if (Wanted(flags, "rebuild")) {
      auto last_print = SteadyClock::now();
      const auto start = SteadyClock::now();
      auto reached = (*engine)->Rebuild([&](uint64_t done, uint64_t target) {
        if (SecondsSince(last_print) < 2.0 && done != target) return;
        last_print = SteadyClock::now();
        std::fprintf(stderr, "\r  rebuild %s / %s, %s events/s   ",
                     Grouped(static_cast<double>(done)).c_str(),
                     Grouped(static_cast<double>(target)).c_str(),
                     Grouped(static_cast<double>(done) / SecondsSince(start)).c_str());
      });
      rebuild_seconds = SecondsSince(start);
      std::fprintf(stderr, "\n");
      if (!reached.ok()) return Fail(reached.status(), "rebuild");
      rebuild_position = *reached;
      snapshots = (*engine)->status().snapshots;
      std::fprintf(stderr, "rebuild: %s events in %.2f s, %s events/s, %zu snapshots\n",
                   Grouped(static_cast<double>(rebuild_position)).c_str(), *rebuild_seconds,
                   Grouped(static_cast<double>(rebuild_position) / *rebuild_seconds).c_str(),
                   snapshots);
    }

    std::mt19937_64 rng(flags.seed);
    const absl::CivilDay end_day = ledger::UtcDay(span.last_occurred);
    const absl::Time mid_recorded =
        span.first_recorded + (span.last_recorded - span.first_recorded) / 2;
    const absl::CivilDay mid_day =
        ledger::UtcDay(span.first_occurred + (span.last_occurred - span.first_occurred) / 2);
    // Spreads the as-of points over about +-2% of the span (some ten snapshots at the
    // default sizes), so the samples do not all restore the same snapshot.
    const absl::Duration jitter = (span.last_recorded - span.first_recorded) / 50;
    auto jittered_time = [&]() {
      const double f = std::uniform_real_distribution<double>(-1.0, 1.0)(rng);
      return mid_recorded + jitter * f;
    };
    auto jittered_day = [&]() {
      const int64_t days = absl::ToInt64Hours(jitter) / 24;
      return mid_day + std::uniform_int_distribution<int64_t>(-days, days)(rng);
    };
    // Runs `query` up to --queries times within the time budget (at least 3 samples).
    auto sample = [&](const std::string& name, int count,
                      const std::function<absl::Status()>& query) -> absl::Status {
      Latency latency{name, {}, ""};
      const auto start = SteadyClock::now();
      for (int i = 0; i < count; ++i) {
        if (i >= 3 && SecondsSince(start) > flags.max_seconds_per_kind) break;
        const auto t = SteadyClock::now();
        if (absl::Status s = query(); !s.ok()) return s;
        latency.ms.push_back(SecondsSince(t) * 1e3);
      }
      std::fprintf(stderr, "%s: %zu samples, p50 %.1f ms, p99 %.1f ms\n", name.c_str(),
                   latency.ms.size(), latency.Percentile(0.5), latency.Percentile(0.99));
      latencies.push_back(std::move(latency));
      return absl::OkStatus();
    };

    // 3. Aging from the live projection, as of the log's last business day.
    if (Wanted(flags, "aging")) {
      absl::Status s = sample("aging, live projection", flags.queries, [&]() -> absl::Status {
        auto figures = AgingRead(**engine, projection::AsOf{.business_day = end_day}, end_day);
        if (!figures.ok()) return figures.status();
        live_figures = *figures;
        return absl::OkStatus();
      });
      if (!s.ok()) return Fail(s, "live aging");
      latencies.back().note = live_figures->ToString();
    }

    // 4. As-of aging from snapshots: "as the ledger knew it" at a record time, and "as the
    // books stood" on a business day, both near the middle of the log.
    std::optional<std::pair<absl::Time, AgingFigures>> first_known_at;
    if (Wanted(flags, "asof")) {
      const std::string how = flags.stored_views ? "(stored view)" : "(snapshot + replay)";
      absl::Status s = sample(
          "aging, known_at = middle of the log " + how, flags.queries, [&]() -> absl::Status {
            const absl::Time t = jittered_time();
            const absl::CivilDay day = ledger::UtcDay(t);
            auto figures = AgingRead(**engine, projection::AsOf{.known_at = t}, day);
            if (!figures.ok()) return figures.status();
            if (!first_known_at) first_known_at.emplace(t, *figures);
            return absl::OkStatus();
          });
      if (!s.ok()) return Fail(s, "as-of known_at aging");
      latencies.back().note = absl::StrCat(
          "around ", absl::FormatTime("%Y-%m-%d %H:%M", mid_recorded, absl::UTCTimeZone()), " +-",
          absl::ToInt64Hours(jitter) / 24, " days");
      s = sample("aging, business_day = middle of the log " + how, flags.queries,
                 [&]() -> absl::Status {
                   const absl::CivilDay day = jittered_day();
                   return AgingRead(**engine, projection::AsOf{.business_day = day}, day).status();
                 });
      if (!s.ok()) return Fail(s, "as-of business_day aging");
      latencies.back().note = absl::StrCat("around ", absl::FormatCivilTime(mid_day), " +-",
                                           absl::ToInt64Hours(jitter) / 24, " days");
    }

    // The same as-of queries with no snapshot to start from: a projection name that has
    // none, its follower stopped at once so it does not replay the log in the background.
    if (Wanted(flags, "nosnap") && flags.no_snapshot_queries > 0) {
      const std::string name = "receivables-nosnap";
      if (absl::Status s = (*store)->DeleteProjection(name); !s.ok()) {
        return Fail(s, "drop nosnap");
      }
      projection::EngineOptions no_snapshots;
      no_snapshots.snapshot_every_events = UINT64_MAX;
      auto bare = projection::ProjectionEngine::Start(
          store->get(), name, receivables::MakeReceivablesFoldFactory(), no_snapshots);
      if (!bare.ok()) return Fail(bare.status(), "start nosnap engine");
      (*bare)->Stop();
      int index = 0;
      absl::Status s =
          sample("aging, known_at = middle, no snapshots (replay from zero)",
                 flags.no_snapshot_queries, [&]() -> absl::Status {
                   // The first sample repeats the first snapshot query, so the
                   // two paths can be checked against each other.
                   const absl::Time t =
                       index++ == 0 && first_known_at ? first_known_at->first : jittered_time();
                   const absl::CivilDay day = ledger::UtcDay(t);
                   auto figures = AgingRead(**bare, projection::AsOf{.known_at = t}, day);
                   if (!figures.ok()) return figures.status();
                   if (index == 1 && first_known_at) {
                     consistency = figures.value() == first_known_at->second
                                       ? "snapshot and full replay agree: "
                                       : "MISMATCH between snapshot and replay: ";
                     consistency += figures->ToString();
                   }
                   return absl::OkStatus();
                 });
      if (!s.ok()) return Fail(s, "nosnap known_at aging");
      s = sample("aging, business_day = middle, no snapshots (replay from zero)",
                 flags.no_snapshot_queries, [&]() -> absl::Status {
                   const absl::CivilDay day = jittered_day();
                   return AgingRead(**bare, projection::AsOf{.business_day = day}, day).status();
                 });
      if (!s.ok()) return Fail(s, "nosnap business_day aging");
      bare->reset();
      if (absl::Status d = (*store)->DeleteProjection(name); !d.ok()) {
        return Fail(d, "drop nosnap");
      }
    }
    engine->reset();
  }

  // The raw scan once more after the engine phases: the machine is shared, so the
  // baseline is taken on both sides and the faster one sets the ratio.
  std::optional<ScanResult> raw_after;
  if (Wanted(flags, "scan")) {
    auto scanned = RawScan(path, false, 0);
    if (!scanned.ok()) return Fail(scanned.status(), "raw scan");
    raw_after = *scanned;
    std::fprintf(stderr, "raw scan again: %s events/s\n", Grouped(scanned->rate()).c_str());
  }

  // ------------------------------------------------------------------ report (stdout)
  std::string out;
  absl::StrAppend(&out, "Command: `", command, "`\n\n");
  absl::StrAppend(&out, "Receivables kept as ",
                  flags.stored_views ? "a stored view (DIR.views)" : "a whole fold with snapshots",
                  ".\n\n");
  absl::StrAppendFormat(&out,
                        "Machine: nproc %u, load average at the end %s, peak RSS %.0f MiB. "
                        "Log: %s events, business time %s .. %s.\n",
                        std::thread::hardware_concurrency(), LoadAverage(), PeakRssMiB(),
                        Grouped(static_cast<double>(span.head)),
                        absl::FormatCivilTime(ledger::UtcDay(span.first_occurred)),
                        absl::FormatCivilTime(ledger::UtcDay(span.last_occurred)));
  if (generated) {
    absl::StrAppendFormat(&out,
                          "Generated in this run in %.0f s (%s events/s through "
                          "EventStore::Append, sync=false): %s invoices, %s left open, %s "
                          "interactions.\n",
                          generated->seconds,
                          Grouped(static_cast<double>(generated->events) / generated->seconds),
                          Grouped(static_cast<double>(generated->invoices)),
                          Grouped(static_cast<double>(generated->open_invoices)),
                          Grouped(static_cast<double>(generated->interactions)));
  }
  std::optional<double> raw_rate;
  if (raw_before) raw_rate = std::max(raw_before->rate(), raw_after ? raw_after->rate() : 0.0);
  absl::StrAppend(&out, "\n| pass over the log | events | seconds | events/s | ÷ raw scan |\n",
                  "|---|---:|---:|---:|---:|\n");
  auto row = [&](const std::string& name, uint64_t events, double seconds) {
    const double rate = static_cast<double>(events) / seconds;
    absl::StrAppendFormat(&out, "| %s | %s | %.2f | %s | %s |\n", name,
                          Grouped(static_cast<double>(events)), seconds, Grouped(rate),
                          raw_rate ? absl::StrFormat("%.2f", rate / *raw_rate) : "-");
  };
  if (raw_before)
    row("raw RocksDB scan, parse every event (before)", raw_before->events, raw_before->seconds);
  if (raw_after)
    row("raw RocksDB scan, parse every event (after)", raw_after->events, raw_after->seconds);
  if (raw_fold) {
    row("raw scan + ReceivablesFold::Apply (no snapshots)", raw_fold->events, raw_fold->seconds);
    absl::StrAppendFormat(
        &out, "| ... + Serialize() every %s events (%llu times, timed apart) | | %.2f | | |\n",
        Grouped(static_cast<double>(flags.snapshot_every)),
        static_cast<unsigned long long>(raw_fold->serializations), raw_fold->serialize_seconds);
  }
  if (rebuild_seconds) {
    row(absl::StrFormat("**ProjectionEngine::Rebuild** (pipelined scan, fold, %zu snapshots "
                        "every %s events growing by %u)",
                        snapshots, Grouped(static_cast<double>(flags.snapshot_every)).c_str(),
                        static_cast<unsigned>(flags.snapshot_growth)),
        rebuild_position, *rebuild_seconds);
  }
  if (raw_fold) {
    absl::StrAppendFormat(&out,
                          "\nFinal receivables state: %.1f MiB serialized; one Restore() of it "
                          "%.2f s.\n",
                          static_cast<double>(raw_fold->state_bytes) / (1 << 20),
                          raw_fold->restore_seconds);
  }
  absl::StrAppend(&out, "\n| query | samples | p50 ms | p99 ms | max ms | note |\n",
                  "|---|---:|---:|---:|---:|---|\n");
  for (const Latency& l : latencies) {
    absl::StrAppendFormat(&out, "| %s | %zu | %.1f | %.1f | %.1f | %s |\n", l.name, l.ms.size(),
                          l.Percentile(0.5), l.Percentile(0.99), l.Percentile(1.0), l.note);
  }
  absl::StrAppend(&out, "\nCheck: ", consistency, ".\n");
  bool failed = false;
  if (generated && live_figures) {
    const bool match = live_figures->invoice_lines == generated->open_invoices;
    failed = failed || !match;
    absl::StrAppendFormat(
        &out, "Check: live aging shows %s open invoices, the generator left %s: %s.\n",
        Grouped(static_cast<double>(live_figures->invoice_lines)),
        Grouped(static_cast<double>(generated->open_invoices)), match ? "agree" : "MISMATCH");
  }
  if (consistency.starts_with("MISMATCH")) failed = true;
  if (rebuild_seconds && raw_rate) {
    const double ratio = static_cast<double>(rebuild_position) / *rebuild_seconds / *raw_rate;
    absl::StrAppendFormat(&out, "\nTarget: rebuild ≥ %.1f × raw scan: %.2f **%s**\n", kTargetRatio,
                          ratio, ratio >= kTargetRatio ? "PASS" : "FAIL");
  }
  std::fputs(out.c_str(), stdout);
  // Exit status reports broken runs (a read failed, two paths disagree), not a missed
  // target: the figures depend on the machine.
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace sixhearts::bench

int main(int argc, char** argv) {
  // Logs go to stderr, so that stdout carries the results alone (--json stays parseable).
  spdlog::set_default_logger(spdlog::stderr_color_mt("bench"));
  return sixhearts::bench::Main(argc, argv);
}
