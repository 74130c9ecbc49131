// Rate tables: defaults, the rate-file parser and the canonical rendering.
#include "services/compliance/rates.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ledger/dates.h"

namespace sixhearts::services::compliance {
namespace {

constexpr char kCnLpr[] = "cn_lpr_1y";
constexpr char kUsPpa[] = "us_prompt_payment";
constexpr char kEcb[] = "ecb_main_refinancing";

RateEntry E(int y, int m, int d, int64_t ppm) { return RateEntry{absl::CivilDay(y, m, d), ppm}; }

// "3.00" -> 30000 ppm; nullopt unless digits, at most one point and at most 4 decimals.
std::optional<int64_t> ParsePercent(absl::string_view text) {
  if (text.empty() || text.size() > 16) return std::nullopt;
  int64_t whole = 0;
  int64_t fraction = 0;
  int fraction_digits = -1;  // -1: no point seen
  for (char c : text) {
    if (c == '.') {
      if (fraction_digits >= 0) return std::nullopt;
      fraction_digits = 0;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    if (fraction_digits < 0) {
      whole = whole * 10 + (c - '0');
    } else {
      if (++fraction_digits > 4) return std::nullopt;
      fraction = fraction * 10 + (c - '0');
    }
  }
  if (fraction_digits == 0 || text.front() == '.') return std::nullopt;
  for (int i = std::max(fraction_digits, 0); i < 4; ++i) fraction *= 10;
  // 1% = 10,000 ppm; fraction is in 1/10,000 of a percent = 1 ppm.
  return whole * 10'000 + fraction;
}

RateTable* TableNamed(RateTables& tables, absl::string_view name) {
  if (name == kCnLpr) return &tables.cn_lpr_1y;
  if (name == kUsPpa) return &tables.us_prompt_payment;
  if (name == kEcb) return &tables.ecb_main_refinancing;
  return nullptr;
}

}  // namespace

std::optional<int64_t> RateTable::RateOn(absl::CivilDay day) const {
  auto it = std::upper_bound(entries_.begin(), entries_.end(), day,
                             [](absl::CivilDay d, const RateEntry& e) { return d < e.from; });
  if (it == entries_.begin()) return std::nullopt;
  return std::prev(it)->rate_ppm;
}

RateTables DefaultRateTables() {
  RateTables t;
  // 1-year LPR, from the day of each change (National Interbank Funding Center).
  t.cn_lpr_1y = RateTable({E(2019, 8, 20, 42500), E(2019, 9, 20, 42000), E(2019, 11, 20, 41500),
                           E(2020, 2, 20, 40500), E(2020, 4, 20, 38500), E(2021, 12, 20, 38000),
                           E(2022, 1, 20, 37000), E(2022, 8, 22, 36500), E(2023, 6, 20, 35500),
                           E(2023, 8, 21, 34500), E(2024, 7, 22, 33500), E(2024, 10, 21, 31000),
                           E(2025, 5, 20, 30000)});
  // Prompt Payment interest rate per half-year (Bureau of the Fiscal Service notices in the
  // Federal Register).
  t.us_prompt_payment = RateTable({E(2023, 1, 1, 47500), E(2023, 7, 1, 48750), E(2024, 1, 1, 46250),
                                   E(2024, 7, 1, 48750), E(2025, 1, 1, 46250)});
  // ECB main refinancing operations (fixed rate tenders), from each effective day; the
  // entries of 1 July 2025 and 1 January 2026 restate the rate in force on the half-year
  // days the EU rules read (unchanged at the decisions of 24 July and 18 December 2025,
  // docs/compliance.md), so the table is known to hold through 2026-H1.
  t.ecb_main_refinancing =
      RateTable({E(2016, 3, 16, 0),     E(2022, 7, 27, 5000),   E(2022, 9, 14, 12500),
                 E(2022, 11, 2, 20000), E(2022, 12, 21, 25000), E(2023, 2, 8, 30000),
                 E(2023, 3, 22, 35000), E(2023, 5, 10, 37500),  E(2023, 6, 21, 40000),
                 E(2023, 8, 2, 42500),  E(2023, 9, 20, 45000),  E(2024, 6, 12, 42500),
                 E(2024, 9, 18, 36500), E(2024, 10, 23, 34000), E(2024, 12, 18, 31500),
                 E(2025, 2, 5, 29000),  E(2025, 3, 12, 26500),  E(2025, 4, 23, 24000),
                 E(2025, 6, 11, 21500), E(2025, 7, 1, 21500),   E(2026, 1, 1, 21500)});
  return t;
}

absl::StatusOr<RateTables> ParseRateTables(std::string_view text, RateTables base) {
  if (text.size() > kMaxRateFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("rate file: ", text.size(), " bytes exceed ", kMaxRateFileBytes));
  }
  RateTables parsed;
  std::vector<std::string> named;  // tables the file lists, replacing the base ones
  int line_number = 0;
  for (absl::string_view raw : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    ++line_number;
    absl::string_view line = raw.substr(0, raw.find('#'));
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipWhitespace());
    auto error = [&](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat("rate file line ", line_number, ": ", what));
    };
    if (fields.size() != 3) return error("expected <table> <from YYYY-MM-DD> <percent>");
    RateTable* table = TableNamed(parsed, fields[0]);
    if (table == nullptr) {
      return error(absl::StrCat("unknown table \"", fields[0], "\" (", kCnLpr, ", ", kUsPpa, ", ",
                                kEcb, ")"));
    }
    std::optional<absl::CivilDay> from =
        ledger::ParseIsoDay(std::string_view(fields[1].data(), fields[1].size()));
    if (!from) return error(absl::StrCat("from: not a date: \"", fields[1], "\""));
    std::optional<int64_t> ppm = ParsePercent(fields[2]);
    if (!ppm || *ppm > kMaxRatePpm) {
      return error(absl::StrCat(
          "percent: expected a decimal 0..1000 with at most 4 decimals, got \"", fields[2], "\""));
    }
    std::vector<RateEntry> entries = table->entries();
    if (!entries.empty() && entries.back().from >= *from) {
      return error(absl::StrCat("from: ", fields[1], " is not after the table's previous date"));
    }
    if (entries.size() >= kMaxRateEntries) {
      return error(absl::StrCat("more than ", kMaxRateEntries, " entries in ", fields[0]));
    }
    entries.push_back(RateEntry{*from, *ppm});
    *table = RateTable(std::move(entries));
    if (std::find(named.begin(), named.end(), fields[0]) == named.end()) {
      named.emplace_back(fields[0]);
    }
  }
  for (const std::string& name : named) *TableNamed(base, name) = *TableNamed(parsed, name);
  return base;
}

absl::StatusOr<RateTables> LoadRateTables(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("rate file: cannot read \"", path, "\""));
  std::ostringstream text;
  text << in.rdbuf();
  absl::StatusOr<RateTables> tables = ParseRateTables(text.str(), DefaultRateTables());
  if (!tables.ok()) {
    return absl::Status(tables.status().code(),
                        absl::StrCat(path, ": ", std::string(tables.status().message())));
  }
  return tables;
}

std::string FormatPercent(int64_t rate_ppm) {
  const bool negative = rate_ppm < 0;
  const int64_t v = negative ? -rate_ppm : rate_ppm;
  std::string fraction = absl::StrCat(v % 10'000 + 10'000).substr(1);  // 4 digits
  while (fraction.size() > 2 && fraction.back() == '0') fraction.pop_back();
  return absl::StrCat(negative ? "-" : "", v / 10'000, ".", fraction, "%");
}

std::string_view RateTableName(RateTableId id) {
  switch (id) {
    case RateTableId::kCnLpr1y:
      return kCnLpr;
    case RateTableId::kUsPromptPayment:
      return kUsPpa;
    case RateTableId::kEcbMainRefinancing:
      return kEcb;
  }
  return "";
}

const RateTable& TableOf(const RateTables& tables, RateTableId id) {
  switch (id) {
    case RateTableId::kCnLpr1y:
      return tables.cn_lpr_1y;
    case RateTableId::kUsPromptPayment:
      return tables.us_prompt_payment;
    case RateTableId::kEcbMainRefinancing:
      break;
  }
  return tables.ecb_main_refinancing;
}

absl::CivilDay NextPublication(RateTableId id, absl::CivilDay last_entry) {
  if (id == RateTableId::kCnLpr1y) {
    // Published on the 20th (moved to the next working day): the first 20th after the entry.
    const absl::CivilDay this_month(last_entry.year(), last_entry.month(), 20);
    if (last_entry < this_month) return this_month;
    return absl::CivilDay(absl::CivilMonth(last_entry) + 1) + 19;
  }
  return last_entry.month() < 7 ? absl::CivilDay(last_entry.year(), 7, 1)
                                : absl::CivilDay(last_entry.year() + 1, 1, 1);
}

std::optional<CarriedRate> CarriedPast(const RateTables& tables, RateTableId id,
                                       absl::CivilDay day) {
  const std::vector<RateEntry>& entries = TableOf(tables, id).entries();
  if (entries.empty()) return std::nullopt;
  const RateEntry& last = entries.back();
  const absl::CivilDay next = NextPublication(id, last.from);
  if (day < next) return std::nullopt;
  return CarriedRate{id, last.from, last.rate_ppm, next, day};
}

std::string DescribeCarriedRate(const CarriedRate& c) {
  const std::string_view name = RateTableName(c.table);
  return absl::StrCat("rate carried forward: ", absl::string_view(name.data(), name.size()),
                      " ends with ", FormatPercent(c.rate_ppm), " from ",
                      absl::FormatCivilTime(c.last_entry), "; the next rate was due ",
                      absl::FormatCivilTime(c.next_publication), "; used for ",
                      absl::FormatCivilTime(c.used_for), ", ", c.days_after_last_entry(),
                      " days after the last entry");
}

void MergeCarriedRate(const CarriedRate& carried, std::vector<CarriedRate>* list) {
  for (CarriedRate& known : *list) {
    if (known.table != carried.table) continue;
    if (carried.used_for > known.used_for) known = carried;
    return;
  }
  list->push_back(carried);
}

std::string FormatRateTables(const RateTables& tables) {
  std::string out;
  auto table = [&](absl::string_view name, const RateTable& t) {
    for (const RateEntry& e : t.entries()) {
      std::string percent = FormatPercent(e.rate_ppm);
      percent.pop_back();  // the file format has no '%'
      absl::StrAppend(&out, name, " ", ledger::FormatDay(e.from), " ", percent, "\n");
    }
  };
  table(kCnLpr, tables.cn_lpr_1y);
  table(kUsPpa, tables.us_prompt_payment);
  table(kEcb, tables.ecb_main_refinancing);
  return out;
}

}  // namespace sixhearts::services::compliance
