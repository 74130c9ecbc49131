// Double-quoted strings for the JSON and TOML the ledger writes (reports, JSON log lines,
// `ledgerd --print-config`): `"` and `\` escaped, \n \r \t by name, every other control
// character as \u00XX. Both formats read these escapes the same way; bytes of 0x80 and
// above pass through, so UTF-8 text stays as it is.
#ifndef SIXHEARTS_LEDGER_QUOTED_H_
#define SIXHEARTS_LEDGER_QUOTED_H_

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

}  // namespace sixhearts::ledger

#endif  // SIXHEARTS_LEDGER_QUOTED_H_
