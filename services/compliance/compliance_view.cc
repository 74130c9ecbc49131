// The compliance rows: entity keys, the row codec, the entities of each event and the fold
// on a partial state (compliance_view.h).
#include "services/compliance/compliance_view.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sixhearts/views/v1/compliance_rows.pb.h"

namespace sixhearts::services::compliance {
namespace {

namespace rows = ::sixhearts::views::v1;
using projection::AppendKeyPart;
using projection::ConsumeKeyPart;
using projection::RowState;

constexpr std::string_view kStreamPrefix = "client-";
constexpr char kClientKind = 'A';
constexpr char kContractKind = 'C';
constexpr char kInvoiceKind = 'I';

const absl::CivilDay kEpoch(1970, 1, 1);

int32_t DayNumber(absl::CivilDay day) { return static_cast<int32_t>(day - kEpoch); }
absl::CivilDay DayOfNumber(int32_t n) { return kEpoch + n; }

std::string ClientKey(std::string_view client_id) {
  std::string key;
  AppendKeyPart(&key, client_id);
  key.push_back(kClientKind);
  return key;
}

std::string IdKey(std::string_view client_id, char kind, std::string_view id) {
  std::string key;
  AppendKeyPart(&key, client_id);
  key.push_back(kind);
  AppendKeyPart(&key, id);
  return key;
}

struct EntityName {
  std::string client_id;
  char kind = 0;
  std::string id;  // contract or invoice id
};

absl::StatusOr<EntityName> ParseEntity(std::string_view entity) {
  EntityName name;
  std::optional<std::string> client = ConsumeKeyPart(&entity);
  if (!client.has_value() || entity.empty()) {
    return absl::DataLossError("compliance view: a row key without its client");
  }
  name.client_id = *std::move(client);
  name.kind = entity.front();
  entity.remove_prefix(1);
  switch (name.kind) {
    case kClientKind:
      if (!entity.empty()) return absl::DataLossError("compliance view: a bad client row key");
      return name;
    case kContractKind:
    case kInvoiceKind: {
      std::optional<std::string> id = ConsumeKeyPart(&entity);
      if (!id.has_value() || !entity.empty()) {
        return absl::DataLossError("compliance view: a bad contract or invoice row key");
      }
      name.id = *std::move(id);
      return name;
    }
    default:
      return absl::DataLossError(
          absl::StrCat("compliance view: unknown row kind ", static_cast<int>(name.kind)));
  }
}

// ------------------------------------------------------------------------ row codec

std::string Encode(const Contract& c) {
  rows::ComplianceContractRow row;
  row.set_contract_id(c.contract_id);
  row.set_signed_on(DayNumber(c.signed_on));
  row.set_acceptance_required(c.acceptance_required);
  for (const ContractTerms& t : c.versions) {
    rows::ContractTermsRow* out = row.add_versions();
    out->set_from(DayNumber(t.from));
    out->set_payment_terms_days(t.payment_terms_days);
    out->set_acceptance_period_days(t.acceptance_period_days);
    out->set_late_interest_rate_bps(t.late_interest_rate_bps);
  }
  return row.SerializeAsString();
}

Contract Decode(const rows::ComplianceContractRow& row) {
  Contract c;
  c.contract_id = row.contract_id();
  c.signed_on = DayOfNumber(row.signed_on());
  c.acceptance_required = row.acceptance_required();
  for (const rows::ContractTermsRow& t : row.versions()) {
    c.versions.push_back(ContractTerms{DayOfNumber(t.from()), t.payment_terms_days(),
                                       t.acceptance_period_days(), t.late_interest_rate_bps()});
  }
  return c;
}

std::string Encode(const InvoiceFacts& f) {
  rows::ComplianceInvoiceRow row;
  row.set_contract_id(f.contract_id);
  if (f.delivery_date) row.set_delivery_date(DayNumber(*f.delivery_date));
  if (f.received_date) row.set_received_date(DayNumber(*f.received_date));
  if (f.acceptance_date) row.set_acceptance_date(DayNumber(*f.acceptance_date));
  return row.SerializeAsString();
}

InvoiceFacts Decode(const rows::ComplianceInvoiceRow& row) {
  auto day = [](bool has, int32_t n) { return has ? std::optional(DayOfNumber(n)) : std::nullopt; };
  return InvoiceFacts{.contract_id = row.contract_id(),
                      .delivery_date = day(row.has_delivery_date(), row.delivery_date()),
                      .received_date = day(row.has_received_date(), row.received_date()),
                      .acceptance_date = day(row.has_acceptance_date(), row.acceptance_date())};
}

template <typename Row>
absl::StatusOr<Row> Parse(std::string_view state) {
  Row row;
  if (!row.ParseFromArray(state.data(), static_cast<int>(state.size()))) {
    return absl::DataLossError(
        absl::StrCat("compliance view: a ", Row::descriptor()->name(), " does not parse"));
  }
  return row;
}

// Puts one row's state into `state`.
absl::Status AddTo(ComplianceState& state, std::string_view entity, std::string_view bytes) {
  absl::StatusOr<EntityName> name = ParseEntity(entity);
  if (!name.ok()) return name.status();
  ClientFacts& client = state.ClientForView(name->client_id);
  switch (name->kind) {
    case kClientKind: {
      auto row = Parse<rows::ComplianceClientRow>(bytes);
      if (!row.ok()) return row.status();
      return absl::OkStatus();
    }
    case kContractKind: {
      auto row = Parse<rows::ComplianceContractRow>(bytes);
      if (!row.ok()) return row.status();
      if (row->versions().empty()) {
        return absl::DataLossError("compliance view: a contract row without terms");
      }
      client.contracts.insert_or_assign(name->id, Decode(*row));
      return absl::OkStatus();
    }
    case kInvoiceKind: {
      auto row = Parse<rows::ComplianceInvoiceRow>(bytes);
      if (!row.ok()) return row.status();
      client.invoices.insert_or_assign(name->id, Decode(*row));
      return absl::OkStatus();
    }
    default:
      return absl::DataLossError("compliance view: unknown row kind");
  }
}

// The state of one entity in `state` (a partial state of the entities one event names);
// nullopt when absent.
absl::StatusOr<std::optional<std::string>> StateOf(const ComplianceState& state,
                                                   std::string_view entity) {
  absl::StatusOr<EntityName> name = ParseEntity(entity);
  if (!name.ok()) return name.status();
  const ClientFacts* client = state.FindClient(name->client_id);
  if (client == nullptr) return std::nullopt;
  switch (name->kind) {
    case kClientKind:
      return std::optional(rows::ComplianceClientRow().SerializeAsString());
    case kContractKind: {
      const auto it = client->contracts.find(name->id);
      if (it == client->contracts.end()) return std::nullopt;
      return std::optional(Encode(it->second));
    }
    case kInvoiceKind: {
      const auto it = client->invoices.find(name->id);
      if (it == client->invoices.end()) return std::nullopt;
      return std::optional(Encode(it->second));
    }
    default:
      return absl::DataLossError("compliance view: unknown row kind");
  }
}

// The entities a (partial) state holds, as rows.
size_t EntityCount(const ComplianceState& state) {
  size_t n = 0;
  for (const auto& [id, c] : state.clients()) n += 1 + c.contracts.size() + c.invoices.size();
  return n;
}

class ComplianceRows final : public projection::RowProjection {
 public:
  std::string_view name() const override { return kComplianceProjectionName; }

  std::unique_ptr<projection::Fold> NewFold() const override {
    return std::make_unique<ComplianceFold>();
  }

  absl::Status EntitiesOf(const v1::Event& event, projection::EntityLookup& /*lookup*/,
                          std::vector<std::string>* entities) const override {
    const v1::Event::PayloadCase type = event.payload_case();
    if (type != v1::Event::kContractSigned && type != v1::Event::kContractAmended &&
        type != v1::Event::kInvoiceIssued && type != v1::Event::kInvoiceAccepted &&
        type != v1::Event::kInvoiceAmended) {
      return absl::OkStatus();  // The fold skips it (only its counters move).
    }
    const std::string_view stream = event.stream();
    // Another stream only moves the fold's counters, which are not stored.
    if (!stream.starts_with(kStreamPrefix) || stream.size() == kStreamPrefix.size()) {
      return absl::OkStatus();
    }
    const std::string_view client = stream.substr(kStreamPrefix.size());
    // The fold enters the client for every event of these types, valid or not.
    entities->push_back(ClientKey(client));
    switch (type) {
      case v1::Event::kContractSigned:
        entities->push_back(IdKey(client, kContractKind, event.contract_signed().contract_id()));
        break;
      case v1::Event::kContractAmended:
        entities->push_back(IdKey(client, kContractKind, event.contract_amended().contract_id()));
        break;
      case v1::Event::kInvoiceIssued:
        entities->push_back(IdKey(client, kInvoiceKind, event.invoice_issued().invoice_id()));
        break;
      case v1::Event::kInvoiceAccepted:
        entities->push_back(IdKey(client, kInvoiceKind, event.invoice_accepted().invoice_id()));
        break;
      case v1::Event::kInvoiceAmended:
        entities->push_back(IdKey(client, kInvoiceKind, event.invoice_amended().invoice_id()));
        break;
      default:
        break;
    }
    return absl::OkStatus();
  }

  absl::Status ApplyToRows(const v1::Event& event, std::vector<RowState>& states) const override {
    ComplianceState state;
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
          absl::StrCat("compliance view: the fold of the event at position ", event.position(),
                       " changed an entity its rows do not name (EntitiesOf misses one)"));
    }
    return absl::OkStatus();
  }

  absl::Status AddRow(projection::Fold& fold, std::string_view entity,
                      std::string_view state) const override {
    return AddTo(static_cast<ComplianceFold&>(fold).mutable_state(), entity, state);
  }
};

}  // namespace

std::string ClientComplianceRowsPrefix(std::string_view client_id) {
  std::string key;
  AppendKeyPart(&key, client_id);
  return key;
}

absl::Status AddClientFromCut(const projection::ViewCut& cut, std::optional<absl::CivilDay> day,
                              std::string_view client_id, ComplianceState& state) {
  return cut.ReadUnder(
      ClientComplianceRowsPrefix(client_id), day,
      [&](std::string_view entity, std::string_view bytes) { return AddTo(state, entity, bytes); });
}

std::shared_ptr<const projection::RowProjection> MakeComplianceRows() {
  return std::make_shared<ComplianceRows>();
}

}  // namespace sixhearts::services::compliance
