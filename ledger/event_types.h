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

}  // namespace sixhearts::ledger

#endif  // SIXHEARTS_LEDGER_EVENT_TYPES_H_
