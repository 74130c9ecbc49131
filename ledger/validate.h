// Validation of appended events. Two halves: the stateless checks of one event's fields
// (ValidateEvent), and the business objects an event creates or refers to
// (DescribeEntities), which the writer checks against the stored `entities` index.
#ifndef SIXHEARTS_LEDGER_VALIDATE_H_
#define SIXHEARTS_LEDGER_VALIDATE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "ledger/limits.h"
#include "sixhearts/ledger/v1/events.pb.h"

namespace sixhearts::ledger {

// Checks the fields the caller fills in. `path` names the event in messages, e.g.
// "events[3]". Returns INVALID_ARGUMENT "events[3].invoice_issued.due_date: ..." for
// the first bad field.
absl::Status ValidateEvent(const v1::Event& event, std::string_view path, const Limits& limits);

// True for a stream name of 1..max_id_bytes characters of [A-Za-z0-9._:-].
bool IsValidStreamName(std::string_view stream, const Limits& limits);

// Kinds of business object tracked in the `entities` column family (FORMAT.md).
enum class EntityKind : char {
  kClient = 'K',
  kContract = 'C',
  kInvoice = 'I',
  kPayment = 'P',
  kCreditNote = 'R',
  kPromise = 'T',
  kDispute = 'D',
  kInteraction = 'X',
  kConcern = 'N',
  kSurvey = 'S',
  kMeeting = 'M',
  kPlan = 'L',
  kFollowUp = 'F',
};

std::string_view EntityKindName(EntityKind kind);

// A business object the event brings into being in its stream.
struct EntityCreation {
  EntityKind kind;
  std::string id;
  std::string field;     // e.g. "invoice_issued.invoice_id"
  std::string currency;  // blank when the object carries no money
  int64_t amount_minor = 0;
  bool replaces = false;  // CollectionPlanSet may restate an existing plan
};

// A business object of the same stream the event needs.
struct EntityReference {
  EntityKind kind;
  std::string id;
  std::string field;
  // When set, the referenced object's currency must equal it.
  std::string currency;
  // When >= 0, must not exceed the referenced object's amount.
  int64_t amount_minor = -1;
  // The referenced object's currency must equal that of the event's first reference
  // (PaymentAllocated: each invoice in the payment's currency).
  bool currency_of_first_reference = false;
};

struct EntityEffects {
  std::vector<EntityCreation> creations;
  std::vector<EntityReference> references;
};

// REQUIRES: ValidateEvent(event) is OK.
EntityEffects DescribeEntities(const v1::Event& event);

}  // namespace sixhearts::ledger

#endif  // SIXHEARTS_LEDGER_VALIDATE_H_
