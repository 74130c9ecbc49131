// Deterministic event ids for imported rows, so importing the same file twice offers the
// ledger the same idempotency keys and it stores each event once.
#ifndef SIXHEARTS_TOOLS_CSV_IMPORT_EVENT_IDS_H_
#define SIXHEARTS_TOOLS_CSV_IMPORT_EVENT_IDS_H_

#include <string>
#include <string_view>

namespace sixhearts::csv_import {

// The namespace of every id the importer derives, fixed forever: changing it would give
// re-imported rows new ids and the ledger would store them twice.
inline constexpr std::string_view kImportNamespaceUuid = "4a6749d7-80b4-45e0-a583-3304cbfbd429";

// A name-based UUID, version 5 (RFC 9562 section 5.5: SHA-1 of the namespace's 16 bytes
// followed by `name`, version and variant bits set), in canonical lower-case 8-4-4-4-12
// form. Any RFC implementation gives the same text, e.g. Python's
// uuid.uuid5(uuid.UUID(namespace_uuid), name).
// REQUIRES: namespace_uuid is a canonical 36-character UUID.
std::string NameBasedUuid(std::string_view namespace_uuid, std::string_view name);

// The id of an imported event: NameBasedUuid(kImportNamespaceUuid,
// "<stream>/<event_kind>/<business_id>"), e.g. "client-0379-NEVHP/InvoiceIssued/0000611365".
// Streams and event kinds contain no '/', so distinct triples give distinct names.
std::string ImportEventId(std::string_view stream, std::string_view event_kind,
                          std::string_view business_id);

}  // namespace sixhearts::csv_import

#endif  // SIXHEARTS_TOOLS_CSV_IMPORT_EVENT_IDS_H_
