// JSON, CSV and HTML renderings of the compliance report and the disclosure.
#include "services/compliance/render.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "ledger/currency.h"
#include "ledger/dates.h"
#include "ledger/quoted.h"
#include "services/relationships/hearts.h"

namespace sixhearts::services::compliance {
namespace {

std::string Day(absl::CivilDay d) { return ledger::FormatDay(d); }
std::string Time(absl::Time t) { return ledger::FormatUtcTime(t); }
std::string Month(absl::CivilMonth m) { return ledger::FormatMonth(m); }

std::string_view PromiseStatusName(receivables::PromiseStatus s) {
  switch (s) {
    case receivables::PromiseStatus::kOpen:
      return "open";
    case receivables::PromiseStatus::kKept:
      return "kept";
    case receivables::PromiseStatus::kPartiallyKept:
      return "partially kept";
    case receivables::PromiseStatus::kBroken:
      return "broken";
  }
  return "open";
}

std::string_view OutcomeName(v1::DisputeOutcome o) {
  switch (o) {
    case v1::DISPUTE_OUTCOME_UPHELD:
      return "upheld";
    case v1::DISPUTE_OUTCOME_REJECTED:
      return "rejected";
    case v1::DISPUTE_OUTCOME_PARTIAL:
      return "partial";
    default:
      return "unspecified";
  }
}

std::string RatePercent(const InvoiceAssessment& a) {
  if (a.rate_ppm == 0) return "";
  return absl::StrCat(FormatPercent(a.rate_ppm), a.rate_per_day ? " a day" : " a year");
}

std::string OptionalDouble(const std::optional<double>& v, int digits) {
  return v ? absl::StrFormat("%.*f", digits, *v) : std::string();
}

// ------------------------------------------------------------------------------ JSON

std::string JsonString(std::string_view s) { return ledger::Quoted(s); }

// A small JSON writer: objects and arrays with commas tracked per level; each array
// element and each top-level key starts a new line, so diffs and greps stay readable.
class Json {
 public:
  Json& Begin(char bracket) {
    Separate();
    out_ += bracket;
    first_.push_back(true);
    arrays_.push_back(bracket == '[');
    return *this;
  }
  Json& End() {
    const bool array = arrays_.back();
    first_.pop_back();
    arrays_.pop_back();
    if (array || first_.size() == 0) out_ += "\n";
    out_ += array ? ']' : '}';
    return *this;
  }
  Json& Key(std::string_view key) {
    Separate();
    out_ += JsonString(key);
    out_ += ':';
    pending_key_ = true;
    return *this;
  }
  Json& Str(std::string_view v) { return Raw(JsonString(v)); }
  Json& Int(int64_t v) { return Raw(absl::StrCat(v)); }
  Json& Bool(bool v) { return Raw(v ? "true" : "false"); }
  Json& OptDay(const std::optional<absl::CivilDay>& d) { return d ? Str(Day(*d)) : Raw("null"); }
  Json& OptDouble(const std::optional<double>& v, int digits) {
    return v ? Raw(OptionalDouble(v, digits)) : Raw("null");
  }
  Json& Raw(std::string_view v) {
    Separate();
    out_.append(v);
    return *this;
  }
  // Key and value in one call.
  template <typename F>
  Json& Field(std::string_view key, F&& value) {
    Key(key);
    value(*this);
    return *this;
  }
  Json& S(std::string_view key, std::string_view v) { return Key(key).Str(v); }
  Json& I(std::string_view key, int64_t v) { return Key(key).Int(v); }
  std::string Take() {
    out_ += "\n";
    return std::move(out_);
  }

 private:
  void Separate() {
    if (pending_key_) {
      pending_key_ = false;
      return;
    }
    if (first_.empty()) return;
    if (!first_.back()) out_ += ',';
    first_.back() = false;
    if (arrays_.back() || first_.size() == 1) out_ += "\n";
  }
  std::string out_;
  std::vector<bool> first_;
  std::vector<bool> arrays_;
  bool pending_key_ = false;
};

void JsonDigest(Json& j, const LogDigest& d) {
  j.Key("digest")
      .Begin('{')
      .I("position", d.position)
      .S("head_hash", d.head_hash_hex)
      .S("checkpoint", d.checkpoint)
      .End();
}

void JsonInts(Json& j, const std::vector<int64_t>& v) {
  j.Raw(absl::StrCat("[", absl::StrJoin(v, ","), "]"));
}

std::string Hex(std::string_view bytes) {
  return absl::BytesToHexString(absl::string_view(bytes.data(), bytes.size()));
}

// `proof`: the invoice's figures and event positions in a report on proofs, else nullptr.
void JsonAssessment(Json& j, const InvoiceAssessment& a, const InvoiceProof* proof) {
  j.Begin('{')
      .S("client_id", a.client_id)
      .S("invoice_id", a.invoice_id)
      .S("contract_id", a.contract_id)
      .S("currency", a.currency)
      .I("amount_minor", a.amount_minor)
      .S("issue_date", Day(a.issue_date))
      .S("contractual_due_date", Day(a.contractual_due_date))
      .S("rule_set", RuleSetName(a.rule_set))
      .S("clock_start", ClockStartName(a.clock_start));
  j.Key("clock_started_on").OptDay(a.clock_started_on);
  j.I("term_days", a.term_days);
  j.Key("statutory_due_date").OptDay(a.statutory_due_date);
  j.Key("provisional").Bool(a.provisional);
  j.S("status", StatutoryStatusName(a.status))
      .I("days_overdue", a.days_overdue)
      .I("outstanding_minor", a.outstanding_minor)
      .I("disputed_minor", a.disputed_minor)
      .I("overdue_minor", a.overdue_minor)
      .I("interest_minor", a.interest_minor)
      .S("rate", RatePercent(a))
      .I("fixed_compensation_minor", a.fixed_compensation_minor)
      .S("fixed_compensation_currency", a.fixed_compensation_currency)
      .S("due_rule", a.due_rule)
      .S("interest_rule", a.interest_rule);
  j.Key("notes").Begin('[');
  for (const std::string& n : a.notes) j.Str(n);
  j.End();
  if (proof != nullptr) {
    j.Key("proof")
        .Begin('{')
        .I("paid_minor", proof->paid_minor)
        .I("credited_minor", proof->credited_minor)
        .I("written_off_minor", proof->written_off_minor)
        .Key("positions");
    JsonInts(j, std::vector<int64_t>(proof->positions.begin(), proof->positions.end()));
    j.End();
  }
  j.End();
}

// The proven events, one a line: position, leaf, bytes (base64) and inclusion path.
void JsonProofs(Json& j, const LogDigest& digest, const ReportProofs& proofs) {
  j.Key("proofs").Begin('{');
  j.I("tree_size", static_cast<int64_t>(digest.position)).S("tree_root", Hex(proofs.tree_root));
  j.Key("events").Begin('[');
  for (const ProvenEvent& e : proofs.events) {
    std::vector<std::string> path;
    for (const std::string& hash : e.path) path.push_back(JsonString(Hex(hash)));
    j.Begin('{')
        .I("position", static_cast<int64_t>(e.position))
        .S("leaf", Hex(e.leaf))
        .S("event_base64", absl::Base64Escape(e.bytes))
        .Key("inclusion_path")
        .Raw(absl::StrCat("[", absl::StrJoin(path, ","), "]"))
        .End();
  }
  j.End().End();
}

std::string ComplianceJson(const ComplianceReport& r) {
  Json j;
  j.Begin('{')
      .S("report", "compliance")
      .S("as_of", Day(r.as_of))
      .S("known_at", Time(r.known_at))
      .S("period_from", Day(r.period_from));
  JsonDigest(j, r.digest);
  j.S("rate_tables", r.rate_tables);
  // Rates used past their table's next publication: a newer rate may apply.
  j.Key("carried_rates").Begin('[');
  for (const CarriedRate& c : r.carried_rates) {
    j.Begin('{')
        .S("table", std::string(RateTableName(c.table)))
        .S("last_entry", Day(c.last_entry))
        .S("rate", FormatPercent(c.rate_ppm))
        .S("next_publication", Day(c.next_publication))
        .S("used_for", Day(c.used_for))
        .I("days_after_last_entry", c.days_after_last_entry())
        .End();
  }
  j.End();
  j.Key("aging").Begin('{');
  j.Key("buckets").Begin('[');
  for (const auto& b : r.aging.buckets) j.Str(b.label);
  j.End();
  auto row = [&](const receivables::AgingRow& row, bool client) {
    j.Begin('{');
    if (client) j.S("client_id", row.group);
    j.S("currency", row.currency);
    j.Key("outstanding_by_bucket_minor");
    JsonInts(j, row.outstanding_by_bucket_minor);
    j.I("outstanding_minor", row.outstanding_minor)
        .I("disputed_minor", row.disputed_minor)
        .I("unapplied_cash_minor", row.unapplied_cash_minor)
        .I("standalone_credit_minor", row.standalone_credit_minor)
        .I("net_minor", row.net_minor)
        .End();
  };
  j.Key("totals").Begin('[');
  for (const auto& t : r.aging.totals) row(t, false);
  j.End();
  j.Key("clients").Begin('[');
  for (const auto& t : r.aging.rows) row(t, true);
  j.End().End();
  j.Key("statutory_totals").Begin('[');
  for (const StatutoryTotal& t : r.totals) {
    j.Begin('{')
        .S("rule_set", RuleSetName(t.rule_set))
        .S("currency", t.currency)
        .I("invoices_assessed", t.invoices_assessed)
        .I("invoices_overdue", t.invoices_overdue)
        .I("overdue_minor", t.overdue_minor)
        .I("invoices_paid_late", t.invoices_paid_late)
        .I("interest_minor", t.interest_minor)
        .I("fixed_compensation_minor", t.fixed_compensation_minor)
        .End();
  }
  j.End();
  j.Key("invoices").Begin('[');
  for (size_t i = 0; i < r.invoices.size(); ++i) {
    JsonAssessment(j, r.invoices[i], r.proofs ? &r.proofs->invoices[i] : nullptr);
  }
  j.End();
  j.Key("contract_findings").Begin('[');
  for (const TermFinding& f : r.findings) {
    j.Begin('{')
        .S("client_id", f.client_id)
        .S("contract_id", f.contract_id)
        .S("rule_set", RuleSetName(f.rule_set))
        .S("term", f.term)
        .I("value", f.value)
        .I("limit", f.limit)
        .S("article", f.article)
        .S("finding", f.finding)
        .End();
  }
  j.End();
  auto promise = [&](const receivables::PromiseLine& p) {
    j.Begin('{')
        .S("client_id", p.client_id)
        .S("promise_id", p.promise_id)
        .S("currency", p.currency)
        .I("amount_minor", p.amount_minor)
        .S("made_on", Day(p.made_on))
        .S("promised_date", Day(p.promised_date))
        .S("judged_on", Day(p.judged_on))
        .I("received_minor", p.received_minor)
        .S("status", PromiseStatusName(p.status))
        .End();
  };
  j.Key("promises").Begin('{');
  j.Key("open").Begin('[');
  for (const auto& p : r.promises.open) promise(p);
  j.End();
  j.Key("judged").Begin('[');
  for (const auto& p : r.promises.judged) promise(p);
  j.End();
  j.I("kept", r.promises.kept_count)
      .I("partially_kept", r.promises.partially_kept_count)
      .I("broken", r.promises.broken_count);
  j.Key("broken_rate").OptDouble(r.promises.broken_rate, 4);
  j.End();
  auto dispute = [&](const receivables::DisputeLine& d) {
    j.Begin('{')
        .S("client_id", d.client_id)
        .S("dispute_id", d.dispute_id)
        .S("invoice_id", d.invoice_id)
        .S("currency", d.currency)
        .I("amount_minor", d.amount_minor)
        .S("reason", d.reason)
        .S("opened_on", Day(d.opened_on));
    if (d.resolution) {
      j.S("outcome", OutcomeName(d.resolution->outcome))
          .I("conceded_minor", d.resolution->conceded_minor)
          .S("resolved_on", Day(d.resolution->resolved_on));
    }
    j.End();
  };
  j.Key("disputes").Begin('{');
  j.Key("open").Begin('[');
  for (const auto& d : r.disputes.open) dispute(d);
  j.End();
  j.Key("resolved").Begin('[');
  for (const auto& d : r.disputes.resolved) dispute(d);
  j.End().End();
  j.Key("coverage").Begin('[');
  for (const HeartCoverage& c : r.coverage) {
    j.Begin('{')
        .S("heart", relationships::HeartName(c.heart))
        .I("clients_practised", c.clients_practised)
        .I("clients", c.clients)
        .End();
  }
  j.End();
  j.Key("clients").Begin('[');
  for (const ClientHealth& c : r.clients) {
    j.Begin('{')
        .S("client_id", c.client_id)
        .S("name", c.name)
        .S("rule_set", RuleSetName(c.rule_set))
        .S("rule_reason", c.rule_reason);
    j.Key("health_index").OptDouble(c.health_index, 1);
    j.I("invoices_overdue", c.invoices_overdue).End();
  }
  j.End();
  j.Key("overdue_trend").Begin('[');
  for (const TrendPoint& p : r.trend) {
    j.Begin('{').S("on", Day(p.on)).I("invoices_overdue", p.invoices_overdue);
    j.Key("overdue_minor").Begin('{');
    for (const auto& [currency, v] : p.overdue_minor) j.I(currency, v);
    j.End().End();
  }
  j.End();
  j.Key("trust_timeline").Begin('[');
  for (const TrustPoint& p : r.trust) {
    j.Begin('{')
        .S("month", Month(p.month))
        .I("clients_practised", p.clients_practised)
        .I("practice_days", p.practice_days)
        .End();
  }
  j.End();
  if (r.proofs) JsonProofs(j, r.digest, *r.proofs);
  j.End();
  return j.Take();
}

std::string_view KindName(v1::ClientKind kind) {
  switch (kind) {
    case v1::CLIENT_KIND_GOVERNMENT_ORGAN:
      return "government organ";
    case v1::CLIENT_KIND_PUBLIC_INSTITUTION:
      return "public institution";
    case v1::CLIENT_KIND_STATE_OWNED_ENTERPRISE:
      return "state-owned enterprise";
    case v1::CLIENT_KIND_PRIVATE:
      return "private";
    default:
      return "unspecified";
  }
}

std::string DisclosureJson(const DisclosureReport& r) {
  Json j;
  j.Begin('{')
      .S("report", "disclosure")
      .I("year", r.year)
      .S("as_of", Day(r.as_of))
      .S("known_at", Time(r.known_at));
  JsonDigest(j, r.digest);
  j.Key("rows").Begin('[');
  for (const DisclosureRow& row : r.rows) {
    j.Begin('{')
        .S("client_id", row.client_id)
        .S("name", row.name)
        .S("client_kind", KindName(row.client_kind))
        .S("currency", row.currency)
        .I("contracts_overdue", row.contracts_overdue)
        .I("invoices_overdue", row.invoices_overdue)
        .I("overdue_minor", row.overdue_minor)
        .I("unpaid_at_year_end_minor", row.unpaid_at_year_end_minor)
        .I("interest_minor", row.interest_minor)
        .End();
  }
  j.End();
  j.Key("totals").Begin('[');
  for (const auto& [currency, n] : r.contracts_overdue_by_currency) {
    j.Begin('{')
        .S("currency", currency)
        .I("contracts_overdue", n)
        .I("overdue_minor", r.overdue_minor_by_currency.at(currency))
        .End();
  }
  j.End().End();
  return j.Take();
}

// ------------------------------------------------------------------------------- CSV

std::string CsvCell(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

class Csv {
 public:
  void Section(std::string_view name, const std::vector<std::string>& columns) {
    if (!out_.empty()) out_ += "\r\n";
    std::vector<std::string> header = {std::string(name)};
    header.insert(header.end(), columns.begin(), columns.end());
    Row(header);
  }
  void Row(const std::vector<std::string>& cells) {
    std::vector<std::string> quoted;
    quoted.reserve(cells.size());
    for (const std::string& c : cells) quoted.push_back(CsvCell(c));
    absl::StrAppend(&out_, absl::StrJoin(quoted, ","), "\r\n");
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string N(int64_t v) { return absl::StrCat(v); }

std::string ComplianceCsv(const ComplianceReport& r) {
  Csv c;
  c.Section("report", {"as_of", "known_at", "period_from", "position", "head_hash", "checkpoint"});
  c.Row({"compliance", Day(r.as_of), Time(r.known_at), Day(r.period_from), N(r.digest.position),
         r.digest.head_hash_hex, r.digest.checkpoint});
  std::vector<std::string> aging_columns = {"client_id", "currency"};
  for (const auto& b : r.aging.buckets) aging_columns.push_back(absl::StrCat(b.label, " (minor)"));
  aging_columns.insert(aging_columns.end(), {"outstanding_minor", "disputed_minor", "net_minor"});
  c.Section("aging", aging_columns);
  auto aging_row = [&](const receivables::AgingRow& row, std::string client) {
    std::vector<std::string> cells = {"", std::move(client), row.currency};
    for (int64_t v : row.outstanding_by_bucket_minor) cells.push_back(N(v));
    cells.insert(cells.end(), {N(row.outstanding_minor), N(row.disputed_minor), N(row.net_minor)});
    c.Row(cells);
  };
  for (const auto& row : r.aging.rows) aging_row(row, row.group);
  for (const auto& row : r.aging.totals) aging_row(row, "(total)");
  c.Section("statutory_totals",
            {"rule_set", "currency", "invoices_assessed", "invoices_overdue", "overdue_minor",
             "invoices_paid_late", "interest_minor", "fixed_compensation_minor"});
  for (const StatutoryTotal& t : r.totals) {
    c.Row({"", std::string(RuleSetName(t.rule_set)), t.currency, N(t.invoices_assessed),
           N(t.invoices_overdue), N(t.overdue_minor), N(t.invoices_paid_late), N(t.interest_minor),
           N(t.fixed_compensation_minor)});
  }
  c.Section("invoices", {"client_id",
                         "invoice_id",
                         "contract_id",
                         "currency",
                         "amount_minor",
                         "issue_date",
                         "contractual_due_date",
                         "rule_set",
                         "clock_start",
                         "clock_started_on",
                         "term_days",
                         "statutory_due_date",
                         "provisional",
                         "status",
                         "days_overdue",
                         "outstanding_minor",
                         "disputed_minor",
                         "overdue_minor",
                         "interest_minor",
                         "rate",
                         "fixed_compensation_minor",
                         "fixed_compensation_currency",
                         "due_rule",
                         "interest_rule",
                         "notes"});
  for (const InvoiceAssessment& a : r.invoices) {
    c.Row({"",
           a.client_id,
           a.invoice_id,
           a.contract_id,
           a.currency,
           N(a.amount_minor),
           Day(a.issue_date),
           Day(a.contractual_due_date),
           std::string(RuleSetName(a.rule_set)),
           std::string(ClockStartName(a.clock_start)),
           a.clock_started_on ? Day(*a.clock_started_on) : "",
           N(a.term_days),
           a.statutory_due_date ? Day(*a.statutory_due_date) : "",
           a.provisional ? "yes" : "no",
           std::string(StatutoryStatusName(a.status)),
           N(a.days_overdue),
           N(a.outstanding_minor),
           N(a.disputed_minor),
           N(a.overdue_minor),
           N(a.interest_minor),
           RatePercent(a),
           N(a.fixed_compensation_minor),
           a.fixed_compensation_currency,
           a.due_rule,
           a.interest_rule,
           absl::StrJoin(a.notes, "; ")});
  }
  c.Section("carried_rates", {"table", "last_entry", "rate", "next_publication", "used_for",
                              "days_after_last_entry"});
  for (const CarriedRate& cr : r.carried_rates) {
    c.Row({"", std::string(RateTableName(cr.table)), Day(cr.last_entry), FormatPercent(cr.rate_ppm),
           Day(cr.next_publication), Day(cr.used_for), N(cr.days_after_last_entry())});
  }
  c.Section("contract_findings", {"client_id", "contract_id", "rule_set", "term", "value", "limit",
                                  "article", "finding"});
  for (const TermFinding& f : r.findings) {
    c.Row({"", f.client_id, f.contract_id, std::string(RuleSetName(f.rule_set)), f.term, N(f.value),
           N(f.limit), f.article, f.finding});
  }
  c.Section("promises", {"client_id", "promise_id", "currency", "amount_minor", "made_on",
                         "promised_date", "judged_on", "received_minor", "status"});
  for (const auto* list : {&r.promises.open, &r.promises.judged}) {
    for (const auto& p : *list) {
      c.Row({"", p.client_id, p.promise_id, p.currency, N(p.amount_minor), Day(p.made_on),
             Day(p.promised_date), Day(p.judged_on), N(p.received_minor),
             std::string(PromiseStatusName(p.status))});
    }
  }
  c.Section("disputes", {"client_id", "dispute_id", "invoice_id", "currency", "amount_minor",
                         "opened_on", "outcome", "resolved_on", "reason"});
  for (const auto* list : {&r.disputes.open, &r.disputes.resolved}) {
    for (const auto& d : *list) {
      c.Row({"", d.client_id, d.dispute_id, d.invoice_id, d.currency, N(d.amount_minor),
             Day(d.opened_on),
             d.resolution ? std::string(OutcomeName(d.resolution->outcome)) : "open",
             d.resolution ? Day(d.resolution->resolved_on) : "", d.reason});
    }
  }
  c.Section("coverage", {"heart", "clients_practised", "clients"});
  for (const HeartCoverage& h : r.coverage) {
    c.Row(
        {"", std::string(relationships::HeartName(h.heart)), N(h.clients_practised), N(h.clients)});
  }
  c.Section("clients",
            {"client_id", "name", "rule_set", "rule_reason", "health_index", "invoices_overdue"});
  for (const ClientHealth& h : r.clients) {
    c.Row({"", h.client_id, h.name, std::string(RuleSetName(h.rule_set)), h.rule_reason,
           OptionalDouble(h.health_index, 1), N(h.invoices_overdue)});
  }
  c.Section("overdue_trend", {"on", "currency", "overdue_minor", "invoices_overdue"});
  for (const TrendPoint& p : r.trend) {
    if (p.overdue_minor.empty()) c.Row({"", Day(p.on), "", "0", N(p.invoices_overdue)});
    for (const auto& [currency, v] : p.overdue_minor) {
      c.Row({"", Day(p.on), currency, N(v), N(p.invoices_overdue)});
    }
  }
  c.Section("trust_timeline", {"month", "clients_practised", "practice_days"});
  for (const TrustPoint& p : r.trust) {
    c.Row({"", Month(p.month), N(p.clients_practised), N(p.practice_days)});
  }
  return c.Take();
}

std::string DisclosureCsv(const DisclosureReport& r) {
  Csv c;
  c.Section("report", {"year", "as_of", "known_at", "position", "head_hash", "checkpoint"});
  c.Row({"disclosure", N(r.year), Day(r.as_of), Time(r.known_at), N(r.digest.position),
         r.digest.head_hash_hex, r.digest.checkpoint});
  c.Section("rows",
            {"client_id", "name", "client_kind", "currency", "contracts_overdue",
             "invoices_overdue", "overdue_minor", "unpaid_at_year_end_minor", "interest_minor"});
  for (const DisclosureRow& row : r.rows) {
    c.Row({"", row.client_id, row.name, std::string(KindName(row.client_kind)), row.currency,
           N(row.contracts_overdue), N(row.invoices_overdue), N(row.overdue_minor),
           N(row.unpaid_at_year_end_minor), N(row.interest_minor)});
  }
  return c.Take();
}

// ------------------------------------------------------------------------------ HTML

std::string Html(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

constexpr char kStyle[] = R"(
body{font:14px/1.45 "DejaVu Sans","Noto Sans CJK SC",sans-serif;color:#1d2327;margin:24px;max-width:1200px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:2px solid #2f6f4f;padding-bottom:2px}
.meta{color:#50575e}.meta code{font-size:12px;word-break:break-all}
table{border-collapse:collapse;width:100%;margin:6px 0 12px;font-size:12.5px}
th,td{border:1px solid #c3c4c7;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#eef3f0}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.charts{display:flex;flex-wrap:wrap;gap:16px}.chart{flex:1 1 360px}
.chart svg{width:100%;height:auto;border:1px solid #dcdcde}
.late{color:#a00}.note{color:#50575e;font-size:12px}
@media print{body{margin:0;max-width:none;font-size:11px}h2{break-after:avoid}
tr,svg,.chart{break-inside:avoid}thead{display:table-header-group}a{color:inherit;text-decoration:none}
.charts{display:block}.chart{margin-bottom:8px}}
@page{size:A4 landscape;margin:12mm}
)";

constexpr int kChartWidth = 480;
constexpr int kChartHeight = 220;
constexpr const char* kColours[] = {"#2f6f4f", "#b35c1e", "#3d5a98", "#8c2d5a", "#6b6b2f"};

// Horizontal bars: one per label; values scaled to the largest.
std::string BarChart(const std::string& title, const std::vector<std::string>& labels,
                     const std::vector<int64_t>& values, const std::vector<std::string>& texts,
                     const char* colour) {
  const int row = 22;
  const int height = 30 + row * static_cast<int>(labels.size()) + 10;
  const int64_t max = std::max<int64_t>(1, *std::max_element(values.begin(), values.end()));
  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" role=\"img\" "
      "aria-label=\"%s\"><text x=\"8\" y=\"18\" font-size=\"13\" font-weight=\"bold\">%s</text>",
      kChartWidth, height, Html(title), Html(title));
  for (size_t i = 0; i < labels.size(); ++i) {
    const int y = 30 + row * static_cast<int>(i);
    const int64_t width = values[i] * 250 / max;
    absl::StrAppendFormat(
        &svg,
        "<text x=\"8\" y=\"%d\" font-size=\"11\">%s</text><rect x=\"110\" y=\"%d\" width=\"%d\" "
        "height=\"14\" fill=\"%s\"/><text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>",
        y + 12, Html(labels[i]), y + 2, width, colour, 116 + width, y + 13, Html(texts[i]));
  }
  svg += "</svg>";
  return svg;
}

std::string TrendChart(const ComplianceReport& r) {
  std::set<std::string> currencies;
  for (const TrendPoint& p : r.trend) {
    for (const auto& [currency, v] : p.overdue_minor) currencies.insert(currency);
  }
  // The legend takes one line per currency below the axis labels, so it is never clipped
  // and never covers a line.
  const int left = 50, right = 20, top = 30, bottom = 40;
  const int plot_w = kChartWidth - left - right, plot_h = kChartHeight - top - bottom;
  const int height = kChartHeight + 14 * static_cast<int>(currencies.size());
  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" role=\"img\" "
      "aria-label=\"Statutory overdue trend\"><text x=\"8\" y=\"18\" font-size=\"13\" "
      "font-weight=\"bold\">Overdue by law, month ends (share of each currency's peak)</text>"
      "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>",
      kChartWidth, height, left, top + plot_h, left + plot_w, top + plot_h);
  const size_t n = r.trend.size();
  auto x_of = [&](size_t i) {
    return left + (n <= 1 ? plot_w / 2 : static_cast<int>(i) * plot_w / static_cast<int>(n - 1));
  };
  for (size_t i = 0; i < n; i += std::max<size_t>(1, n / 6)) {
    absl::StrAppendFormat(
        &svg, "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%s</text>", x_of(i),
        top + plot_h + 14, Day(r.trend[i].on));
  }
  int colour = 0;
  for (const std::string& currency : currencies) {
    int64_t max = 1;
    for (const TrendPoint& p : r.trend) {
      auto it = p.overdue_minor.find(currency);
      if (it != p.overdue_minor.end()) max = std::max(max, it->second);
    }
    std::string points;
    for (size_t i = 0; i < n; ++i) {
      auto it = r.trend[i].overdue_minor.find(currency);
      const int64_t v = it == r.trend[i].overdue_minor.end() ? 0 : it->second;
      absl::StrAppendFormat(&points, "%s%d,%d", i == 0 ? "" : " ", x_of(i),
                            top + plot_h - static_cast<int>(v * plot_h / max));
    }
    const char* c = kColours[colour % 5];
    absl::StrAppendFormat(&svg,
                          "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>"
                          "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"%s\">%s peak %s</text>",
                          points, c, left, kChartHeight + 14 * colour, c, Html(currency),
                          FormatMajor(max, currency));
    ++colour;
  }
  if (currencies.empty()) {
    absl::StrAppendFormat(&svg,
                          "<text x=\"%d\" y=\"%d\" font-size=\"12\">nothing overdue by law</text>",
                          left + 10, top + plot_h / 2);
  }
  svg += "</svg>";
  return svg;
}

std::string TrustChart(const ComplianceReport& r) {
  std::vector<std::string> labels, texts;
  std::vector<int64_t> values;
  for (const TrustPoint& p : r.trust) {
    labels.push_back(Month(p.month));
    values.push_back(p.clients_practised);
    texts.push_back(absl::StrCat(p.clients_practised, " clients, ", p.practice_days, " days"));
  }
  if (labels.empty()) return "";
  return BarChart("Trust timeline: clients with a trust event each month", labels, values, texts,
                  kColours[0]);
}

void Table(std::string& out, const std::vector<std::string>& header,
           const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& numeric) {
  out += "<table><thead><tr>";
  for (const std::string& h : header) absl::StrAppend(&out, "<th>", Html(h), "</th>");
  out += "</tr></thead><tbody>\n";
  for (const auto& row : rows) {
    out += "<tr>";
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&out, i < numeric.size() && numeric[i] ? "<td class=\"n\">" : "<td>",
                      Html(row[i]), "</td>");
    }
    out += "</tr>\n";
  }
  out += "</tbody></table>\n";
}

std::string Page(const std::string& title, const std::string& body) {
  return absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width\"><title>",
      Html(title), "</title><style>", kStyle, "</style></head><body>\n", body, "</body></html>\n");
}

std::string Meta(const std::string& as_of, absl::Time known_at, const LogDigest& d) {
  return absl::StrCat(
      "<p class=\"meta\">As the books stood on <b>", Html(as_of),
      "</b>, as the ledger knew them at <b>", Time(known_at),
      "</b>. Built from the log up to position <b>", d.position, "</b>, chain hash <code>",
      d.head_hash_hex, "</code> (check it with <code>ledgerctl verify --to ", d.position,
      "</code>).</p>\n",
      d.checkpoint.empty() ? std::string()
                           : absl::StrCat("<p class=\"meta\">Signed checkpoint of that log "
                                          "(check it with the verifier key, <code>ledgerctl "
                                          "verifier-key</code>):</p>\n<pre class=\"note\">",
                                          Html(d.checkpoint), "</pre>\n"));
}

std::string ComplianceHtml(const ComplianceReport& r) {
  std::string b = absl::StrCat(
      "<h1>Compliance report</h1>\n", Meta(Day(r.as_of), r.known_at, r.digest),
      "<p class=\"meta\">Period ", Day(r.period_from), " to ", Day(r.as_of), ".</p>\n");
  // Charts.
  b += "<div class=\"charts\">";
  for (const auto& total : r.aging.totals) {
    std::vector<std::string> labels, texts;
    for (size_t i = 0; i < r.aging.buckets.size(); ++i) {
      labels.push_back(r.aging.buckets[i].label);
      texts.push_back(FormatMajor(total.outstanding_by_bucket_minor[i], total.currency));
    }
    absl::StrAppend(&b, "<div class=\"chart\">",
                    BarChart(absl::StrCat("Aging by contractual due date, ", total.currency),
                             labels, total.outstanding_by_bucket_minor, texts, kColours[1]),
                    "</div>");
  }
  absl::StrAppend(&b, "<div class=\"chart\">", TrendChart(r), "</div>");
  if (std::string trust = TrustChart(r); !trust.empty()) {
    absl::StrAppend(&b, "<div class=\"chart\">", trust, "</div>");
  }
  b += "</div>\n";

  b += "<h2>Overdue by law</h2>\n";
  std::vector<std::vector<std::string>> rows;
  for (const StatutoryTotal& t : r.totals) {
    rows.push_back(
        {std::string(RuleSetName(t.rule_set)), t.currency, N(t.invoices_assessed),
         N(t.invoices_overdue), FormatMajor(t.overdue_minor, t.currency), N(t.invoices_paid_late),
         FormatMajor(t.interest_minor, t.currency),
         t.fixed_compensation_minor > 0 ? FormatMajor(t.fixed_compensation_minor, "EUR") : ""});
  }
  Table(b,
        {"Rule set", "Currency", "Invoices assessed", "Overdue", "Overdue amount",
         "Paid late in period", "Interest owed", "Fixed compensation (EUR)"},
        rows, {false, false, true, true, true, true, true, true});

  std::vector<const InvoiceAssessment*> lines;
  for (const InvoiceAssessment& a : r.invoices) lines.push_back(&a);
  std::stable_sort(lines.begin(), lines.end(), [](const auto* x, const auto* y) {
    return x->interest_minor > y->interest_minor;
  });
  const size_t shown = std::min(lines.size(), kMaxHtmlInvoiceRows);
  absl::StrAppend(&b, "<h2>Invoices late by law</h2>\n<p class=\"note\">", lines.size(),
                  " invoices",
                  shown < lines.size()
                      ? absl::StrCat("; the ", shown,
                                     " with the most interest are listed (JSON and CSV list all)")
                      : std::string(),
                  ". Interest is owed up to and including ", Day(r.as_of), ".</p>\n");
  rows.clear();
  for (size_t i = 0; i < shown; ++i) {
    const InvoiceAssessment& a = *lines[i];
    rows.push_back(
        {a.client_id, a.invoice_id, std::string(RuleSetName(a.rule_set)),
         a.statutory_due_date ? Day(*a.statutory_due_date) : "",
         std::string(StatutoryStatusName(a.status)), N(a.days_overdue),
         absl::StrCat(a.currency, " ", FormatMajor(a.overdue_minor, a.currency)),
         absl::StrCat(a.currency, " ", FormatMajor(a.interest_minor, a.currency)), RatePercent(a),
         absl::StrCat(a.due_rule, ". ", a.interest_rule,
                      a.notes.empty() ? "" : absl::StrCat(". ", absl::StrJoin(a.notes, "; ")))});
  }
  Table(b,
        {"Client", "Invoice", "Rule", "Statutory due", "Status", "Days", "Overdue", "Interest",
         "Rate", "Decided by"},
        rows, {false, false, false, false, false, true, true, true, false, false});

  b += "<h2>Contract terms the law does not allow</h2>\n";
  rows.clear();
  for (const TermFinding& f : r.findings) {
    rows.push_back({f.client_id, f.contract_id, f.article, f.finding});
  }
  if (rows.empty())
    b += "<p class=\"note\">None.</p>\n";
  else
    Table(b, {"Client", "Contract", "Article", "Finding"}, rows, {});

  absl::StrAppend(&b, "<h2>Promises to pay</h2>\n<p>Open: ", r.promises.open.size(),
                  ". Judged in the period: ", r.promises.judged.size(), " (kept ",
                  r.promises.kept_count, ", partially kept ", r.promises.partially_kept_count,
                  ", broken ", r.promises.broken_count, ")",
                  r.promises.broken_rate ? absl::StrFormat("; broken-promise rate %.1f%%",
                                                           *r.promises.broken_rate * 100)
                                         : std::string(),
                  ".</p>\n");
  b += "<h2>Disputes</h2>\n";
  rows.clear();
  for (const auto* list : {&r.disputes.open, &r.disputes.resolved}) {
    for (const auto& d : *list) {
      rows.push_back({d.client_id, d.dispute_id, d.invoice_id,
                      absl::StrCat(d.currency, " ", FormatMajor(d.amount_minor, d.currency)),
                      Day(d.opened_on),
                      d.resolution ? absl::StrCat(std::string(OutcomeName(d.resolution->outcome)),
                                                  " ", Day(d.resolution->resolved_on))
                                   : "open",
                      d.reason});
    }
  }
  if (rows.size() > kMaxHtmlInvoiceRows) rows.resize(kMaxHtmlInvoiceRows);
  if (rows.empty())
    b += "<p class=\"note\">None.</p>\n";
  else
    Table(b, {"Client", "Dispute", "Invoice", "Amount", "Opened", "Outcome", "Reason"}, rows,
          {false, false, false, true, false, false, false});

  b += "<h2>Six-heart coverage of the period</h2>\n";
  rows.clear();
  for (const HeartCoverage& h : r.coverage) {
    rows.push_back(
        {std::string(relationships::HeartName(h.heart)), N(h.clients_practised), N(h.clients),
         h.clients == 0
             ? ""
             : absl::StrFormat("%.1f%%", 100.0 * static_cast<double>(h.clients_practised) /
                                             static_cast<double>(h.clients))});
  }
  Table(b, {"Heart", "Clients who practised it", "Clients", "Coverage"}, rows,
        {false, true, true, true});
  b += "<h2>Clients</h2>\n";
  rows.clear();
  for (const ClientHealth& c : r.clients) {
    if (rows.size() >= kMaxHtmlInvoiceRows) break;
    rows.push_back({c.client_id, c.name, std::string(RuleSetName(c.rule_set)), c.rule_reason,
                    OptionalDouble(c.health_index, 1), N(c.invoices_overdue)});
  }
  Table(b, {"Client", "Name", "Rule set", "Why", "Health index", "Overdue by law"}, rows,
        {false, false, false, false, true, true});
  absl::StrAppend(&b, "<h2>Rates used</h2>\n<pre class=\"note\">", Html(r.rate_tables), "</pre>\n");
  for (const CarriedRate& c : r.carried_rates) {
    absl::StrAppend(&b, "<p class=\"note\"><strong>Warning:</strong> ",
                    Html(DescribeCarriedRate(c)), ": a newer rate may apply.</p>\n");
  }
  return Page(absl::StrCat("Compliance report ", Day(r.as_of)), b);
}

std::string DisclosureHtml(const DisclosureReport& r) {
  std::string b = absl::StrCat(
      "<h1>Overdue payments to SMEs, ", r.year,
      "</h1>\n<p class=\"meta\">保障中小企业款项支付条例 Art 18: "
      "organs and public institutions publish the prior year's overdue payments to small and "
      "medium enterprises by 31 March.</p>\n",
      Meta(Day(r.as_of), r.known_at, r.digest));
  std::vector<std::vector<std::string>> rows;
  for (const DisclosureRow& row : r.rows) {
    rows.push_back({row.client_id, row.name, std::string(KindName(row.client_kind)), row.currency,
                    N(row.contracts_overdue), N(row.invoices_overdue),
                    FormatMajor(row.overdue_minor, row.currency),
                    FormatMajor(row.unpaid_at_year_end_minor, row.currency),
                    FormatMajor(row.interest_minor, row.currency)});
  }
  for (const auto& [currency, n] : r.contracts_overdue_by_currency) {
    rows.push_back({"(total)", "", "", currency, N(n), "",
                    FormatMajor(r.overdue_minor_by_currency.at(currency), currency), "", ""});
  }
  Table(b,
        {"Client", "Name", "Kind", "Currency", "Contracts overdue", "Invoices overdue",
         "Amount overdue", "Unpaid at year end", "Interest in the year"},
        rows, {false, false, false, false, true, true, true, true, true});
  return Page(absl::StrCat("Overdue payment disclosure ", r.year), b);
}

}  // namespace

std::string FormatMajor(int64_t amount_minor, const std::string& currency) {
  const int digits = ledger::CurrencyMinorDigits(currency).value_or(2);
  const bool negative = amount_minor < 0;
  uint64_t v =
      negative ? 0 - static_cast<uint64_t>(amount_minor) : static_cast<uint64_t>(amount_minor);
  uint64_t scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  std::string whole = absl::StrCat(v / scale);
  std::string grouped;
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped += ',';
    grouped += whole[i];
  }
  std::string out = absl::StrCat(negative ? "-" : "", grouped);
  if (digits > 0) absl::StrAppend(&out, ".", absl::StrCat(v % scale + scale).substr(1));
  return out;
}

std::string RenderComplianceReport(const ComplianceReport& report, ReportFormat format) {
  switch (format) {
    case ReportFormat::kJson:
      return ComplianceJson(report);
    case ReportFormat::kCsv:
      return ComplianceCsv(report);
    case ReportFormat::kHtml:
      return ComplianceHtml(report);
  }
  return ComplianceJson(report);
}

std::string RenderDisclosure(const DisclosureReport& report, ReportFormat format) {
  switch (format) {
    case ReportFormat::kJson:
      return DisclosureJson(report);
    case ReportFormat::kCsv:
      return DisclosureCsv(report);
    case ReportFormat::kHtml:
      return DisclosureHtml(report);
  }
  return DisclosureJson(report);
}

}  // namespace sixhearts::services::compliance
