// Type names read from the schema's `payload` oneof, so a new payload type needs no
// change here.
#include "ledger/event_types.h"

#include <algorithm>

namespace sixhearts::ledger {
namespace {

const google::protobuf::OneofDescriptor* PayloadOneof() {
  static const auto* oneof = v1::Event::descriptor()->FindOneofByName("payload");
  return oneof;
}

}  // namespace

std::string_view EventTypeName(const v1::Event& event) {
  if (event.payload_case() == v1::Event::PAYLOAD_NOT_SET) return {};
  const auto* field = v1::Event::descriptor()->FindFieldByNumber(event.payload_case());
  return field->message_type()->name();
}

const std::vector<std::string_view>& AllEventTypes() {
  static const auto* names = [] {
    auto* out = new std::vector<std::string_view>();
    const auto* oneof = PayloadOneof();
    for (int i = 0; i < oneof->field_count(); ++i) {
      out->push_back(oneof->field(i)->message_type()->name());
    }
    return out;
  }();
  return *names;
}

bool IsKnownEventType(std::string_view name) {
  const auto& all = AllEventTypes();
  return std::find(all.begin(), all.end(), name) != all.end();
}

}  // namespace sixhearts::ledger
