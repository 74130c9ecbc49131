// Event type names: the payload message name, e.g. "InvoiceIssued". One word per idea:
// the same names are used in filters, the CLI and the docs.
#ifndef SIXHEARTS_LEDGER_EVENT_TYPES_H_
#define SIXHEARTS_LEDGER_EVENT_TYPES_H_

#include <string_view>
#include <vector>

#include "sixhearts/ledger/v1/events.pb.h"

namespace sixhearts::ledger {

// The type name of the event's payload, or "" when no payload is set.
std::string_view EventTypeName(const v1::Event& event);

// True when `name` is the type name of a payload of the catalogue.
bool IsKnownEventType(std::string_view name);

// All type names, in schema order.
const std::vector<std::string_view>& AllEventTypes();

// The payload field number (the Event::PayloadCase) of a type name; 0 when unknown.
int PayloadFieldNumber(std::string_view name);

// The type name of a payload field number; "" when it is not a payload field.
std::string_view EventTypeNameOf(int payload_field_number);

// The payload field number of serialized event bytes, read from the wire format without
// parsing the event: the envelope fields are skipped, the payload is not read. 0 when the
// bytes hold no payload or do not decode (a full parse then reports the damage). Lets a
// scan filtered by type skip the parse of every event of another type.
int PeekPayloadFieldNumber(std::string_view event_bytes);

}  // namespace sixhearts::ledger

#endif  // SIXHEARTS_LEDGER_EVENT_TYPES_H_
