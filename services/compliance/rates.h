// Dated interest-rate tables of the statutory rule sets (docs/compliance.md "Rate tables"):
// the 1-year Loan Prime Rate (CN, the floor of an agreed late-interest rate), the Prompt
// Payment Act interest rate set by the US Treasury for each half-year, and the ECB main
// refinancing rate (EU reference rate). Rates are exact: parts per million a year
// (ppm; 4.625% = 46250 ppm, 1 basis point = 100 ppm), never floating point.
//
// The defaults are compiled in (DefaultRateTables) and a text file may replace any table
// (ParseRateTables / LoadRateTables). File format, one rate per line:
//
//   # comment; blank lines are skipped
//   <table> <from YYYY-MM-DD> <percent>
//   cn_lpr_1y            2025-05-20  3.00
//   us_prompt_payment    2025-07-01  4.625
//   ecb_main_refinancing 2025-06-11  2.15
//
// `percent` is a decimal with at most 4 digits after the point (exactly representable in
// ppm). A table named in the file replaces the compiled-in table of that name entirely;
// tables the file does not name keep their defaults. Dates within a table must strictly
// ascend. A rate applies from its `from` day until the next entry's `from` day.
#ifndef SIXHEARTS_SERVICES_COMPLIANCE_RATES_H_
#define SIXHEARTS_SERVICES_COMPLIANCE_RATES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"

namespace sixhearts::services::compliance {

// Entries a single table may hold, and bytes a rate file may have: a table is a few
// dozen rows per decade, so these only stop a wrong file from being read whole.
inline constexpr size_t kMaxRateEntries = 10'000;
inline constexpr size_t kMaxRateFileBytes = 1 << 20;
// 1,000% a year: anything above is a typo, not a rate.
inline constexpr int64_t kMaxRatePpm = 10'000'000;

struct RateEntry {
  absl::CivilDay from;
  int64_t rate_ppm = 0;  // per year
  bool operator==(const RateEntry&) const = default;
};

class RateTable {
 public:
  RateTable() = default;
  // REQUIRES: entries strictly ascending by `from` (ParseRateTables checks it).
  explicit RateTable(std::vector<RateEntry> entries) : entries_(std::move(entries)) {}

  // The rate in force on `day`: the last entry with from <= day; nullopt before the first.
  std::optional<int64_t> RateOn(absl::CivilDay day) const;
  const std::vector<RateEntry>& entries() const { return entries_; }
  bool operator==(const RateTable&) const = default;

 private:
  std::vector<RateEntry> entries_;
};

struct RateTables {
  RateTable cn_lpr_1y;             // CN 1-year Loan Prime Rate (PBOC / NIFC), by announcement day
  RateTable us_prompt_payment;     // US Treasury Prompt Payment interest rate, by half-year
  RateTable ecb_main_refinancing;  // ECB main refinancing operations rate, by effective day
  bool operator==(const RateTables&) const = default;
};

// The compiled-in tables (listed in docs/compliance.md with their sources). They end
// with the last published rate the project knew of; a deployment keeps them current with
// a rate file.
RateTables DefaultRateTables();

// Applies a rate file's text over `base`. INVALID_ARGUMENT naming the line and what is
// wrong: an unknown table, a bad date or percent, dates not ascending, too many entries.
absl::StatusOr<RateTables> ParseRateTables(std::string_view text, RateTables base);

// Reads and parses a rate file over DefaultRateTables(). NOT_FOUND when it cannot be read;
// parse errors as ParseRateTables, prefixed with the path.
absl::StatusOr<RateTables> LoadRateTables(const std::string& path);

// Every table in the file format above, canonical (tables in the order above, rates as
// "%.4f"-style exact decimals): parsing it back gives the same tables, so a report can
// state exactly which rates it used.
std::string FormatRateTables(const RateTables& tables);

// "4.625%" for 46250 ppm: the exact decimal, trailing zeros dropped (at least 2 digits).
std::string FormatPercent(int64_t rate_ppm);

// The tables by name, for the checks below.
enum class RateTableId { kCnLpr1y, kUsPromptPayment, kEcbMainRefinancing };
inline constexpr RateTableId kRateTableIds[] = {
    RateTableId::kCnLpr1y, RateTableId::kUsPromptPayment, RateTableId::kEcbMainRefinancing};
std::string_view RateTableName(RateTableId id);  // "cn_lpr_1y", as in the file format
const RateTable& TableOf(const RateTables& tables, RateTableId id);

// The day the publisher of `id` next published after `last_entry` (docs/compliance.md
// "Rate tables"): the LPR on the 20th of each month; the Treasury rate for each
// half-year, from 1 January and 1 July; the ECB rate the EU rules read, the one in force
// on 1 January and 1 July. A table is only as current as its last entry: a rate used for
// a day on or after this was carried forward, and a newer one may apply. To state that a
// rate still holds, repeat it with the later publication day.
absl::CivilDay NextPublication(RateTableId id, absl::CivilDay last_entry);

// A rate used for a day on or after its table's next publication after the last entry.
struct CarriedRate {
  RateTableId table = RateTableId::kCnLpr1y;
  absl::CivilDay last_entry;        // `from` of the table's last entry
  int64_t rate_ppm = 0;             // its rate: the one used
  absl::CivilDay next_publication;  // NextPublication(table, last_entry)
  absl::CivilDay used_for;          // the (latest) day it was used for
  // used_for - last_entry: how old the rate was where it was used.
  int64_t days_after_last_entry() const { return used_for - last_entry; }
  bool operator==(const CarriedRate&) const = default;
};

// The carried rate when `day`'s rate in `id` was carried forward; nullopt when the table
// covers `day` (or has no entry).
std::optional<CarriedRate> CarriedPast(const RateTables& tables, RateTableId id,
                                       absl::CivilDay day);

// One line for people: "rate carried forward: us_prompt_payment ends with 4.625% from
// 2025-01-01; the next rate was due 2025-07-01; used for 2026-03-02, 425 days after the
// last entry".
std::string DescribeCarriedRate(const CarriedRate& carried);

// Adds `carried` to `list`, one per table, keeping the latest day used.
void MergeCarriedRate(const CarriedRate& carried, std::vector<CarriedRate>* list);

}  // namespace sixhearts::services::compliance

#endif  // SIXHEARTS_SERVICES_COMPLIANCE_RATES_H_
