// The snapshot encoding of ReceivablesState; the format is specified in
// receivables_state.h above Serialize().
#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "services/receivables/receivables_state.h"

namespace sixhearts::services::receivables {
namespace {

constexpr std::string_view kMagic = "SHRCV";
constexpr uint64_t kFormatVersion = 1;

class Writer {
 public:
  Writer() { out_.reserve(1 << 20); }
  // One append per value rather than one push_back per byte: the codec spends most of
  // its time here on large states.
  void Varint(uint64_t v) {
    char buf[10];
    size_t n = 0;
    while (v >= 0x80) {
      buf[n++] = static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    buf[n++] = static_cast<char>(v);
    out_.append(buf, n);
  }
  // Zigzag keeps small negative numbers short.
  void Signed(int64_t v) {
    Varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }
  void Bool(bool b) { out_.push_back(b ? 1 : 0); }
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
    Bool(d.has_value());
    if (d.has_value()) Day(*d);
  }
  void Raw(std::string_view s) { out_.append(s); }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// Every read checks the remaining input; the first failure sticks, so callers can read a
// whole record and test ok() once.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  bool ok() const { return ok_; }
  bool AtEnd() const { return in_.empty(); }

  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in_.empty()) return Fail();
      const auto byte = static_cast<uint8_t>(in_.front());
      in_.remove_prefix(1);
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        // Only the shortest form: a padding zero group, or bits beyond the 64th, would
        // decode to a value that re-serializes to other bytes (the codec is canonical).
        if ((shift > 0 && byte == 0) || (shift == 63 && byte > 1)) return Fail();
        return v;
      }
    }
    return Fail();
  }
  int64_t Signed() {
    const uint64_t z = Varint();
    return static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
  }
  bool Bool() {
    if (in_.empty()) return Fail() != 0;
    const char c = in_.front();
    in_.remove_prefix(1);
    if (c != 0 && c != 1) return Fail() != 0;
    return c == 1;
  }
  std::string String() {
    const uint64_t size = Varint();
    if (!ok_ || size > in_.size()) {
      Fail();
      return std::string();
    }
    std::string s(in_.substr(0, size));
    in_.remove_prefix(size);
    return s;
  }
  absl::CivilDay Day() {
    const int64_t year = Signed();
    const uint64_t month = Varint();
    const uint64_t day = Varint();
    if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 || day > 31) {
      Fail();
      return absl::CivilDay();
    }
    const absl::CivilDay d(year, static_cast<int>(month), static_cast<int>(day));
    if (d.month() != static_cast<int>(month) || d.day() != static_cast<int>(day)) Fail();
    return d;
  }
  std::optional<absl::CivilDay> OptionalDay() {
    if (!Bool()) return std::nullopt;
    return Day();
  }
  // A count of elements that each take at least one byte cannot exceed what is left;
  // checking that bounds every allocation by the input size.
  uint64_t Count() {
    const uint64_t n = Varint();
    if (n > in_.size()) return Fail();
    return n;
  }
  bool Prefix(std::string_view expected) {
    if (in_.substr(0, expected.size()) != expected) return false;
    in_.remove_prefix(expected.size());
    return true;
  }
  void MarkCorrupt() { Fail(); }
  // For enums: a value in [0, limit].
  int Enum(int limit) {
    const uint64_t v = Varint();
    if (v > static_cast<uint64_t>(limit)) return static_cast<int>(Fail());
    return static_cast<int>(v);
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

void WriteInvoice(Writer& w, const Invoice& invoice) {
  w.String(invoice.invoice_id);
  w.String(invoice.contract_id);
  w.String(invoice.currency);
  w.Signed(invoice.amount_minor);
  w.Day(invoice.issue_date);
  w.Day(invoice.due_date);
  w.Varint(invoice.movements.size());
  for (const Movement& m : invoice.movements) {
    w.Varint(static_cast<uint64_t>(m.kind));
    w.Day(m.effective_on);
    w.Signed(m.amount_minor);
    w.String(m.source_id);
    w.OptionalDay(m.voided_on);
  }
}

Invoice ReadInvoice(Reader& r) {
  Invoice invoice;
  invoice.invoice_id = r.String();
  invoice.contract_id = r.String();
  invoice.currency = r.String();
  invoice.amount_minor = r.Signed();
  invoice.issue_date = r.Day();
  invoice.due_date = r.Day();
  const uint64_t n = r.Count();
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    Movement m;
    const int kind = r.Enum(static_cast<int>(MovementKind::kWriteOff));
    if (kind == 0) r.MarkCorrupt();  // 0 names no kind.
    m.kind = static_cast<MovementKind>(kind);
    m.effective_on = r.Day();
    m.amount_minor = r.Signed();
    m.source_id = r.String();
    m.voided_on = r.OptionalDay();
    invoice.movements.push_back(std::move(m));
  }
  return invoice;
}

void WritePayment(Writer& w, const Payment& payment) {
  w.String(payment.payment_id);
  w.String(payment.currency);
  w.Signed(payment.amount_minor);
  w.Day(payment.value_date);
  w.Varint(payment.applications.size());
  for (const PaymentApplication& a : payment.applications) {
    w.String(a.invoice_id);
    w.Day(a.applied_on);
    w.Signed(a.amount_minor);
  }
  w.OptionalDay(payment.reversed_on);
}

Payment ReadPayment(Reader& r) {
  Payment payment;
  payment.payment_id = r.String();
  payment.currency = r.String();
  payment.amount_minor = r.Signed();
  payment.value_date = r.Day();
  const uint64_t n = r.Count();
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    PaymentApplication a;
    a.invoice_id = r.String();
    a.applied_on = r.Day();
    a.amount_minor = r.Signed();
    payment.applications.push_back(std::move(a));
  }
  payment.reversed_on = r.OptionalDay();
  return payment;
}

void WriteCredit(Writer& w, const StandaloneCredit& credit) {
  w.String(credit.credit_note_id);
  w.String(credit.currency);
  w.Signed(credit.amount_minor);
  w.Day(credit.issue_date);
}

StandaloneCredit ReadCredit(Reader& r) {
  StandaloneCredit credit;
  credit.credit_note_id = r.String();
  credit.currency = r.String();
  credit.amount_minor = r.Signed();
  credit.issue_date = r.Day();
  return credit;
}

void WritePromise(Writer& w, const Promise& promise) {
  w.String(promise.promise_id);
  w.String(promise.currency);
  w.Signed(promise.amount_minor);
  w.Day(promise.made_on);
  w.Day(promise.promised_date);
  w.Varint(promise.invoice_ids.size());
  for (const std::string& id : promise.invoice_ids) w.String(id);
  w.OptionalDay(promise.cancelled_on);
}

Promise ReadPromise(Reader& r) {
  Promise promise;
  promise.promise_id = r.String();
  promise.currency = r.String();
  promise.amount_minor = r.Signed();
  promise.made_on = r.Day();
  promise.promised_date = r.Day();
  const uint64_t n = r.Count();
  for (uint64_t i = 0; i < n && r.ok(); ++i) promise.invoice_ids.push_back(r.String());
  promise.cancelled_on = r.OptionalDay();
  return promise;
}

void WriteDispute(Writer& w, const Dispute& dispute) {
  w.String(dispute.dispute_id);
  w.String(dispute.invoice_id);
  w.Signed(dispute.amount_minor);
  w.String(dispute.reason);
  w.Day(dispute.opened_on);
  w.Bool(dispute.resolution.has_value());
  if (dispute.resolution.has_value()) {
    w.Varint(static_cast<uint64_t>(dispute.resolution->outcome));
    w.Signed(dispute.resolution->conceded_minor);
    w.Day(dispute.resolution->resolved_on);
  }
}

Dispute ReadDispute(Reader& r) {
  Dispute dispute;
  dispute.dispute_id = r.String();
  dispute.invoice_id = r.String();
  dispute.amount_minor = r.Signed();
  dispute.reason = r.String();
  dispute.opened_on = r.Day();
  if (r.Bool()) {
    DisputeResolution resolution;
    resolution.outcome = static_cast<v1::DisputeOutcome>(r.Enum(v1::DisputeOutcome_MAX));
    resolution.conceded_minor = r.Signed();
    resolution.resolved_on = r.Day();
    dispute.resolution = resolution;
  }
  return dispute;
}

// Appends to a map whose keys were written in ascending order; a key out of order or
// repeated is corruption (and keeps every accepted input canonical).
template <typename T>
bool AppendInOrder(std::map<std::string, T>& map, std::string key, T value) {
  if (!map.empty() && !(map.rbegin()->first < key)) return false;
  map.emplace_hint(map.end(), std::move(key), std::move(value));
  return true;
}

// Reads `count` records keyed by `key` into `map`, whose keys must ascend.
template <typename T, typename ReadFn, typename KeyFn>
bool ReadMap(Reader& r, IdMap<T>& map, ReadFn read, KeyFn key) {
  const uint64_t n = r.Count();
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    T value = read(r);
    const std::string k = key(value);
    if (!map.AppendInOrder(k, std::move(value))) return false;
  }
  return r.ok();
}

void WriteClient(Writer& w, const Client& c) {
  w.String(c.client_id);
  w.Bool(c.registered);
  w.String(c.name);
  w.Varint(static_cast<uint64_t>(c.jurisdiction));
  w.Varint(static_cast<uint64_t>(c.client_kind));
  w.Bool(c.seller_is_sme);
  w.String(c.region);
  w.String(c.account_owner);
  w.Varint(c.invoices.size());
  for (const auto& [key, invoice] : c.invoices) WriteInvoice(w, invoice);
  w.Varint(c.payments.size());
  for (const auto& [key, payment] : c.payments) WritePayment(w, payment);
  w.Varint(c.standalone_credits.size());
  for (const auto& [key, credit] : c.standalone_credits) WriteCredit(w, credit);
  w.Varint(c.promises.size());
  for (const auto& [key, promise] : c.promises) WritePromise(w, promise);
  w.Varint(c.disputes.size());
  for (const auto& [key, dispute] : c.disputes) WriteDispute(w, dispute);
}

// Below this many clients a state is serialized on the calling thread alone.
constexpr size_t kParallelClients = 512;
constexpr unsigned kMaxSerializeThreads = 4;

}  // namespace

std::string ReceivablesState::Serialize() const {
  Writer w;
  w.Raw(kMagic);
  w.Varint(kFormatVersion);
  w.Varint(applied_event_count_);
  w.Varint(last_position_);
  w.Varint(ignored_events_.size());
  for (const auto& [reason, n] : ignored_events_) {
    w.String(reason);
    w.Varint(n);
  }
  w.Varint(clients_.size());
  // Client records are independent, so a large state is written in ranges of clients on
  // several threads and the parts joined in order: the same bytes, in a fraction of the
  // time. A rebuild serializes while its reader thread waits, so the cores are free.
  const unsigned threads =
      clients_.size() < kParallelClients
          ? 1
          : std::clamp(std::thread::hardware_concurrency(), 1u, kMaxSerializeThreads);
  if (threads == 1) {
    for (const auto& [id, c] : clients_) WriteClient(w, c);
    return w.Take();
  }
  using Iterator = IdMap<Client>::const_iterator;
  std::vector<Iterator> bounds = {clients_.begin()};
  const size_t per_part = (clients_.size() + threads - 1) / threads;
  for (unsigned i = 1; i < threads; ++i) {
    bounds.push_back(std::next(bounds.back(), static_cast<std::ptrdiff_t>(per_part)));
  }
  bounds.push_back(clients_.end());
  std::vector<std::string> parts(threads);
  auto write_part = [&](unsigned part) {
    Writer pw;
    for (Iterator it = bounds[part]; it != bounds[part + 1]; ++it) WriteClient(pw, it->second);
    parts[part] = pw.Take();
  };
  std::vector<std::thread> workers;
  for (unsigned i = 1; i < threads; ++i) workers.emplace_back(write_part, i);
  write_part(0);
  for (std::thread& worker : workers) worker.join();
  std::string out = w.Take();
  size_t total = out.size();
  for (const std::string& part : parts) total += part.size();
  out.reserve(total);
  for (const std::string& part : parts) out.append(part);
  return out;
}

absl::StatusOr<ReceivablesState> ReceivablesState::Deserialize(std::string_view bytes) {
  Reader r(bytes);
  if (!r.Prefix(kMagic)) {
    return absl::FailedPreconditionError("not a receivables snapshot (bad magic)");
  }
  const uint64_t version = r.Varint();
  if (r.ok() && version != kFormatVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("receivables snapshot version ", version, " is not ", kFormatVersion));
  }
  const auto corrupt = [] { return absl::DataLossError("corrupt receivables snapshot"); };

  ReceivablesState state;
  state.applied_event_count_ = r.Varint();
  state.last_position_ = r.Varint();
  const uint64_t reasons = r.Count();
  for (uint64_t i = 0; i < reasons && r.ok(); ++i) {
    std::string reason = r.String();
    const uint64_t n = r.Varint();
    if (!AppendInOrder(state.ignored_events_, std::move(reason), n)) return corrupt();
  }
  const uint64_t clients = r.Count();
  for (uint64_t i = 0; i < clients && r.ok(); ++i) {
    Client c;
    c.client_id = r.String();
    c.registered = r.Bool();
    c.name = r.String();
    c.jurisdiction = static_cast<v1::Jurisdiction>(r.Enum(v1::Jurisdiction_MAX));
    c.client_kind = static_cast<v1::ClientKind>(r.Enum(v1::ClientKind_MAX));
    c.seller_is_sme = r.Bool();
    c.region = r.String();
    c.account_owner = r.String();
    if (!ReadMap(r, c.invoices, ReadInvoice, [](const Invoice& v) { return v.invoice_id; }) ||
        !ReadMap(r, c.payments, ReadPayment, [](const Payment& v) { return v.payment_id; }) ||
        !ReadMap(r, c.standalone_credits, ReadCredit,
                 [](const StandaloneCredit& v) { return v.credit_note_id; }) ||
        !ReadMap(r, c.promises, ReadPromise, [](const Promise& v) { return v.promise_id; }) ||
        !ReadMap(r, c.disputes, ReadDispute, [](const Dispute& v) { return v.dispute_id; })) {
      return corrupt();
    }
    const std::string id = c.client_id;
    if (!state.clients_.AppendInOrder(id, std::move(c))) return corrupt();
  }
  if (!r.ok() || !r.AtEnd()) return corrupt();
  return state;
}

}  // namespace sixhearts::services::receivables
