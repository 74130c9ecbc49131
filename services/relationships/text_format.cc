// Text helpers for people-facing lines; see text_format.h.
#include "services/relationships/text_format.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ledger/currency.h"

namespace sixhearts::services::relationships {

std::string MoneyText(int64_t amount_minor, std::string_view currency) {
  const int digits = ledger::CurrencyMinorDigits(currency).value_or(0);
  const absl::string_view code(currency.data(), currency.size());
  if (digits == 0) return absl::StrCat(amount_minor, " ", code);
  uint64_t scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  const bool negative = amount_minor < 0;
  // Unsigned, so that negating the most negative amount does not overflow.
  const uint64_t magnitude =
      negative ? 0 - static_cast<uint64_t>(amount_minor) : static_cast<uint64_t>(amount_minor);
  return absl::StrFormat("%s%d.%0*d %s", negative ? "-" : "", magnitude / scale, digits,
                         magnitude % scale, code);
}

std::string DayText(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

std::string PercentText(double share) {
  return absl::StrCat(static_cast<int64_t>(std::llround(share * 100.0)), "%");
}

std::string Truncated(std::string text, size_t limit) {
  if (text.size() <= limit) return text;
  size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return text;
}

}  // namespace sixhearts::services::relationships
