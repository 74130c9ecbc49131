// Text helpers for the people-facing lines of the relationship projection (timeline
// summaries, alert messages, worklist explanations). Internal to services/relationships.
#ifndef SIXHEARTS_SERVICES_RELATIONSHIPS_TEXT_FORMAT_H_
#define SIXHEARTS_SERVICES_RELATIONSHIPS_TEXT_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/civil_time.h"

namespace sixhearts::services::relationships {

// "1234.50 USD": the amount with its currency's decimal places (none for an unknown
// code). For reading, never for parsing.
std::string MoneyText(int64_t amount_minor, std::string_view currency);

// "2026-03-31".
std::string DayText(absl::CivilDay day);

// "87%" (rounded to a whole percent) for a share in 0..1.
std::string PercentText(double share);

// `text` cut at `limit` bytes without splitting a UTF-8 sequence.
std::string Truncated(std::string text, size_t limit);

}  // namespace sixhearts::services::relationships

#endif  // SIXHEARTS_SERVICES_RELATIONSHIPS_TEXT_FORMAT_H_
