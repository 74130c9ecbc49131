// The table of active ISO 4217 codes (list one, 2024 edition) and their minor units.
#include "ledger/currency.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace sixhearts::ledger {
namespace {

struct CurrencyRow {
  std::string_view code;
  int minor_digits;
};

// Sorted by code so lookup is a binary search.
constexpr std::array kCurrencies = {
    CurrencyRow{"AED", 2}, CurrencyRow{"AFN", 2}, CurrencyRow{"ALL", 2}, CurrencyRow{"AMD", 2},
    CurrencyRow{"ANG", 2}, CurrencyRow{"AOA", 2}, CurrencyRow{"ARS", 2}, CurrencyRow{"AUD", 2},
    CurrencyRow{"AWG", 2}, CurrencyRow{"AZN", 2}, CurrencyRow{"BAM", 2}, CurrencyRow{"BBD", 2},
    CurrencyRow{"BDT", 2}, CurrencyRow{"BGN", 2}, CurrencyRow{"BHD", 3}, CurrencyRow{"BIF", 0},
    CurrencyRow{"BMD", 2}, CurrencyRow{"BND", 2}, CurrencyRow{"BOB", 2}, CurrencyRow{"BRL", 2},
    CurrencyRow{"BSD", 2}, CurrencyRow{"BTN", 2}, CurrencyRow{"BWP", 2}, CurrencyRow{"BYN", 2},
    CurrencyRow{"BZD", 2}, CurrencyRow{"CAD", 2}, CurrencyRow{"CDF", 2}, CurrencyRow{"CHF", 2},
    CurrencyRow{"CLF", 4}, CurrencyRow{"CLP", 0}, CurrencyRow{"CNY", 2}, CurrencyRow{"COP", 2},
    CurrencyRow{"CRC", 2}, CurrencyRow{"CUP", 2}, CurrencyRow{"CVE", 2}, CurrencyRow{"CZK", 2},
    CurrencyRow{"DJF", 0}, CurrencyRow{"DKK", 2}, CurrencyRow{"DOP", 2}, CurrencyRow{"DZD", 2},
    CurrencyRow{"EGP", 2}, CurrencyRow{"ERN", 2}, CurrencyRow{"ETB", 2}, CurrencyRow{"EUR", 2},
    CurrencyRow{"FJD", 2}, CurrencyRow{"FKP", 2}, CurrencyRow{"GBP", 2}, CurrencyRow{"GEL", 2},
    CurrencyRow{"GHS", 2}, CurrencyRow{"GIP", 2}, CurrencyRow{"GMD", 2}, CurrencyRow{"GNF", 0},
    CurrencyRow{"GTQ", 2}, CurrencyRow{"GYD", 2}, CurrencyRow{"HKD", 2}, CurrencyRow{"HNL", 2},
    CurrencyRow{"HTG", 2}, CurrencyRow{"HUF", 2}, CurrencyRow{"IDR", 2}, CurrencyRow{"ILS", 2},
    CurrencyRow{"INR", 2}, CurrencyRow{"IQD", 3}, CurrencyRow{"IRR", 2}, CurrencyRow{"ISK", 0},
    CurrencyRow{"JMD", 2}, CurrencyRow{"JOD", 3}, CurrencyRow{"JPY", 0}, CurrencyRow{"KES", 2},
    CurrencyRow{"KGS", 2}, CurrencyRow{"KHR", 2}, CurrencyRow{"KMF", 0}, CurrencyRow{"KPW", 2},
    CurrencyRow{"KRW", 0}, CurrencyRow{"KWD", 3}, CurrencyRow{"KYD", 2}, CurrencyRow{"KZT", 2},
    CurrencyRow{"LAK", 2}, CurrencyRow{"LBP", 2}, CurrencyRow{"LKR", 2}, CurrencyRow{"LRD", 2},
    CurrencyRow{"LSL", 2}, CurrencyRow{"LYD", 3}, CurrencyRow{"MAD", 2}, CurrencyRow{"MDL", 2},
    CurrencyRow{"MGA", 2}, CurrencyRow{"MKD", 2}, CurrencyRow{"MMK", 2}, CurrencyRow{"MNT", 2},
    CurrencyRow{"MOP", 2}, CurrencyRow{"MRU", 2}, CurrencyRow{"MUR", 2}, CurrencyRow{"MVR", 2},
    CurrencyRow{"MWK", 2}, CurrencyRow{"MXN", 2}, CurrencyRow{"MYR", 2}, CurrencyRow{"MZN", 2},
    CurrencyRow{"NAD", 2}, CurrencyRow{"NGN", 2}, CurrencyRow{"NIO", 2}, CurrencyRow{"NOK", 2},
    CurrencyRow{"NPR", 2}, CurrencyRow{"NZD", 2}, CurrencyRow{"OMR", 3}, CurrencyRow{"PAB", 2},
    CurrencyRow{"PEN", 2}, CurrencyRow{"PGK", 2}, CurrencyRow{"PHP", 2}, CurrencyRow{"PKR", 2},
    CurrencyRow{"PLN", 2}, CurrencyRow{"PYG", 0}, CurrencyRow{"QAR", 2}, CurrencyRow{"RON", 2},
    CurrencyRow{"RSD", 2}, CurrencyRow{"RUB", 2}, CurrencyRow{"RWF", 0}, CurrencyRow{"SAR", 2},
    CurrencyRow{"SBD", 2}, CurrencyRow{"SCR", 2}, CurrencyRow{"SDG", 2}, CurrencyRow{"SEK", 2},
    CurrencyRow{"SGD", 2}, CurrencyRow{"SHP", 2}, CurrencyRow{"SLE", 2}, CurrencyRow{"SOS", 2},
    CurrencyRow{"SRD", 2}, CurrencyRow{"SSP", 2}, CurrencyRow{"STN", 2}, CurrencyRow{"SVC", 2},
    CurrencyRow{"SYP", 2}, CurrencyRow{"SZL", 2}, CurrencyRow{"THB", 2}, CurrencyRow{"TJS", 2},
    CurrencyRow{"TMT", 2}, CurrencyRow{"TND", 3}, CurrencyRow{"TOP", 2}, CurrencyRow{"TRY", 2},
    CurrencyRow{"TTD", 2}, CurrencyRow{"TWD", 2}, CurrencyRow{"TZS", 2}, CurrencyRow{"UAH", 2},
    CurrencyRow{"UGX", 0}, CurrencyRow{"USD", 2}, CurrencyRow{"UYI", 0}, CurrencyRow{"UYU", 2},
    CurrencyRow{"UYW", 4}, CurrencyRow{"UZS", 2}, CurrencyRow{"VED", 2}, CurrencyRow{"VES", 2},
    CurrencyRow{"VND", 0}, CurrencyRow{"VUV", 0}, CurrencyRow{"WST", 2}, CurrencyRow{"XAF", 0},
    CurrencyRow{"XCD", 2}, CurrencyRow{"XOF", 0}, CurrencyRow{"XPF", 0}, CurrencyRow{"YER", 2},
    CurrencyRow{"ZAR", 2}, CurrencyRow{"ZMW", 2}, CurrencyRow{"ZWL", 2},
};

static_assert(std::ranges::is_sorted(kCurrencies, {}, &CurrencyRow::code));

}  // namespace

std::optional<int> CurrencyMinorDigits(std::string_view code) {
  const auto it = std::ranges::lower_bound(kCurrencies, code, {}, &CurrencyRow::code);
  if (it == kCurrencies.end() || it->code != code) return std::nullopt;
  return it->minor_digits;
}

}  // namespace sixhearts::ledger
