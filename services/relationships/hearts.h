// The six-hearts vocabulary the relationship projection shares with its readers: a small
// set of hearts, the default hearts of each interaction kind (DOMAIN.md, written down
// once here), which hearts an event practises, and the business day an event counts on.
#ifndef SIXHEARTS_SERVICES_RELATIONSHIPS_HEARTS_H_
#define SIXHEARTS_SERVICES_RELATIONSHIPS_HEARTS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/time/civil_time.h"
#include "sixhearts/ledger/v1/events.pb.h"

namespace sixhearts::services::relationships {

namespace v1 = ::sixhearts::ledger::v1;

inline constexpr size_t kHeartCount = 6;

// The six hearts in schema order; every per-heart array in this package is indexed by
// HeartIndex() in this order.
inline constexpr std::array<v1::Heart, kHeartCount> kAllHearts = {
    v1::HEART_TRUST,         v1::HEART_CARE,      v1::HEART_LISTENING,
    v1::HEART_COMMUNICATION, v1::HEART_EXECUTION, v1::HEART_FEEDBACK};

// True for the six real hearts (not UNSPECIFIED, not an unknown number).
bool IsHeart(v1::Heart heart);

// REQUIRES: IsHeart(heart). 0 for TRUST ... 5 for FEEDBACK.
inline size_t HeartIndex(v1::Heart heart) { return static_cast<size_t>(heart) - 1; }

// "trust", "care", "listening", "communication", "execution", "feedback"; "" otherwise.
std::string_view HeartName(v1::Heart heart);

// A set of hearts, one bit each (bit HeartIndex(heart)). A plain value.
class HeartSet {
 public:
  constexpr HeartSet() = default;

  // Bits above the sixth are dropped, so any byte makes a valid set.
  static HeartSet FromBits(uint8_t bits) {
    HeartSet set;
    set.bits_ = static_cast<uint8_t>(bits & kAllBits);
    return set;
  }

  // Adding something that is not a heart does nothing.
  void Add(v1::Heart heart) {
    if (IsHeart(heart)) bits_ = static_cast<uint8_t>(bits_ | (1u << HeartIndex(heart)));
  }
  void AddAll(HeartSet other) { bits_ = static_cast<uint8_t>(bits_ | other.bits_); }
  bool Has(v1::Heart heart) const {
    return IsHeart(heart) && (bits_ & (1u << HeartIndex(heart))) != 0;
  }
  bool empty() const { return bits_ == 0; }
  uint8_t bits() const { return bits_; }
  // In schema order.
  std::vector<v1::Heart> ToVector() const;

  bool operator==(const HeartSet&) const = default;

 private:
  static constexpr uint8_t kAllBits = (1u << kHeartCount) - 1;
  uint8_t bits_ = 0;
};

// The hearts an interaction kind practises when the caller tags none (DOMAIN.md "Default
// hearts of interaction kinds"): research, consulting, industry events and on-site visits
// build TRUST; reports, market analyses and check-in calls show CARE; interviews and
// surveys are LISTENING; progress reports, meetings, calls, emails and messages are
// COMMUNICATION; feedback meetings and collection reviews are FEEDBACK. UNSPECIFIED and
// unknown kinds practise none.
HeartSet DefaultHearts(v1::InteractionKind kind);

// The hearts an event practises by its type and payload alone:
// - InteractionLogged: its `hearts` when it names at least one real heart, else
//   DefaultHearts(kind): the caller's tags replace the defaults, they do not add to them.
// - ConcernRaised, ConcernResolved: LISTENING (hearing a problem and fixing it).
// - SurveyRecorded: LISTENING and FEEDBACK. DOMAIN.md lists surveys under listening and
//   "survey results" under feedback; a survey is both asking and hearing back.
// - FeedbackMeetingHeld (client meeting or internal collection review): FEEDBACK.
// - CollectionPlanSet, PlanStepCompleted, FollowUpScheduled, FollowUpCompleted:
//   EXECUTION (making the plan and keeping its dates are the practice itself).
// - Every other event (parties, contracts, money, promises, disputes): none. Kept
//   promises and on-time payment show in the payment outcomes, not as heart activity.
// The fold adds one more: a completed follow-up also practises the heart it was scheduled
// for (see RelationshipsState::Apply), which needs the earlier FollowUpScheduled.
HeartSet EventHearts(const v1::Event& event);

// The civil day an event counts on: the business date of its payload where it has one
// (issue_date, value_date, signed_on, held_on, raised_on, completed_on, ...), else the UTC
// day of occurred_at (InteractionLogged, CollectionPlanSet, FollowUpScheduled,
// AccountOwnerAssigned, promises, client registration). A business date that is not a
// real day (validation prevents it) also falls back to the UTC day of occurred_at.
absl::CivilDay EventDay(const v1::Event& event);

// The UTC day of occurred_at.
absl::CivilDay OccurredDay(const v1::Event& event);

}  // namespace sixhearts::services::relationships

#endif  // SIXHEARTS_SERVICES_RELATIONSHIPS_HEARTS_H_
