// The CSV record scanner behind CsvReader: a byte-at-a-time state machine over a chunked
// buffer, so memory stays bounded whatever the input looks like.
#include "services/csv_import/csv_reader.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "services/csv_import/limits.h"

namespace sixhearts::csv_import {
namespace {

constexpr std::string_view kUtf8ByteOrderMark = "\xEF\xBB\xBF";

}  // namespace

CsvReader::CsvReader(std::istream* in) : in_(in) {}

bool CsvReader::Fill() {
  if (eof_ || io_failed_) return false;
  chunk_.resize(kReadChunkBytes);
  in_->read(chunk_.data(), static_cast<std::streamsize>(chunk_.size()));
  const std::streamsize got = in_->gcount();
  chunk_.resize(got > 0 ? static_cast<size_t>(got) : 0);
  chunk_pos_ = 0;
  if (in_->bad()) io_failed_ = true;
  if (!*in_) eof_ = true;
  return !chunk_.empty();
}

int CsvReader::Peek() {
  if (chunk_pos_ >= chunk_.size() && !Fill()) return -1;
  return static_cast<unsigned char>(chunk_[chunk_pos_]);
}

int CsvReader::Get() {
  const int c = Peek();
  if (c < 0) return c;
  ++chunk_pos_;
  ++bytes_read_;
  if (c == '\n') ++line_;
  return c;
}

void CsvReader::SkipRestOfLine() {
  for (int c = Get(); c >= 0 && c != '\n'; c = Get()) {
  }
}

bool CsvReader::Malformed(CsvRecord* record, std::string reason) {
  record->fields.clear();
  record->error = std::move(reason);
  SkipRestOfLine();
  return true;
}

absl::StatusOr<bool> CsvReader::Next(CsvRecord* record) {
  record->fields.clear();
  record->error.clear();
  if (!started_) {
    started_ = true;
    // The first chunk holds at least three bytes unless the whole input is shorter.
    if (Peek() >= 0 && std::string_view(chunk_).starts_with(kUtf8ByteOrderMark)) {
      chunk_pos_ += kUtf8ByteOrderMark.size();
      bytes_read_ += static_cast<int64_t>(kUtf8ByteOrderMark.size());
    }
  }

  // Empty lines carry no record.
  for (;;) {
    const int c = Peek();
    if (c == '\n') {
      Get();
    } else if (c == '\r') {
      Get();
      if (Peek() != '\n') {
        record->line = line_;
        return Malformed(record, "carriage return not followed by line feed");
      }
      Get();
    } else {
      break;
    }
  }
  if (Peek() < 0) {
    if (io_failed_) return absl::DataLossError("read error on the CSV input");
    return false;
  }

  record->line = line_;
  const int64_t record_start = bytes_read_;
  const auto too_long = [&] { return bytes_read_ - record_start > int64_t{kMaxRecordBytes}; };
  const std::string too_long_reason =
      absl::StrCat("record longer than ", kMaxRecordBytes, " bytes");
  std::string field;

  for (;;) {  // one field per turn
    field.clear();
    bool end_of_record = false;
    if (Peek() == '"') {
      Get();
      const int64_t quote_line = line_;
      for (;;) {
        const int c = Get();
        if (c < 0) {
          return Malformed(
              record, absl::StrCat("quoted field opened on line ", quote_line, " never closed"));
        }
        if (c == '"') {
          if (Peek() != '"') break;
          Get();
        }
        field.push_back(static_cast<char>(c));
        if (too_long()) return Malformed(record, too_long_reason);
      }
      const int after = Peek();
      if (after == ',') {
        Get();
      } else if (after == '\n' || after < 0) {
        Get();
        end_of_record = true;
      } else if (after == '\r') {
        Get();
        if (Peek() != '\n') {
          return Malformed(record, "carriage return not followed by line feed");
        }
        Get();
        end_of_record = true;
      } else {
        return Malformed(record, absl::StrCat("unexpected character '", std::string(1, after),
                                              "' after a closing quote"));
      }
    } else {
      for (;;) {
        const int c = Peek();
        if (c == ',') {
          Get();
          break;
        }
        if (c == '\n' || c < 0) {
          Get();
          end_of_record = true;
          break;
        }
        if (c == '\r') {
          Get();
          if (Peek() != '\n') {
            return Malformed(record, "carriage return not followed by line feed");
          }
          Get();
          end_of_record = true;
          break;
        }
        if (c == '"') {
          return Malformed(record, "quote inside an unquoted field (quote the whole field)");
        }
        Get();
        field.push_back(static_cast<char>(c));
        if (too_long()) return Malformed(record, too_long_reason);
      }
    }
    if (record->fields.size() >= kMaxFieldsPerRecord) {
      if (!end_of_record) SkipRestOfLine();
      record->fields.clear();
      record->error = absl::StrCat("more than ", kMaxFieldsPerRecord, " fields");
      return true;
    }
    record->fields.push_back(std::move(field));
    if (end_of_record) break;
  }
  if (io_failed_) return absl::DataLossError("read error on the CSV input");
  return true;
}

}  // namespace sixhearts::csv_import
