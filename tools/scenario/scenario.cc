// The demo scenario generator: one simulated agenda per client, run month by month, whose
// actions emit ledger events that are merged across clients in occurred_at order.
#include "tools/scenario/scenario.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <random>
#include <string_view>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "ledger/dates.h"
#include "ledger/event_types.h"
#include "tools/csv_import/event_ids.h"

namespace sixhearts::scenario {
namespace {

using absl::CivilDay;

// Intervals in days the method asks for, per heart (DOMAIN.md); tending stretches or
// shrinks them per client.
constexpr int kTrustCadenceDays = 90;
constexpr int kCareCadenceDays = 30;
constexpr int kListeningCadenceDays = 60;
constexpr int kCommunicationCadenceDays = 14;
constexpr int kFeedbackCadenceDays = 90;
// Minutes between a client's events on one day; they start at 09:00 UTC.
constexpr int kFirstEventHour = 9;

struct Owner {
  const char* name;
  // How well this owner tends clients; half of a client's tending comes from it, so the
  // owner scorecard shows a spread too.
  double diligence;
};
constexpr std::array<Owner, 6> kOwners = {{{"li.wei", 0.9},
                                           {"zhang.min", 0.35},
                                           {"chen.jing", 0.65},
                                           {"maria.garcia", 0.8},
                                           {"james.miller", 0.3},
                                           {"anna.schmidt", 0.55}}};

struct Place {
  const char* name;
  const char* region;
};
constexpr std::array<Place, 6> kCnPlaces = {{{"Shenzhen", "CN-44"},
                                             {"Hangzhou", "CN-33"},
                                             {"Chengdu", "CN-51"},
                                             {"Wuhan", "CN-42"},
                                             {"Suzhou", "CN-32"},
                                             {"Qingdao", "CN-37"}}};
constexpr std::array<Place, 6> kUsPlaces = {{{"Virginia", "US-VA"},
                                             {"Maryland", "US-MD"},
                                             {"Texas", "US-TX"},
                                             {"Ohio", "US-OH"},
                                             {"Colorado", "US-CO"},
                                             {"Oregon", "US-OR"}}};
constexpr std::array<Place, 6> kEuPlaces = {{{"Lyon", "FR"},
                                             {"Munich", "DE"},
                                             {"Porto", "PT"},
                                             {"Gdansk", "PL"},
                                             {"Ghent", "BE"},
                                             {"Turin", "IT"}}};
// Units per jurisdiction and kind (organ, public institution, state-owned enterprise).
constexpr std::array<std::array<std::array<const char*, 3>, 3>, 3> kUnits = {{
    {{{"Education Bureau", "Health Commission", "Transport Bureau"},
      {"People's Hospital", "Vocational College", "Municipal Library"},
      {"Metro Group", "Water Investment Group", "Port Group"}}},
    {{{"Department of Transportation", "Department of Health", "Office of IT"},
      {"State University", "Public Library", "Community College"},
      {"Port Authority", "Transit Authority", "Power Authority"}}},
    {{{"City Council", "Regional Health Agency", "Tax Office"},
      {"University Hospital", "Technical University", "Public Library"},
      {"Municipal Utilities", "Regional Rail", "Water Company"}}},
}};
constexpr std::array<std::array<const char*, 6>, 3> kContactNames = {{
    {"Wang Fang", "Liu Yang", "Zhao Lei", "Sun Li", "Zhou Jie", "Wu Hua"},
    {"Sarah Johnson", "Michael Brown", "Emily Davis", "Robert Wilson", "Laura Moore",
     "David Clark"},
    {"Sophie Martin", "Lukas Weber", "Ana Costa", "Piotr Nowak", "Elise Peeters", "Marco Rossi"},
}};
constexpr std::array<const char*, 3> kCurrencies = {"CNY", "USD", "EUR"};
constexpr std::array<v1::Jurisdiction, 3> kJurisdictions = {
    v1::JURISDICTION_CN, v1::JURISDICTION_US, v1::JURISDICTION_EU};
constexpr std::array<v1::ClientKind, 3> kKinds = {v1::CLIENT_KIND_GOVERNMENT_ORGAN,
                                                  v1::CLIENT_KIND_PUBLIC_INSTITUTION,
                                                  v1::CLIENT_KIND_STATE_OWNED_ENTERPRISE};
constexpr std::array<const char*, 5> kConcerns = {
    "Invoice format does not match the finance bureau's template",
    "Delivery documents missing for acceptance", "Training for new staff was postponed",
    "Support response slower than agreed", "Budget approval for phase two is delayed"};
constexpr std::array<const char*, 4> kDisputeReasons = {
    "Quantity billed above the accepted quantity", "Milestone not fully accepted",
    "Price differs from the contract schedule", "Duplicate line on the invoice"};

enum class Act {
  kRegister,
  kNewContract,
  kIssueInvoice,
  kAccept,
  kOpenDispute,
  kResolveDispute,
  kChase,
  kPlanStep,
  kPay,
  kWriteOff,
  kTrust,
  kCare,
  kListening,
  kResolveConcern,
  kCommunication,
  kFeedback,
  kFollowUpDone,
};

struct Action {
  Act act;
  int index = 0;  // the contract, invoice, concern or follow-up it is about
  int aux = 0;    // milestone number, plan step, or 1 for a partial payment
};

struct Contract {
  std::string id;
  int64_t amount_minor = 0;
  int terms_days = 30;
  bool acceptance_required = false;
  int acceptance_days = 0;
  int milestones = 1;
};

struct Invoice {
  std::string id;
  int64_t amount_minor = 0;
  int64_t credited_minor = 0;
  int64_t paid_minor = 0;
  int64_t disputed_minor = 0;
  CivilDay due;
  std::string dispute_id;
  std::string promise_id;
  std::string plan_id;
  CivilDay plan_step_due[2];
  bool closed = false;  // written off
};

struct TimedEvent {
  CivilDay day;
  int minute = 0;
  v1::Event event;
};

// Uniform in [lo, hi].
int64_t Uniform(std::mt19937_64& rng, int64_t lo, int64_t hi) {
  if (hi <= lo) return lo;
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}
double Unit(std::mt19937_64& rng) { return std::uniform_real_distribution<double>(0, 1)(rng); }
bool Chance(std::mt19937_64& rng, double p) { return Unit(rng) < p; }

class ClientSim {
 public:
  ClientSim(const ScenarioOptions& options, int index, CivilDay start, CivilDay end)
      : seed_(options.seed), end_(end) {
    // One generator per client, so a client's events do not depend on how many others
    // there are: a bigger portfolio of the same seed starts with the same clients.
    std::seed_seq seq{static_cast<uint32_t>(options.seed),
                      static_cast<uint32_t>(options.seed >> 32), static_cast<uint32_t>(index),
                      0x5c3e9u};
    rng_.seed(seq);
    region_ = static_cast<int>(Uniform(rng_, 0, 2));
    kind_ = static_cast<int>(Uniform(rng_, 0, 2));
    const std::array<Place, 6>& places = region_ == 0   ? kCnPlaces
                                         : region_ == 1 ? kUsPlaces
                                                        : kEuPlaces;
    place_ = static_cast<int>(Uniform(rng_, 0, 5));
    const int unit = static_cast<int>(Uniform(rng_, 0, 2));
    name_ = absl::StrCat(places[place_].name, " ", kUnits[region_][kind_][unit]);
    region_code_ = places[place_].region;
    client_id_ = absl::StrFormat("s%d-%s-%05d", options.seed,
                                 region_ == 0   ? "cn"
                                 : region_ == 1 ? "us"
                                                : "eu",
                                 index + 1);
    stream_ = absl::StrCat("client-", client_id_);
    owner_ = static_cast<int>(Uniform(rng_, 0, kOwners.size() - 1));
    tending_ = std::clamp(0.5 * kOwners[owner_].diligence + 0.5 * Unit(rng_), 0.0, 1.0);
    contact_ = static_cast<int>(Uniform(rng_, 0, 5));
    const int64_t span = std::max<int64_t>(1, (end - start) / 4);
    Schedule(start + Uniform(rng_, 0, span), {Act::kRegister});
  }

  // Runs every action due by `last`, appending the events to `out`.
  void RunUntil(CivilDay last, std::vector<TimedEvent>* out) {
    out_ = out;
    while (!agenda_.empty() && agenda_.begin()->first <= last) {
      auto it = agenda_.begin();
      today_ = it->first;
      const Action action = it->second;
      agenda_.erase(it);
      Run(action);
    }
  }

 private:
  void Schedule(CivilDay day, Action action) {
    // Actions past the end never run: what they would record has not happened yet.
    if (day > end_) return;
    agenda_.emplace(std::max(day, today_), action);
  }

  // A new event of this client's stream dated today; the caller fills the payload.
  v1::Event* Emit() {
    if (today_ != minute_day_) {
      minute_day_ = today_;
      minute_ = 0;
    }
    TimedEvent& timed = out_->emplace_back();
    timed.day = today_;
    timed.minute = minute_++;
    v1::Event& e = timed.event;
    e.set_event_id(csv_import::NameBasedUuid(kScenarioNamespaceUuid,
                                             absl::StrCat(seed_, "/", stream_, "/", ++counter_)));
    e.set_stream(stream_);
    return &e;
  }

  std::string NextId(std::string_view prefix, int* counter) {
    return absl::StrFormat("%s-%04d", prefix, ++*counter);
  }

  const char* Currency() const { return kCurrencies[region_]; }
  const char* OwnerName() const { return kOwners[owner_].name; }

  void SetMoney(v1::Money* money, int64_t amount_minor) {
    money->set_amount_minor(amount_minor);
    money->set_currency(Currency());
  }

  void SetContact(v1::Contact* contact, int which, const char* role) {
    const char* name = kContactNames[region_][(contact_ + which) % 6];
    contact->set_name(name);
    contact->set_role(role);
    std::string mail(name);
    std::replace(mail.begin(), mail.end(), ' ', '.');
    absl::AsciiStrToLower(&mail);
    contact->set_email(absl::StrCat(mail, "@example.gov"));
  }

  // Days until the heart's next touch: its cadence at tending 0.6, three times it when
  // neglected, 0.6 times it when tended best, with a quarter of jitter.
  int Interval(int cadence) {
    const double scale = 0.6 + 2.4 * (1.0 - tending_);
    const double jitter = 0.75 + 0.5 * Unit(rng_);
    return std::max(1, static_cast<int>(std::lround(cadence * scale * jitter)));
  }

  int Sentiment() {
    const double value = -1.5 + 3.5 * tending_ + (Unit(rng_) - 0.5) * 1.5;
    return static_cast<int>(std::clamp<long>(std::lround(value), -2, 2));
  }

  void Interaction(v1::InteractionKind kind, v1::Channel channel, std::string summary) {
    v1::InteractionLogged* p = Emit()->mutable_interaction_logged();
    p->set_interaction_id(NextId("X", &interactions_));
    p->set_kind(kind);
    p->set_summary(std::move(summary));
    SetContact(p->mutable_contact(), 0, "project lead");
    p->set_owner(OwnerName());
    p->set_channel(channel);
    p->set_sentiment(Sentiment());
  }

  void Run(const Action& a);
  void Register();
  void NewContract();
  void IssueInvoice(int contract, int milestone);
  void Chase(int invoice);
  void Pay(int invoice, bool partial);
  void Listening();
  void Feedback();

  uint64_t seed_;
  CivilDay end_;
  std::mt19937_64 rng_;
  int region_ = 0;
  int kind_ = 0;
  int place_ = 0;
  int owner_ = 0;
  int contact_ = 0;
  double tending_ = 0;
  std::string name_;
  std::string region_code_;
  std::string client_id_;
  std::string stream_;
  std::multimap<CivilDay, Action> agenda_;
  CivilDay today_ = CivilDay(1970, 1, 1);
  CivilDay minute_day_ = CivilDay(1970, 1, 1);
  int minute_ = 0;
  uint64_t counter_ = 0;
  std::vector<TimedEvent>* out_ = nullptr;
  std::vector<Contract> contracts_;
  std::vector<Invoice> invoices_;
  int contract_counter_ = 0, invoice_counter_ = 0;
  int interactions_ = 0, payments_ = 0, promises_ = 0, disputes_ = 0, concerns_ = 0, surveys_ = 0,
      meetings_ = 0, plans_ = 0, follow_ups_ = 0, credit_notes_ = 0;
  int listening_turn_ = 0;
};

void ClientSim::Run(const Action& a) {
  switch (a.act) {
    case Act::kRegister:
      Register();
      break;
    case Act::kNewContract:
      NewContract();
      break;
    case Act::kIssueInvoice:
      IssueInvoice(a.index, a.aux);
      break;
    case Act::kAccept: {
      v1::InvoiceAccepted* p = Emit()->mutable_invoice_accepted();
      p->set_invoice_id(invoices_[a.index].id);
      *p->mutable_acceptance_date() = ledger::FromCivilDay(today_);
      break;
    }
    case Act::kOpenDispute: {
      Invoice& inv = invoices_[a.index];
      inv.dispute_id = NextId("DSP", &disputes_);
      inv.disputed_minor = std::max<int64_t>(1, inv.amount_minor * Uniform(rng_, 5, 30) / 100);
      v1::DisputeOpened* p = Emit()->mutable_dispute_opened();
      p->set_dispute_id(inv.dispute_id);
      p->set_invoice_id(inv.id);
      p->set_amount_minor(inv.disputed_minor);
      p->set_reason(kDisputeReasons[Uniform(rng_, 0, kDisputeReasons.size() - 1)]);
      *p->mutable_opened_on() = ledger::FromCivilDay(today_);
      break;
    }
    case Act::kResolveDispute: {
      Invoice& inv = invoices_[a.index];
      // The neglected client's disputes are more often upheld: nobody checked the
      // acceptance documents with them in time.
      const double r = Unit(rng_);
      const double upheld = 0.15 + 0.25 * (1 - tending_);
      v1::DisputeOutcome outcome = r < upheld          ? v1::DISPUTE_OUTCOME_UPHELD
                                   : r < upheld + 0.25 ? v1::DISPUTE_OUTCOME_PARTIAL
                                                       : v1::DISPUTE_OUTCOME_REJECTED;
      int64_t conceded = outcome == v1::DISPUTE_OUTCOME_UPHELD ? inv.disputed_minor
                         : outcome == v1::DISPUTE_OUTCOME_PARTIAL
                             ? std::max<int64_t>(1, inv.disputed_minor / 2)
                             : 0;
      conceded = std::min(conceded, inv.amount_minor - inv.paid_minor - inv.credited_minor);
      if (conceded <= 0) outcome = v1::DISPUTE_OUTCOME_REJECTED;
      v1::DisputeResolved* p = Emit()->mutable_dispute_resolved();
      p->set_dispute_id(inv.dispute_id);
      p->set_outcome(outcome);
      if (outcome == v1::DISPUTE_OUTCOME_PARTIAL) p->set_conceded_minor(conceded);
      *p->mutable_resolved_on() = ledger::FromCivilDay(today_);
      if (outcome != v1::DISPUTE_OUTCOME_REJECTED) {
        v1::CreditNoteIssued* c = Emit()->mutable_credit_note_issued();
        c->set_credit_note_id(NextId("CR", &credit_notes_));
        c->set_invoice_id(inv.id);
        SetMoney(c->mutable_amount(), conceded);
        *c->mutable_issue_date() = ledger::FromCivilDay(today_);
        c->set_reason(absl::StrCat("Dispute ", inv.dispute_id, " settled"));
        inv.credited_minor += conceded;
      }
      break;
    }
    case Act::kChase:
      Chase(a.index);
      break;
    case Act::kPlanStep: {
      const Invoice& inv = invoices_[a.index];
      v1::PlanStepCompleted* p = Emit()->mutable_plan_step_completed();
      p->set_plan_id(inv.plan_id);
      p->set_step_id(absl::StrCat("step-", a.aux + 1));
      *p->mutable_completed_on() = ledger::FromCivilDay(today_);
      break;
    }
    case Act::kPay:
      Pay(a.index, a.aux == 1);
      break;
    case Act::kWriteOff: {
      Invoice& inv = invoices_[a.index];
      const int64_t open = inv.amount_minor - inv.paid_minor - inv.credited_minor;
      if (open <= 0) break;
      v1::InvoiceWrittenOff* p = Emit()->mutable_invoice_written_off();
      p->set_invoice_id(inv.id);
      p->set_amount_minor(open);
      *p->mutable_written_off_on() = ledger::FromCivilDay(today_);
      p->set_reason("Uncollectable after a year overdue; budget lapsed");
      inv.closed = true;
      break;
    }
    case Act::kTrust: {
      static constexpr std::array<v1::InteractionKind, 4> kinds = {
          v1::INTERACTION_KIND_PRE_PROJECT_RESEARCH, v1::INTERACTION_KIND_CONSULTING,
          v1::INTERACTION_KIND_INDUSTRY_EVENT, v1::INTERACTION_KIND_ON_SITE_VISIT};
      static constexpr std::array<const char*, 4> summaries = {
          "Joint research on next year's needs", "Advised on the procurement specification",
          "Met at the regional industry forum", "On-site visit to review the deployment"};
      const auto k = Uniform(rng_, 0, 3);
      Interaction(kinds[k], v1::CHANNEL_IN_PERSON, summaries[k]);
      Schedule(today_ + Interval(kTrustCadenceDays), {Act::kTrust});
      break;
    }
    case Act::kCare: {
      static constexpr std::array<v1::InteractionKind, 3> kinds = {
          v1::INTERACTION_KIND_INDUSTRY_REPORT_SENT, v1::INTERACTION_KIND_MARKET_ANALYSIS_SENT,
          v1::INTERACTION_KIND_CHECK_IN_CALL};
      static constexpr std::array<const char*, 3> summaries = {
          "Sent the quarterly industry report", "Sent a market analysis for their sector",
          "Check-in call on how the system serves them"};
      const auto k = Uniform(rng_, 0, 2);
      Interaction(kinds[k], k == 2 ? v1::CHANNEL_PHONE : v1::CHANNEL_EMAIL, summaries[k]);
      Schedule(today_ + Interval(kCareCadenceDays), {Act::kCare});
      break;
    }
    case Act::kListening:
      Listening();
      break;
    case Act::kResolveConcern: {
      v1::ConcernResolved* p = Emit()->mutable_concern_resolved();
      p->set_concern_id(absl::StrFormat("N-%04d", a.index));
      p->set_resolution("Fixed and confirmed with the client");
      *p->mutable_resolved_on() = ledger::FromCivilDay(today_);
      break;
    }
    case Act::kCommunication: {
      static constexpr std::array<v1::InteractionKind, 5> kinds = {
          v1::INTERACTION_KIND_PROGRESS_REPORT, v1::INTERACTION_KIND_MEETING,
          v1::INTERACTION_KIND_CALL, v1::INTERACTION_KIND_EMAIL, v1::INTERACTION_KIND_MESSAGE};
      static constexpr std::array<v1::Channel, 5> channels = {
          v1::CHANNEL_EMAIL, v1::CHANNEL_IN_PERSON, v1::CHANNEL_PHONE, v1::CHANNEL_EMAIL,
          v1::CHANNEL_MESSAGING};
      static constexpr std::array<const char*, 5> summaries = {
          "Biweekly progress report", "Project status meeting", "Call about the schedule",
          "Email on open items", "Message about next week's work"};
      const auto k = Uniform(rng_, 0, 4);
      Interaction(kinds[k], channels[k], summaries[k]);
      Schedule(today_ + Interval(kCommunicationCadenceDays), {Act::kCommunication});
      break;
    }
    case Act::kFeedback:
      Feedback();
      break;
    case Act::kFollowUpDone: {
      v1::FollowUpCompleted* p = Emit()->mutable_follow_up_completed();
      p->set_follow_up_id(absl::StrFormat("F-%04d", a.index));
      *p->mutable_completed_on() = ledger::FromCivilDay(today_);
      p->set_note("Done");
      break;
    }
  }
}

void ClientSim::Register() {
  v1::ClientRegistered* p = Emit()->mutable_client_registered();
  p->set_client_id(client_id_);
  p->set_name(name_);
  p->set_jurisdiction(kJurisdictions[region_]);
  p->set_client_kind(kKinds[kind_]);
  p->set_seller_is_sme(region_ == 0 || Chance(rng_, 0.7));
  p->set_region(region_code_);
  Emit()->mutable_account_owner_assigned()->set_owner(OwnerName());
  Schedule(today_ + Uniform(rng_, 3, 20), {Act::kNewContract});
  Schedule(today_ + Uniform(rng_, 1, 30), {Act::kTrust});
  Schedule(today_ + Uniform(rng_, 5, 30), {Act::kCare});
  Schedule(today_ + Uniform(rng_, 10, 60), {Act::kListening});
  Schedule(today_ + Uniform(rng_, 2, 14), {Act::kCommunication});
  Schedule(today_ + Uniform(rng_, 30, 90), {Act::kFeedback});
}

void ClientSim::NewContract() {
  Contract c;
  c.id = NextId("C", &contract_counter_);
  // Major units by currency, rounded to thousands.
  const int64_t lo = region_ == 0 ? 300 : 40;
  const int64_t hi = region_ == 0 ? 8000 : 1500;
  c.amount_minor = Uniform(rng_, lo, hi) * 1000 * 100;
  c.terms_days = region_ == 0 && kind_ == 2 ? 60 : Chance(rng_, 0.2) ? 60 : 30;
  c.acceptance_required = region_ != 2 || Chance(rng_, 0.5);
  c.acceptance_days = c.acceptance_required ? (Chance(rng_, 0.5) ? 15 : 30) : 0;
  c.milestones = static_cast<int>(Uniform(rng_, 2, 4));
  v1::ContractSigned* p = Emit()->mutable_contract_signed();
  p->set_contract_id(c.id);
  SetMoney(p->mutable_amount(), c.amount_minor);
  *p->mutable_signed_on() = ledger::FromCivilDay(today_);
  p->set_payment_terms_days(c.terms_days);
  p->set_acceptance_required(c.acceptance_required);
  p->set_acceptance_period_days(c.acceptance_days);
  p->set_late_interest_rate_bps(region_ == 0 && Chance(rng_, 0.5) ? 1825 : 0);
  p->set_title(absl::StrCat("Information system, phase ", contracts_.size() + 1));
  contracts_.push_back(c);
  const int index = static_cast<int>(contracts_.size()) - 1;
  CivilDay day = today_;
  for (int m = 0; m < c.milestones; ++m) {
    day += Uniform(rng_, 20, 60);
    Schedule(day, {Act::kIssueInvoice, index, m});
  }
  Schedule(today_ + Uniform(rng_, 120, 300), {Act::kNewContract});
}

void ClientSim::IssueInvoice(int contract_index, int milestone) {
  const Contract& c = contracts_[contract_index];
  Invoice inv;
  inv.id = NextId("INV", &invoice_counter_);
  // 30% on the first milestone, the rest evenly; the last takes the remainder so the
  // invoices add up to the contract.
  const int64_t first = c.amount_minor * 30 / 100;
  const int64_t each = c.milestones > 1 ? (c.amount_minor - first) / (c.milestones - 1) : 0;
  inv.amount_minor = c.milestones == 1 ? c.amount_minor
                     : milestone == 0  ? first
                     : milestone == c.milestones - 1
                         ? c.amount_minor - first - each * (c.milestones - 2)
                         : each;
  const CivilDay issue = today_;
  const CivilDay delivery = issue - Uniform(rng_, 0, 5);
  inv.due = issue + c.terms_days + c.acceptance_days;
  v1::InvoiceIssued* p = Emit()->mutable_invoice_issued();
  p->set_invoice_id(inv.id);
  p->set_contract_id(c.id);
  SetMoney(p->mutable_amount(), inv.amount_minor);
  *p->mutable_issue_date() = ledger::FromCivilDay(issue);
  *p->mutable_due_date() = ledger::FromCivilDay(inv.due);
  *p->mutable_delivery_date() = ledger::FromCivilDay(delivery);
  if (region_ == 1) *p->mutable_received_date() = ledger::FromCivilDay(issue + Uniform(rng_, 1, 3));
  invoices_.push_back(inv);
  const int index = static_cast<int>(invoices_.size()) - 1;

  // The invoice's fate is drawn now, from the client's tending.
  CivilDay earliest_payment = issue + 1;
  if (c.acceptance_required) {
    const CivilDay accepted = Chance(rng_, 0.5 + 0.5 * tending_)
                                  ? issue + Uniform(rng_, 2, c.acceptance_days)
                                  : issue + c.acceptance_days + Uniform(rng_, 1, 30);
    Schedule(accepted, {Act::kAccept, index});
    earliest_payment = accepted + 1;
  }
  if (Chance(rng_, 0.04 + 0.12 * (1 - tending_))) {
    const CivilDay opened = issue + Uniform(rng_, 5, 20);
    const CivilDay resolved =
        opened + Uniform(rng_, 10, 20 + static_cast<int64_t>(60 * (1 - tending_)));
    Schedule(opened, {Act::kOpenDispute, index});
    Schedule(resolved, {Act::kResolveDispute, index});
    earliest_payment = std::max(earliest_payment, resolved + Uniform(rng_, 2, 10));
  }
  if (Chance(rng_, 0.25 + 0.7 * tending_)) {
    const CivilDay pay = std::max(earliest_payment, inv.due - Uniform(rng_, 0, 10));
    if (pay <= inv.due) {
      Schedule(pay, {Act::kPay, index});
      return;
    }
  }
  // Late: the collector chases a few days after the due date (the rest of the story is
  // drawn then).
  Schedule(std::max(earliest_payment, inv.due + Uniform(rng_, 3, 10)), {Act::kChase, index});
}

void ClientSim::Chase(int index) {
  Invoice& inv = invoices_[index];
  const int64_t open = inv.amount_minor - inv.paid_minor - inv.credited_minor;
  if (open <= 0 || inv.closed) return;
  Interaction(v1::INTERACTION_KIND_CALL, v1::CHANNEL_PHONE,
              absl::StrCat("Called finance about overdue ", inv.id));
  const CivilDay promised = today_ + Uniform(rng_, 7, 21);
  inv.promise_id = NextId("PTP", &promises_);
  v1::PromiseToPayMade* p = Emit()->mutable_promise_to_pay_made();
  p->set_promise_id(inv.promise_id);
  SetMoney(p->mutable_amount(), open);
  *p->mutable_promised_date() = ledger::FromCivilDay(promised);
  p->add_invoice_ids(inv.id);
  SetContact(p->mutable_contact(), 1, "finance director");

  // The execution heart: a collection plan whose steps the tended client's owner does on
  // the day, the neglected one's late or never.
  inv.plan_id = NextId("PL", &plans_);
  v1::CollectionPlanSet* plan = Emit()->mutable_collection_plan_set();
  plan->set_plan_id(inv.plan_id);
  plan->set_owner(OwnerName());
  static constexpr std::array<const char*, 2> actions = {"Confirm the payment request is approved",
                                                         "Visit finance to collect"};
  const std::array<CivilDay, 2> step_due = {today_ + 5, promised};
  for (int s = 0; s < 2; ++s) {
    v1::PlanStep* step = plan->add_steps();
    step->set_step_id(absl::StrCat("step-", s + 1));
    step->set_action(actions[s]);
    *step->mutable_due_date() = ledger::FromCivilDay(step_due[s]);
    if (s == 1) SetMoney(step->mutable_expected(), open);
    if (Chance(rng_, 0.3 + 0.65 * tending_)) {
      Schedule(step_due[s] - Uniform(rng_, 0, 1), {Act::kPlanStep, index, s});
    } else if (Chance(rng_, 0.5)) {
      Schedule(step_due[s] + Uniform(rng_, 3, 20), {Act::kPlanStep, index, s});
    }
  }

  const bool partial = Chance(rng_, 0.15);
  if (Chance(rng_, 0.25 + 0.7 * tending_)) {
    const CivilDay pay = promised - Uniform(rng_, 0, 3);
    if (partial) Schedule(std::max(today_ + 1, pay - 7), {Act::kPay, index, 1});
    Schedule(std::max(today_ + 1, pay), {Act::kPay, index});
  } else if (Chance(rng_, 0.15 * (1 - tending_))) {
    Schedule(inv.due + 365, {Act::kWriteOff, index});
  } else {
    const CivilDay pay =
        promised + Uniform(rng_, 15, 30 + static_cast<int64_t>(150 * (1 - tending_)));
    if (partial) Schedule(promised + 5, {Act::kPay, index, 1});
    Schedule(pay, {Act::kPay, index});
  }
}

void ClientSim::Pay(int index, bool partial) {
  Invoice& inv = invoices_[index];
  int64_t amount = inv.amount_minor - inv.paid_minor - inv.credited_minor;
  if (inv.closed || amount <= 0) return;
  if (partial) amount = std::max<int64_t>(1, amount / 2);
  inv.paid_minor += amount;
  v1::PaymentReceived* p = Emit()->mutable_payment_received();
  p->set_payment_id(NextId("PAY", &payments_));
  SetMoney(p->mutable_amount(), amount);
  *p->mutable_value_date() = ledger::FromCivilDay(today_);
  v1::Allocation* allocation = p->add_allocations();
  allocation->set_invoice_id(inv.id);
  allocation->set_amount_minor(amount);
  p->set_reference(absl::StrCat("BANK-", client_id_, "-", payments_));
}

void ClientSim::Listening() {
  const int turn = listening_turn_++ % 2;
  if (turn == 0) {
    Interaction(v1::INTERACTION_KIND_INTERVIEW, v1::CHANNEL_IN_PERSON,
                "Interviewed users about the system");
  } else {
    Interaction(v1::INTERACTION_KIND_SURVEY, v1::CHANNEL_EMAIL, "Satisfaction survey sent");
    v1::SurveyRecorded* s = Emit()->mutable_survey_recorded();
    s->set_survey_id(NextId("S", &surveys_));
    const double score = 1.5 + 3.5 * tending_ + (Unit(rng_) - 0.5) * 1.5;
    s->set_score(static_cast<int>(std::clamp<long>(std::lround(score), 1, 5)));
    *s->mutable_surveyed_on() = ledger::FromCivilDay(today_);
  }
  if (Chance(rng_, 0.35)) {
    const int concern = ++concerns_;
    v1::ConcernRaised* c = Emit()->mutable_concern_raised();
    c->set_concern_id(absl::StrFormat("N-%04d", concern));
    c->set_summary(kConcerns[Uniform(rng_, 0, kConcerns.size() - 1)]);
    *c->mutable_raised_on() = ledger::FromCivilDay(today_);
    if (Chance(rng_, 0.5 + 0.5 * tending_)) {
      Schedule(today_ + Uniform(rng_, 3, 10 + static_cast<int64_t>(60 * (1 - tending_))),
               {Act::kResolveConcern, concern});
    }
  }
  Schedule(today_ + Interval(kListeningCadenceDays), {Act::kListening});
}

void ClientSim::Feedback() {
  // Every third feedback touch is the internal collection review (回款复盘).
  const bool review = meetings_ % 3 == 2;
  v1::FeedbackMeetingHeld* m = Emit()->mutable_feedback_meeting_held();
  m->set_meeting_id(NextId("M", &meetings_));
  *m->mutable_held_on() = ledger::FromCivilDay(today_);
  m->set_collection_review(review);
  m->set_summary(review ? "Collection review: what delayed payment, what to change"
                        : "Feedback meeting with the client on service and payment process");
  if (!review) SetContact(m->add_attendees(), 1, "finance director");
  const int follow_up = ++follow_ups_;
  const CivilDay due = today_ + Uniform(rng_, 7, 14);
  v1::FollowUpScheduled* f = Emit()->mutable_follow_up_scheduled();
  f->set_follow_up_id(absl::StrFormat("F-%04d", follow_up));
  *f->mutable_due_date() = ledger::FromCivilDay(due);
  f->set_heart(v1::HEART_FEEDBACK);
  f->set_action("Send the agreed changes to the client");
  f->set_owner(OwnerName());
  if (Chance(rng_, 0.3 + 0.65 * tending_)) {
    Schedule(due - Uniform(rng_, 0, 3), {Act::kFollowUpDone, follow_up});
  } else if (Chance(rng_, 0.5)) {
    Schedule(due + Uniform(rng_, 3, 30), {Act::kFollowUpDone, follow_up});
  }
  Schedule(today_ + Interval(kFeedbackCadenceDays), {Act::kFeedback});
}

}  // namespace

absl::Status CheckOptions(const ScenarioOptions& options) {
  if (options.clients < 1 || options.clients > kMaxClients) {
    return absl::InvalidArgumentError(
        absl::StrCat("clients must be in 1..", kMaxClients, ", got ", options.clients));
  }
  if (options.months < 1 || options.months > kMaxMonths) {
    return absl::InvalidArgumentError(
        absl::StrCat("months must be in 1..", kMaxMonths, ", got ", options.months));
  }
  if (options.chunk_events == 0) return absl::InvalidArgumentError("chunk_events must be positive");
  if (options.end_date.year() < 1900 || options.end_date.year() > 9000) {
    return absl::InvalidArgumentError("end date must be in the years 1900..9000");
  }
  return absl::OkStatus();
}

absl::StatusOr<ScenarioSummary> GenerateScenario(
    const ScenarioOptions& options,
    absl::FunctionRef<absl::Status(std::vector<v1::Event>&&)> sink) {
  if (absl::Status s = CheckOptions(options); !s.ok()) return s;
  const CivilDay end = options.end_date;
  const CivilDay start =
      end - (CivilDay(absl::CivilMonth(end)) - CivilDay(absl::CivilMonth(end) - options.months));
  std::vector<ClientSim> clients;
  clients.reserve(static_cast<size_t>(options.clients));
  for (int i = 0; i < options.clients; ++i) clients.emplace_back(options, i, start, end);

  ScenarioSummary summary;
  summary.clients = options.clients;
  std::vector<TimedEvent> month;
  std::vector<v1::Event> chunk;
  for (CivilDay first = start; first <= end;) {
    const CivilDay last = std::min(end, CivilDay(absl::CivilMonth(first) + 1) - 1);
    month.clear();
    for (ClientSim& client : clients) client.RunUntil(last, &month);
    // Clients ran one after another; a stable sort by time keeps each client's order and
    // puts clients in index order within a minute.
    std::stable_sort(month.begin(), month.end(), [](const TimedEvent& a, const TimedEvent& b) {
      return std::tie(a.day, a.minute) < std::tie(b.day, b.minute);
    });
    for (TimedEvent& timed : month) {
      const absl::Time at = absl::FromCivil(timed.day, absl::UTCTimeZone()) +
                            absl::Hours(kFirstEventHour) + absl::Minutes(timed.minute);
      timed.event.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(at));
      ++summary.by_type[std::string(ledger::EventTypeName(timed.event))];
      ++summary.events;
      chunk.push_back(std::move(timed.event));
      if (chunk.size() == options.chunk_events) {
        if (absl::Status s = sink(std::move(chunk)); !s.ok()) return s;
        chunk = {};
      }
    }
    first = last + 1;
  }
  if (!chunk.empty()) {
    if (absl::Status s = sink(std::move(chunk)); !s.ok()) return s;
  }
  return summary;
}

}  // namespace sixhearts::scenario
