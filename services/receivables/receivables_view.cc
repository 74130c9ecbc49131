// The receivables rows: entity keys, the row codec, the entities of each event and the
// fold on a partial state (receivables_view.h).
#include "services/receivables/receivables_view.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/receivables/receivables_fold.h"
#include "sixhearts/views/v1/receivables_rows.pb.h"

namespace sixhearts::services::receivables {
namespace {

namespace rows = ::sixhearts::views::v1;
using projection::AppendKeyPart;
using projection::ConsumeKeyPart;
using projection::RowState;

constexpr std::string_view kStreamPrefix = "client-";
constexpr char kClientKind = 'C';
constexpr char kInvoiceKind = 'I';
constexpr char kPaymentKind = 'P';
constexpr char kCreditKind = 'S';
constexpr char kPromiseKind = 'R';
constexpr char kDisputeKind = 'D';

const absl::CivilDay kEpoch(1970, 1, 1);

int32_t DayNumber(absl::CivilDay day) { return static_cast<int32_t>(day - kEpoch); }
absl::CivilDay DayOfNumber(int32_t n) { return kEpoch + n; }

std::string EntityKey(std::string_view client_id, char kind, std::string_view id) {
  std::string key;
  AppendKeyPart(&key, client_id);
  key.push_back(kind);
  AppendKeyPart(&key, id);
  return key;
}

struct EntityName {
  std::string client_id;
  char kind = 0;
  std::string id;
};

// The client's part at the front of an entity key (AppendKeyPart's bytes, its end
// included); the whole key when it has no whole part (ParseEntity then refuses it).
std::string_view ClientPart(std::string_view entity) {
  for (size_t i = 0; i + 1 < entity.size(); ++i) {
    if (entity[i] != '\0') continue;
    if (entity[i + 1] == '\x01') return entity.substr(0, i + 2);
    ++i;  // 0x00 0xFF: an escaped zero
  }
  return entity;
}

absl::StatusOr<EntityName> ParseEntity(std::string_view entity) {
  EntityName name;
  std::optional<std::string> client = ConsumeKeyPart(&entity);
  if (!client.has_value() || entity.empty()) {
    return absl::DataLossError("receivables view: a row key without its client");
  }
  name.client_id = *std::move(client);
  name.kind = entity.front();
  entity.remove_prefix(1);
  if (name.kind == kClientKind) {
    if (!entity.empty()) return absl::DataLossError("receivables view: a bad client row key");
    return name;
  }
  std::optional<std::string> id = ConsumeKeyPart(&entity);
  if (!id.has_value() || !entity.empty()) {
    return absl::DataLossError("receivables view: a bad row key");
  }
  name.id = *std::move(id);
  return name;
}

// ------------------------------------------------------------------------ row codec

std::string Encode(const Client& c) {
  rows::ClientRow row;
  row.set_client_id(c.client_id);
  row.set_registered(c.registered);
  row.set_name(c.name);
  row.set_jurisdiction(c.jurisdiction);
  row.set_client_kind(c.client_kind);
  row.set_seller_is_sme(c.seller_is_sme);
  row.set_region(c.region);
  row.set_account_owner(c.account_owner);
  return row.SerializeAsString();
}

// The Decode functions move the row's strings out.
void Decode(rows::ClientRow& row, Client& c) {
  c.registered = row.registered();
  c.name = std::move(*row.mutable_name());
  c.jurisdiction = static_cast<v1::Jurisdiction>(row.jurisdiction());
  c.client_kind = static_cast<v1::ClientKind>(row.client_kind());
  c.seller_is_sme = row.seller_is_sme();
  c.region = std::move(*row.mutable_region());
  c.account_owner = std::move(*row.mutable_account_owner());
}

std::string Encode(const Invoice& invoice) {
  rows::InvoiceRow row;
  row.set_invoice_id(invoice.invoice_id);
  row.set_contract_id(invoice.contract_id);
  row.set_currency(invoice.currency);
  row.set_amount_minor(invoice.amount_minor);
  row.set_issue_date(DayNumber(invoice.issue_date));
  row.set_due_date(DayNumber(invoice.due_date));
  for (const Movement& m : invoice.movements) {
    rows::MovementRow* out = row.add_movements();
    out->set_kind(static_cast<int32_t>(m.kind));
    out->set_effective_on(DayNumber(m.effective_on));
    out->set_amount_minor(m.amount_minor);
    out->set_source_id(m.source_id);
    if (m.voided_on.has_value()) out->set_voided_on(DayNumber(*m.voided_on));
  }
  return row.SerializeAsString();
}

Invoice Decode(rows::InvoiceRow& row) {
  Invoice invoice;
  invoice.invoice_id = std::move(*row.mutable_invoice_id());
  invoice.contract_id = std::move(*row.mutable_contract_id());
  invoice.currency = std::move(*row.mutable_currency());
  invoice.amount_minor = row.amount_minor();
  invoice.issue_date = DayOfNumber(row.issue_date());
  invoice.due_date = DayOfNumber(row.due_date());
  invoice.movements.reserve(row.movements_size());
  for (rows::MovementRow& m : *row.mutable_movements()) {
    invoice.movements.push_back(Movement{
        .kind = static_cast<MovementKind>(m.kind()),
        .effective_on = DayOfNumber(m.effective_on()),
        .amount_minor = m.amount_minor(),
        .source_id = std::move(*m.mutable_source_id()),
        .voided_on = m.has_voided_on() ? std::optional(DayOfNumber(m.voided_on())) : std::nullopt});
  }
  return invoice;
}

std::string Encode(const Payment& payment) {
  rows::PaymentRow row;
  row.set_payment_id(payment.payment_id);
  row.set_currency(payment.currency);
  row.set_amount_minor(payment.amount_minor);
  row.set_value_date(DayNumber(payment.value_date));
  for (const PaymentApplication& a : payment.applications) {
    rows::PaymentApplicationRow* out = row.add_applications();
    out->set_invoice_id(a.invoice_id);
    out->set_applied_on(DayNumber(a.applied_on));
    out->set_amount_minor(a.amount_minor);
  }
  if (payment.reversed_on.has_value()) row.set_reversed_on(DayNumber(*payment.reversed_on));
  return row.SerializeAsString();
}

Payment Decode(rows::PaymentRow& row) {
  Payment payment;
  payment.payment_id = std::move(*row.mutable_payment_id());
  payment.currency = std::move(*row.mutable_currency());
  payment.amount_minor = row.amount_minor();
  payment.value_date = DayOfNumber(row.value_date());
  payment.applications.reserve(row.applications_size());
  for (rows::PaymentApplicationRow& a : *row.mutable_applications()) {
    payment.applications.push_back(
        PaymentApplication{.invoice_id = std::move(*a.mutable_invoice_id()),
                           .applied_on = DayOfNumber(a.applied_on()),
                           .amount_minor = a.amount_minor()});
  }
  if (row.has_reversed_on()) payment.reversed_on = DayOfNumber(row.reversed_on());
  return payment;
}

std::string Encode(const StandaloneCredit& credit) {
  rows::StandaloneCreditRow row;
  row.set_credit_note_id(credit.credit_note_id);
  row.set_currency(credit.currency);
  row.set_amount_minor(credit.amount_minor);
  row.set_issue_date(DayNumber(credit.issue_date));
  return row.SerializeAsString();
}

StandaloneCredit Decode(rows::StandaloneCreditRow& row) {
  return StandaloneCredit{.credit_note_id = std::move(*row.mutable_credit_note_id()),
                          .currency = std::move(*row.mutable_currency()),
                          .amount_minor = row.amount_minor(),
                          .issue_date = DayOfNumber(row.issue_date())};
}

std::string Encode(const Promise& promise) {
  rows::PromiseRow row;
  row.set_promise_id(promise.promise_id);
  row.set_currency(promise.currency);
  row.set_amount_minor(promise.amount_minor);
  row.set_made_on(DayNumber(promise.made_on));
  row.set_promised_date(DayNumber(promise.promised_date));
  for (const std::string& id : promise.invoice_ids) row.add_invoice_ids(id);
  if (promise.cancelled_on.has_value()) row.set_cancelled_on(DayNumber(*promise.cancelled_on));
  return row.SerializeAsString();
}

Promise Decode(rows::PromiseRow& row) {
  return Promise{.promise_id = row.promise_id(),
                 .currency = row.currency(),
                 .amount_minor = row.amount_minor(),
                 .made_on = DayOfNumber(row.made_on()),
                 .promised_date = DayOfNumber(row.promised_date()),
                 .invoice_ids = {row.invoice_ids().begin(), row.invoice_ids().end()},
                 .cancelled_on = row.has_cancelled_on()
                                     ? std::optional(DayOfNumber(row.cancelled_on()))
                                     : std::nullopt};
}

std::string Encode(const Dispute& dispute) {
  rows::DisputeRow row;
  row.set_dispute_id(dispute.dispute_id);
  row.set_invoice_id(dispute.invoice_id);
  row.set_amount_minor(dispute.amount_minor);
  row.set_reason(dispute.reason);
  row.set_opened_on(DayNumber(dispute.opened_on));
  if (dispute.resolution.has_value()) {
    rows::DisputeResolutionRow* r = row.mutable_resolution();
    r->set_outcome(dispute.resolution->outcome);
    r->set_conceded_minor(dispute.resolution->conceded_minor);
    r->set_resolved_on(DayNumber(dispute.resolution->resolved_on));
  }
  return row.SerializeAsString();
}

Dispute Decode(rows::DisputeRow& row) {
  Dispute dispute{.dispute_id = std::move(*row.mutable_dispute_id()),
                  .invoice_id = std::move(*row.mutable_invoice_id()),
                  .amount_minor = row.amount_minor(),
                  .reason = std::move(*row.mutable_reason()),
                  .opened_on = DayOfNumber(row.opened_on()),
                  .resolution = std::nullopt};
  if (row.has_resolution()) {
    dispute.resolution =
        DisputeResolution{.outcome = static_cast<v1::DisputeOutcome>(row.resolution().outcome()),
                          .conceded_minor = row.resolution().conceded_minor(),
                          .resolved_on = DayOfNumber(row.resolution().resolved_on())};
  }
  return dispute;
}

template <typename Row>
absl::StatusOr<Row> Parse(std::string_view state) {
  Row row;
  if (!row.ParseFromArray(state.data(), static_cast<int>(state.size()))) {
    return absl::DataLossError(
        absl::StrCat("receivables view: a ", Row::descriptor()->name(), " does not parse"));
  }
  return row;
}

// Puts one row's state into `state`.
absl::Status AddTo(ReceivablesState& state, std::string_view entity, std::string_view bytes) {
  absl::StatusOr<EntityName> name = ParseEntity(entity);
  if (!name.ok()) return name.status();
  Client& client = state.ClientForView(name->client_id);
  switch (name->kind) {
    case kClientKind: {
      auto row = Parse<rows::ClientRow>(bytes);
      if (!row.ok()) return row.status();
      Decode(*row, client);
      return absl::OkStatus();
    }
    case kInvoiceKind: {
      auto row = Parse<rows::InvoiceRow>(bytes);
      if (!row.ok()) return row.status();
      client.invoices.emplace(std::move(name->id), Decode(*row));
      return absl::OkStatus();
    }
    case kPaymentKind: {
      auto row = Parse<rows::PaymentRow>(bytes);
      if (!row.ok()) return row.status();
      client.payments.emplace(std::move(name->id), Decode(*row));
      return absl::OkStatus();
    }
    case kCreditKind: {
      auto row = Parse<rows::StandaloneCreditRow>(bytes);
      if (!row.ok()) return row.status();
      client.standalone_credits.emplace(std::move(name->id), Decode(*row));
      return absl::OkStatus();
    }
    case kPromiseKind: {
      auto row = Parse<rows::PromiseRow>(bytes);
      if (!row.ok()) return row.status();
      client.promises.emplace(std::move(name->id), Decode(*row));
      return absl::OkStatus();
    }
    case kDisputeKind: {
      auto row = Parse<rows::DisputeRow>(bytes);
      if (!row.ok()) return row.status();
      client.disputes.emplace(std::move(name->id), Decode(*row));
      return absl::OkStatus();
    }
    default:
      return absl::DataLossError(
          absl::StrCat("receivables view: unknown row kind ", static_cast<int>(name->kind)));
  }
}

// The state of one entity in `state`; nullopt when absent.
template <typename V>
std::optional<std::string> Find(const IdMap<V>& map, std::string_view id) {
  const auto it = map.find(id);
  if (it == map.end()) return std::nullopt;
  return Encode(it->second);
}

absl::StatusOr<std::optional<std::string>> StateOf(const ReceivablesState& state,
                                                   std::string_view entity) {
  absl::StatusOr<EntityName> name = ParseEntity(entity);
  if (!name.ok()) return name.status();
  const Client* client = state.FindClient(name->client_id);
  if (client == nullptr) return std::nullopt;
  switch (name->kind) {
    case kClientKind:
      return std::optional(Encode(*client));
    case kInvoiceKind:
      return Find(client->invoices, name->id);
    case kPaymentKind:
      return Find(client->payments, name->id);
    case kCreditKind:
      return Find(client->standalone_credits, name->id);
    case kPromiseKind:
      return Find(client->promises, name->id);
    case kDisputeKind:
      return Find(client->disputes, name->id);
    default:
      return absl::DataLossError("receivables view: unknown row kind");
  }
}

size_t EntityCount(const ReceivablesState& state) {
  size_t n = 0;
  for (const auto& [id, c] : state.clients()) {
    n += 1 + c.invoices.size() + c.payments.size() + c.standalone_credits.size() +
         c.promises.size() + c.disputes.size();
  }
  return n;
}

bool Handled(const v1::Event& event) {
  for (const auto payload : ReceivablesState::HandledPayloads()) {
    if (payload == event.payload_case()) return true;
  }
  return false;
}

class ReceivablesRows final : public projection::RowProjection {
 public:
  std::string_view name() const override { return kReceivablesProjectionName; }

  std::unique_ptr<projection::Fold> NewFold() const override {
    return std::make_unique<ReceivablesFold>();
  }

  absl::Status EntitiesOf(const v1::Event& event, projection::EntityLookup& lookup,
                          std::vector<std::string>* entities) const override {
    if (!Handled(event)) return absl::OkStatus();
    const std::string_view stream = event.stream();
    // Another stream only moves the fold's counters, which are not stored.
    if (!stream.starts_with(kStreamPrefix) || stream.size() == kStreamPrefix.size()) {
      return absl::OkStatus();
    }
    const std::string_view client = stream.substr(kStreamPrefix.size());
    entities->push_back(ClientEntityKey(client));
    auto add = [&](char kind, std::string_view id) {
      entities->push_back(EntityKey(client, kind, id));
    };
    switch (event.payload_case()) {
      case v1::Event::kClientRegistered:
      case v1::Event::kClientUpdated:
      case v1::Event::kAccountOwnerAssigned:
        return absl::OkStatus();
      case v1::Event::kInvoiceIssued:
        add(kInvoiceKind, event.invoice_issued().invoice_id());
        return absl::OkStatus();
      case v1::Event::kPaymentReceived:
        add(kPaymentKind, event.payment_received().payment_id());
        for (const auto& a : event.payment_received().allocations()) {
          add(kInvoiceKind, a.invoice_id());
        }
        return absl::OkStatus();
      case v1::Event::kPaymentAllocated:
        add(kPaymentKind, event.payment_allocated().payment_id());
        for (const auto& a : event.payment_allocated().allocations()) {
          add(kInvoiceKind, a.invoice_id());
        }
        return absl::OkStatus();
      case v1::Event::kCreditNoteIssued:
        // The duplicate check reads the standalone credits whether or not it names an
        // invoice.
        add(kCreditKind, event.credit_note_issued().credit_note_id());
        if (!event.credit_note_issued().invoice_id().empty()) {
          add(kInvoiceKind, event.credit_note_issued().invoice_id());
        }
        return absl::OkStatus();
      case v1::Event::kInvoiceWrittenOff:
        add(kInvoiceKind, event.invoice_written_off().invoice_id());
        return absl::OkStatus();
      case v1::Event::kInvoiceAmended:
        add(kInvoiceKind, event.invoice_amended().invoice_id());
        return absl::OkStatus();
      case v1::Event::kPaymentReversed: {
        const std::string& payment_id = event.payment_reversed().payment_id();
        add(kPaymentKind, payment_id);
        // The invoices its allocations reduce, at any cut: every version's applications.
        auto versions = lookup.VersionsOf(EntityKey(client, kPaymentKind, payment_id));
        if (!versions.ok()) return versions.status();
        for (const projection::RowVersion& v : *versions) {
          if (v.state.empty()) continue;
          auto row = Parse<rows::PaymentRow>(v.state);
          if (!row.ok()) return row.status();
          for (const auto& a : row->applications()) add(kInvoiceKind, a.invoice_id());
        }
        return absl::OkStatus();
      }
      case v1::Event::kPromiseToPayMade:
        add(kPromiseKind, event.promise_to_pay_made().promise_id());
        return absl::OkStatus();
      case v1::Event::kPromiseToPayCancelled:
        add(kPromiseKind, event.promise_to_pay_cancelled().promise_id());
        return absl::OkStatus();
      case v1::Event::kDisputeOpened:
        add(kInvoiceKind, event.dispute_opened().invoice_id());
        add(kDisputeKind, event.dispute_opened().dispute_id());
        return absl::OkStatus();
      case v1::Event::kDisputeResolved:
        add(kDisputeKind, event.dispute_resolved().dispute_id());
        return absl::OkStatus();
      default: {
        // A type the fold handles without a case here: every row of the client, which is
        // always right, only slower.
        std::string prefix;
        AppendKeyPart(&prefix, client);
        auto all = lookup.EntitiesUnder(prefix);
        if (!all.ok()) return all.status();
        for (std::string& entity : *all) entities->push_back(std::move(entity));
        return absl::OkStatus();
      }
    }
  }

  absl::Status ApplyToRows(const v1::Event& event, std::vector<RowState>& states) const override {
    ReceivablesState state;
    for (const RowState& row : states) {
      if (!row.state.has_value()) continue;
      if (absl::Status s = AddTo(state, row.entity, *row.state); !s.ok()) return s;
    }
    state.Apply(event);
    size_t present = 0;
    for (RowState& row : states) {
      auto after = StateOf(state, row.entity);
      if (!after.ok()) return after.status();
      row.state = *std::move(after);
      if (row.state.has_value()) ++present;
    }
    if (present != EntityCount(state)) {
      return absl::InternalError(
          absl::StrCat("receivables view: the fold of the event at position ", event.position(),
                       " changed an entity its rows do not name (EntitiesOf misses one)"));
    }
    return absl::OkStatus();
  }

  absl::Status AddRow(projection::Fold& fold, std::string_view entity,
                      std::string_view state) const override {
    return AddTo(static_cast<ReceivablesFold&>(fold).mutable_state(), entity, state);
  }

  // What an aging reads (FORMAT.md "The open index"): an invoice while it may still be
  // owed, a payment while it may hold unapplied cash, a standalone credit from its issue
  // on, an open dispute, and the client's attributes (its group key), always. A bad row
  // is listed, so the read reports it.
  bool MayBeOpenFrom(std::string_view entity, std::string_view state,
                     absl::CivilDay from) const override {
    absl::StatusOr<EntityName> name = ParseEntity(entity);
    if (!name.ok()) return true;
    switch (name->kind) {
      case kClientKind:
      case kCreditKind:
        return true;
      case kInvoiceKind: {
        auto row = Parse<rows::InvoiceRow>(state);
        if (!row.ok()) return true;
        const Invoice invoice = Decode(*row);
        // The amount owed only changes on the days below, so these are all it takes.
        std::vector<absl::CivilDay> days = {from, std::max(from, invoice.issue_date)};
        for (const Movement& m : invoice.movements) {
          days.push_back(std::max(from, m.effective_on));
          if (m.voided_on.has_value()) days.push_back(std::max(from, *m.voided_on));
        }
        for (const absl::CivilDay day : days) {
          if (invoice.OutstandingOn(day) != 0) return true;
        }
        return false;
      }
      case kPaymentKind: {
        auto row = Parse<rows::PaymentRow>(state);
        if (!row.ok()) return true;
        const Payment payment = Decode(*row);
        std::vector<absl::CivilDay> days = {from, std::max(from, payment.value_date)};
        for (const PaymentApplication& a : payment.applications) {
          days.push_back(std::max(from, a.applied_on));
        }
        if (payment.reversed_on.has_value()) days.push_back(std::max(from, *payment.reversed_on));
        for (const absl::CivilDay day : days) {
          if (payment.UnappliedOn(day) != 0) return true;
        }
        return false;
      }
      case kDisputeKind: {
        auto row = Parse<rows::DisputeRow>(state);
        if (!row.ok()) return true;
        const Dispute dispute = Decode(*row);
        // Open from its opening until its resolution.
        return dispute.OpenOn(std::max(from, dispute.opened_on));
      }
      default:
        return false;
    }
  }

  bool HasOpenIndex() const override { return true; }
};

}  // namespace

std::string ClientEntityKey(std::string_view client_id) {
  std::string key;
  AppendKeyPart(&key, client_id);
  key.push_back(kClientKind);
  return key;
}

std::shared_ptr<const projection::RowProjection> MakeReceivablesRows() {
  return std::make_shared<ReceivablesRows>();
}

absl::StatusOr<AgingReport> StoredAging(const projection::ViewCut& cut, absl::CivilDay as_of,
                                        const AgingOptions& options) {
  absl::StatusOr<AgingBuilder> builder = AgingBuilder::Make(as_of, options);
  if (!builder.ok()) return builder.status();
  // One client's candidates at a time: they come in key order, so a client's together
  // (its key part compared as stored; AddTo parses it).
  ReceivablesState client_state;
  std::string client_part;
  bool any = false;
  absl::Status read =
      cut.ForEachMaybeOpen(as_of, [&](std::string_view entity, std::string_view state) {
        const std::string_view part = ClientPart(entity);
        if (!any || part != client_part) {
          if (any) builder->Add(client_state);
          client_state = ReceivablesState();
          client_part.assign(part);
          any = true;
        }
        return AddTo(client_state, entity, state);
      });
  if (!read.ok()) return read;
  if (any) builder->Add(client_state);
  return std::move(*builder).Finish();
}

}  // namespace sixhearts::services::receivables
