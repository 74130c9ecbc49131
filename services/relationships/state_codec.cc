// The snapshot encoding of RelationshipsState; the format is specified in
// relationships_state.h above Serialize().
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "services/relationships/relationships_state.h"

namespace sixhearts::services::relationships {
namespace {

constexpr std::string_view kMagic = "SHREL";
constexpr uint64_t kVersion = 1;

// Appends the encoding of values to a string.
class Encoder {
 public:
  void U64(uint64_t value) {
    do {
      uint8_t byte = value & 0x7f;
      value >>= 7;
      if (value != 0) byte |= 0x80;
      bytes_.push_back(static_cast<char>(byte));
    } while (value != 0);
  }
  void I64(int64_t value) {
    // Zigzag: 0, -1, 1, -2, ... -> 0, 1, 2, 3, ... so small magnitudes stay one byte.
    const auto u = static_cast<uint64_t>(value);
    U64(value < 0 ? ~(u << 1) : (u << 1));
  }
  void Byte(uint8_t value) { bytes_.push_back(static_cast<char>(value)); }
  void Flag(bool value) { Byte(value ? 1 : 0); }
  void Text(std::string_view text) {
    U64(text.size());
    bytes_.append(text);
  }
  void Day(absl::CivilDay day) {
    I64(day.year());
    U64(static_cast<uint64_t>(day.month()));
    U64(static_cast<uint64_t>(day.day()));
  }
  void MaybeDay(const std::optional<absl::CivilDay>& day) {
    Flag(day.has_value());
    if (day.has_value()) Day(*day);
  }
  void Literal(std::string_view text) { bytes_.append(text); }
  std::string Finish() && { return std::move(bytes_); }

 private:
  std::string bytes_;
};

// Reads values back. The first malformed value marks the input bad and every later read
// returns a default, so a record can be read whole and checked once with good().
class Decoder {
 public:
  explicit Decoder(std::string_view bytes) : rest_(bytes) {}

  bool good() const { return good_; }
  bool done() const { return rest_.empty(); }
  void Corrupt() {
    good_ = false;
    rest_ = {};
  }

  bool Literal(std::string_view text) {
    if (!rest_.starts_with(text)) return false;
    rest_.remove_prefix(text.size());
    return true;
  }
  uint64_t U64() {
    uint64_t value = 0;
    for (int shift = 0; shift <= 63; shift += 7) {
      if (rest_.empty()) break;
      const auto byte = static_cast<uint8_t>(rest_.front());
      rest_.remove_prefix(1);
      // The tenth byte may only carry the top bit of a 64-bit value.
      if (shift == 63 && byte > 1) break;
      // A last byte of zero after the first adds nothing: only the shortest form is
      // accepted, so decoding and re-encoding give the same bytes.
      if (shift > 0 && byte == 0) break;
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    Corrupt();
    return 0;
  }
  int64_t I64() {
    const uint64_t u = U64();
    return (u & 1) != 0 ? static_cast<int64_t>(~(u >> 1)) : static_cast<int64_t>(u >> 1);
  }
  uint8_t Byte() {
    if (rest_.empty()) {
      Corrupt();
      return 0;
    }
    const auto byte = static_cast<uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return byte;
  }
  bool Flag() {
    const uint8_t byte = Byte();
    if (byte > 1) Corrupt();
    return byte == 1;
  }
  std::string Text() {
    const uint64_t size = U64();
    if (size > rest_.size()) {
      Corrupt();
      return {};
    }
    std::string text(rest_.substr(0, size));
    rest_.remove_prefix(size);
    return text;
  }
  absl::CivilDay Day() {
    const int64_t year = I64();
    const uint64_t month = U64();
    const uint64_t day = U64();
    if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 || day > 31) {
      Corrupt();
      return {};
    }
    const absl::CivilDay d(year, static_cast<int>(month), static_cast<int>(day));
    // CivilDay normalises Feb 30 to Mar 2: a changed field means it was not a real day.
    if (d.month() != static_cast<int>(month) || d.day() != static_cast<int>(day)) Corrupt();
    return d;
  }
  std::optional<absl::CivilDay> MaybeDay() {
    if (!Flag()) return std::nullopt;
    return Day();
  }
  // Every element takes at least one byte, so a count above the bytes left is corrupt;
  // this bounds every allocation by the input's size.
  uint64_t Count() {
    const uint64_t n = U64();
    if (n > rest_.size()) Corrupt();
    return good_ ? n : 0;
  }

 private:
  std::string_view rest_;
  bool good_ = true;
};

void EncodeClient(Encoder& out, const ClientRelationship& c) {
  out.Text(c.client_id);
  out.Text(c.name);
  out.Day(c.first_event_on);
  out.U64(c.owners.size());
  for (const OwnerAssignment& a : c.owners) {
    out.Day(a.from);
    out.Text(a.owner);
  }
  for (const std::vector<absl::CivilDay>& days : c.heart_days) {
    out.U64(days.size());
    for (const absl::CivilDay day : days) out.Day(day);
  }
  out.U64(c.concerns.size());
  for (const auto& [id, concern] : c.concerns) {
    out.Text(concern.concern_id);
    out.Text(concern.summary);
    out.Day(concern.raised_on);
    out.MaybeDay(concern.resolved_on);
  }
  out.U64(c.plans.size());
  for (const auto& [id, plan] : c.plans) {
    out.Text(plan.plan_id);
    out.U64(plan.versions.size());
    for (const PlanVersion& version : plan.versions) {
      out.Day(version.set_on);
      out.Text(version.owner);
      out.U64(version.steps.size());
      for (const PlanStep& step : version.steps) {
        out.Text(step.step_id);
        out.Text(step.action);
        out.Day(step.due_date);
        out.I64(step.expected_minor);
        out.Text(step.currency);
      }
    }
    out.U64(plan.completions.size());
    for (const auto& [step_id, day] : plan.completions) {
      out.Text(step_id);
      out.Day(day);
    }
  }
  out.U64(c.follow_ups.size());
  for (const auto& [id, f] : c.follow_ups) {
    out.Text(f.follow_up_id);
    out.Day(f.scheduled_on);
    out.Day(f.due_date);
    out.U64(static_cast<uint64_t>(f.heart));
    out.Text(f.action);
    out.Text(f.owner);
    out.MaybeDay(f.completed_on);
  }
  out.Flag(c.first_contract.has_value());
  if (c.first_contract.has_value()) {
    out.Text(c.first_contract->contract_id);
    out.Day(c.first_contract->signed_on);
  }
  out.U64(c.timeline.size());
  for (const TimelineEntry& e : c.timeline) {
    out.U64(e.position);
    out.Text(e.type);
    out.Day(e.on);
    out.Byte(e.hearts.bits());
    out.Text(e.actor);
    out.Text(e.hash_prefix);
    out.Text(e.summary);
  }
  out.U64(c.timeline_dropped);
}

// Inserts a key that must come after every key already in the map, which keeps accepted
// input canonical (it re-encodes to the same bytes).
template <typename V>
void PutAscending(Decoder& in, std::map<std::string, V>& map, std::string key, V value) {
  if (!map.empty() && !(map.rbegin()->first < key)) {
    in.Corrupt();
    return;
  }
  map.emplace_hint(map.end(), std::move(key), std::move(value));
}

ClientRelationship DecodeClient(Decoder& in, size_t timeline_limit) {
  ClientRelationship c;
  c.client_id = in.Text();
  c.name = in.Text();
  c.first_event_on = in.Day();
  for (uint64_t i = 0, n = in.Count(); i < n && in.good(); ++i) {
    OwnerAssignment a;
    a.from = in.Day();
    a.owner = in.Text();
    if (!c.owners.empty() && a.from < c.owners.back().from) in.Corrupt();
    c.owners.push_back(std::move(a));
  }
  for (std::vector<absl::CivilDay>& days : c.heart_days) {
    for (uint64_t i = 0, n = in.Count(); i < n && in.good(); ++i) {
      const absl::CivilDay day = in.Day();
      if (!days.empty() && !(days.back() < day)) in.Corrupt();
      days.push_back(day);
    }
  }
  for (uint64_t i = 0, n = in.Count(); i < n && in.good(); ++i) {
    Concern concern;
    concern.concern_id = in.Text();
    concern.summary = in.Text();
    concern.raised_on = in.Day();
    concern.resolved_on = in.MaybeDay();
    std::string key = concern.concern_id;
    PutAscending(in, c.concerns, std::move(key), std::move(concern));
  }
  for (uint64_t i = 0, n = in.Count(); i < n && in.good(); ++i) {
    Plan plan;
    plan.plan_id = in.Text();
    for (uint64_t v = 0, versions = in.Count(); v < versions && in.good(); ++v) {
      PlanVersion version;
      version.set_on = in.Day();
      version.owner = in.Text();
      for (uint64_t s = 0, steps = in.Count(); s < steps && in.good(); ++s) {
        PlanStep step;
        step.step_id = in.Text();
        step.action = in.Text();
        step.due_date = in.Day();
        step.expected_minor = in.I64();
        step.currency = in.Text();
        version.steps.push_back(std::move(step));
      }
      if (version.steps.empty() ||
          (!plan.versions.empty() && version.set_on < plan.versions.back().set_on)) {
        in.Corrupt();
      }
      plan.versions.push_back(std::move(version));
    }
    if (plan.versions.empty()) in.Corrupt();
    for (uint64_t s = 0, n_done = in.Count(); s < n_done && in.good(); ++s) {
      std::string step_id = in.Text();
      const absl::CivilDay day = in.Day();
      PutAscending(in, plan.completions, std::move(step_id), day);
    }
    std::string key = plan.plan_id;
    PutAscending(in, c.plans, std::move(key), std::move(plan));
  }
  for (uint64_t i = 0, n = in.Count(); i < n && in.good(); ++i) {
    FollowUp f;
    f.follow_up_id = in.Text();
    f.scheduled_on = in.Day();
    f.due_date = in.Day();
    const uint64_t heart = in.U64();
    if (heart > static_cast<uint64_t>(v1::Heart_MAX)) in.Corrupt();
    f.heart = static_cast<v1::Heart>(heart);
    f.action = in.Text();
    f.owner = in.Text();
    f.completed_on = in.MaybeDay();
    std::string key = f.follow_up_id;
    PutAscending(in, c.follow_ups, std::move(key), std::move(f));
  }
  if (in.Flag()) {
    ContractMark mark;
    mark.contract_id = in.Text();
    mark.signed_on = in.Day();
    c.first_contract = std::move(mark);
  }
  const uint64_t entries = in.Count();
  if (entries > timeline_limit) in.Corrupt();
  for (uint64_t i = 0; i < entries && in.good(); ++i) {
    TimelineEntry e;
    e.position = in.U64();
    e.type = in.Text();
    e.on = in.Day();
    const uint8_t bits = in.Byte();
    e.hearts = HeartSet::FromBits(bits);
    if (e.hearts.bits() != bits) in.Corrupt();
    e.actor = in.Text();
    e.hash_prefix = in.Text();
    e.summary = in.Text();
    c.timeline.push_back(std::move(e));
  }
  c.timeline_dropped = in.U64();
  return c;
}

}  // namespace

std::string RelationshipsState::Serialize() const {
  Encoder out;
  out.Literal(kMagic);
  out.U64(kVersion);
  out.U64(options_.timeline_entries_per_client);
  out.U64(applied_event_count_);
  out.U64(last_position_);
  out.U64(ignored_events_.size());
  for (const auto& [reason, n] : ignored_events_) {
    out.Text(reason);
    out.U64(n);
  }
  out.U64(clients_.size());
  for (const auto& [id, client] : clients_) EncodeClient(out, client);
  return std::move(out).Finish();
}

absl::StatusOr<RelationshipsState> RelationshipsState::Deserialize(std::string_view bytes) {
  Decoder in(bytes);
  if (!in.Literal(kMagic)) {
    return absl::FailedPreconditionError("not a relationships snapshot (bad magic)");
  }
  const uint64_t version = in.U64();
  if (in.good() && version != kVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("relationships snapshot version ", version, " is not ", kVersion));
  }
  const uint64_t limit = in.U64();
  if (limit < 1 || limit > kMaxTimelineEntriesPerClient) in.Corrupt();
  RelationshipsState state(FoldOptions{.timeline_entries_per_client = static_cast<size_t>(limit)});
  state.applied_event_count_ = in.U64();
  state.last_position_ = in.U64();
  for (uint64_t i = 0, n = in.Count(); i < n && in.good(); ++i) {
    std::string reason = in.Text();
    const uint64_t count = in.U64();
    PutAscending(in, state.ignored_events_, std::move(reason), count);
  }
  for (uint64_t i = 0, n = in.Count(); i < n && in.good(); ++i) {
    ClientRelationship client = DecodeClient(in, state.options_.timeline_entries_per_client);
    std::string key = client.client_id;
    PutAscending(in, state.clients_, std::move(key), std::move(client));
  }
  if (!in.good() || !in.done()) return absl::DataLossError("corrupt relationships snapshot");
  return state;
}

}  // namespace sixhearts::services::relationships
