// GB18030 (and any other iconv encoding) to UTF-8 with glibc's iconv, and the UTF-8 check
// the importer applies to cells and headers.
#include "tools/csv_import/encoding.h"

#include <errno.h>
#include <iconv.h>

#include <algorithm>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tools/csv_import/limits.h"
#include "tools/csv_import/string_views.h"

namespace sixhearts::csv_import {

bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    size_t length = 0;
    unsigned char low = 0x80;  // bounds of the second byte, tighter after some leads
    unsigned char high = 0xBF;
    if (lead < 0x80) {
      length = 1;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;   // overlong below U+0800
      if (lead == 0xED) high = 0x9F;  // surrogates U+D800..U+DFFF
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;   // overlong below U+10000
      if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
    } else {
      return false;
    }
    if (text.size() - i < length) return false;
    for (size_t k = 1; k < length; ++k) {
      const unsigned char c = byte(i + k);
      if (k == 1 ? (c < low || c > high) : (c < 0x80 || c > 0xBF)) return false;
    }
    i += length;
  }
  return true;
}

absl::StatusOr<std::string> ConvertToUtf8(std::istream* in, std::string_view encoding) {
  std::string input(kMaxConvertedInputBytes + 1, '\0');
  in->read(input.data(), static_cast<std::streamsize>(input.size()));
  input.resize(static_cast<size_t>(std::max<std::streamsize>(in->gcount(), 0)));
  if (in->bad()) return absl::DataLossError("read error on the CSV input");
  if (input.size() > kMaxConvertedInputBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "input in ", AbslView(encoding), " larger than ", kMaxConvertedInputBytes,
        " bytes; convert it to UTF-8 first (iconv -f ", AbslView(encoding), " -t UTF-8)"));
  }
  const std::string from(encoding);
  iconv_t cd = iconv_open("UTF-8", from.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("encoding ", from, ": this system's iconv cannot read it"));
  }
  std::string output;
  output.reserve(input.size() + input.size() / 2);
  char* src = input.data();
  size_t src_left = input.size();
  char buffer[16 * 1024];
  absl::Status status;
  while (src_left > 0) {
    char* dst = buffer;
    size_t dst_left = sizeof(buffer);
    const size_t rc = iconv(cd, &src, &src_left, &dst, &dst_left);
    output.append(buffer, static_cast<size_t>(dst - buffer));
    if (rc != static_cast<size_t>(-1)) continue;
    if (errno == E2BIG) continue;
    const size_t offset = static_cast<size_t>(src - input.data());
    const int64_t line = 1 + std::count(input.data(), src, '\n');
    status = absl::InvalidArgumentError(absl::StrCat(
        "line ", line, " (byte ", offset,
        "): ", errno == EINVAL ? "the input ends inside a character" : "bytes that are not",
        errno == EINVAL ? "" : absl::StrCat(" ", from), "; is the encoding right?"));
    break;
  }
  iconv_close(cd);
  if (!status.ok()) return status;
  return output;
}

}  // namespace sixhearts::csv_import
