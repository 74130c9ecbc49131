// Double-quoted strings for the JSON and TOML the ledger writes (reports, JSON log lines,
// `ledgerd --print-config`): `"` and `\` escaped, \n \r \t by name, every other control
// character as \u00XX. Both formats read these escapes the same way; bytes of 0x80 and
// above pass through, so UTF-8 text stays as it is.
#ifndef SIXHEARTS_LEDGER_QUOTED_H_
#define SIXHEARTS_LEDGER_QUOTED_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace sixhearts::ledger {

inline void AppendQuoted(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char c : s) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (byte < 0x20) {
          out += "\\u00";
          out += kHex[byte >> 4];
          out += kHex[byte & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

inline std::string Quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  AppendQuoted(s, out);
  return out;
}

// The most bytes of any input that an error message quotes (a limit on everything,
// STYLE.md): a gRPC status message travels in the response metadata, which a client
// accepts up to 8 KiB by default, so a message echoing a 9 KB id in full would reach the
// caller as RESOURCE_EXHAUSTED instead of its own status.
inline constexpr size_t kMaxQuotedInputBytes = 64;

// An input as an error message quotes it: Quoted() of at most kMaxQuotedInputBytes
// (cut before a UTF-8 continuation byte), followed by `... (N bytes)` when it was cut.
inline std::string QuotedInput(std::string_view s) {
  if (s.size() <= kMaxQuotedInputBytes) return Quoted(s);
  size_t cut = kMaxQuotedInputBytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80) --cut;
  std::string out = Quoted(s.substr(0, cut));
  out += "... (";
  out += std::to_string(s.size());
  out += " bytes)";
  return out;
}

}  // namespace sixhearts::ledger

#endif  // SIXHEARTS_LEDGER_QUOTED_H_
