// The free-text fields that are personal data, where they sit in an event, and the
// references views keep to them (ledger/FORMAT.md "Personal data"). Pure functions over
// events, for the store and the projections alike.
#include "ledger/personal_text.h"

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace sixhearts::ledger {
namespace {

// The free-text field of each payload that is personal data: the payload's field number
// in Event and the text field's name; the ledger stores it sealed in `sealed_<name>`. At
// most one per payload, so a view can refer to it by the event's position alone
// (PersonalTextReference).
struct PersonalTextField {
  int payload_field;
  const char* text;
};
constexpr PersonalTextField kPersonalText[] = {
    {v1::Event::kClientRegisteredFieldNumber, "name"},
    {v1::Event::kClientUpdatedFieldNumber, "name"},
    {v1::Event::kDisputeOpenedFieldNumber, "reason"},
    {v1::Event::kInteractionLoggedFieldNumber, "summary"},
    {v1::Event::kConcernRaisedFieldNumber, "summary"},
    {v1::Event::kSurveyRecordedFieldNumber, "comment"},
    {v1::Event::kFeedbackMeetingHeldFieldNumber, "summary"},
};

}  // namespace

std::optional<PersonalTextSlot> PersonalTextSlotOf(const v1::Event& event) {
  for (const PersonalTextField& f : kPersonalText) {
    if (static_cast<int>(event.payload_case()) != f.payload_field) continue;
    PersonalTextSlot slot;
    slot.payload = v1::Event::descriptor()->FindFieldByNumber(f.payload_field);
    const google::protobuf::Descriptor* message = slot.payload->message_type();
    slot.text = message->FindFieldByName(f.text);
    slot.sealed = message->FindFieldByName(absl::StrCat("sealed_", f.text));
    // The table and events.proto disagree: a build error, not a runtime state.
    if (slot.text == nullptr || slot.sealed == nullptr) std::abort();
    slot.path = absl::StrCat(slot.payload->name(), ".", f.text);
    return slot;
  }
  return std::nullopt;
}

std::string PersonalTextOf(const v1::Event& event) {
  const std::optional<PersonalTextSlot> slot = PersonalTextSlotOf(event);
  if (!slot) return "";
  const google::protobuf::Message& payload =
      event.GetReflection()->GetMessage(event, slot->payload);
  return payload.GetReflection()->GetString(payload, slot->text);
}

bool HasSealedPersonalText(const v1::Event& event) {
  const std::optional<PersonalTextSlot> slot = PersonalTextSlotOf(event);
  if (!slot) return false;
  const google::protobuf::Message& payload =
      event.GetReflection()->GetMessage(event, slot->payload);
  return payload.GetReflection()->HasField(payload, slot->sealed);
}

std::string PersonalTextReference(const v1::Event& event) {
  if (PersonalTextOf(event).empty() && !HasSealedPersonalText(event)) return "";
  return absl::StrCat(std::string(1, kPersonalTextMark), event.position(),
                      std::string(1, kPersonalTextMark));
}

absl::StatusOr<std::string> OpenViewText(
    std::string_view text, absl::FunctionRef<absl::StatusOr<std::string>(uint64_t)> text_at) {
  if (text.find(kPersonalTextMark) == std::string_view::npos) return std::string(text);
  std::string out;
  while (!text.empty()) {
    const size_t open = text.find(kPersonalTextMark);
    if (open == std::string_view::npos) break;
    const size_t close = text.find(kPersonalTextMark, open + 1);
    uint64_t position = 0;
    if (close == std::string_view::npos ||
        !absl::SimpleAtoi(absl::string_view(text.data() + open + 1, close - open - 1), &position) ||
        position == 0) {
      return absl::DataLossError("a view holds a malformed reference to personal text");
    }
    absl::StatusOr<std::string> opened = text_at(position);
    if (!opened.ok()) return opened.status();
    out.append(text.substr(0, open));
    out.append(*opened);
    text.remove_prefix(close + 1);
  }
  out.append(text);
  return out;
}

}  // namespace sixhearts::ledger
