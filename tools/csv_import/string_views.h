// Conversions between std::string_view (the library's public headers, like ledger/) and
// absl::string_view, which Debian's Abseil build keeps a distinct type
// (ABSL_OPTION_USE_STD_STRING_VIEW is 0), so absl::StrCat and friends need it.
#ifndef SIXHEARTS_TOOLS_CSV_IMPORT_STRING_VIEWS_H_
#define SIXHEARTS_TOOLS_CSV_IMPORT_STRING_VIEWS_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace sixhearts::csv_import {

inline absl::string_view AbslView(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

inline std::string_view StdView(absl::string_view text) {
  return std::string_view(text.data(), text.size());
}

}  // namespace sixhearts::csv_import

#endif  // SIXHEARTS_TOOLS_CSV_IMPORT_STRING_VIEWS_H_
