// The six-hearts relationship projection: a pure fold of ledger events into, per client,
// the days each heart was practised, concerns, collection plans (回款计划) with every
// version, follow-ups, the account owner over time and a bounded timeline of entries
// with actor and hash. Analytics (analytics.h) read scorecards, timelines, plans,
// worklists and portfolio evidence from it as of any civil day.
//
// Threading: a RelationshipsState is a plain value. Concurrent const access is safe;
// Apply() needs exclusive access, as for any std:: container.
//
// Dates: everything is kept with the civil day it happened (hearts.h EventDay), and
// readers count only what is dated on or before their as-of day, so the live view, a
// rebuild from zero and an as-of replay agree. Plans keep every version for the same
// reason: a plan replaced later still reads as it stood on an earlier day.
#ifndef SIXHEARTS_SERVICES_RELATIONSHIPS_RELATIONSHIPS_STATE_H_
#define SIXHEARTS_SERVICES_RELATIONSHIPS_RELATIONSHIPS_STATE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "services/relationships/hearts.h"
#include "sixhearts/ledger/v1/events.pb.h"

namespace sixhearts::services::relationships {

// Bound on FoldOptions::timeline_entries_per_client.
inline constexpr size_t kMaxTimelineEntriesPerClient = 100'000;
// Bytes of the chain hash shown in a timeline entry (as 2 hex digits each): enough to
// find the record, short enough to read.
inline constexpr size_t kTimelineHashPrefixBytes = 8;
// Bound on the one-line summary of a timeline entry, in bytes (longer ones are cut).
inline constexpr size_t kMaxTimelineSummaryBytes = 200;

struct FoldOptions {
  // Timeline entries kept per client: the newest this many by arrival; older ones are
  // dropped and counted in ClientRelationship::timeline_dropped. Milestones do not depend
  // on them (they are read from the rest of the state and from receivables), so dropping
  // entries never loses a milestone. Default 1,000; 1..kMaxTimelineEntriesPerClient.
  size_t timeline_entries_per_client = 1'000;

  bool operator==(const FoldOptions&) const = default;
};

// Errors: INVALID_ARGUMENT when a field is out of its documented range.
absl::Status ValidateFoldOptions(const FoldOptions& options);

struct OwnerAssignment {
  absl::CivilDay from;  // UTC day of the AccountOwnerAssigned event
  std::string owner;
  bool operator==(const OwnerAssignment&) const = default;
};

struct Concern {
  std::string concern_id;
  std::string summary;
  absl::CivilDay raised_on;
  std::optional<absl::CivilDay> resolved_on;
  bool operator==(const Concern&) const = default;
};

struct PlanStep {
  std::string step_id;
  std::string action;
  absl::CivilDay due_date;
  // Money expected with the step; 0 and "" when the step expects none.
  int64_t expected_minor = 0;
  std::string currency;
  bool operator==(const PlanStep&) const = default;
};

// The steps of a plan from the day a CollectionPlanSet set them.
struct PlanVersion {
  absl::CivilDay set_on;  // UTC day of the CollectionPlanSet event
  std::string owner;
  std::vector<PlanStep> steps;  // in the event's order
  bool operator==(const PlanVersion&) const = default;
};

struct Plan {
  std::string plan_id;
  // In arrival order, with non-decreasing set_on (a version dated before the previous
  // one is taken as set on the previous one's day, so "the version on day d" is always
  // the last with set_on <= d).
  std::vector<PlanVersion> versions;
  // step id -> the day it was completed. A completion survives a plan replacement that
  // keeps the step id; it applies to whichever version is read.
  std::map<std::string, absl::CivilDay> completions;

  // The version in force on `day`; nullptr before the first one.
  const PlanVersion* VersionOn(absl::CivilDay day) const;
  bool operator==(const Plan&) const = default;
};

struct FollowUp {
  std::string follow_up_id;
  absl::CivilDay scheduled_on;  // UTC day of the FollowUpScheduled event
  absl::CivilDay due_date;
  v1::Heart heart = v1::HEART_UNSPECIFIED;
  std::string action;
  std::string owner;
  std::optional<absl::CivilDay> completed_on;
  bool operator==(const FollowUp&) const = default;
};

// One event of the client's stream, as the trust-building timeline shows it.
struct TimelineEntry {
  uint64_t position = 0;    // global log position
  std::string type;         // payload type name, e.g. "InteractionLogged"
  absl::CivilDay on;        // EventDay()
  HeartSet hearts;          // the hearts it practised (EventHearts plus a follow-up's own)
  std::string actor;        // the authenticated principal that appended it
  std::string hash_prefix;  // hex of the first kTimelineHashPrefixBytes of the chain hash
  std::string summary;      // one line, at most kMaxTimelineSummaryBytes
  bool operator==(const TimelineEntry&) const = default;
};

struct ContractMark {
  std::string contract_id;
  absl::CivilDay signed_on;
  bool operator==(const ContractMark&) const = default;
};

struct ClientRelationship {
  std::string client_id;
  std::string name;  // from ClientRegistered / ClientUpdated; "" until known
  // The earliest EventDay of any event of the stream: the client is known from then on.
  absl::CivilDay first_event_on;
  // Ordered by `from` (stable for equal days).
  std::vector<OwnerAssignment> owners;
  // Per heart (HeartIndex), the distinct days it was practised, ascending. Memory is
  // bounded by distinct days, not by events.
  std::array<std::vector<absl::CivilDay>, kHeartCount> heart_days;
  // Keyed by their ids (unique within the stream), ordered so reports and the serialized
  // form are deterministic.
  std::map<std::string, Concern> concerns;
  std::map<std::string, Plan> plans;
  std::map<std::string, FollowUp> follow_ups;
  // The contract with the earliest signed_on (ties: the smaller id).
  std::optional<ContractMark> first_contract;
  // The newest FoldOptions::timeline_entries_per_client entries, in arrival order.
  std::deque<TimelineEntry> timeline;
  uint64_t timeline_dropped = 0;

  // The owner assigned on or before `day` most recently; "" when none.
  std::string OwnerOn(absl::CivilDay day) const;
  // The last day on or before `day` the heart was practised.
  std::optional<absl::CivilDay> LastHeartDay(v1::Heart heart, absl::CivilDay day) const;
  // True when the heart was practised on some day in [from, to].
  bool PractisedBetween(v1::Heart heart, absl::CivilDay from, absl::CivilDay to) const;

  bool operator==(const ClientRelationship&) const = default;
};

class RelationshipsState {
 public:
  // REQUIRES: ValidateFoldOptions(options).ok(); an out-of-range limit is clamped.
  explicit RelationshipsState(FoldOptions options = {});

  // Folds one event in. Events must arrive in stream order (any interleaving of streams
  // is fine). Every event of a client stream adds a timeline entry; relationship events
  // also update heart days, concerns, plans and follow-ups. Surprising input (a stream
  // not named client-<id>, an unknown or duplicate id, an invalid date) never crashes:
  // the event's relationship effect is skipped and counted in ignored_events() under a
  // short reason, while its timeline entry is still kept (it did happen in the ledger).
  void Apply(const v1::Event& event);

  // Keyed by client id (the stream name without its "client-" prefix).
  const std::map<std::string, ClientRelationship>& clients() const { return clients_; }
  const ClientRelationship* FindClient(std::string_view client_id) const;
  // The client's entry, created empty (only its id set) when missing: how a stored view
  // (relationships_view.h) assembles a state from its rows.
  ClientRelationship& ClientForView(std::string_view client_id);
  // Appends `entry` to the client's timeline and drops the oldest entries past
  // FoldOptions::timeline_entries_per_client, counting them in timeline_dropped: what
  // Apply does with each event's entry, so a stored view that adds the entries of a cut in
  // arrival order keeps the same ones.
  void KeepTimelineEntry(ClientRelationship& client, TimelineEntry entry) const;

  const FoldOptions& options() const { return options_; }
  uint64_t applied_event_count() const { return applied_event_count_; }
  // The largest global position seen (0 when none carried one).
  uint64_t last_position() const { return last_position_; }
  const std::map<std::string, uint64_t>& ignored_events() const { return ignored_events_; }

  // The binary snapshot format, version 1. Integers are unsigned LEB128 varints; signed
  // ones are zigzag-encoded first. A string is a varint byte length then its bytes. A day
  // is zigzag(year) month day. An optional is one byte 0/1 then the value. A map, vector
  // or deque is a varint count then its elements (maps in ascending key order).
  //
  //   state    := "SHREL" version(=1) timeline_entries_per_client applied_event_count
  //               last_position count { reason n } count { client }
  //   client   := client_id name first_event_on count { owner_from owner }
  //               6 x ( count { day } )                        (heart days, HeartIndex)
  //               count { concern } count { plan } count { follow_up }
  //               first_contract:opt(contract_id signed_on)
  //               count { entry } timeline_dropped
  //   concern  := concern_id summary raised_on resolved_on:opt
  //   plan     := plan_id count { set_on owner count { step } }
  //               count { step_id completed_on }
  //   step     := step_id action due_date expected:zz currency
  //   follow_up:= follow_up_id scheduled_on due_date heart:varint action owner
  //               completed_on:opt
  //   entry    := position type on hearts:byte actor hash_prefix summary
  //
  // Deserialize() rejects truncation, trailing bytes, out-of-range values, keys or days
  // out of ascending order and a timeline longer than its recorded limit with DATA_LOSS,
  // and a different magic or version with FAILED_PRECONDITION; whatever it accepts
  // re-serializes to the same bytes. No checksum: the store that keeps snapshots
  // checksums its blocks.
  std::string Serialize() const;
  static absl::StatusOr<RelationshipsState> Deserialize(std::string_view bytes);

  bool operator==(const RelationshipsState&) const = default;

 private:
  void Ignore(std::string_view reason);
  // nullptr when the stream is not client-<id>; `created` says the client is new.
  ClientRelationship* ClientForStream(std::string_view stream, bool& created);
  void MarkHearts(ClientRelationship& client, HeartSet hearts, absl::CivilDay day);
  // Returns the hearts the event practised for the timeline (EventHearts, plus a
  // completed follow-up's own heart); none when the effect was ignored.
  HeartSet ApplyRelationship(ClientRelationship& client, const v1::Event& event,
                             absl::CivilDay day);
  void AddTimelineEntry(ClientRelationship& client, const v1::Event& event, absl::CivilDay day,
                        HeartSet hearts);

  FoldOptions options_;
  std::map<std::string, ClientRelationship> clients_;
  uint64_t applied_event_count_ = 0;
  uint64_t last_position_ = 0;
  std::map<std::string, uint64_t> ignored_events_;
};

}  // namespace sixhearts::services::relationships

#endif  // SIXHEARTS_SERVICES_RELATIONSHIPS_RELATIONSHIPS_STATE_H_
