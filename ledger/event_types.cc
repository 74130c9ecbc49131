// Type names read from the schema's `payload` oneof, so a new payload type needs no
// change here.
#include "ledger/event_types.h"

#include <algorithm>
#include <bitset>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"

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

int PayloadFieldNumber(std::string_view name) {
  const auto* oneof = PayloadOneof();
  for (int i = 0; i < oneof->field_count(); ++i) {
    if (oneof->field(i)->message_type()->name() == name) return oneof->field(i)->number();
  }
  return 0;
}

std::string_view EventTypeNameOf(int payload_field_number) {
  const auto* field = v1::Event::descriptor()->FindFieldByNumber(payload_field_number);
  if (field == nullptr || field->containing_oneof() != PayloadOneof()) return {};
  return field->message_type()->name();
}

int PeekPayloadFieldNumber(std::string_view event_bytes) {
  using google::protobuf::internal::WireFormatLite;
  static constexpr int kMaxField = 1024;
  static const std::bitset<kMaxField> payload_fields = [] {
    std::bitset<kMaxField> fields;
    const auto* oneof = PayloadOneof();
    for (int i = 0; i < oneof->field_count(); ++i) fields.set(oneof->field(i)->number());
    return fields;
  }();
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(event_bytes.data()),
                                            static_cast<int>(event_bytes.size()));
  while (true) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0) return 0;
    const int field = WireFormatLite::GetTagFieldNumber(tag);
    if (field < kMaxField && payload_fields.test(field)) return field;
    if (!WireFormatLite::SkipField(&in, tag)) return 0;
  }
}

}  // namespace sixhearts::ledger
