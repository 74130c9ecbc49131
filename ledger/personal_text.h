// The free-text fields of events that are personal data (a client's name, summaries,
// a survey's comment, a dispute's reason; ledger/FORMAT.md "Personal data"), and the
// references views keep in their place. Sealing and opening are in personal_data.h;
// this part needs no keystore, so projections use it.
#ifndef SIXHEARTS_LEDGER_PERSONAL_TEXT_H_
#define SIXHEARTS_LEDGER_PERSONAL_TEXT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "sixhearts/ledger/v1/events.pb.h"

namespace google::protobuf {
class FieldDescriptor;
}

namespace sixhearts::ledger {

// Marks a reference to an event's personal text inside a view's text (see
// PersonalTextReference). Event text cannot hold it: validation refuses control
// characters.
inline constexpr char kPersonalTextMark = '\x1f';

// Where the personal text of an event sits: its payload field in Event, and the plain
// and sealed (`sealed_<field>`) fields in the payload; `path` names it
// ("interaction_logged.summary").
struct PersonalTextSlot {
  const google::protobuf::FieldDescriptor* payload = nullptr;
  const google::protobuf::FieldDescriptor* text = nullptr;
  const google::protobuf::FieldDescriptor* sealed = nullptr;
  std::string path;
};
// nullopt for an event whose payload has no personal text field.
std::optional<PersonalTextSlot> PersonalTextSlotOf(const v1::Event& event);

// The personal text of an event as it reads ("" when it has none; "[erased]" once
// opened after its subject's erasure).
std::string PersonalTextOf(const v1::Event& event);
// True when the event's personal text is sealed (as stored, before opening).
bool HasSealedPersonalText(const v1::Event& event);

// What a view keeps in place of the event's personal text: kPersonalTextMark, the
// event's position in decimal, kPersonalTextMark; "" when the event has no such text.
// A reference holds no personal data, so a view's stored rows hold none, and it is the
// same in a live view, a rebuild and a replay. REQUIRES: the event's position is set.
std::string PersonalTextReference(const v1::Event& event);

// `text` with every reference replaced by text_at(position). DATA_LOSS for a malformed
// reference; text_at's errors are returned.
absl::StatusOr<std::string> OpenViewText(
    std::string_view text, absl::FunctionRef<absl::StatusOr<std::string>(uint64_t)> text_at);

}  // namespace sixhearts::ledger

#endif  // SIXHEARTS_LEDGER_PERSONAL_TEXT_H_
