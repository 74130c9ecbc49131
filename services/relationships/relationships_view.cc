// The relationships rows: entity keys, the row codec, the entities of each event and the
// fold on a partial state (relationships_view.h).
#include "services/relationships/relationships_view.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/relationships/hearts.h"
#include "services/relationships/relationships_fold.h"
#include "sixhearts/views/v1/relationships_rows.pb.h"

namespace sixhearts::services::relationships {
namespace {

namespace rows = ::sixhearts::views::v1;
using projection::AppendKeyPart;
using projection::ConsumeKeyPart;
using projection::RowState;

constexpr std::string_view kStreamPrefix = "client-";
// The two families of entities: a client's summary rows and its timeline
// (relationships_view.h).
constexpr char kSummaryFamily = 'C';
constexpr char kTimelineFamily = 'T';
constexpr char kClientKind = 'A';
constexpr char kFollowUpKind = 'F';
constexpr char kHeartDayKind = 'H';
constexpr char kConcernKind = 'K';
constexpr char kOwnerKind = 'O';
constexpr char kPlanKind = 'P';
constexpr char kCompletionKind = 'Q';
constexpr char kTimelineKind = 'T';

const absl::CivilDay kEpoch(1970, 1, 1);

int32_t DayNumber(absl::CivilDay day) { return static_cast<int32_t>(day - kEpoch); }
absl::CivilDay DayOfNumber(int32_t n) { return kEpoch + n; }

void AppendBigEndian(std::string* key, uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) key->push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

uint64_t ReadBigEndian(std::string_view bytes) {
  uint64_t value = 0;
  for (const char c : bytes) value = (value << 8) | static_cast<uint8_t>(c);
  return value;
}

// Days sort as unsigned numbers: days since 1970-01-01 plus 2^31.
void AppendDay(std::string* key, absl::CivilDay day) {
  AppendBigEndian(key, static_cast<uint32_t>(static_cast<int64_t>(DayNumber(day)) + (1LL << 31)),
                  4);
}

absl::CivilDay ReadDay(std::string_view bytes) {
  return DayOfNumber(
      static_cast<int32_t>(static_cast<int64_t>(ReadBigEndian(bytes)) - (1LL << 31)));
}

std::string SummaryPrefix(std::string_view client_id) {
  std::string key(1, kSummaryFamily);
  AppendKeyPart(&key, client_id);
  return key;
}

std::string TimelinePrefix(std::string_view client_id) {
  std::string key(1, kTimelineFamily);
  AppendKeyPart(&key, client_id);
  return key;
}

std::string ClientKey(std::string_view client_id, char kind) {
  std::string key = SummaryPrefix(client_id);
  key.push_back(kind);
  return key;
}

std::string IdKey(std::string_view client_id, char kind, std::string_view id) {
  std::string key = ClientKey(client_id, kind);
  AppendKeyPart(&key, id);
  return key;
}

std::string HeartDayKey(std::string_view client_id, v1::Heart heart, absl::CivilDay day) {
  std::string key = ClientKey(client_id, kHeartDayKind);
  key.push_back(static_cast<char>(HeartIndex(heart)));
  AppendDay(&key, day);
  return key;
}

std::string OwnerKey(std::string_view client_id, absl::CivilDay day, uint64_t position) {
  std::string key = ClientKey(client_id, kOwnerKind);
  AppendDay(&key, day);
  AppendBigEndian(&key, position, 8);
  return key;
}

std::string TimelineKey(std::string_view client_id, uint64_t position) {
  std::string key = TimelinePrefix(client_id);
  AppendBigEndian(&key, position, 8);
  return key;
}

struct EntityName {
  std::string client_id;
  char kind = 0;
  std::string id;         // follow-up, concern, plan id
  std::string step_id;    // plan step completion
  size_t heart = 0;       // heart day: HeartIndex
  absl::CivilDay day;     // heart day, owner assignment
  uint64_t position = 0;  // owner assignment, timeline entry
};

absl::Status BadKey(const char* what) {
  return absl::DataLossError(absl::StrCat("relationships view: a bad ", what, " row key"));
}

absl::StatusOr<EntityName> ParseEntity(std::string_view entity) {
  EntityName name;
  if (entity.empty() || (entity.front() != kSummaryFamily && entity.front() != kTimelineFamily)) {
    return absl::DataLossError("relationships view: a row key of no family");
  }
  const bool timeline = entity.front() == kTimelineFamily;
  entity.remove_prefix(1);
  std::optional<std::string> client = ConsumeKeyPart(&entity);
  if (!client.has_value() || entity.empty()) {
    return absl::DataLossError("relationships view: a row key without its client");
  }
  name.client_id = *std::move(client);
  if (timeline) {
    name.kind = kTimelineKind;
  } else {
    name.kind = entity.front();
    entity.remove_prefix(1);
    if (name.kind == kTimelineKind) return BadKey("summary");
  }
  switch (name.kind) {
    case kClientKind:
      if (!entity.empty()) return BadKey("client");
      return name;
    case kFollowUpKind:
    case kConcernKind:
    case kPlanKind: {
      std::optional<std::string> id = ConsumeKeyPart(&entity);
      if (!id.has_value() || !entity.empty()) return BadKey("follow-up, concern or plan");
      name.id = *std::move(id);
      return name;
    }
    case kCompletionKind: {
      std::optional<std::string> plan = ConsumeKeyPart(&entity);
      std::optional<std::string> step =
          plan.has_value() ? ConsumeKeyPart(&entity) : std::optional<std::string>();
      if (!step.has_value() || !entity.empty()) return BadKey("plan step completion");
      name.id = *std::move(plan);
      name.step_id = *std::move(step);
      return name;
    }
    case kHeartDayKind:
      if (entity.size() != 5 || static_cast<uint8_t>(entity[0]) >= kHeartCount) {
        return BadKey("heart day");
      }
      name.heart = static_cast<uint8_t>(entity[0]);
      name.day = ReadDay(entity.substr(1));
      return name;
    case kOwnerKind:
      if (entity.size() != 12) return BadKey("owner assignment");
      name.day = ReadDay(entity.substr(0, 4));
      name.position = ReadBigEndian(entity.substr(4));
      return name;
    case kTimelineKind:
      if (entity.size() != 8) return BadKey("timeline");
      name.position = ReadBigEndian(entity);
      return name;
    default:
      return absl::DataLossError(
          absl::StrCat("relationships view: unknown row kind ", static_cast<int>(name.kind)));
  }
}

// ------------------------------------------------------------------------ row codec

std::string EncodeAttributes(const ClientRelationship& c) {
  rows::RelationshipClientRow row;
  row.set_client_id(c.client_id);
  row.set_name(c.name);
  row.set_first_event_on(DayNumber(c.first_event_on));
  if (c.first_contract.has_value()) {
    row.mutable_first_contract()->set_contract_id(c.first_contract->contract_id);
    row.mutable_first_contract()->set_signed_on(DayNumber(c.first_contract->signed_on));
  }
  return row.SerializeAsString();
}

void DecodeAttributes(const rows::RelationshipClientRow& row, ClientRelationship& c) {
  c.name = row.name();
  c.first_event_on = DayOfNumber(row.first_event_on());
  if (row.has_first_contract()) {
    c.first_contract = ContractMark{row.first_contract().contract_id(),
                                    DayOfNumber(row.first_contract().signed_on())};
  }
}

std::string Encode(const OwnerAssignment& owner) {
  rows::OwnerAssignmentRow row;
  row.set_from(DayNumber(owner.from));
  row.set_owner(owner.owner);
  return row.SerializeAsString();
}

std::string EncodeHeartDay(size_t heart, absl::CivilDay day) {
  rows::HeartDayRow row;
  row.set_heart(static_cast<int32_t>(kAllHearts[heart]));
  row.set_day(DayNumber(day));
  return row.SerializeAsString();
}

std::string Encode(const Concern& concern) {
  rows::ConcernRow row;
  row.set_concern_id(concern.concern_id);
  row.set_summary(concern.summary);
  row.set_raised_on(DayNumber(concern.raised_on));
  if (concern.resolved_on.has_value()) row.set_resolved_on(DayNumber(*concern.resolved_on));
  return row.SerializeAsString();
}

Concern Decode(const rows::ConcernRow& row) {
  return Concern{.concern_id = row.concern_id(),
                 .summary = row.summary(),
                 .raised_on = DayOfNumber(row.raised_on()),
                 .resolved_on = row.has_resolved_on()
                                    ? std::optional(DayOfNumber(row.resolved_on()))
                                    : std::nullopt};
}

std::string Encode(const Plan& plan) {
  rows::PlanRow row;
  row.set_plan_id(plan.plan_id);
  for (const PlanVersion& v : plan.versions) {
    rows::PlanVersionRow* out = row.add_versions();
    out->set_set_on(DayNumber(v.set_on));
    out->set_owner(v.owner);
    for (const PlanStep& s : v.steps) {
      rows::PlanStepRow* step = out->add_steps();
      step->set_step_id(s.step_id);
      step->set_action(s.action);
      step->set_due_date(DayNumber(s.due_date));
      step->set_expected_minor(s.expected_minor);
      step->set_currency(s.currency);
    }
  }
  return row.SerializeAsString();
}

std::vector<PlanVersion> Decode(const rows::PlanRow& row) {
  std::vector<PlanVersion> versions;
  for (const rows::PlanVersionRow& v : row.versions()) {
    PlanVersion& out = versions.emplace_back();
    out.set_on = DayOfNumber(v.set_on());
    out.owner = v.owner();
    for (const rows::PlanStepRow& s : v.steps()) {
      out.steps.push_back(PlanStep{.step_id = s.step_id(),
                                   .action = s.action(),
                                   .due_date = DayOfNumber(s.due_date()),
                                   .expected_minor = s.expected_minor(),
                                   .currency = s.currency()});
    }
  }
  return versions;
}

std::string EncodeCompletion(const std::string& step_id, absl::CivilDay completed_on) {
  rows::PlanStepCompletionRow row;
  row.set_step_id(step_id);
  row.set_completed_on(DayNumber(completed_on));
  return row.SerializeAsString();
}

std::string Encode(const FollowUp& f) {
  rows::FollowUpRow row;
  row.set_follow_up_id(f.follow_up_id);
  row.set_scheduled_on(DayNumber(f.scheduled_on));
  row.set_due_date(DayNumber(f.due_date));
  row.set_heart(static_cast<int32_t>(f.heart));
  row.set_action(f.action);
  row.set_owner(f.owner);
  if (f.completed_on.has_value()) row.set_completed_on(DayNumber(*f.completed_on));
  return row.SerializeAsString();
}

FollowUp Decode(const rows::FollowUpRow& row) {
  return FollowUp{.follow_up_id = row.follow_up_id(),
                  .scheduled_on = DayOfNumber(row.scheduled_on()),
                  .due_date = DayOfNumber(row.due_date()),
                  .heart = static_cast<v1::Heart>(row.heart()),
                  .action = row.action(),
                  .owner = row.owner(),
                  .completed_on = row.has_completed_on()
                                      ? std::optional(DayOfNumber(row.completed_on()))
                                      : std::nullopt};
}

std::string Encode(const TimelineEntry& e) {
  rows::TimelineEntryRow row;
  row.set_position(e.position);
  row.set_type(e.type);
  row.set_on(DayNumber(e.on));
  row.set_hearts(e.hearts.bits());
  row.set_actor(e.actor);
  row.set_hash_prefix(e.hash_prefix);
  row.set_summary(e.summary);
  return row.SerializeAsString();
}

TimelineEntry Decode(const rows::TimelineEntryRow& row) {
  return TimelineEntry{.position = row.position(),
                       .type = row.type(),
                       .on = DayOfNumber(row.on()),
                       .hearts = HeartSet::FromBits(static_cast<uint8_t>(row.hearts())),
                       .actor = row.actor(),
                       .hash_prefix = row.hash_prefix(),
                       .summary = row.summary()};
}

template <typename Row>
absl::StatusOr<Row> Parse(std::string_view state) {
  Row row;
  if (!row.ParseFromArray(state.data(), static_cast<int>(state.size()))) {
    return absl::DataLossError(
        absl::StrCat("relationships view: a ", Row::descriptor()->name(), " does not parse"));
  }
  return row;
}

// Puts one row's state into `state`. Rows of a client come in key order: plans before
// their completions, owner assignments by (day, position) and timeline entries by
// position, as the fold orders them.
absl::Status AddTo(RelationshipsState& state, std::string_view entity, std::string_view bytes) {
  absl::StatusOr<EntityName> name = ParseEntity(entity);
  if (!name.ok()) return name.status();
  ClientRelationship& client = state.ClientForView(name->client_id);
  switch (name->kind) {
    case kClientKind: {
      auto row = Parse<rows::RelationshipClientRow>(bytes);
      if (!row.ok()) return row.status();
      DecodeAttributes(*row, client);
      return absl::OkStatus();
    }
    case kFollowUpKind: {
      auto row = Parse<rows::FollowUpRow>(bytes);
      if (!row.ok()) return row.status();
      client.follow_ups.emplace(name->id, Decode(*row));
      return absl::OkStatus();
    }
    case kHeartDayKind: {
      std::vector<absl::CivilDay>& days = client.heart_days[name->heart];
      const auto it = std::lower_bound(days.begin(), days.end(), name->day);
      if (it == days.end() || *it != name->day) days.insert(it, name->day);
      return absl::OkStatus();
    }
    case kConcernKind: {
      auto row = Parse<rows::ConcernRow>(bytes);
      if (!row.ok()) return row.status();
      client.concerns.emplace(name->id, Decode(*row));
      return absl::OkStatus();
    }
    case kOwnerKind: {
      auto row = Parse<rows::OwnerAssignmentRow>(bytes);
      if (!row.ok()) return row.status();
      const absl::CivilDay from = DayOfNumber(row->from());
      // After every assignment of the same day: rows come by (day, position), arrival order.
      const auto it =
          std::upper_bound(client.owners.begin(), client.owners.end(), from,
                           [](absl::CivilDay d, const OwnerAssignment& a) { return d < a.from; });
      client.owners.insert(it, OwnerAssignment{from, row->owner()});
      return absl::OkStatus();
    }
    case kPlanKind: {
      auto row = Parse<rows::PlanRow>(bytes);
      if (!row.ok()) return row.status();
      Plan& plan = client.plans[name->id];
      plan.plan_id = name->id;
      plan.versions = Decode(*row);
      return absl::OkStatus();
    }
    case kCompletionKind: {
      auto row = Parse<rows::PlanStepCompletionRow>(bytes);
      if (!row.ok()) return row.status();
      Plan& plan = client.plans[name->id];
      plan.plan_id = name->id;
      plan.completions[name->step_id] = DayOfNumber(row->completed_on());
      return absl::OkStatus();
    }
    case kTimelineKind: {
      auto row = Parse<rows::TimelineEntryRow>(bytes);
      if (!row.ok()) return row.status();
      state.KeepTimelineEntry(client, Decode(*row));
      return absl::OkStatus();
    }
    default:
      return absl::DataLossError("relationships view: unknown row kind");
  }
}

template <typename V>
std::optional<std::string> Find(const std::map<std::string, V>& map, const std::string& id) {
  const auto it = map.find(id);
  if (it == map.end()) return std::nullopt;
  return Encode(it->second);
}

// The state of one entity in `state` (a partial state of the entities one event names);
// nullopt when absent.
absl::StatusOr<std::optional<std::string>> StateOf(const RelationshipsState& state,
                                                   std::string_view entity) {
  absl::StatusOr<EntityName> name = ParseEntity(entity);
  if (!name.ok()) return name.status();
  const ClientRelationship* client = state.FindClient(name->client_id);
  if (client == nullptr) return std::nullopt;
  switch (name->kind) {
    case kClientKind:
      return std::optional(EncodeAttributes(*client));
    case kFollowUpKind:
      return Find(client->follow_ups, name->id);
    case kHeartDayKind: {
      const std::vector<absl::CivilDay>& days = client->heart_days[name->heart];
      if (!std::binary_search(days.begin(), days.end(), name->day)) return std::nullopt;
      return std::optional(EncodeHeartDay(name->heart, name->day));
    }
    case kConcernKind:
      return Find(client->concerns, name->id);
    case kOwnerKind:
      // An assignment row is named only by its own event, so a partial state holds at most
      // this one.
      for (const OwnerAssignment& a : client->owners) {
        if (a.from == name->day) return std::optional(Encode(a));
      }
      return std::nullopt;
    case kPlanKind:
      return Find(client->plans, name->id);
    case kCompletionKind: {
      const auto plan = client->plans.find(name->id);
      if (plan == client->plans.end()) return std::nullopt;
      const auto it = plan->second.completions.find(name->step_id);
      if (it == plan->second.completions.end()) return std::nullopt;
      return std::optional(EncodeCompletion(it->first, it->second));
    }
    case kTimelineKind:
      for (const TimelineEntry& e : client->timeline) {
        if (e.position == name->position) return std::optional(Encode(e));
      }
      return std::nullopt;
    default:
      return absl::DataLossError("relationships view: unknown row kind");
  }
}

// The row kind of an entity key, without parsing it (kTimelineKind for the timeline
// family); 0 when the key is not one of ours. A part ends at its first 0x00 0x01 (a 0x00
// inside it is written 0x00 0xFF).
char KindOf(std::string_view entity) {
  if (entity.empty()) return 0;
  if (entity.front() == kTimelineFamily) return kTimelineKind;
  const size_t end = entity.find(std::string_view("\0\x01", 2), 1);
  if (end == std::string_view::npos || end + 2 >= entity.size()) return 0;
  return entity[end + 2];
}

// Rows an event never changes once they are present.
bool Immutable(char kind) {
  return kind == kHeartDayKind || kind == kOwnerKind || kind == kTimelineKind;
}

// What a client's attributes row holds, to tell whether the fold changed it.
struct Attributes {
  std::string name;
  absl::CivilDay first_event_on;
  std::optional<ContractMark> first_contract;

  static Attributes Of(const ClientRelationship& c) {
    return Attributes{c.name, c.first_event_on, c.first_contract};
  }
  bool operator==(const Attributes&) const = default;
};

// The entities a (partial) state holds, as rows.
size_t EntityCount(const RelationshipsState& state) {
  size_t n = 0;
  for (const auto& [id, c] : state.clients()) {
    n += 1 + c.owners.size() + c.concerns.size() + c.plans.size() + c.follow_ups.size() +
         c.timeline.size();
    for (const auto& days : c.heart_days) n += days.size();
    for (const auto& [plan_id, plan] : c.plans) n += plan.completions.size();
  }
  return n;
}

class RelationshipsRows final : public projection::RowProjection {
 public:
  explicit RelationshipsRows(FoldOptions options) : options_(options) {}

  std::string_view name() const override { return kRelationshipsProjectionName; }

  std::unique_ptr<projection::Fold> NewFold() const override {
    return std::make_unique<RelationshipsFold>(options_);
  }

  absl::Status EntitiesOf(const v1::Event& event, projection::EntityLookup& /*lookup*/,
                          std::vector<std::string>* entities) const override {
    if (event.payload_case() == v1::Event::PAYLOAD_NOT_SET) return absl::OkStatus();
    const std::string_view stream = event.stream();
    // Another stream only moves the fold's counters, which are not stored.
    if (!stream.starts_with(kStreamPrefix) || stream.size() == kStreamPrefix.size()) {
      return absl::OkStatus();
    }
    const std::string_view client = stream.substr(kStreamPrefix.size());
    // Every event of the stream: the attributes (first_event_on, the client itself) and
    // its own timeline entry.
    entities->push_back(ClientKey(client, kClientKind));
    entities->push_back(TimelineKey(client, event.position()));
    const absl::CivilDay day = EventDay(event);
    // The heart days it may mark: its own hearts, and for a completed follow-up any heart
    // (the follow-up's own, which depends on the cut).
    const bool any_heart = event.payload_case() == v1::Event::kFollowUpCompleted;
    const HeartSet hearts = EventHearts(event);
    for (const v1::Heart heart : kAllHearts) {
      if (any_heart || hearts.Has(heart)) entities->push_back(HeartDayKey(client, heart, day));
    }
    switch (event.payload_case()) {
      case v1::Event::kAccountOwnerAssigned:
        entities->push_back(OwnerKey(client, day, event.position()));
        break;
      case v1::Event::kConcernRaised:
        entities->push_back(IdKey(client, kConcernKind, event.concern_raised().concern_id()));
        break;
      case v1::Event::kConcernResolved:
        entities->push_back(IdKey(client, kConcernKind, event.concern_resolved().concern_id()));
        break;
      case v1::Event::kCollectionPlanSet:
        entities->push_back(IdKey(client, kPlanKind, event.collection_plan_set().plan_id()));
        break;
      case v1::Event::kPlanStepCompleted: {
        const v1::PlanStepCompleted& e = event.plan_step_completed();
        entities->push_back(IdKey(client, kPlanKind, e.plan_id()));
        std::string completion = IdKey(client, kCompletionKind, e.plan_id());
        AppendKeyPart(&completion, e.step_id());
        entities->push_back(std::move(completion));
        break;
      }
      case v1::Event::kFollowUpScheduled:
        entities->push_back(
            IdKey(client, kFollowUpKind, event.follow_up_scheduled().follow_up_id()));
        break;
      case v1::Event::kFollowUpCompleted:
        entities->push_back(
            IdKey(client, kFollowUpKind, event.follow_up_completed().follow_up_id()));
        break;
      default:
        break;  // Attributes (registration, contracts) or the timeline only.
    }
    return absl::OkStatus();
  }

  absl::Status ApplyToRows(const v1::Event& event, std::vector<RowState>& states) const override {
    RelationshipsState state(options_);
    bool has_attributes = false;
    for (const RowState& row : states) {
      if (!row.state.has_value()) continue;
      if (absl::Status s = AddTo(state, row.entity, *row.state); !s.ok()) return s;
      has_attributes = has_attributes || KindOf(row.entity) == kClientKind;
    }
    // The rows of one event are of one client. Its attributes as they were, so that rows
    // the fold left as they were keep their bytes instead of being encoded again.
    std::optional<Attributes> before;
    if (has_attributes && state.clients().size() == 1) {
      before = Attributes::Of(state.clients().begin()->second);
    }
    state.Apply(event);
    const std::optional<Attributes> after_attributes =
        before.has_value() && state.clients().size() == 1
            ? std::optional(Attributes::Of(state.clients().begin()->second))
            : std::nullopt;
    size_t present = 0;
    for (RowState& row : states) {
      const char kind = KindOf(row.entity);
      if (row.state.has_value() && (Immutable(kind) || (kind == kClientKind && before.has_value() &&
                                                        after_attributes == before))) {
        ++present;
        continue;
      }
      auto after = StateOf(state, row.entity);
      if (!after.ok()) return after.status();
      row.state = *std::move(after);
      if (row.state.has_value()) ++present;
    }
    if (present != EntityCount(state)) {
      return absl::InternalError(
          absl::StrCat("relationships view: the fold of the event at position ", event.position(),
                       " changed an entity its rows do not name (EntitiesOf misses one)"));
    }
    return absl::OkStatus();
  }

  absl::Status AddRow(projection::Fold& fold, std::string_view entity,
                      std::string_view state) const override {
    return AddTo(static_cast<RelationshipsFold&>(fold).mutable_state(), entity, state);
  }

 private:
  const FoldOptions options_;
};

}  // namespace

std::string ClientRowsPrefix(std::string_view client_id) { return SummaryPrefix(client_id); }

std::string TimelineRowsPrefix(std::string_view client_id) { return TimelinePrefix(client_id); }

absl::Status AddClientsRows(const projection::ViewCut& cut, std::optional<absl::CivilDay> day,
                            RelationshipsState& state) {
  return cut.ReadUnder(
      std::string_view(&kSummaryFamily, 1), day,
      [&](std::string_view entity, std::string_view bytes) { return AddTo(state, entity, bytes); });
}

absl::Status AddClientRows(const projection::ViewCut& cut, std::string_view client_id,
                           std::optional<absl::CivilDay> day, bool with_timeline,
                           RelationshipsState& state) {
  const auto add = [&](std::string_view entity, std::string_view bytes) {
    return AddTo(state, entity, bytes);
  };
  if (absl::Status s = cut.ReadUnder(SummaryPrefix(client_id), day, add); !s.ok()) return s;
  if (!with_timeline) return absl::OkStatus();
  return cut.ReadUnder(TimelinePrefix(client_id), day, add);
}

absl::Status AddReceivablesRows(const projection::ViewCut& cut,
                                const projection::RowProjection& receivables_rows,
                                std::optional<std::string_view> client_id,
                                std::optional<absl::CivilDay> day, projection::Fold& fold) {
  // receivables_view.h: every receivables entity key starts with part(client_id).
  std::string prefix;
  if (client_id.has_value()) AppendKeyPart(&prefix, *client_id);
  return cut.ReadUnder(prefix, day, [&](std::string_view entity, std::string_view bytes) {
    return receivables_rows.AddRow(fold, entity, bytes);
  });
}

std::shared_ptr<const projection::RowProjection> MakeRelationshipsRows(FoldOptions options) {
  return std::make_shared<RelationshipsRows>(options);
}

}  // namespace sixhearts::services::relationships
