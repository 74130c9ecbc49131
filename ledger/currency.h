// ISO 4217 currencies the ledger accepts, with the number of decimal places of their
// minor unit (2 for USD and CNY, 0 for JPY, 3 for KWD).
#ifndef SIXHEARTS_LEDGER_CURRENCY_H_
#define SIXHEARTS_LEDGER_CURRENCY_H_

#include <optional>
#include <string_view>

namespace sixhearts::ledger {

// Decimal places of the currency's minor unit, or nullopt when `code` is not an active
// ISO 4217 alphabetic code (upper case, three letters).
std::optional<int> CurrencyMinorDigits(std::string_view code);

inline bool IsKnownCurrency(std::string_view code) { return CurrencyMinorDigits(code).has_value(); }

}  // namespace sixhearts::ledger

#endif  // SIXHEARTS_LEDGER_CURRENCY_H_
