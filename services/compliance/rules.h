// The statutory payment rule sets (DOMAIN.md "Statutory payment deadlines";
// docs/compliance.md states every rule with its article and every choice made where the
// law leaves one): for one invoice as of a civil day, the statutory due date, the days
// overdue by law, the late interest owed so far and the rule and article that decided
// them; for one contract, the terms the law does not allow.
//
//   CN  保障中小企业款项支付条例 (State Council Order 728, revised by Order 802, in force
//       2025-06-01): seller is an SME, client is an organ (机关) or public institution
//       (事业单位).
//   US  Prompt Payment Act (31 U.S.C. 3901-3907; 5 CFR 1315): client is an organ or
//       public institution (a federal agency).
//   EU  Late Payment Directive 2011/7/EU Art 4: client is an organ or public institution
//       (a public authority).
//   Everything else: no statutory rule (the report still ages it).
//
// Pure functions of the receivables and compliance states: no clock, no I/O. Money stays
// in integer minor units; interest is computed exactly in 128-bit integers and rounded
// once per figure, half up (to the minor unit): simple interest once per invoice, the
// Prompt Payment Act's compound interest once per 30-day step (the step's interest is an
// amount added to principal).
#ifndef SIXHEARTS_SERVICES_COMPLIANCE_RULES_H_
#define SIXHEARTS_SERVICES_COMPLIANCE_RULES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/civil_time.h"
#include "services/compliance/compliance_state.h"
#include "services/compliance/rates.h"
#include "services/receivables/receivables_state.h"

namespace sixhearts::services::compliance {

enum class RuleSet { kNone, kCn, kUs, kEu };

// "none", "CN", "US", "EU".
std::string_view RuleSetName(RuleSet rule_set);

// Every figure of the rules, with its legal default. Changing one is a deployment's
// choice (e.g. a Member State's longer term); the report prints the rates it used.
struct StatutoryOptions {
  // CN Art 9: pay within 30 days of delivery; a contract may agree another term, at most 60.
  int64_t cn_term_days = 30;
  int64_t cn_max_term_days = 60;
  // CN Art 17: without an agreed rate, 0.05% a day (500 ppm a day), simple.
  int64_t cn_daily_rate_ppm = 500;
  // Day basis of an agreed yearly rate (events.proto: 1825 bps = 0.05% a day).
  int64_t cn_year_days = 365;

  // US 31 U.S.C. 3903(a)(1): 30 days after a proper invoice, or after acceptance, when
  // the contract names no date.
  int64_t us_term_days = 30;
  // FAR 52.232-25(a)(5)(i): constructive acceptance on the 7th day after delivery (a
  // longer acceptance period agreed in the contract replaces the 7 days).
  int64_t us_constructive_acceptance_days = 7;
  // 5 CFR 1315.10(a): 360-day year, compounded every 30 days, for at most one year; under
  // $1 not paid.
  int64_t us_year_days = 360;
  int64_t us_compounding_days = 30;
  int64_t us_max_interest_days = 365;
  int64_t us_min_interest_minor = 100;

  // EU 2011/7/EU Art 4(3): 30 days; Art 4(6): a contract term at most 60 days; Art 4(5):
  // acceptance at most 30 days.
  int64_t eu_term_days = 30;
  int64_t eu_max_term_days = 60;
  int64_t eu_max_acceptance_days = 30;
  // Art 2(6): reference rate + at least 8 points (80,000 ppm), simple; 365-day year.
  int64_t eu_margin_ppm = 80'000;
  int64_t eu_year_days = 365;
  // Art 6(1): EUR 40 fixed compensation per late invoice.
  int64_t eu_fixed_compensation_minor = 4'000;
  std::string eu_fixed_compensation_currency = "EUR";

  RateTables rates = DefaultRateTables();
};

struct RuleChoice {
  RuleSet rule_set = RuleSet::kNone;
  // Why, in one line: "CN: SME seller, public institution" or why no rule applies.
  std::string reason;
};

// Chosen from the client's jurisdiction, kind and the SME flag, as the state has them.
RuleChoice ChooseRuleSet(const receivables::Client& client);

// Where the statutory clock started.
enum class ClockStart {
  kNone,                    // not started: acceptance is a condition, none agreed, none yet
  kDelivery,                // CN Art 9, EU Art 4(3)(a)(iii)
  kIssueDate,               // no delivery / receipt day known: the invoice's issue date
  kInvoiceReceipt,          // US, EU: the day a proper invoice was received
  kAcceptance,              // the acceptance day (actual)
  kConstructiveAcceptance,  // US: delivery + 7 days
  kAcceptancePeriodEnd,     // acceptance late or still pending past the agreed period
  kAcceptancePending,       // acceptance pending within its period: a provisional due date
};
std::string_view ClockStartName(ClockStart start);

enum class StatutoryStatus {
  kNotDue,      // the statutory due date has not passed (or the clock has not started)
  kPaidOnTime,  // nothing was owed after the statutory due date
  kOverdue,     // money owed by law remains unpaid after the due date
  kPaidLate,    // nothing owed now, but money was paid after the due date
  kDisputed,    // past due, and all that remains is under open disputes (CN Art 15 etc.)
};
std::string_view StatutoryStatusName(StatutoryStatus status);

struct InvoiceAssessment {
  std::string client_id;
  std::string invoice_id;
  std::string contract_id;
  std::string currency;
  int64_t amount_minor = 0;
  absl::CivilDay issue_date;
  absl::CivilDay contractual_due_date;  // the invoice's own due_date
  RuleSet rule_set = RuleSet::kNone;
  ClockStart clock_start = ClockStart::kNone;
  std::optional<absl::CivilDay> clock_started_on;
  int64_t term_days = 0;
  std::optional<absl::CivilDay> statutory_due_date;  // none while the clock has not started
  bool provisional = false;  // the due date may still move (acceptance pending)
  StatutoryStatus status = StatutoryStatus::kNotDue;
  // Overdue: as_of - due. Paid late or disputed: the day the last money owed by law was
  // paid - due (0 when none was owed after the due date).
  int64_t days_overdue = 0;
  int64_t outstanding_minor = 0;  // on as_of, disputed part included
  int64_t disputed_minor = 0;     // under disputes open on as_of
  int64_t overdue_minor = 0;      // owed by law and unpaid on as_of (outstanding - disputed)
  int64_t interest_minor = 0;     // late interest accrued up to and including as_of
  // The yearly (CN agreed, US, EU) or daily (CN default) rate the interest started at.
  int64_t rate_ppm = 0;
  bool rate_per_day = false;
  int64_t fixed_compensation_minor = 0;  // EU Art 6: in fixed_compensation_currency
  std::string fixed_compensation_currency;
  // The rule and article that set the due date, and the interest, in one line each.
  std::string due_rule;
  std::string interest_rule;
  std::vector<std::string> notes;  // fallbacks and caps that applied
  // Table rates used for days past their table's next publication (one per table, the
  // latest day used); each is also a line of `notes`.
  std::vector<CarriedRate> carried_rates;
};

// Assesses one invoice issued on or before as_of under `rule_set` (not kNone). `facts`
// may be nullptr (the compliance fold never saw the invoice: no delivery, receipt or
// acceptance day; no contract).
InvoiceAssessment AssessInvoice(std::string_view client_id, const receivables::Client& client,
                                const receivables::Invoice& invoice, const ClientFacts* facts,
                                RuleSet rule_set, absl::CivilDay as_of,
                                const StatutoryOptions& options = {});

// A contract term the law does not allow.
struct TermFinding {
  std::string client_id;
  std::string contract_id;
  RuleSet rule_set = RuleSet::kNone;
  std::string term;     // "payment_terms_days", "acceptance_period_days", "late_interest_rate"
  int64_t value = 0;    // days, or ppm for a rate
  int64_t limit = 0;    // the same unit
  std::string article;  // "CN Art 9"
  std::string finding;  // one line for people
};

// The terms of `contract` in force on as_of checked against `rule_set`: CN Art 9 (term
// above 60 days), CN Art 17 (agreed rate below the 1-year LPR on the signing day), EU
// Art 4(6) (term above 60 days) and Art 4(5) (acceptance above 30 days). Contracts signed
// after as_of are not checked.
std::vector<TermFinding> CheckContractTerms(std::string_view client_id, const Contract& contract,
                                            RuleSet rule_set, absl::CivilDay as_of,
                                            const StatutoryOptions& options = {});

// Money owed by law at the end of `day`: the outstanding amount less what is under
// disputes open that day, never below zero.
int64_t OwedOnDay(const receivables::Client& client, const receivables::Invoice& invoice,
                  absl::CivilDay day);

// Compound interest of the Prompt Payment Act on `principal_minor` for `days` at
// `rate_ppm` a year: every `step_days` the step's interest, rounded half up, is added to
// principal; the last partial step is simple. Exposed for the tests' hand computations.
int64_t CompoundInterestMinor(int64_t principal_minor, int64_t days, int64_t rate_ppm,
                              int64_t year_days, int64_t step_days);

}  // namespace sixhearts::services::compliance

#endif  // SIXHEARTS_SERVICES_COMPLIANCE_RULES_H_
