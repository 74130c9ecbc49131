// Date, amount and flag parsing for CSV cells. Amounts are built digit by digit in int64
// with overflow checks, because a double cannot hold every cent of a large invoice.
#include "tools/csv_import/field_parsers.h"

#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "ledger/currency.h"
#include "ledger/dates.h"
#include "tools/csv_import/string_views.h"

namespace sixhearts::csv_import {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Digits only, 1..max_digits of them.
std::optional<int> SmallNumber(absl::string_view text, size_t min_digits, size_t max_digits) {
  if (text.size() < min_digits || text.size() > max_digits) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (!IsDigit(c)) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

// The day of `year`, `month`, `day` when all three were read and name a real day.
std::optional<absl::CivilDay> DayOf(std::optional<int> year, std::optional<int> month,
                                    std::optional<int> day) {
  if (!month || !day || !year) return std::nullopt;
  ledger::v1::Date date;
  date.set_year(*year);
  date.set_month(*month);
  date.set_day(*day);
  if (!ledger::IsValidDate(date)) return std::nullopt;
  return ledger::ToCivilDay(date);
}

std::optional<absl::CivilDay> ParseMonthDayYear(absl::string_view text) {
  const std::vector<absl::string_view> parts = absl::StrSplit(text, '/');
  if (parts.size() != 3) return std::nullopt;
  const std::optional<int> month = SmallNumber(parts[0], 1, 2);
  const std::optional<int> day = SmallNumber(parts[1], 1, 2);
  const std::optional<int> year = SmallNumber(parts[2], 4, 4);
  return DayOf(year, month, day);
}

// Year first, one separator kind throughout: "2025-3-1", "2025/03/31", "2025.3.1", or
// "2025年3月31日".
std::optional<absl::CivilDay> ParseYearMonthDay(absl::string_view text) {
  std::vector<absl::string_view> parts;
  if (absl::EndsWith(text, "日")) {
    text.remove_suffix(std::string_view("日").size());
    const size_t year_end = text.find("年");
    const size_t month_end = text.find("月");
    if (year_end == absl::string_view::npos || month_end == absl::string_view::npos ||
        month_end < year_end) {
      return std::nullopt;
    }
    const size_t mark = std::string_view("年").size();
    parts = {text.substr(0, year_end), text.substr(year_end + mark, month_end - year_end - mark),
             text.substr(month_end + mark)};
  } else {
    const size_t at = text.find_first_of("-/.");
    if (at == absl::string_view::npos) return std::nullopt;
    parts = absl::StrSplit(text, text[at]);
    if (parts.size() != 3) return std::nullopt;
  }
  const std::optional<int> year = SmallNumber(parts[0], 4, 4);
  const std::optional<int> month = SmallNumber(parts[1], 1, 2);
  const std::optional<int> day = SmallNumber(parts[2], 1, 2);
  return DayOf(year, month, day);
}

// Checks digit grouping of the integer part: "1,234,567" but not "1234,567" or "1,23".
bool WellGrouped(absl::string_view integer_part) {
  const std::vector<absl::string_view> groups = absl::StrSplit(integer_part, ',');
  for (size_t i = 0; i < groups.size(); ++i) {
    const size_t n = groups[i].size();
    if (i == 0 ? (n < 1 || n > 3) : n != 3) return false;
  }
  return true;
}

}  // namespace

std::string_view DateFormatName(DateFormat format) {
  switch (format) {
    case DateFormat::kMonthDayYear:
      return "M/D/YYYY";
    case DateFormat::kIso:
      return "YYYY-MM-DD";
    case DateFormat::kYearMonthDay:
      return "YYYY-M-D";
  }
  return "?";
}

absl::StatusOr<absl::CivilDay> ParseDate(std::string_view text, DateFormat format) {
  std::optional<absl::CivilDay> day;
  switch (format) {
    case DateFormat::kIso:
      day = ledger::ParseIsoDay(text);
      break;
    case DateFormat::kMonthDayYear:
      day = ParseMonthDayYear(AbslView(text));
      break;
    case DateFormat::kYearMonthDay:
      day = ParseYearMonthDay(AbslView(text));
      break;
  }
  if (!day) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a date (", AbslView(DateFormatName(format)), ")"));
  }
  return *day;
}

absl::StatusOr<int64_t> ParseAmountMinor(std::string_view amount_text, std::string_view currency,
                                         ThousandsSeparator separator) {
  absl::string_view text = AbslView(amount_text);
  if (currency == "CNY" || currency == "JPY") {
    if (!absl::ConsumePrefix(&text, "\xC2\xA5")) absl::ConsumePrefix(&text, "\xEF\xBF\xA5");
  }
  const std::optional<int> minor_digits = ledger::CurrencyMinorDigits(currency);
  if (!minor_digits) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown currency \"", AbslView(currency), "\" (ISO 4217, upper case)"));
  }
  const auto not_decimal = [] {
    return absl::InvalidArgumentError("not a decimal amount (digits, optional '.' and decimals)");
  };
  if (text.empty()) return absl::InvalidArgumentError("empty amount");
  if (text.front() == '-') return absl::InvalidArgumentError("negative amounts are not accepted");

  const size_t point = text.find('.');
  const absl::string_view integer_part = text.substr(0, point);
  const absl::string_view fraction_part =
      point == absl::string_view::npos ? absl::string_view() : text.substr(point + 1);
  if (integer_part.empty()) return not_decimal();
  if (point != absl::string_view::npos && fraction_part.empty()) return not_decimal();
  for (char c : fraction_part) {
    if (!IsDigit(c)) return not_decimal();
  }
  const bool grouped = absl::StrContains(integer_part, ',');
  if (grouped) {
    if (separator != ThousandsSeparator::kComma) {
      return absl::InvalidArgumentError(
          "',' in an amount but no thousands separator is configured");
    }
    if (!WellGrouped(integer_part)) {
      return absl::InvalidArgumentError("digit groups must be of three digits, as in 1,234,567");
    }
  }

  int64_t minor = 0;
  const auto push_digit = [&minor](char c) {
    return !__builtin_mul_overflow(minor, 10, &minor) &&
           !__builtin_add_overflow(minor, c - '0', &minor);
  };
  const auto too_large = [] { return absl::InvalidArgumentError("amount too large"); };
  for (char c : integer_part) {
    if (c == ',') continue;
    if (!IsDigit(c)) return not_decimal();
    if (!push_digit(c)) return too_large();
  }
  for (int i = 0; i < *minor_digits; ++i) {
    const char c = static_cast<size_t>(i) < fraction_part.size() ? fraction_part[i] : '0';
    if (!push_digit(c)) return too_large();
  }
  for (size_t i = static_cast<size_t>(*minor_digits); i < fraction_part.size(); ++i) {
    if (fraction_part[i] != '0') {
      return absl::InvalidArgumentError(
          absl::StrCat("more than ", *minor_digits, " decimal places for ", AbslView(currency)));
    }
  }
  if (minor == 0) return absl::InvalidArgumentError("amount must be positive, got zero");
  return minor;
}

std::string FormatAmountMinor(int64_t amount_minor, std::string_view currency) {
  const int digits = ledger::CurrencyMinorDigits(currency).value_or(0);
  const bool negative = amount_minor < 0;
  // Negated in unsigned arithmetic, which INT64_MIN survives.
  const uint64_t magnitude =
      negative ? 0 - static_cast<uint64_t>(amount_minor) : static_cast<uint64_t>(amount_minor);
  std::string text = absl::StrCat(magnitude);
  if (digits <= 0) return absl::StrCat(negative ? "-" : "", text);
  const size_t width = static_cast<size_t>(digits) + 1;
  if (text.size() < width) text = std::string(width - text.size(), '0') + text;
  const size_t point = text.size() - static_cast<size_t>(digits);
  return absl::StrCat(negative ? "-" : "", text.substr(0, point), ".", text.substr(point));
}

absl::StatusOr<bool> ParseYesNo(std::string_view text) {
  for (absl::string_view yes : {"yes", "y", "true", "1"}) {
    if (absl::EqualsIgnoreCase(AbslView(text), yes)) return true;
  }
  for (absl::string_view no : {"no", "n", "false", "0"}) {
    if (absl::EqualsIgnoreCase(AbslView(text), no)) return false;
  }
  return absl::InvalidArgumentError("not a yes/no value (Yes, No, Y, N, true, false, 1, 0)");
}

}  // namespace sixhearts::csv_import
