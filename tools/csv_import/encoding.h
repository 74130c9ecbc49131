// Reading ERP exports that are not UTF-8: Chinese ERPs (Kingdee, Yonyou) export GBK or
// GB18030 by default. The import converts such input to UTF-8 first, since protobuf
// strings, and so every event, must be UTF-8.
#ifndef SIXHEARTS_TOOLS_CSV_IMPORT_ENCODING_H_
#define SIXHEARTS_TOOLS_CSV_IMPORT_ENCODING_H_

#include <istream>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace sixhearts::csv_import {

// Strict UTF-8 (RFC 3629: shortest form, no surrogates, at most U+10FFFF).
bool IsValidUtf8(std::string_view text);

// Reads `in` to its end and converts it from `encoding` (an iconv name, e.g. "GB18030")
// to UTF-8, in memory: at most kMaxConvertedInputBytes (limits.h) of input.
// INVALID_ARGUMENT naming the byte offset and line of the first byte sequence that is
// not `encoding`, or for input over the limit; DATA_LOSS for a read error.
absl::StatusOr<std::string> ConvertToUtf8(std::istream* in, std::string_view encoding);

}  // namespace sixhearts::csv_import

#endif  // SIXHEARTS_TOOLS_CSV_IMPORT_ENCODING_H_
