// Tests of the cell parsers: exact decimal-to-minor-unit conversion per currency, both
// date formats with invalid days, and yes/no flags.
#include "tools/csv_import/field_parsers.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"

namespace sixhearts::csv_import {
namespace {

int64_t Minor(const std::string& text, const std::string& currency,
              ThousandsSeparator separator = ThousandsSeparator::kNone) {
  absl::StatusOr<int64_t> minor = ParseAmountMinor(text, currency, separator);
  EXPECT_TRUE(minor.ok()) << text << " " << currency << ": " << minor.status();
  return minor.ok() ? *minor : -1;
}

std::string AmountError(const std::string& text, const std::string& currency,
                        ThousandsSeparator separator = ThousandsSeparator::kNone) {
  absl::StatusOr<int64_t> minor = ParseAmountMinor(text, currency, separator);
  EXPECT_FALSE(minor.ok()) << text << " " << currency << " gave " << *minor;
  if (minor.ok()) return "";
  EXPECT_EQ(minor.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(minor.status().message());
}

TEST(ParseAmountMinorTest, ConvertsExactlyToMinorUnits) {
  EXPECT_EQ(Minor("0.01", "USD"), 1);
  EXPECT_EQ(Minor("1234.5", "USD"), 123450);
  EXPECT_EQ(Minor("1234", "USD"), 123400);
  EXPECT_EQ(Minor("55.94", "USD"), 5594);
  EXPECT_EQ(Minor("007.50", "USD"), 750);
  EXPECT_EQ(Minor("1500", "JPY"), 1500);
  EXPECT_EQ(Minor("1.234", "KWD"), 1234);
  EXPECT_EQ(Minor("0.001", "KWD"), 1);
  EXPECT_EQ(Minor("100.5", "CNY"), 10050);
  // 2^53 + 1 cents: the nearest double is 2^53, so a float-based parser would be off by one.
  EXPECT_EQ(Minor("90071992547409.93", "USD"), 9007199254740993);
}

TEST(ParseAmountMinorTest, ExtraDecimalsOnlyWhenZero) {
  EXPECT_EQ(Minor("12.340", "USD"), 1234);
  EXPECT_EQ(Minor("12.34000", "USD"), 1234);
  EXPECT_EQ(Minor("1500.00", "JPY"), 1500);
  EXPECT_EQ(AmountError("12.345", "USD"), "more than 2 decimal places for USD");
  EXPECT_EQ(AmountError("1500.5", "JPY"), "more than 0 decimal places for JPY");
  EXPECT_EQ(AmountError("1.2345", "KWD"), "more than 3 decimal places for KWD");
}

TEST(ParseAmountMinorTest, ThousandsSeparatorOnlyWhenConfiguredAndWellGrouped) {
  EXPECT_EQ(Minor("1,234.50", "USD", ThousandsSeparator::kComma), 123450);
  EXPECT_EQ(Minor("1,234,567", "JPY", ThousandsSeparator::kComma), 1234567);
  EXPECT_EQ(Minor("999.99", "USD", ThousandsSeparator::kComma), 99999);
  EXPECT_EQ(AmountError("1,234.50", "USD"),
            "',' in an amount but no thousands separator is configured");
  const std::string bad_groups = "digit groups must be of three digits, as in 1,234,567";
  EXPECT_EQ(AmountError("12,34", "USD", ThousandsSeparator::kComma), bad_groups);
  EXPECT_EQ(AmountError("1234,567", "USD", ThousandsSeparator::kComma), bad_groups);
  EXPECT_EQ(AmountError(",123", "USD", ThousandsSeparator::kComma), bad_groups);
  EXPECT_EQ(AmountError("1,,234", "USD", ThousandsSeparator::kComma), bad_groups);
  EXPECT_EQ(AmountError("1,234.5,0", "USD", ThousandsSeparator::kComma),
            "not a decimal amount (digits, optional '.' and decimals)");
}

TEST(ParseAmountMinorTest, RejectsWhatIsNotAPositiveDecimal) {
  const std::string not_decimal = "not a decimal amount (digits, optional '.' and decimals)";
  EXPECT_EQ(AmountError("1e3", "USD"), not_decimal);
  EXPECT_EQ(AmountError("+5", "USD"), not_decimal);
  EXPECT_EQ(AmountError("$5", "USD"), not_decimal);
  EXPECT_EQ(AmountError(" 5", "USD"), not_decimal);
  EXPECT_EQ(AmountError("5.", "USD"), not_decimal);
  EXPECT_EQ(AmountError(".5", "USD"), not_decimal);
  EXPECT_EQ(AmountError("1.2.3", "USD"), not_decimal);
  EXPECT_EQ(AmountError("NaN", "USD"), not_decimal);
  EXPECT_EQ(AmountError("", "USD"), "empty amount");
  EXPECT_EQ(AmountError("-1.00", "USD"), "negative amounts are not accepted");
  EXPECT_EQ(AmountError("0", "USD"), "amount must be positive, got zero");
  EXPECT_EQ(AmountError("0.00", "USD"), "amount must be positive, got zero");
  EXPECT_EQ(AmountError("0.001", "USD"), "more than 2 decimal places for USD");
  EXPECT_EQ(AmountError("5", "XYZ"), "unknown currency \"XYZ\" (ISO 4217, upper case)");
  EXPECT_EQ(AmountError("5", "usd"), "unknown currency \"usd\" (ISO 4217, upper case)");
}

TEST(ParseAmountMinorTest, YuanSignForCnyAndJpyOnly) {
  EXPECT_EQ(Minor("\xC2\xA5"
                  "1234.50",
                  "CNY"),
            123450);  // ¥
  EXPECT_EQ(Minor("\xEF\xBF\xA5"
                  "1,234.50",
                  "CNY", ThousandsSeparator::kComma),
            123450);  // ￥
  EXPECT_EQ(Minor("\xEF\xBF\xA5"
                  "1500",
                  "JPY"),
            1500);
  const std::string not_decimal = "not a decimal amount (digits, optional '.' and decimals)";
  EXPECT_EQ(AmountError("\xC2\xA5"
                        "5",
                        "USD"),
            not_decimal);
  EXPECT_EQ(AmountError("\xC2\xA5\xC2\xA5"
                        "5",
                        "CNY"),
            not_decimal);
  EXPECT_EQ(AmountError("5\xC2\xA5", "CNY"), not_decimal);
}

TEST(FormatAmountMinorTest, InverseOfParse) {
  EXPECT_EQ(FormatAmountMinor(1234567, "CNY"), "12345.67");
  EXPECT_EQ(FormatAmountMinor(5, "USD"), "0.05");
  EXPECT_EQ(FormatAmountMinor(-6000, "CNY"), "-60.00");
  EXPECT_EQ(FormatAmountMinor(1500, "JPY"), "1500");
  EXPECT_EQ(FormatAmountMinor(1234, "KWD"), "1.234");
}

TEST(ParseAmountMinorTest, RejectsOverflow) {
  // INT64_MAX = 9223372036854775807.
  EXPECT_EQ(Minor("9223372036854775807", "JPY"), INT64_MAX);
  EXPECT_EQ(Minor("92233720368547758.07", "USD"), INT64_MAX);
  EXPECT_EQ(AmountError("9223372036854775808", "JPY"), "amount too large");
  EXPECT_EQ(AmountError("92233720368547758.08", "USD"), "amount too large");
  EXPECT_EQ(AmountError("99999999999999999999999", "USD"), "amount too large");
}

absl::CivilDay Day(const std::string& text, DateFormat format) {
  absl::StatusOr<absl::CivilDay> day = ParseDate(text, format);
  EXPECT_TRUE(day.ok()) << text << ": " << day.status();
  return day.ok() ? *day : absl::CivilDay();
}

bool Rejected(const std::string& text, DateFormat format) {
  absl::StatusOr<absl::CivilDay> day = ParseDate(text, format);
  return !day.ok() && day.status().code() == absl::StatusCode::kInvalidArgument;
}

TEST(ParseDateTest, MonthDayYear) {
  const DateFormat f = DateFormat::kMonthDayYear;
  EXPECT_EQ(Day("1/2/2013", f), absl::CivilDay(2013, 1, 2));
  EXPECT_EQ(Day("01/02/2013", f), absl::CivilDay(2013, 1, 2));
  EXPECT_EQ(Day("12/31/2013", f), absl::CivilDay(2013, 12, 31));
  EXPECT_EQ(Day("2/29/2012", f), absl::CivilDay(2012, 2, 29));  // leap year
  EXPECT_EQ(ParseDate("2/30/2013", f).status().message(), "not a date (M/D/YYYY)");
  for (const char* bad :
       {"2/29/2013", "2/30/2012", "4/31/2013", "13/1/2013", "0/1/2013", "1/0/2013", "1/32/2013",
        "1/2/13", "1/2/02013", "001/2/2013", "1/2/0000", " 1/2/2013", "1/2/2013 ", "1-2-2013",
        "2013-01-02", "1/2", "1/2/2013/4", "a/2/2013", ""}) {
    EXPECT_TRUE(Rejected(bad, f)) << bad;
  }
}

TEST(ParseDateTest, Iso) {
  const DateFormat f = DateFormat::kIso;
  EXPECT_EQ(Day("2013-01-02", f), absl::CivilDay(2013, 1, 2));
  EXPECT_EQ(Day("2024-02-29", f), absl::CivilDay(2024, 2, 29));
  EXPECT_EQ(ParseDate("2013-02-30", f).status().message(), "not a date (YYYY-MM-DD)");
  for (const char* bad : {"2023-02-29", "2013-04-31", "2013-13-01", "2013-00-10", "2013-1-2",
                          "13-01-02", "2013/01/02", "1/2/2013", "2013-01-02T00:00", ""}) {
    EXPECT_TRUE(Rejected(bad, f)) << bad;
  }
}

TEST(ParseDateTest, YearMonthDayAsChineseErpsWriteThem) {
  const DateFormat f = DateFormat::kYearMonthDay;
  EXPECT_EQ(Day("2025/03/31", f), absl::CivilDay(2025, 3, 31));
  EXPECT_EQ(Day("2025-3-1", f), absl::CivilDay(2025, 3, 1));
  EXPECT_EQ(Day("2025-03-01", f), absl::CivilDay(2025, 3, 1));
  EXPECT_EQ(Day("2025.3.1", f), absl::CivilDay(2025, 3, 1));
  EXPECT_EQ(Day("2025年3月31日", f), absl::CivilDay(2025, 3, 31));
  EXPECT_EQ(Day("2024年02月29日", f), absl::CivilDay(2024, 2, 29));
  EXPECT_EQ(ParseDate("2025/02/30", f).status().message(), "not a date (YYYY-M-D)");
  for (const char* bad : {"2025/3-1", "25/3/1", "2025年3月", "2025年3月31", "3月31日2025年",
                          "2025年13月1日", "2025//1", "2025-3-1 ", "2025年3月31日日", ""}) {
    EXPECT_TRUE(Rejected(bad, f)) << bad;
  }
}

TEST(ParseYesNoTest, AcceptsCommonSpellings) {
  for (const char* yes : {"Yes", "YES", "y", "true", "1"}) EXPECT_TRUE(*ParseYesNo(yes)) << yes;
  for (const char* no : {"No", "no", "N", "FALSE", "0"}) EXPECT_FALSE(*ParseYesNo(no)) << no;
  for (const char* bad : {"", "maybe", "2", "yess"}) EXPECT_FALSE(ParseYesNo(bad).ok()) << bad;
}

}  // namespace
}  // namespace sixhearts::csv_import
