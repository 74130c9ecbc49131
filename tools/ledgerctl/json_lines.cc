// JSON-lines parsing and line-derived event ids.
#include "tools/ledgerctl/json_lines.h"

#include <openssl/evp.h>

#include <array>
#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace sixhearts::ledgerctl {

std::string LineEventId(std::string_view line) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_size = 0;
  if (EVP_Digest(line.data(), line.size(), digest.data(), &digest_size, EVP_sha256(), nullptr) !=
          1 ||
      digest_size != 32) {
    // SHA-256 over memory does not fail; if it did, every id would be wrong.
    std::abort();
  }
  digest[6] = static_cast<unsigned char>((digest[6] & 0x0F) | 0x80);
  digest[8] = static_cast<unsigned char>((digest[8] & 0x3F) | 0x80);
  const std::string hex =
      absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest.data()), 16));
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-",
                      hex.substr(16, 4), "-", hex.substr(20, 12));
}

absl::StatusOr<v1::Event> ParseEventLine(std::string_view line, int64_t line_number) {
  v1::Event event;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(line.data(), line.size()), &event, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("line ", line_number,
                     ": not a sixhearts.ledger.v1.Event in JSON: ", status.message().ToString()));
  }
  if (event.event_id().empty()) event.set_event_id(LineEventId(line));
  return event;
}

absl::StatusOr<bool> LineReader::Next(std::string* line) {
  line->clear();
  bool any = false;
  bool too_long = false;
  std::streambuf* buffer = in_->rdbuf();
  for (;;) {
    const int c = buffer->sbumpc();
    if (c == std::char_traits<char>::eof()) break;
    any = true;
    if (c == '\n') break;
    // Past the limit the rest of the line is skipped, never buffered.
    if (line->size() < max_line_bytes_ + 1) {
      line->push_back(static_cast<char>(c));
    } else {
      too_long = true;
    }
  }
  if (in_->bad()) return absl::DataLossError("cannot read the input");
  if (!any) return false;
  ++line_number_;
  if (!line->empty() && line->back() == '\r') line->pop_back();
  if (too_long || line->size() > max_line_bytes_) {
    return absl::InvalidArgumentError(
        absl::StrCat("line ", line_number_, ": longer than ", max_line_bytes_, " bytes"));
  }
  return true;
}

}  // namespace sixhearts::ledgerctl
