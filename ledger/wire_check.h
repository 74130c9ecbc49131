// Checks of a request's protobuf wire form that the generated parser does not make or
// does not explain: unknown fields, which would otherwise be stored unvalidated in the
// immutable log, and the field at fault in bytes that do not parse.
#ifndef SIXHEARTS_LEDGER_WIRE_CHECK_H_
#define SIXHEARTS_LEDGER_WIRE_CHECK_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace sixhearts::ledger {

// OK when neither `message` nor any message inside it holds unknown fields (numbers its
// type does not define, or a defined number sent with another wire type). Else
// INVALID_ARGUMENT naming the first, under `path` ("" names the message itself
// "request"): "events[0].invoice_issued: unknown field 99 (sixhearts.ledger.v1.InvoiceIssued
// has no field of that number)".
absl::Status RefuseUnknownFields(const google::protobuf::Message& message, std::string_view path);

// Why `bytes` do not parse as `type`, found by walking the wire format against the
// descriptors: "events[0].event_id: not valid UTF-8", "events[1].stream: 9 bytes
// announced, 2 left", "byte 0: tag with field number 0". "" when the walk finds nothing
// it can name (the parser's other limits, e.g. nesting depth).
std::string DescribeParseFailure(const google::protobuf::Descriptor& type, std::string_view bytes);

// True for well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool IsValidUtf8(std::string_view text);

}  // namespace sixhearts::ledger

#endif  // SIXHEARTS_LEDGER_WIRE_CHECK_H_
