// The statutory rules: clock start, due date, overdue status and late interest per
// invoice; contract-term checks. docs/compliance.md explains each choice.
#include "services/compliance/rules.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "ledger/dates.h"

namespace sixhearts::services::compliance {
namespace {

using receivables::Dispute;
using receivables::Invoice;
using receivables::Movement;

std::string Day(absl::CivilDay d) { return ledger::FormatDay(d); }

// num / den rounded half up. REQUIRES: num >= 0, den > 0.
int64_t RoundDiv(absl::int128 num, absl::int128 den) {
  return static_cast<int64_t>((num + den / 2) / den);
}

bool IsPublicBody(v1::ClientKind kind) {
  return kind == v1::CLIENT_KIND_GOVERNMENT_ORGAN || kind == v1::CLIENT_KIND_PUBLIC_INSTITUTION;
}

std::string_view KindWords(v1::ClientKind kind) {
  switch (kind) {
    case v1::CLIENT_KIND_GOVERNMENT_ORGAN:
      return "government organ";
    case v1::CLIENT_KIND_PUBLIC_INSTITUTION:
      return "public institution";
    case v1::CLIENT_KIND_STATE_OWNED_ENTERPRISE:
      return "state-owned enterprise";
    case v1::CLIENT_KIND_PRIVATE:
      return "private client";
    default:
      return "client of unknown kind";
  }
}

// Money owed by law at the end of day k: the outstanding amount less what is under
// disputes open that day (CN Art 15: the undisputed part stays due), never below zero.
int64_t DisputedOn(const receivables::Client& client, const std::string& invoice_id,
                   absl::CivilDay k) {
  int64_t disputed = 0;
  for (const auto& [id, d] : client.disputes) {
    if (d.invoice_id == invoice_id && d.OpenOn(k)) disputed += d.amount_minor;
  }
  return disputed;
}

int64_t OwedOn(const receivables::Client& client, const Invoice& invoice, absl::CivilDay k) {
  return std::max<int64_t>(0, invoice.OutstandingOn(k) - DisputedOn(client, invoice.invoice_id, k));
}

// The owed amount as a step function over days k in [from, to): segments [start, end)
// with a constant amount. Interest for calendar day d accrues on the amount owed at the
// end of day d - 1, so day k's segment pays for day k + 1: a payment on day p still owes
// day p's interest, as 5 CFR 1315.10(a)(1) counts "through the payment date".
struct Segment {
  absl::CivilDay start;
  absl::CivilDay end;  // exclusive
  int64_t owed_minor = 0;
};

std::vector<Segment> OwedSegments(const receivables::Client& client, const Invoice& invoice,
                                  absl::CivilDay from, absl::CivilDay to) {
  std::set<absl::CivilDay> changes = {from};
  auto add = [&](absl::CivilDay d) {
    if (d > from && d < to) changes.insert(d);
  };
  for (const Movement& m : invoice.movements) {
    add(m.effective_on);
    if (m.voided_on) add(*m.voided_on);
  }
  for (const auto& [id, d] : client.disputes) {
    if (d.invoice_id != invoice.invoice_id) continue;
    add(d.opened_on);
    if (d.resolution) add(d.resolution->resolved_on);
  }
  std::vector<Segment> segments;
  for (auto it = changes.begin(); it != changes.end(); ++it) {
    const absl::CivilDay end = std::next(it) == changes.end() ? to : *std::next(it);
    if (*it >= end) continue;
    const int64_t owed = OwedOn(client, invoice, *it);
    if (!segments.empty() && segments.back().owed_minor == owed) {
      segments.back().end = end;
    } else {
      segments.push_back(Segment{*it, end, owed});
    }
  }
  return segments;
}

// First day of the half-year holding `d`: the EU reference rate in force on 1 January
// or 1 July applies for that half (2011/7/EU Art 4(2)); also the Treasury's periods.
absl::CivilDay HalfYearStart(absl::CivilDay d) {
  return absl::CivilDay(d.year(), d.month() <= 6 ? 1 : 7, 1);
}

// CN and EU: simple interest, sum(owed * days * rate) / (1e6 * year_days), rounded once.
// `rate_on(day)` gives the rate in ppm for calendar day `day` (nullopt: no rate known).
template <typename RateOn>
std::optional<int64_t> SimpleInterest(const std::vector<Segment>& segments, int64_t year_days,
                                      RateOn rate_on) {
  absl::int128 numerator = 0;
  for (const Segment& s : segments) {
    if (s.owed_minor == 0) continue;
    // Days d = k + 1 for k in [start, end); split where the rate may change (half-years).
    absl::CivilDay d = s.start + 1;
    const absl::CivilDay last = s.end;  // inclusive: k = end - 1 pays day end
    while (d <= last) {
      const absl::CivilDay next_half = HalfYearStart(d).month() == 1
                                           ? absl::CivilDay(d.year(), 7, 1)
                                           : absl::CivilDay(d.year() + 1, 1, 1);
      const absl::CivilDay piece_end = std::min(last, next_half - 1);
      const std::optional<int64_t> rate = rate_on(d);
      if (!rate) return std::nullopt;
      numerator += absl::int128(s.owed_minor) * (piece_end - d + 1) * *rate;
      d = piece_end + 1;
    }
  }
  return RoundDiv(numerator, absl::int128(1'000'000) * year_days);
}

struct Layer {
  int64_t amount_minor;
  absl::CivilDay start;  // k of the first day it owes (pays for day start + 1)
};

}  // namespace

int64_t OwedOnDay(const receivables::Client& client, const Invoice& invoice, absl::CivilDay day) {
  return OwedOn(client, invoice, day);
}

int64_t CompoundInterestMinor(int64_t principal_minor, int64_t days, int64_t rate_ppm,
                              int64_t year_days, int64_t step_days) {
  if (principal_minor <= 0 || days <= 0 || rate_ppm <= 0) return 0;
  const absl::int128 den = absl::int128(1'000'000) * year_days;
  int64_t balance = principal_minor;
  int64_t left = days;
  while (left > 0) {
    const int64_t n = std::min(left, step_days);
    balance += RoundDiv(absl::int128(balance) * rate_ppm * n, den);
    left -= n;
  }
  return balance - principal_minor;
}

std::string_view RuleSetName(RuleSet rule_set) {
  switch (rule_set) {
    case RuleSet::kCn:
      return "CN";
    case RuleSet::kUs:
      return "US";
    case RuleSet::kEu:
      return "EU";
    case RuleSet::kNone:
      break;
  }
  return "none";
}

std::string_view ClockStartName(ClockStart start) {
  switch (start) {
    case ClockStart::kNone:
      return "not started";
    case ClockStart::kDelivery:
      return "delivery";
    case ClockStart::kIssueDate:
      return "issue date";
    case ClockStart::kInvoiceReceipt:
      return "invoice receipt";
    case ClockStart::kAcceptance:
      return "acceptance";
    case ClockStart::kConstructiveAcceptance:
      return "constructive acceptance";
    case ClockStart::kAcceptancePeriodEnd:
      return "end of acceptance period";
    case ClockStart::kAcceptancePending:
      return "acceptance pending";
  }
  return "not started";
}

std::string_view StatutoryStatusName(StatutoryStatus status) {
  switch (status) {
    case StatutoryStatus::kNotDue:
      return "not due";
    case StatutoryStatus::kPaidOnTime:
      return "paid on time";
    case StatutoryStatus::kOverdue:
      return "overdue";
    case StatutoryStatus::kPaidLate:
      return "paid late";
    case StatutoryStatus::kDisputed:
      return "disputed";
  }
  return "not due";
}

RuleChoice ChooseRuleSet(const receivables::Client& client) {
  const std::string kind(KindWords(client.client_kind));
  switch (client.jurisdiction) {
    case v1::JURISDICTION_CN:
      if (!IsPublicBody(client.client_kind)) {
        return {RuleSet::kNone,
                absl::StrCat("CN: ", kind, " (Art 9 binds organs and public institutions)")};
      }
      if (!client.seller_is_sme) {
        return {RuleSet::kNone,
                absl::StrCat("CN: ", kind, ", but the seller is not an SME toward it")};
      }
      return {RuleSet::kCn, absl::StrCat("CN: SME seller, ", kind)};
    case v1::JURISDICTION_US:
      if (!IsPublicBody(client.client_kind)) {
        return {RuleSet::kNone,
                absl::StrCat("US: ", kind, " (the Prompt Payment Act binds federal agencies)")};
      }
      return {RuleSet::kUs, absl::StrCat("US: ", kind)};
    case v1::JURISDICTION_EU:
      if (!IsPublicBody(client.client_kind)) {
        return {RuleSet::kNone, absl::StrCat("EU: ", kind, " (Art 4 binds public authorities)")};
      }
      return {RuleSet::kEu, absl::StrCat("EU: ", kind)};
    default:
      return {RuleSet::kNone, "no statutory rule set for this jurisdiction"};
  }
}

InvoiceAssessment AssessInvoice(std::string_view client_id, const receivables::Client& client,
                                const Invoice& invoice, const ClientFacts* facts, RuleSet rule_set,
                                absl::CivilDay as_of, const StatutoryOptions& options) {
  InvoiceAssessment a;
  a.client_id = std::string(client_id);
  a.invoice_id = invoice.invoice_id;
  a.contract_id = invoice.contract_id;
  a.currency = invoice.currency;
  a.amount_minor = invoice.amount_minor;
  a.issue_date = invoice.issue_date;
  a.contractual_due_date = invoice.due_date;
  a.rule_set = rule_set;
  a.outstanding_minor = invoice.OutstandingOn(as_of);
  a.disputed_minor = std::min(a.outstanding_minor, DisputedOn(client, invoice.invoice_id, as_of));

  const InvoiceFacts* f = nullptr;
  const Contract* contract = nullptr;
  if (facts != nullptr) {
    if (auto it = facts->invoices.find(invoice.invoice_id); it != facts->invoices.end())
      f = &it->second;
    if (auto it = facts->contracts.find(invoice.contract_id); it != facts->contracts.end()) {
      contract = &it->second;
    }
  }
  const ContractTerms terms = contract != nullptr ? contract->TermsOn(as_of) : ContractTerms{};
  const bool acceptance_required = contract != nullptr && contract->acceptance_required;
  std::optional<absl::CivilDay> delivery = f ? f->delivery_date : std::nullopt;
  // Plain values rather than an optional: GCC 12 warns (maybe-uninitialized) on
  // value_or of an optional CivilDay.
  const bool has_received = f != nullptr && f->received_date.has_value();
  const absl::CivilDay receipt = has_received ? *f->received_date : invoice.issue_date;
  std::optional<absl::CivilDay> accepted = f ? f->acceptance_date : std::nullopt;
  if (accepted && *accepted > as_of) accepted.reset();  // not yet, as the books stood

  // ------------------------------------------------------------------------ due date
  std::optional<absl::CivilDay> start;
  switch (rule_set) {
    case RuleSet::kCn: {
      a.term_days = options.cn_term_days;
      std::string term_words = absl::StrCat(options.cn_term_days, " days");
      if (terms.payment_terms_days > 0) {
        a.term_days = std::min<int64_t>(terms.payment_terms_days, options.cn_max_term_days);
        term_words = absl::StrCat("contract term ", terms.payment_terms_days, " days");
        if (terms.payment_terms_days > options.cn_max_term_days) {
          absl::StrAppend(&term_words, ", capped at ", options.cn_max_term_days);
          a.notes.push_back(absl::StrCat("Art 9: the contract's ", terms.payment_terms_days,
                                         "-day term exceeds ", options.cn_max_term_days,
                                         " days; the statutory limit applies"));
        }
      }
      absl::CivilDay delivered = invoice.issue_date;
      if (delivery) {
        delivered = *delivery;
      } else {
        a.notes.push_back("no delivery date: the issue date is taken as delivery");
      }
      if (acceptance_required) {
        const int64_t period = terms.acceptance_period_days;
        const absl::CivilDay period_end = delivered + period;
        if (accepted && (period == 0 || *accepted <= period_end)) {
          start = *accepted;
          a.clock_start = ClockStart::kAcceptance;
          a.due_rule = absl::StrCat("CN Art 10: acceptance on ", Day(*accepted),
                                    " starts the clock; Art 9: ", term_words);
        } else if (period > 0) {
          start = period_end;
          const bool late = accepted.has_value() || period_end < as_of;
          a.clock_start = late ? ClockStart::kAcceptancePeriodEnd : ClockStart::kAcceptancePending;
          a.provisional = !late;
          a.due_rule = absl::StrCat(
              "CN Art 10: ",
              late ? (accepted ? absl::StrCat("acceptance on ", Day(*accepted), " was late")
                               : std::string("acceptance is late"))
                   : std::string("acceptance pending"),
              "; the clock starts at the end of the ", period, "-day acceptance period, ",
              Day(period_end), "; Art 9: ", term_words);
        } else {
          a.clock_start = ClockStart::kNone;
          a.due_rule =
              "CN Art 10: acceptance is a condition of payment and has not passed; no "
              "acceptance period was agreed, so the clock has not started";
        }
      } else {
        start = delivered;
        a.clock_start = delivery ? ClockStart::kDelivery : ClockStart::kIssueDate;
        a.due_rule = absl::StrCat("CN Art 9: ", term_words, " from delivery on ", Day(delivered));
      }
      break;
    }
    case RuleSet::kUs: {
      a.term_days = terms.payment_terms_days > 0 ? terms.payment_terms_days : options.us_term_days;
      if (!has_received)
        a.notes.push_back("no receipt date: the invoice date is taken as received");
      start = receipt;
      a.clock_start = has_received ? ClockStart::kInvoiceReceipt : ClockStart::kIssueDate;
      std::optional<absl::CivilDay> acceptance = accepted;
      ClockStart acceptance_kind = ClockStart::kAcceptance;
      if (delivery) {
        const int64_t days = std::max<int64_t>(options.us_constructive_acceptance_days,
                                               terms.acceptance_period_days);
        const absl::CivilDay constructive = *delivery + days;
        if (!acceptance || constructive < *acceptance) {
          acceptance = constructive;
          acceptance_kind = ClockStart::kConstructiveAcceptance;
        }
      }
      std::string acceptance_words;
      if (acceptance && *acceptance > receipt) {
        start = *acceptance;
        a.clock_start = acceptance_kind;
      }
      if (acceptance) {
        acceptance_words = absl::StrCat(acceptance_kind == ClockStart::kConstructiveAcceptance
                                            ? "constructive acceptance (FAR 52.232-25(a)(5)(i)) on "
                                            : "acceptance on ",
                                        Day(*acceptance));
      }
      a.due_rule = absl::StrCat(
          "US 31 U.S.C. 3903(a)(1): ", a.term_days, " days after the later of invoice receipt on ",
          Day(receipt), acceptance ? absl::StrCat(" and ", acceptance_words) : std::string());
      break;
    }
    case RuleSet::kEu: {
      a.term_days = options.eu_term_days;
      std::string term_words = absl::StrCat("Art 4(3): ", options.eu_term_days, " days");
      if (terms.payment_terms_days > 0) {
        a.term_days = std::min<int64_t>(terms.payment_terms_days, options.eu_max_term_days);
        term_words = absl::StrCat("Art 4(6): contract term ", terms.payment_terms_days, " days");
        if (terms.payment_terms_days > options.eu_max_term_days) {
          absl::StrAppend(&term_words, ", capped at ", options.eu_max_term_days);
          a.notes.push_back(absl::StrCat("Art 4(6): the contract's ", terms.payment_terms_days,
                                         "-day term exceeds ", options.eu_max_term_days, " days"));
        }
      }
      if (!has_received)
        a.notes.push_back("no receipt date: the invoice date is taken as received");
      start = receipt;
      a.clock_start = has_received ? ClockStart::kInvoiceReceipt : ClockStart::kIssueDate;
      std::string from_words = absl::StrCat("receipt of the invoice on ", Day(receipt));
      if (acceptance_required && delivery) {
        int64_t period = terms.acceptance_period_days > 0 ? terms.acceptance_period_days
                                                          : options.eu_max_acceptance_days;
        if (period > options.eu_max_acceptance_days) {
          a.notes.push_back(absl::StrCat("Art 4(5): the contract's ", period,
                                         "-day acceptance period exceeds ",
                                         options.eu_max_acceptance_days, " days"));
          period = options.eu_max_acceptance_days;
        }
        const absl::CivilDay period_end = *delivery + period;
        absl::CivilDay acceptance_day = period_end;
        ClockStart kind = ClockStart::kAcceptancePeriodEnd;
        if (accepted && *accepted <= period_end) {
          acceptance_day = *accepted;
          kind = ClockStart::kAcceptance;
        } else if (!accepted && period_end >= as_of) {
          kind = ClockStart::kAcceptancePending;
          a.provisional = true;
        }
        if (acceptance_day >= receipt) {  // Art 4(3)(a)(iv): invoice before acceptance
          start = acceptance_day;
          a.clock_start = kind;
          from_words = absl::StrCat(kind == ClockStart::kAcceptance ? "acceptance on "
                                    : kind == ClockStart::kAcceptancePending
                                        ? "the end of the pending acceptance period, "
                                        : "the end of the acceptance period (acceptance late), ",
                                    Day(acceptance_day));
        }
      } else if (delivery && *delivery > receipt) {  // Art 4(3)(a)(iii)
        start = *delivery;
        a.clock_start = ClockStart::kDelivery;
        from_words = absl::StrCat("receipt of the goods or services on ", Day(*delivery));
      }
      a.due_rule = absl::StrCat("EU 2011/7/EU ", term_words, " from ", from_words);
      break;
    }
    case RuleSet::kNone:
      a.due_rule = "no statutory rule";
      return a;
  }
  a.clock_started_on = start;
  if (!start) {
    a.status = StatutoryStatus::kNotDue;
    return a;
  }
  const absl::CivilDay due = *start + a.term_days;
  a.statutory_due_date = due;

  // ----------------------------------------------------------------- status and days
  if (as_of <= due) {
    a.status = a.outstanding_minor == 0 ? StatutoryStatus::kPaidOnTime : StatutoryStatus::kNotDue;
    a.interest_rule = "not overdue";
    return a;
  }
  const std::vector<Segment> segments = OwedSegments(client, invoice, due, as_of);
  const int64_t owed_now = OwedOn(client, invoice, as_of);
  a.overdue_minor = owed_now;
  std::optional<absl::CivilDay> last_owed;  // last k with money owed
  for (const Segment& s : segments) {
    if (s.owed_minor > 0) last_owed = s.end - 1;
  }
  if (owed_now > 0) {
    a.status = StatutoryStatus::kOverdue;
    a.days_overdue = as_of - due;
  } else {
    // Whatever remains is under dispute (kDisputed), or nothing remains. Either way the
    // money that was owed by law and paid after the due date was paid that many days late.
    if (last_owed) a.days_overdue = (*last_owed + 1) - due;
    a.status = a.outstanding_minor > 0 ? StatutoryStatus::kDisputed
               : last_owed             ? StatutoryStatus::kPaidLate
                                       : StatutoryStatus::kPaidOnTime;
  }
  if (a.disputed_minor > 0) {
    a.notes.push_back(absl::StrCat(rule_set == RuleSet::kCn   ? "Art 15"
                                   : rule_set == RuleSet::kUs ? "31 U.S.C. 3907(c)"
                                                              : "disputes",
                                   ": ", a.disputed_minor,
                                   " under open disputes is not counted as overdue"));
  }

  // ------------------------------------------------------------------------ interest
  // A rate used for a day past its table's next publication is flagged, never silent.
  auto flag = [&](RateTableId table, absl::CivilDay day) {
    if (auto carried = CarriedPast(options.rates, table, day)) {
      MergeCarriedRate(*carried, &a.carried_rates);
    }
  };
  switch (rule_set) {
    case RuleSet::kCn: {
      if (terms.late_interest_rate_bps > 0) {
        int64_t rate = int64_t{terms.late_interest_rate_bps} * 100;
        a.interest_rule = absl::StrCat("CN Art 17: agreed rate ", FormatPercent(rate), " a year (",
                                       options.cn_year_days, "-day year), simple");
        flag(RateTableId::kCnLpr1y, contract->signed_on);
        if (std::optional<int64_t> lpr = options.rates.cn_lpr_1y.RateOn(contract->signed_on);
            lpr && *lpr > rate) {
          a.interest_rule =
              absl::StrCat("CN Art 17: agreed rate ", FormatPercent(rate),
                           " is below the 1-year LPR at signing; the LPR ", FormatPercent(*lpr),
                           " a year applies (", options.cn_year_days, "-day year), simple");
          rate = *lpr;
        }
        a.rate_ppm = rate;
        a.interest_minor =
            *SimpleInterest(segments, options.cn_year_days, [&](absl::CivilDay) { return rate; });
      } else {
        a.rate_ppm = options.cn_daily_rate_ppm;
        a.rate_per_day = true;
        a.interest_rule = absl::StrCat("CN Art 17: no rate agreed; ", FormatPercent(a.rate_ppm),
                                       " a day, simple");
        a.interest_minor = *SimpleInterest(segments, 1, [&](absl::CivilDay) {
          return std::optional<int64_t>(options.cn_daily_rate_ppm);
        });
      }
      break;
    }
    case RuleSet::kEu: {
      auto rate_on = [&](absl::CivilDay d) -> std::optional<int64_t> {
        std::optional<int64_t> ecb = options.rates.ecb_main_refinancing.RateOn(HalfYearStart(d));
        if (!ecb) return std::nullopt;
        flag(RateTableId::kEcbMainRefinancing, HalfYearStart(d));
        return *ecb + options.eu_margin_ppm;
      };
      std::optional<int64_t> first = rate_on(due + 1);
      std::optional<int64_t> interest = SimpleInterest(segments, options.eu_year_days, rate_on);
      if (!first || !interest) {
        a.interest_rule = absl::StrCat("EU Art 2(6): no ECB reference rate in the table for ",
                                       Day(HalfYearStart(due + 1)));
        a.notes.push_back("interest not computed: rate table has no entry");
        break;
      }
      a.rate_ppm = *first;
      a.interest_minor = *interest;
      a.interest_rule =
          absl::StrCat("EU 2011/7/EU Art 2(6), 4(1)-(2): ECB reference rate on 1 Jan / 1 Jul + ",
                       FormatPercent(options.eu_margin_ppm), " (", FormatPercent(a.rate_ppm),
                       " from ", Day(due + 1), "), ", options.eu_year_days, "-day year, simple");
      if (a.status == StatutoryStatus::kOverdue || a.status == StatutoryStatus::kPaidLate) {
        a.fixed_compensation_minor = options.eu_fixed_compensation_minor;
        a.fixed_compensation_currency = options.eu_fixed_compensation_currency;
        absl::StrAppend(&a.interest_rule, "; Art 6(1): fixed compensation ",
                        options.eu_fixed_compensation_currency, " ",
                        options.eu_fixed_compensation_minor / 100);
      }
      break;
    }
    case RuleSet::kUs: {
      // 5 CFR 1315.10(a)(1): the rate in effect on the day after the due date applies to
      // the whole period, even across a half-year change. Money that becomes owed later
      // (a rejected dispute, a reversed payment) is a new layer with its own day; money
      // paid ends the most recent layer first (LIFO), so each layer compounds from its
      // own start, as a separate late payment would.
      std::optional<int64_t> rate = options.rates.us_prompt_payment.RateOn(due + 1);
      if (rate) flag(RateTableId::kUsPromptPayment, due + 1);
      if (!rate) {
        a.interest_rule = absl::StrCat("US 5 CFR 1315.10(a)(1): no Treasury rate in the table for ",
                                       Day(due + 1));
        a.notes.push_back("interest not computed: rate table has no entry");
        break;
      }
      a.rate_ppm = *rate;
      std::vector<Layer> stack;
      int64_t total = 0;
      auto close = [&](const Layer& layer, int64_t amount, absl::CivilDay end) {
        const std::optional<int64_t> layer_rate =
            options.rates.us_prompt_payment.RateOn(layer.start + 1);
        if (layer_rate) flag(RateTableId::kUsPromptPayment, layer.start + 1);
        const int64_t days = std::min<int64_t>(end - layer.start, options.us_max_interest_days);
        total += CompoundInterestMinor(amount, days, layer_rate.value_or(*rate),
                                       options.us_year_days, options.us_compounding_days);
      };
      int64_t level = 0;
      for (const Segment& s : segments) {
        if (s.owed_minor > level) {
          stack.push_back(Layer{s.owed_minor - level, s.start});
        } else {
          int64_t drop = level - s.owed_minor;
          while (drop > 0) {
            Layer& top = stack.back();
            const int64_t take = std::min(drop, top.amount_minor);
            close(top, take, s.start);
            top.amount_minor -= take;
            drop -= take;
            if (top.amount_minor == 0) stack.pop_back();
          }
        }
        level = s.owed_minor;
      }
      for (const Layer& layer : stack) close(layer, layer.amount_minor, as_of);
      if (as_of - due > options.us_max_interest_days) {
        a.notes.push_back(absl::StrCat("5 CFR 1315.10(a)(5)(ii): interest accrues for at most ",
                                       options.us_max_interest_days, " days"));
      }
      a.interest_rule = absl::StrCat("US 5 CFR 1315.10(a): Treasury rate ", FormatPercent(*rate),
                                     " in effect on ", Day(due + 1), ", ", options.us_year_days,
                                     "-day year, compounded every ", options.us_compounding_days,
                                     " days, at most ", options.us_max_interest_days, " days");
      if (total > 0 && total < options.us_min_interest_minor) {
        a.notes.push_back(absl::StrCat("5 CFR 1315.10(a)(7): interest of ", total,
                                       " minor units is under $1 and not paid"));
        total = 0;
      }
      a.interest_minor = total;
      break;
    }
    case RuleSet::kNone:
      break;
  }
  for (const CarriedRate& carried : a.carried_rates) {
    a.notes.push_back(DescribeCarriedRate(carried));
  }
  return a;
}

std::vector<TermFinding> CheckContractTerms(std::string_view client_id, const Contract& contract,
                                            RuleSet rule_set, absl::CivilDay as_of,
                                            const StatutoryOptions& options) {
  std::vector<TermFinding> findings;
  if (contract.signed_on > as_of) return findings;
  const ContractTerms& terms = contract.TermsOn(as_of);
  auto add = [&](std::string term, int64_t value, int64_t limit, std::string article,
                 std::string finding) {
    findings.push_back(TermFinding{std::string(client_id), contract.contract_id, rule_set,
                                   std::move(term), value, limit, std::move(article),
                                   std::move(finding)});
  };
  switch (rule_set) {
    case RuleSet::kCn:
      if (terms.payment_terms_days > options.cn_max_term_days) {
        add("payment_terms_days", terms.payment_terms_days, options.cn_max_term_days, "CN Art 9",
            absl::StrCat("payment term of ", terms.payment_terms_days, " days exceeds the ",
                         options.cn_max_term_days, " days allowed"));
      }
      if (terms.late_interest_rate_bps > 0) {
        const int64_t rate = int64_t{terms.late_interest_rate_bps} * 100;
        std::optional<int64_t> lpr = options.rates.cn_lpr_1y.RateOn(contract.signed_on);
        if (lpr && rate < *lpr) {
          auto carried = CarriedPast(options.rates, RateTableId::kCnLpr1y, contract.signed_on);
          add("late_interest_rate", rate, *lpr, "CN Art 17",
              absl::StrCat("agreed late-interest rate ", FormatPercent(rate),
                           " is below the 1-year LPR ", FormatPercent(*lpr), " on signing day ",
                           Day(contract.signed_on),
                           carried ? absl::StrCat(" (", DescribeCarriedRate(*carried), ")")
                                   : std::string()));
        }
      }
      break;
    case RuleSet::kEu:
      if (terms.payment_terms_days > options.eu_max_term_days) {
        add("payment_terms_days", terms.payment_terms_days, options.eu_max_term_days,
            "EU 2011/7/EU Art 4(6)",
            absl::StrCat("payment term of ", terms.payment_terms_days, " days exceeds the ",
                         options.eu_max_term_days, " days allowed"));
      }
      if (contract.acceptance_required &&
          terms.acceptance_period_days > options.eu_max_acceptance_days) {
        add("acceptance_period_days", terms.acceptance_period_days, options.eu_max_acceptance_days,
            "EU 2011/7/EU Art 4(5)",
            absl::StrCat("acceptance period of ", terms.acceptance_period_days,
                         " days exceeds the ", options.eu_max_acceptance_days, " days allowed"));
      }
      break;
    case RuleSet::kUs:
    case RuleSet::kNone:
      break;
  }
  return findings;
}

}  // namespace sixhearts::services::compliance
