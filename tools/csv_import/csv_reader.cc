// The CSV record scanner behind CsvReader: a byte-at-a-time state machine over a chunked
// buffer, so memory stays bounded whatever the input looks like.
#include "tools/csv_import/csv_reader.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tools/csv_import/limits.h"

namespace sixhearts::csv_import {
namespace {

constexpr std::string_view kUtf8ByteOrderMark = "\xEF\xBB\xBF";

}  // namespace

CsvReader::CsvReader(std::istream* in, char delimiter) : in_(in), delimiter_(delimiter) {}

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
  last_char_ = c;
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
  record->last_line = LastLine(record->line);
  return true;
}

int64_t CsvReader::LastLine(int64_t first_line) const {
  const int64_t last = last_char_ == '\n' ? line_ - 1 : line_;
  return last > first_line ? last : first_line;
}

bool CsvReader::SkipRestOfRecord(bool in_quotes) {
  for (;;) {
    const int c = Get();
    if (c < 0) return !in_quotes;
    if (in_quotes) {
      if (c == '"') {
        if (Peek() == '"') {
          Get();
        } else {
          in_quotes = false;
        }
      } else if (c == '\n') {
        NoteLineBreakInQuotes();
      }
    } else if (c == '"') {
      in_quotes = true;
    } else if (c == '\n') {
      return true;
    }
  }
}

void CsvReader::NoteLineBreakInQuotes() {
  if (resume_offset_ >= 0) return;
  resume_offset_ = bytes_read_;
  resume_line_ = line_;
}

bool CsvReader::ResumeAfterQuoteLine(CsvRecord* record, std::string reason) {
  record->fields.clear();
  record->last_line = record->line;
  if (resume_offset_ < 0) {
    // The quote opened on the last line: there is nothing after it to read again.
    record->error = std::move(reason);
    return true;
  }
  in_->clear();
  in_->seekg(resume_offset_);
  if (!in_->fail()) {
    chunk_.clear();
    chunk_pos_ = 0;
    eof_ = false;
    bytes_read_ = resume_offset_;
    line_ = resume_line_;
    record->error = absl::StrCat(reason, "; reading resumes at line ", resume_line_);
    return true;
  }
  // Not seekable (a pipe): everything up to here is lost, and the message says so.
  in_->clear();
  eof_ = true;
  record->last_line = line_;
  record->error = absl::StrCat(reason, "; lines ", record->line, "-", line_,
                               " could not be read (give a file, not a pipe, to read them)");
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
  resume_offset_ = -1;
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
      const std::string never_closed =
          absl::StrCat("quoted field opened on line ", quote_line, " never closed");
      for (;;) {
        const int c = Get();
        if (c < 0) return ResumeAfterQuoteLine(record, never_closed);
        if (c == '"') {
          if (Peek() != '"') break;
          Get();
        }
        if (c == '\n') NoteLineBreakInQuotes();
        field.push_back(static_cast<char>(c));
        if (too_long()) {
          // Skip to the record's end as quoting places it, not to the next line break,
          // which may sit inside the quotes; a quote that never closes is read again.
          if (!SkipRestOfRecord(/*in_quotes=*/true)) {
            return ResumeAfterQuoteLine(record, never_closed);
          }
          record->fields.clear();
          record->last_line = LastLine(record->line);
          record->error = too_long_reason;
          return true;
        }
      }
      const int after = Peek();
      if (after == delimiter_) {
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
        const std::string reason = absl::StrCat("unexpected character '", std::string(1, after),
                                                "' after a closing quote");
        // A quote that spanned lines here was most likely never meant to close where it
        // did: read again from the line after the one it opened on.
        if (resume_offset_ >= 0) return ResumeAfterQuoteLine(record, reason);
        return Malformed(record, reason);
      }
    } else {
      for (;;) {
        const int c = Peek();
        if (c == delimiter_) {
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
      if (!end_of_record) SkipRestOfRecord(/*in_quotes=*/false);
      record->fields.clear();
      record->last_line = LastLine(record->line);
      record->error = absl::StrCat("more than ", kMaxFieldsPerRecord, " fields");
      return true;
    }
    record->fields.push_back(std::move(field));
    if (end_of_record) break;
  }
  record->last_line = LastLine(record->line);
  if (io_failed_) return absl::DataLossError("read error on the CSV input");
  return true;
}

}  // namespace sixhearts::csv_import
