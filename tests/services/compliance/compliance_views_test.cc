// Property test of the compliance stored views against the oracle: random portfolios of
// contracts (signed, amended forward and back in time, some twice on one day, some
// unknown), invoices (billing a contract or none, with and without delivery and receipt
// days; duplicates), acceptances (some twice, some of unknown invoices), amendments of
// the delivery day, and money events and events of other streams the fold skips, a
// quarter of them recorded late (occurred up to 60 days before the day they are
// recorded), applied to the view store in random batches, and random cuts (business day,
// known-at position). For every cut the compliance state assembled from the rows in force
// (all of them, and client by client with AddClientFromCut) must equal a fresh
// ComplianceState fold of exactly the events of the cut, and the compliance report and
// disclosure built from it must render to the same bytes.
//
// The second test runs the same kind of portfolio through a real EventStore (each event
// appended on its own, the ones validation refuses left out) and the receivables and
// compliance engines over stored views, restarted half way, and reads random cuts
// (business day, known-at time) with ProjectionEngine::ReadTogether as the Compliance
// service does, and asks ReadComplianceReport and ReadDisclosure for every client or for
// listed ones (then only their compliance rows are read). The third and fourth: a restart
// serves from the view at once, and a compliance blob saved by an older ledgerd's
// whole-fold engine is rebuilt as rows. The fifth, over the real ledgerd: a report of a
// listed client with hand-computed figures before and after a late contract amendment.
//
// The seed is fixed (kSeed) so CI runs the same cases; SIXHEARTS_PROPERTY_SEED=<n> in the
// environment runs others, and a failure prints the seed, portfolio and cut.
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ledger/clock.h"
#include "ledger/dates.h"
#include "ledger/event_store.h"
#include "services/compliance/compliance_service.h"
#include "services/compliance/compliance_state.h"
#include "services/compliance/compliance_view.h"
#include "services/compliance/render.h"
#include "services/compliance/report.h"
#include "services/projection/view_store.h"
#include "services/receivables/receivables_fold.h"
#include "services/receivables/receivables_state.h"
#include "services/receivables/receivables_view.h"
#include "services/relationships/relationships_fold.h"
#include "services/relationships/relationships_state.h"
#include "services/server.h"
#include "sixhearts/ledger/v1/compliance.grpc.pb.h"
#include "sixhearts/ledger/v1/event_store.grpc.pb.h"
#include "tests/testing/test_events.h"

namespace sixhearts::services::compliance {
namespace {

using receivables::ReceivablesState;
using relationships::RelationshipsState;
using ::sixhearts::testing::D;
using ::sixhearts::testing::Envelope;
using ::sixhearts::testing::Money;
using ::sixhearts::testing::TempDir;
using ::sixhearts::testing::Uuid;

constexpr uint64_t kSeed = 20261208;
constexpr int kPortfolios = 10;
constexpr int kEventsPerPortfolio = 240;
constexpr int kCutsPerPortfolio = 30;
const absl::CivilDay kFirstDay(2026, 1, 1);
constexpr int kDays = 200;
const std::vector<std::string> kClients = {"c1", "c2", "c3"};

uint64_t Seed() {
  const char* env = std::getenv("SIXHEARTS_PROPERTY_SEED");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : kSeed;
}

// Generates one portfolio's events in log order.
class Portfolio {
 public:
  explicit Portfolio(uint64_t seed) : rng_(seed) {}

  std::vector<v1::Event> Generate() {
    // c1 a CN public institution (CN rules), c2 a US federal agency (US rules), c3 a CN
    // government organ (CN rules).
    for (const std::string& client : kClients) {
      v1::Event& e = Next(client, kFirstDay + Uniform(0, 20));
      v1::ClientRegistered* r = e.mutable_client_registered();
      r->set_client_id(client);
      r->set_name(absl::StrCat("Client ", client));
      r->set_jurisdiction(client == "c2" ? v1::JURISDICTION_US : v1::JURISDICTION_CN);
      r->set_client_kind(client == "c3" ? v1::CLIENT_KIND_GOVERNMENT_ORGAN
                                        : v1::CLIENT_KIND_PUBLIC_INSTITUTION);
      r->set_seller_is_sme(true);
      r->set_region("CN-31");
    }
    int today = 0;
    while (events_.size() < static_cast<size_t>(kEventsPerPortfolio)) {
      if (Chance(0.5) && today < kDays - 1) ++today;
      // A late event: recorded now, occurred up to 60 days ago.
      const int day = Chance(0.25) ? std::max(0, today - Uniform(1, 60)) : today;
      AddOne(kFirstDay + day);
    }
    return std::move(events_);
  }

 private:
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  std::string Pick(const std::vector<std::string>& ids) {
    return ids.empty() ? "none" : ids[Uniform(0, static_cast<int>(ids.size()) - 1)];
  }
  static v1::Date Date(absl::CivilDay day) { return ledger::FromCivilDay(day); }

  v1::Event& Next(const std::string& client, absl::CivilDay day) {
    v1::Event& e = events_.emplace_back();
    e.set_position(events_.size());
    e.set_stream(absl::StrCat("client-", client));
    e.set_actor("alice");
    e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(ledger::EndOfUtcDay(day)) -
                                         Uniform(1, 86'399));
    return e;
  }

  void AddOne(absl::CivilDay day) {
    const std::string client = Pick(kClients);
    std::vector<std::string>& invoices = invoices_[client];
    std::vector<std::string>& contracts = contracts_[client];
    const int kind = Uniform(0, 99);
    if (kind < 12) {
      v1::ContractSigned* c = Next(client, day).mutable_contract_signed();
      // Now and then a duplicate id, which the fold ignores.
      if (contracts.empty() || Chance(0.9)) contracts.push_back(absl::StrCat("K-", ++ids_));
      c->set_contract_id(contracts.back());
      c->mutable_amount()->set_amount_minor(100 * Uniform(10, 1000));
      c->mutable_amount()->set_currency("CNY");
      *c->mutable_signed_on() = Date(day - Uniform(0, 90));
      c->set_payment_terms_days(Chance(0.3) ? 0 : Uniform(10, 90));
      c->set_acceptance_required(Chance(0.4));
      if (Chance(0.5)) c->set_acceptance_period_days(Uniform(5, 30));
      if (Chance(0.5)) c->set_late_interest_rate_bps(Uniform(100, 3000));
    } else if (kind < 24) {
      v1::ContractAmended* a = Next(client, day).mutable_contract_amended();
      a->set_contract_id(Chance(0.1) ? "K-unknown" : Pick(contracts));
      a->set_reason("renegotiated");
      // Forward, back in time (taken as of the last version's day), or the same day.
      *a->mutable_amended_on() = Date(day + Uniform(-40, 20));
      if (Chance(0.6)) a->set_payment_terms_days(Uniform(10, 90));
      if (Chance(0.4)) a->set_acceptance_period_days(Uniform(5, 30));
      if (Chance(0.4)) a->set_late_interest_rate_bps(Uniform(100, 3000));
    } else if (kind < 55 || invoices.empty()) {
      v1::InvoiceIssued* i = Next(client, day).mutable_invoice_issued();
      if (invoices.empty() || Chance(0.95)) invoices.push_back(absl::StrCat("INV-", ++ids_));
      i->set_invoice_id(invoices.back());
      if (Chance(0.7)) i->set_contract_id(Pick(contracts));
      i->mutable_amount()->set_amount_minor(100 * Uniform(1, 100));
      i->mutable_amount()->set_currency("CNY");
      const absl::CivilDay issued = day - Uniform(0, 5);
      *i->mutable_issue_date() = Date(issued);
      *i->mutable_due_date() = Date(issued + Uniform(0, 45));
      if (Chance(0.7)) *i->mutable_delivery_date() = Date(issued - Uniform(0, 10));
      if (Chance(0.5)) *i->mutable_received_date() = Date(issued + Uniform(0, 5));
    } else if (kind < 67) {
      v1::InvoiceAccepted* a = Next(client, day).mutable_invoice_accepted();
      a->set_invoice_id(Chance(0.05) ? "INV-unknown" : Pick(invoices));
      *a->mutable_acceptance_date() = Date(day - Uniform(0, 10));
    } else if (kind < 75) {
      v1::InvoiceAmended* a = Next(client, day).mutable_invoice_amended();
      a->set_invoice_id(Pick(invoices));
      a->set_reason("corrected");
      *a->mutable_amended_on() = Date(day);
      if (Chance(0.7)) *a->mutable_delivery_date() = Date(day - Uniform(0, 30));
    } else if (kind < 88) {
      v1::PaymentReceived* p = Next(client, day).mutable_payment_received();
      p->set_payment_id(absl::StrCat("PAY-", ++ids_));
      p->mutable_amount()->set_amount_minor(100 * Uniform(1, 80));
      p->mutable_amount()->set_currency("CNY");
      *p->mutable_value_date() = Date(day - (Chance(0.4) ? Uniform(1, 40) : 0));
      v1::Allocation* a = p->add_allocations();
      a->set_invoice_id(Pick(invoices));
      a->set_amount_minor(100 * Uniform(1, 50));
    } else if (kind < 94) {
      v1::DisputeOpened* d = Next(client, day).mutable_dispute_opened();
      d->set_dispute_id(absl::StrCat("D-", ++ids_));
      d->set_invoice_id(Pick(invoices));
      d->set_amount_minor(100 * Uniform(1, 20));
      d->set_reason("short delivery");
      *d->mutable_opened_on() = Date(day - Uniform(0, 10));
    } else {
      v1::InteractionLogged* i = Next(client, day).mutable_interaction_logged();
      i->set_interaction_id(absl::StrCat("IX-", ++ids_));
      i->set_kind(v1::INTERACTION_KIND_CALL);
      i->set_summary("talked");
    }
  }

  std::mt19937_64 rng_;
  std::vector<v1::Event> events_;
  uint64_t ids_ = 0;
  std::map<std::string, std::vector<std::string>> invoices_, contracts_;
};

bool InCut(const v1::Event& event, absl::CivilDay day, uint64_t position) {
  return event.position() <= position &&
         absl::FromUnixSeconds(event.occurred_at().seconds()) < ledger::EndOfUtcDay(day);
}

// The compliance report (JSON) and the disclosure of the cut's year (JSON), figure by
// figure, from the three states.
std::string Figures(const ReceivablesState& money, const ComplianceState& facts,
                    const RelationshipsState& relationships, absl::CivilDay day) {
  LogDigest digest;
  digest.position = 7;
  digest.head_hash_hex = std::string(64, '0');
  ReportRequest request;
  request.as_of = day;
  request.known_at = absl::FromUnixSeconds(1'800'000'000);
  const StatutoryOptions options;
  absl::StatusOr<ComplianceReport> report =
      BuildComplianceReport(money, facts, relationships, request, digest, options);
  if (!report.ok()) return report.status().ToString();
  DisclosureRequest disclosure_request;
  disclosure_request.year = day.year();
  disclosure_request.known_at = request.known_at;
  absl::StatusOr<DisclosureReport> disclosure =
      BuildDisclosure(money, facts, disclosure_request, digest, options);
  if (!disclosure.ok()) return disclosure.status().ToString();
  return absl::StrCat(RenderComplianceReport(*report, ReportFormat::kJson), "\n",
                      RenderDisclosure(*disclosure, ReportFormat::kJson));
}

size_t InvoicesOf(const ComplianceState& state) {
  size_t n = 0;
  for (const auto& [id, client] : state.clients()) n += client.invoices.size();
  return n;
}

TEST(ComplianceViewsTest, EveryCutOfTheStoredViewsEqualsAFreshFoldOfItsEvents) {
  const uint64_t seed = Seed();
  std::mt19937_64 rng(seed);
  const auto rows = MakeComplianceRows();
  int cuts = 0;
  int with_amended_terms = 0;  // cuts where some contract has more than one term version
  int with_invoices = 0;
  int facts_matter = 0;  // cuts whose report changes without the compliance facts
  for (int portfolio = 0; portfolio < kPortfolios; ++portfolio) {
    TempDir dir;
    projection::ViewStoreOptions options;
    options.dir = dir.sub("views");
    auto views = projection::ViewStore::Open(options, nullptr);
    ASSERT_TRUE(views.ok()) << views.status();
    const std::vector<v1::Event> events = Portfolio(rng()).Generate();
    // Some portfolios with a cache too small to hold anything: every read goes to RocksDB.
    projection::ViewWriter writer(views->get(), rows.get(), 1, portfolio % 3 == 0 ? 64 : 1 << 20);
    for (const v1::Event& event : events) {
      ASSERT_TRUE(writer.Apply(event).ok()) << event.position();
      if (std::bernoulli_distribution(0.2)(rng)) {
        ASSERT_TRUE(writer.Commit(event.position(), std::string(32, 'h')).ok());
      }
    }
    ASSERT_TRUE(writer.Commit(events.size(), std::string(32, 'h')).ok());

    for (int c = 0; c < kCutsPerPortfolio; ++c) {
      // Days from before the first event to past the last; positions from 0 to the end.
      const absl::CivilDay day =
          kFirstDay + std::uniform_int_distribution<int>(-3, kDays + 30)(rng);
      const uint64_t position =
          c == 0 ? 0 : std::uniform_int_distribution<uint64_t>(0, events.size())(rng);
      ComplianceFold stored;
      auto at = (*views)->ReadCut(*rows, day, position, stored);
      ASSERT_TRUE(at.ok()) << at.status();
      ASSERT_EQ(*at, position);
      ComplianceState oracle;
      ReceivablesState money;
      RelationshipsState relationships;
      for (const v1::Event& event : events) {
        if (!InCut(event, day, position)) continue;
        oracle.Apply(event);
        money.Apply(event);
        relationships.Apply(event);
      }
      const std::string where = absl::StrCat("seed ", seed, ", portfolio ", portfolio, ", cut (",
                                             ledger::FormatDay(day), ", ", position, ")");
      ASSERT_TRUE(stored.state().clients() == oracle.clients()) << where;
      // Client by client, as a report that lists clients reads them.
      auto cut = (*views)->OpenCut(*rows, position);
      ASSERT_TRUE(cut.ok()) << cut.status();
      ComplianceState by_client;
      for (const char* client : {"c1", "c2", "c3", "c9"}) {
        ASSERT_TRUE(AddClientFromCut(**cut, day, client, by_client).ok()) << where;
      }
      ASSERT_TRUE(by_client.clients() == oracle.clients()) << where;
      const std::string figures = Figures(money, oracle, relationships, day);
      ASSERT_EQ(Figures(money, stored.state(), relationships, day), figures) << where;
      if (Figures(money, ComplianceState(), relationships, day) != figures) ++facts_matter;
      bool amended = false;
      for (const auto& [id, client] : oracle.clients()) {
        for (const auto& [cid, contract] : client.contracts) {
          amended = amended || contract.versions.size() > 1;
        }
      }
      if (amended) ++with_amended_terms;
      if (InvoicesOf(oracle) > 0) ++with_invoices;
      ++cuts;
    }
  }
  EXPECT_EQ(cuts, kPortfolios * kCutsPerPortfolio);
  // The cuts are not all empty: most have invoices, many have amended terms, and in most
  // the compliance facts change the report's figures.
  EXPECT_GT(with_invoices, cuts / 2);
  EXPECT_GT(with_amended_terms, cuts / 4);
  EXPECT_GT(facts_matter, cuts / 2);
  std::cout << cuts << " cuts: " << with_invoices << " with invoices, " << with_amended_terms
            << " with amended terms, " << facts_matter << " whose figures need the facts\n";
}

// The receivables and compliance engines over stored views on a real log: appended event
// by event (the record clock one second apart).
class StoredEngines {
 public:
  explicit StoredEngines(const TempDir& dir) : dir_(dir) {}

  void Open(bool compliance_stored = true) {
    ledger::EventStoreOptions options;
    options.data_dir = dir_.sub("ledger");
    options.clock = &clock_;
    options.sync = false;
    auto store = ledger::EventStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    projection::ViewStoreOptions view_options;
    view_options.dir = dir_.sub(views_dir_);
    auto views = projection::ViewStore::Open(view_options, nullptr);
    ASSERT_TRUE(views.ok()) << views.status();
    views_ = *std::move(views);
    projection::EngineOptions engine_options;
    engine_options.view_cache_bytes = 4096;  // small: most versions are read back from RocksDB
    auto compliance =
        compliance_stored
            ? projection::ProjectionEngine::StartStored(store_.get(), views_.get(),
                                                        MakeComplianceRows(), engine_options)
            // The whole-fold engine an older ledgerd ran.
            : projection::ProjectionEngine::Start(store_.get(), kComplianceProjectionName,
                                                  MakeComplianceFoldFactory(), engine_options);
    ASSERT_TRUE(compliance.ok()) << compliance.status();
    compliance_ = *std::move(compliance);
    auto money = projection::ProjectionEngine::StartStored(
        store_.get(), views_.get(), receivables::MakeReceivablesRows(), engine_options);
    ASSERT_TRUE(money.ok()) << money.status();
    receivables_ = *std::move(money);
    auto relationships = projection::ProjectionEngine::Start(
        store_.get(), relationships::kRelationshipsProjectionName,
        relationships::MakeRelationshipsFoldFactory(), engine_options);
    ASSERT_TRUE(relationships.ok()) << relationships.status();
    relationships_ = *std::move(relationships);
  }

  void Close() {
    relationships_.reset();
    compliance_.reset();
    receivables_.reset();
    views_.reset();
    store_.reset();
  }

  // Later opens use another view store directory (as after an upgrade: no view yet).
  void UseViews(std::string name) { views_dir_ = std::move(name); }

  // Appends `event` alone; false when validation refuses it.
  bool Append(v1::Event event) {
    clock_.Advance(absl::Seconds(1));
    event.set_event_id(Uuid(++appended_));
    event.clear_position();
    event.clear_actor();
    v1::AppendRequest request;
    *request.add_events() = std::move(event);
    return store_->Append(request, "property-test").ok();
  }

  // Appends every event of `events` (the refused ones left out); returns how many passed.
  size_t AppendAll(const std::vector<v1::Event>& events) {
    size_t accepted = 0;
    for (const v1::Event& event : events) {
      if (Append(event)) ++accepted;
    }
    return accepted;
  }

  bool CaughtUp() {
    const uint64_t head = store_->head().position;
    return compliance_->WaitFor(head, absl::Seconds(10)) &&
           receivables_->WaitFor(head, absl::Seconds(10)) &&
           relationships_->WaitFor(head, absl::Seconds(10));
  }

  std::vector<v1::Event> Log() {
    std::vector<v1::Event> log;
    EXPECT_TRUE(store_
                    ->ForEachEvent(1, store_->head().position, v1::EventFilter(),
                                   [&](const v1::Event& e) {
                                     log.push_back(e);
                                     return absl::OkStatus();
                                   })
                    .ok());
    return log;
  }

  // The compliance state of `as_of` read as the Compliance service reads it.
  absl::StatusOr<std::pair<ComplianceState, uint64_t>> Read(const projection::AsOf& as_of,
                                                            std::string* figures) {
    std::pair<ComplianceState, uint64_t> out;
    absl::Status read = projection::ProjectionEngine::ReadTogether(
        {receivables_.get(), compliance_.get()}, as_of,
        [&](const std::vector<const projection::Fold*>& folds, uint64_t at) {
          const ReceivablesState& money =
              static_cast<const receivables::ReceivablesFold&>(*folds[0]).state();
          out.first = static_cast<const ComplianceFold&>(*folds[1]).state();
          out.second = at;
          if (figures != nullptr) {
            *figures = Figures(money, out.first, RelationshipsState(),
                               as_of.business_day.value_or(absl::CivilDay(2030, 1, 1)));
          }
          return absl::OkStatus();
        });
    if (!read.ok()) return read;
    return out;
  }

  // The sources the Compliance service reads.
  ComplianceSources sources() {
    return {store_.get(), receivables_.get(), compliance_.get(), relationships_.get(), nullptr};
  }

  ledger::EventStore& store() { return *store_; }
  projection::ViewStore& views() { return *views_; }
  projection::ProjectionEngine& compliance() { return *compliance_; }

  static absl::Time Start() {
    return absl::FromCivil(absl::CivilDay(2026, 9, 1), absl::UTCTimeZone());
  }

 private:
  const TempDir& dir_;
  std::string views_dir_ = "views";
  ledger::ManualClock clock_{Start()};
  uint64_t appended_ = 0;
  std::unique_ptr<ledger::EventStore> store_;
  std::unique_ptr<projection::ViewStore> views_;
  std::unique_ptr<projection::ProjectionEngine> compliance_;
  std::unique_ptr<projection::ProjectionEngine> receivables_;
  std::unique_ptr<projection::ProjectionEngine> relationships_;
};

// The oracle of a cut of `log`: a fresh fold of the events that occurred before the end of
// `day` at or before `position`.
struct Oracle {
  ComplianceState facts;
  ReceivablesState money;
  RelationshipsState relationships;
  bool left_out_late = false;  // an event of a day the cut includes, known only after it
};

Oracle OracleOf(const std::vector<v1::Event>& log, absl::CivilDay day, uint64_t position) {
  Oracle o;
  for (const v1::Event& event : log) {
    if (absl::FromUnixSeconds(event.occurred_at().seconds()) >= ledger::EndOfUtcDay(day)) continue;
    if (event.position() > position) {
      o.left_out_late = true;
      continue;
    }
    o.facts.Apply(event);
    o.money.Apply(event);
    o.relationships.Apply(event);
  }
  return o;
}

// The personal text the report refers to, opened as the service opens it.
void OpenTexts(const ledger::EventStore& store, ComplianceReport& report) {
  for (ClientHealth& client : report.clients) client.name = *store.OpenViewText(client.name);
  for (auto* list : {&report.disputes.open, &report.disputes.resolved}) {
    for (receivables::DisputeLine& line : *list) line.reason = *store.OpenViewText(line.reason);
  }
}

void OpenTexts(const ledger::EventStore& store, DisclosureReport& report) {
  for (DisclosureRow& row : report.rows) row.name = *store.OpenViewText(row.name);
}

TEST(ComplianceViewsTest, TheEnginesOverStoredViewsAnswerEveryCutAsAFreshReplayOfTheLog) {
  constexpr int kEnginePortfolios = 3;
  const uint64_t seed = Seed() + 1;
  std::mt19937_64 rng(seed);
  int cuts = 0;
  int late_cuts = 0;
  int listed_reports = 0;  // reports of listed clients, read from their compliance rows
  for (int portfolio = 0; portfolio < kEnginePortfolios; ++portfolio) {
    TempDir dir;
    StoredEngines engines(dir);
    ASSERT_NO_FATAL_FAILURE(engines.Open());
    const std::vector<v1::Event> events = Portfolio(rng()).Generate();
    const size_t half = events.size() / 2;
    size_t accepted = engines.AppendAll({events.begin(), events.begin() + half});
    // A restart half way: the views are where they were, nothing is rebuilt.
    ASSERT_TRUE(engines.CaughtUp());
    engines.Close();
    ASSERT_NO_FATAL_FAILURE(engines.Open());
    ASSERT_EQ(engines.compliance().status().position, engines.store().head().position);
    accepted += engines.AppendAll({events.begin() + half, events.end()});
    // Most events pass validation; refused ones (unknown ids, overpaid invoices) are left out.
    ASSERT_GT(accepted, events.size() / 2) << "seed " << seed << ", portfolio " << portfolio;
    const uint64_t head = engines.store().head().position;
    ASSERT_EQ(head, accepted);
    ASSERT_TRUE(engines.CaughtUp());
    const std::vector<v1::Event> log = engines.Log();
    ASSERT_EQ(log.size(), head);

    for (int c = 0; c < kCutsPerPortfolio; ++c) {
      const absl::CivilDay day =
          kFirstDay + std::uniform_int_distribution<int>(-3, kDays + 30)(rng);
      projection::AsOf as_of;
      as_of.business_day = day;
      if (c % 5 != 0) {
        as_of.known_at =
            StoredEngines::Start() + absl::Milliseconds(std::uniform_int_distribution<int64_t>(
                                         0, static_cast<int64_t>(events.size() + 2) * 1000)(rng));
      }
      uint64_t position = head;
      if (as_of.known_at) {
        auto known = engines.store().PositionKnownAt(*as_of.known_at);
        ASSERT_TRUE(known.ok()) << known.status();
        position = *known;
      }
      const Oracle oracle = OracleOf(log, day, position);
      if (oracle.left_out_late && position > 0) ++late_cuts;
      const std::string where = absl::StrCat("seed ", seed, ", portfolio ", portfolio, ", cut (",
                                             ledger::FormatDay(day), ", position ", position, ")");
      std::string figures;
      auto read = engines.Read(as_of, &figures);
      ASSERT_TRUE(read.ok()) << read.status() << " " << where;
      EXPECT_EQ(read->second, position) << where;
      ASSERT_TRUE(read->first.clients() == oracle.facts.clients()) << where;
      ASSERT_EQ(figures, Figures(oracle.money, oracle.facts, RelationshipsState(), day)) << where;
      if (as_of.known_at) {
        // The Compliance service's report and disclosure, of all clients or of listed ones
        // (then only their compliance rows are read), against the oracle's.
        static const std::vector<std::vector<std::string>> kScopes = {
            {}, {"c1"}, {"c3", "c2"}, {"c9", "c1"}};
        const std::vector<std::string>& scope = kScopes[c % kScopes.size()];
        auto digest = DigestAt(engines.store(), position);
        ASSERT_TRUE(digest.ok()) << digest.status();
        const StatutoryOptions options;
        ReportRequest request;
        request.as_of = day;
        request.known_at = *as_of.known_at;
        request.client_ids = scope;
        auto report = ReadComplianceReport(engines.sources(), request, options, nullptr);
        ASSERT_TRUE(report.ok()) << report.status() << " " << where;
        auto expected = BuildComplianceReport(oracle.money, oracle.facts, oracle.relationships,
                                              request, *digest, options);
        ASSERT_TRUE(expected.ok()) << expected.status();
        OpenTexts(engines.store(), *expected);
        ASSERT_EQ(RenderComplianceReport(*report, ReportFormat::kJson),
                  RenderComplianceReport(*expected, ReportFormat::kJson))
            << where << " clients " << scope.size();
        DisclosureRequest disclosure_request;
        disclosure_request.year = day.year();
        disclosure_request.known_at = *as_of.known_at;
        disclosure_request.client_ids = scope;
        auto disclosure = ReadDisclosure(engines.sources(), disclosure_request, options, nullptr);
        ASSERT_TRUE(disclosure.ok()) << disclosure.status() << " " << where;
        // The disclosure reads the books as of 31 December of the cut's year.
        const Oracle year_end = OracleOf(log, absl::CivilDay(day.year(), 12, 31), position);
        auto disclosure_digest = DigestAt(engines.store(), position);
        ASSERT_TRUE(disclosure_digest.ok());
        auto expected_disclosure = BuildDisclosure(year_end.money, year_end.facts,
                                                   disclosure_request, *disclosure_digest, options);
        ASSERT_TRUE(expected_disclosure.ok()) << expected_disclosure.status();
        OpenTexts(engines.store(), *expected_disclosure);
        ASSERT_EQ(RenderDisclosure(*disclosure, ReportFormat::kJson),
                  RenderDisclosure(*expected_disclosure, ReportFormat::kJson))
            << where << " clients " << scope.size();
        if (!scope.empty()) ++listed_reports;
      }
      ++cuts;
    }
  }
  EXPECT_EQ(cuts, kEnginePortfolios * kCutsPerPortfolio);
  EXPECT_GT(late_cuts, cuts / 4);
  EXPECT_GT(listed_reports, cuts / 3);
}

TEST(ComplianceViewsTest, ARestartServesAtOnceFromTheStoredView) {
  TempDir dir;
  StoredEngines engines(dir);
  ASSERT_NO_FATAL_FAILURE(engines.Open());
  const uint64_t accepted = engines.AppendAll(Portfolio(Seed() + 2).Generate());
  ASSERT_TRUE(engines.CaughtUp());
  const auto rows = engines.views().CountRows(kComplianceProjectionName);
  ASSERT_TRUE(rows.ok()) << rows.status();
  // At least one row per client entry (3) and more for its contracts and invoices.
  EXPECT_GT(*rows, 3u);
  auto before = engines.Read({}, nullptr);
  ASSERT_TRUE(before.ok()) << before.status();
  engines.Close();
  ASSERT_NO_FATAL_FAILURE(engines.Open());
  // At the head as it starts, from the view's checkpoint: nothing rebuilt, nothing
  // replayed, the same rows; and no whole-fold blob.
  EXPECT_EQ(engines.compliance().status().position, accepted);
  EXPECT_EQ(engines.compliance().status().snapshots, 0u);
  EXPECT_EQ(*engines.views().CountRows(kComplianceProjectionName), *rows);
  auto blob = engines.store().LoadProjection(kComplianceProjectionName);
  ASSERT_TRUE(blob.ok());
  EXPECT_FALSE(blob->has_value());
  auto after = engines.Read({}, nullptr);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->second, accepted);
  EXPECT_TRUE(after->first.clients() == before->first.clients());
}

TEST(ComplianceViewsTest, AWholeFoldSavedByAnOlderLedgerdIsRebuiltAsAStoredView) {
  TempDir dir;
  StoredEngines engines(dir);
  // The whole-fold engine an older ledgerd ran: its state saved as one blob at stop.
  ASSERT_NO_FATAL_FAILURE(engines.Open(/*compliance_stored=*/false));
  const uint64_t accepted = engines.AppendAll(Portfolio(Seed() + 3).Generate());
  ASSERT_TRUE(engines.CaughtUp());
  engines.Close();
  ASSERT_NO_FATAL_FAILURE(engines.Open(/*compliance_stored=*/false));
  auto blob = engines.store().LoadProjection(kComplianceProjectionName);
  ASSERT_TRUE(blob.ok() && blob->has_value());
  EXPECT_EQ((*blob)->position, accepted);
  auto old = engines.Read({}, nullptr);
  ASSERT_TRUE(old.ok()) << old.status();
  engines.Close();
  // A view store without this projection's view (as after the upgrade).
  engines.UseViews("views-upgraded");
  ASSERT_NO_FATAL_FAILURE(engines.Open());
  EXPECT_EQ(engines.compliance().status().position, accepted);
  EXPECT_GT(*engines.views().CountRows(kComplianceProjectionName), 3u);
  // Built from the log, then the blob dropped so that it is never read.
  blob = engines.store().LoadProjection(kComplianceProjectionName);
  ASSERT_TRUE(blob.ok());
  EXPECT_FALSE(blob->has_value());
  auto stored = engines.Read({}, nullptr);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->second, accepted);
  EXPECT_TRUE(stored->first.clients() == old->first.clients());
  // And it equals a fresh fold of the whole log.
  const Oracle oracle = OracleOf(engines.Log(), absl::CivilDay(2030, 1, 1), accepted);
  EXPECT_TRUE(stored->first.clients() == oracle.facts.clients());
}

// Over the real ledgerd (LedgerServer on a loopback port, gRPC): a report that lists a
// client reads that client's compliance rows in force at its cut, before and after a
// contract amendment recorded late. By hand, as of 2026-08-30 (CN Art 9, a CN organ, the
// SME seller; no agreed rate, so 0.05% a day):
// - bureau: I1 CNY 100,000.00 delivered 07-01 on K45 (45-day term): due 08-15, 15 days
//   overdue, interest 10,000,000 x 0.05% x 15 = 75,000. Known after the amendment recorded
//   09-10 (from 06-15: a 20-day term): due 07-21, 40 days overdue, interest 200,000.
// - agency: A1 CNY 100,000.00 delivered 07-01, no contract: due 07-31, 30 days overdue,
//   interest 150,000; not in a report that lists bureau only.
TEST(ComplianceViewsServerTest, AReportOfListedClientsReadsTheirRowsInForceAtTheCut) {
  const auto utc = [](int m, int d, int h) {
    return absl::FromCivil(absl::CivilSecond(2026, m, d, h, 0, 0), absl::UTCTimeZone());
  };
  TempDir dir;
  ledger::ManualClock clock(utc(9, 1, 10));
  services::ServerOptions options;
  options.data_dir = dir.sub("ledger");
  options.listen = "127.0.0.1:0";
  options.store.clock = &clock;
  auto server = services::LedgerServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials());
  auto events = v1::EventStore::NewStub(channel);
  auto compliance = v1::Compliance::NewStub(channel);
  const auto append = [&](std::vector<v1::Event> batch) {
    v1::AppendRequest request;
    for (v1::Event& e : batch) *request.add_events() = std::move(e);
    grpc::ClientContext context;
    v1::AppendResponse response;
    const grpc::Status status = events->Append(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  };
  const auto invoice = [](uint64_t id, const std::string& client, const std::string& invoice_id,
                          const std::string& contract) {
    v1::Event e = Envelope(id, client, D(2026, 7, 1));
    auto* p = e.mutable_invoice_issued();
    p->set_invoice_id(invoice_id);
    p->set_contract_id(contract);
    *p->mutable_amount() = Money(10'000'000);
    *p->mutable_issue_date() = D(2026, 7, 1);
    *p->mutable_due_date() = D(2026, 7, 31);
    *p->mutable_delivery_date() = D(2026, 7, 1);
    return e;
  };
  v1::Event contract = Envelope(3, "bureau", D(2026, 6, 1));
  contract.mutable_contract_signed()->set_contract_id("K45");
  *contract.mutable_contract_signed()->mutable_amount() = Money(50'000'000);
  *contract.mutable_contract_signed()->mutable_signed_on() = D(2026, 6, 1);
  contract.mutable_contract_signed()->set_payment_terms_days(45);
  ASSERT_NO_FATAL_FAILURE(
      append({::sixhearts::testing::ClientRegistered(1, "bureau"),
              ::sixhearts::testing::ClientRegistered(2, "agency"), contract,
              invoice(4, "bureau", "I1", "K45"), invoice(5, "agency", "A1", "")}));
  clock.Set(utc(9, 10, 10));
  v1::Event amended = Envelope(6, "bureau", D(2026, 6, 15));
  amended.mutable_contract_amended()->set_contract_id("K45");
  amended.mutable_contract_amended()->set_payment_terms_days(20);
  amended.mutable_contract_amended()->set_reason("renegotiated");
  *amended.mutable_contract_amended()->mutable_amended_on() = D(2026, 6, 15);
  ASSERT_NO_FATAL_FAILURE(append({amended}));
  clock.Set(utc(9, 10, 12));

  const auto report = [&](absl::Time known_at, std::vector<std::string> clients) {
    v1::ComplianceReportRequest request;
    *request.mutable_as_of() = D(2026, 8, 30);
    request.mutable_known_at()->set_seconds(absl::ToUnixSeconds(known_at));
    request.set_format(v1::COMPLIANCE_REPORT_FORMAT_JSON);
    for (const std::string& c : clients) request.add_client_ids(c);
    grpc::ClientContext context;
    auto reader = compliance->Report(&context, request);
    v1::ComplianceReportResponse r;
    std::string content;
    uint64_t position = 0;
    while (reader->Read(&r)) {
      if (r.has_header()) position = r.header().position();
      content += r.content();
    }
    const grpc::Status status = reader->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
    return std::make_pair(position, content);
  };
  const auto has = [](const std::string& content, const std::string& what) {
    return content.find(what) != std::string::npos;
  };
  // Known at 09-01 12:00: the first five events, the 45-day term.
  const auto early = report(utc(9, 1, 12), {"bureau"});
  EXPECT_EQ(early.first, 5u);
  EXPECT_TRUE(has(early.second, "\"invoice_id\":\"I1\"")) << early.second.substr(0, 600);
  EXPECT_TRUE(has(early.second, "\"statutory_due_date\":\"2026-08-15\""));
  EXPECT_TRUE(has(early.second, "\"days_overdue\":15,"));
  EXPECT_TRUE(has(early.second, "\"interest_minor\":75000,"));
  EXPECT_FALSE(has(early.second, "\"invoice_id\":\"A1\""));
  EXPECT_FALSE(has(early.second, "\"client_id\":\"agency\""));
  // Known at 09-10 12:00: the amendment's 20-day term from 06-15.
  const auto late = report(utc(9, 10, 12), {"bureau"});
  EXPECT_EQ(late.first, 6u);
  EXPECT_TRUE(has(late.second, "\"statutory_due_date\":\"2026-07-21\""));
  EXPECT_TRUE(has(late.second, "\"days_overdue\":40,"));
  EXPECT_TRUE(has(late.second, "\"interest_minor\":200000,"));
  EXPECT_FALSE(has(late.second, "\"invoice_id\":\"A1\""));
  // What was known at 09-01 is still answered as it was.
  EXPECT_EQ(report(utc(9, 1, 12), {"bureau"}).second, early.second);
  // The whole book at 09-10 (read from the whole view): both clients.
  const auto all = report(utc(9, 10, 12), {});
  EXPECT_TRUE(has(all.second, "\"statutory_due_date\":\"2026-07-21\""));
  EXPECT_TRUE(has(all.second, "\"invoice_id\":\"A1\""));
  EXPECT_TRUE(has(all.second, "\"interest_minor\":150000,"));
  (*server)->Shutdown();
}

}  // namespace
}  // namespace sixhearts::services::compliance
