// Strict parsers for the typed cells of an ERP export: civil dates in the formats a
// mapping may name, decimal amounts converted exactly to minor units, and yes/no flags.
#ifndef SIXHEARTS_TOOLS_CSV_IMPORT_FIELD_PARSERS_H_
#define SIXHEARTS_TOOLS_CSV_IMPORT_FIELD_PARSERS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"

namespace sixhearts::csv_import {

enum class DateFormat {
  // "M/D/YYYY": month and day of one or two digits, four-digit year ("1/2/2013",
  // "01/02/2013"). The US order, as in the IBM sample.
  kMonthDayYear,
  // "YYYY-MM-DD" exactly (ISO 8601 calendar date).
  kIso,
  // "YYYY-M-D": year first, month and day of one or two digits, separated by '-', '/' or
  // '.', or written 2025年3月31日, as Chinese ERPs (Kingdee, Yonyou) export them:
  // "2025/03/31", "2025-3-1", "2025.3.1", "2025年3月31日".
  kYearMonthDay,
};

// The spelling used in mappings and messages: "M/D/YYYY", "YYYY-MM-DD" or "YYYY-M-D".
std::string_view DateFormatName(DateFormat format);

// Parses a calendar day; rejects anything that is not a real day (Feb 30, month 13,
// year 0) and any character beyond the format (spaces included). The error is
// INVALID_ARGUMENT "not a date (M/D/YYYY)" (or "(YYYY-MM-DD)").
absl::StatusOr<absl::CivilDay> ParseDate(std::string_view text, DateFormat format);

// How digit groups may be separated in amounts.
enum class ThousandsSeparator {
  kNone,   // "1234.50" only
  kComma,  // "1,234.50" also accepted; groups after the first must have three digits
};

// Converts a decimal amount in `currency` (an ISO 4217 code known to ledger/currency.h)
// to an exact count of its minor units: "1234.5" USD is 123450, "1.234" KWD is 1234,
// "1500" JPY is 1500. Never goes through floating point.
//
// Accepted: digits, optionally grouped by the separator, optionally followed by '.' and
// at least one digit. More decimals than the currency has are accepted only when the
// extra ones are zeros ("12.340" USD is 1234). For CNY and JPY one leading yuan/yen sign
// '¥' (U+00A5) or '￥' (U+FFE5) is accepted ("￥1,234.50"). Rejected with
// INVALID_ARGUMENT: an unknown currency, signs, exponents, other currency symbols, spaces,
// empty text, zero, and values above INT64_MAX minor units.
absl::StatusOr<int64_t> ParseAmountMinor(std::string_view text, std::string_view currency,
                                         ThousandsSeparator separator);

// The inverse for messages: 1234567 CNY is "12345.67", 1500 JPY is "1500", -5 USD "-0.05".
// An unknown currency is shown with no decimals.
std::string FormatAmountMinor(int64_t amount_minor, std::string_view currency);

// "Yes"/"No", "Y"/"N", "true"/"false", "1"/"0" in any case; INVALID_ARGUMENT otherwise.
// An empty cell is an error too: the caller decides whether blank means "no".
absl::StatusOr<bool> ParseYesNo(std::string_view text);

}  // namespace sixhearts::csv_import

#endif  // SIXHEARTS_TOOLS_CSV_IMPORT_FIELD_PARSERS_H_
