// The compliance fold and its snapshot codec.
#include "services/compliance/compliance_state.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/dates.h"

namespace sixhearts::services::compliance {
namespace {

constexpr std::string_view kMagic = "SHCMP";
constexpr uint64_t kVersion = 1;
constexpr std::string_view kClientPrefix = "client-";

std::optional<absl::CivilDay> OptionalDay(bool present, const v1::Date& date) {
  if (!present || ledger::IsUnsetDate(date) || !ledger::IsValidDate(date)) return std::nullopt;
  return ledger::ToCivilDay(date);
}

// ------------------------------------------------------------------------------ codec

class Writer {
 public:
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void Signed(int64_t v) {
    Varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }
  void String(std::string_view s) {
    Varint(s.size());
    out_.append(s);
  }
  void Day(absl::CivilDay d) {
    Signed(d.year());
    Varint(static_cast<uint64_t>(d.month()));
    Varint(static_cast<uint64_t>(d.day()));
  }
  void OptionalDay(const std::optional<absl::CivilDay>& d) {
    out_.push_back(d.has_value() ? 1 : 0);
    if (d) Day(*d);
  }
  void Raw(std::string_view s) { out_.append(s); }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool done() const { return in_.empty(); }
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in_.empty()) return Fail();
      const auto byte = static_cast<uint8_t>(in_.front());
      in_.remove_prefix(1);
      // Only the shortest encoding is accepted, so that whatever Deserialize accepts
      // serializes back to the same bytes: no trailing zero group, no bits past 64.
      if (shift > 0 && byte == 0) return Fail();
      if (shift == 63 && byte > 1) return Fail();
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return v;
    }
    return Fail();
  }
  int64_t Signed() {
    const uint64_t v = Varint();
    return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
  }
  std::string String() {
    const uint64_t n = Varint();
    if (n > in_.size()) return Fail(), std::string();
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }
  bool Byte01() {
    const uint64_t v = Varint();
    if (v > 1) Fail();
    return v == 1;
  }
  absl::CivilDay Day() {
    const int64_t y = Signed();
    const uint64_t m = Varint();
    const uint64_t d = Varint();
    v1::Date date;
    date.set_year(static_cast<int32_t>(y));
    date.set_month(static_cast<int32_t>(m));
    date.set_day(static_cast<int32_t>(d));
    if (y < 1 || y > 9999 || m > 12 || d > 31 || !ledger::IsValidDate(date)) {
      Fail();
      return absl::CivilDay();
    }
    return ledger::ToCivilDay(date);
  }
  std::optional<absl::CivilDay> OptionalDay() {
    if (!Byte01()) return std::nullopt;
    return Day();
  }
  int32_t Int32() {
    const uint64_t v = Varint();
    if (v > 0x7fffffff) Fail();
    return static_cast<int32_t>(v);
  }
  // A count no larger than the bytes left: every element takes at least one byte.
  uint64_t Count() {
    const uint64_t n = Varint();
    if (n > in_.size()) return Fail();
    return n;
  }
  bool Prefix(std::string_view p) {
    if (in_.substr(0, p.size()) != p) return false;
    in_.remove_prefix(p.size());
    return true;
  }

 private:
  uint64_t Fail() {
    ok_ = false;
    in_ = {};
    return 0;
  }
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace

const ContractTerms& Contract::TermsOn(absl::CivilDay day) const {
  const ContractTerms* terms = &versions.front();
  for (const ContractTerms& v : versions) {
    if (v.from <= day) terms = &v;
  }
  return *terms;
}

const ClientFacts* ComplianceState::FindClient(std::string_view client_id) const {
  auto it = clients_.find(client_id);
  return it == clients_.end() ? nullptr : &it->second;
}

ClientFacts& ComplianceState::ClientForView(std::string_view client_id) {
  auto it = clients_.find(client_id);
  if (it == clients_.end()) it = clients_.emplace(std::string(client_id), ClientFacts{}).first;
  return it->second;
}

void ComplianceState::Ignore(std::string_view reason) { ++ignored_events_[std::string(reason)]; }

void ComplianceState::Apply(const v1::Event& event) {
  ++applied_event_count_;
  last_position_ = std::max(last_position_, event.position());
  switch (event.payload_case()) {
    case v1::Event::kContractSigned:
    case v1::Event::kContractAmended:
    case v1::Event::kInvoiceIssued:
    case v1::Event::kInvoiceAccepted:
    case v1::Event::kInvoiceAmended:
      break;
    default:
      return;
  }
  std::string_view stream = event.stream();
  if (stream.substr(0, kClientPrefix.size()) != kClientPrefix ||
      stream.size() == kClientPrefix.size()) {
    return Ignore("stream not named client-<id>");
  }
  std::string_view client_id = stream.substr(kClientPrefix.size());
  auto it = clients_.find(client_id);
  if (it == clients_.end()) it = clients_.emplace(std::string(client_id), ClientFacts{}).first;
  ClientFacts& client = it->second;

  switch (event.payload_case()) {
    case v1::Event::kContractSigned: {
      const v1::ContractSigned& e = event.contract_signed();
      auto signed_on = OptionalDay(e.has_signed_on(), e.signed_on());
      if (!signed_on) return Ignore("invalid date");
      if (client.contracts.contains(e.contract_id())) return Ignore("duplicate contract");
      Contract contract;
      contract.contract_id = e.contract_id();
      contract.signed_on = *signed_on;
      contract.acceptance_required = e.acceptance_required();
      contract.versions.push_back(ContractTerms{*signed_on, e.payment_terms_days(),
                                                e.acceptance_period_days(),
                                                e.late_interest_rate_bps()});
      client.contracts.emplace(e.contract_id(), std::move(contract));
      return;
    }
    case v1::Event::kContractAmended: {
      const v1::ContractAmended& e = event.contract_amended();
      auto contract = client.contracts.find(e.contract_id());
      if (contract == client.contracts.end()) return Ignore("unknown contract");
      auto amended_on = OptionalDay(e.has_amended_on(), e.amended_on());
      if (!amended_on) return Ignore("invalid date");
      ContractTerms next = contract->second.versions.back();
      next.from = std::max(next.from, *amended_on);
      // Only the fields set change (events.proto).
      if (e.payment_terms_days() != 0) next.payment_terms_days = e.payment_terms_days();
      if (e.acceptance_period_days() != 0) next.acceptance_period_days = e.acceptance_period_days();
      if (e.late_interest_rate_bps() != 0) next.late_interest_rate_bps = e.late_interest_rate_bps();
      if (next.from == contract->second.versions.back().from) {
        contract->second.versions.back() = next;
      } else {
        contract->second.versions.push_back(next);
      }
      return;
    }
    case v1::Event::kInvoiceIssued: {
      const v1::InvoiceIssued& e = event.invoice_issued();
      if (client.invoices.contains(e.invoice_id())) return Ignore("duplicate invoice");
      InvoiceFacts facts;
      facts.contract_id = e.contract_id();
      facts.delivery_date = OptionalDay(e.has_delivery_date(), e.delivery_date());
      facts.received_date = OptionalDay(e.has_received_date(), e.received_date());
      client.invoices.emplace(e.invoice_id(), std::move(facts));
      return;
    }
    case v1::Event::kInvoiceAmended: {
      // The amount and due date the rules use are the receivables fold's; only the
      // delivery date (the clock's start) is kept here. An as-of view of a day before the
      // amendment replays without it (its occurred_at), so there the old date holds.
      const v1::InvoiceAmended& e = event.invoice_amended();
      auto invoice = client.invoices.find(e.invoice_id());
      if (invoice == client.invoices.end()) return Ignore("unknown invoice");
      if (ledger::IsUnsetDate(e.delivery_date())) return;
      auto delivered = OptionalDay(true, e.delivery_date());
      if (!delivered) return Ignore("invalid date");
      invoice->second.delivery_date = delivered;
      return;
    }
    case v1::Event::kInvoiceAccepted: {
      const v1::InvoiceAccepted& e = event.invoice_accepted();
      auto invoice = client.invoices.find(e.invoice_id());
      if (invoice == client.invoices.end()) return Ignore("unknown invoice");
      auto accepted = OptionalDay(e.has_acceptance_date(), e.acceptance_date());
      if (!accepted) return Ignore("invalid date");
      if (invoice->second.acceptance_date.has_value()) return Ignore("accepted twice");
      invoice->second.acceptance_date = accepted;
      return;
    }
    default:
      return;
  }
}

std::string ComplianceState::Serialize() const {
  Writer w;
  w.Raw(kMagic);
  w.Varint(kVersion);
  w.Varint(applied_event_count_);
  w.Varint(last_position_);
  w.Varint(ignored_events_.size());
  for (const auto& [reason, n] : ignored_events_) {
    w.String(reason);
    w.Varint(n);
  }
  w.Varint(clients_.size());
  for (const auto& [client_id, client] : clients_) {
    w.String(client_id);
    w.Varint(client.contracts.size());
    for (const auto& [id, c] : client.contracts) {
      w.String(id);
      w.Day(c.signed_on);
      w.Varint(c.acceptance_required ? 1 : 0);
      w.Varint(c.versions.size());
      for (const ContractTerms& t : c.versions) {
        w.Day(t.from);
        w.Varint(static_cast<uint32_t>(t.payment_terms_days));
        w.Varint(static_cast<uint32_t>(t.acceptance_period_days));
        w.Varint(static_cast<uint32_t>(t.late_interest_rate_bps));
      }
    }
    w.Varint(client.invoices.size());
    for (const auto& [id, f] : client.invoices) {
      w.String(id);
      w.String(f.contract_id);
      w.OptionalDay(f.delivery_date);
      w.OptionalDay(f.received_date);
      w.OptionalDay(f.acceptance_date);
    }
  }
  return w.Take();
}

absl::StatusOr<ComplianceState> ComplianceState::Deserialize(std::string_view bytes) {
  Reader r(bytes);
  if (!r.Prefix(kMagic)) return absl::FailedPreconditionError("not a compliance snapshot");
  if (const uint64_t version = r.Varint(); r.ok() && version != kVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("compliance snapshot version ", version, ", expected ", kVersion));
  }
  ComplianceState s;
  s.applied_event_count_ = r.Varint();
  s.last_position_ = r.Varint();
  auto keys_ascend = [](const auto& map, const std::string& key) {
    return map.empty() || std::prev(map.end())->first < key;
  };
  bool ordered = true;
  for (uint64_t n = r.Count(); r.ok() && n > 0; --n) {
    std::string reason = r.String();
    ordered = ordered && keys_ascend(s.ignored_events_, reason);
    s.ignored_events_[reason] = r.Varint();
  }
  for (uint64_t n = r.Count(); r.ok() && n > 0; --n) {
    std::string client_id = r.String();
    ordered = ordered && keys_ascend(s.clients_, client_id);
    ClientFacts client;
    for (uint64_t c = r.Count(); r.ok() && c > 0; --c) {
      Contract contract;
      contract.contract_id = r.String();
      ordered = ordered && keys_ascend(client.contracts, contract.contract_id);
      contract.signed_on = r.Day();
      contract.acceptance_required = r.Byte01();
      for (uint64_t v = r.Count(); r.ok() && v > 0; --v) {
        ContractTerms t;
        t.from = r.Day();
        t.payment_terms_days = r.Int32();
        t.acceptance_period_days = r.Int32();
        t.late_interest_rate_bps = r.Int32();
        if (!contract.versions.empty() && contract.versions.back().from >= t.from) ordered = false;
        contract.versions.push_back(t);
      }
      if (contract.versions.empty()) ordered = false;
      std::string id = contract.contract_id;
      client.contracts.emplace(std::move(id), std::move(contract));
    }
    for (uint64_t i = r.Count(); r.ok() && i > 0; --i) {
      std::string id = r.String();
      ordered = ordered && keys_ascend(client.invoices, id);
      InvoiceFacts f;
      f.contract_id = r.String();
      f.delivery_date = r.OptionalDay();
      f.received_date = r.OptionalDay();
      f.acceptance_date = r.OptionalDay();
      client.invoices.emplace(std::move(id), std::move(f));
    }
    s.clients_.emplace(std::move(client_id), std::move(client));
  }
  if (!r.ok() || !r.done() || !ordered) {
    return absl::DataLossError("compliance snapshot is damaged");
  }
  return s;
}

absl::Status ComplianceFold::Restore(std::string_view bytes) {
  absl::StatusOr<ComplianceState> restored = ComplianceState::Deserialize(bytes);
  if (!restored.ok()) return restored.status();
  state_ = std::move(*restored);
  return absl::OkStatus();
}

projection::FoldFactory MakeComplianceFoldFactory() {
  return [] { return std::make_unique<ComplianceFold>(); };
}

}  // namespace sixhearts::services::compliance
