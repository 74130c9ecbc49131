// A bounded RFC 4180 CSV reader: quoted fields, doubled quotes, CRLF or LF line breaks,
// line numbers for every record, and a malformed record reported as data so the caller
// can reject it and go on at the next record boundary that quoting allows.
#ifndef SIXHEARTS_TOOLS_CSV_IMPORT_CSV_READER_H_
#define SIXHEARTS_TOOLS_CSV_IMPORT_CSV_READER_H_

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace sixhearts::csv_import {

// One record (one row of the file).
struct CsvRecord {
  // 1-based line of the file where the record starts. A quoted field may hold line
  // breaks, so the next record can start several lines later.
  int64_t line = 0;
  // Line where it ends: `line` for a record on one line.
  int64_t last_line = 0;
  std::vector<std::string> fields;
  // Non-empty when the record is malformed (stray quote, too long, too many fields,
  // unterminated quote); `fields` is then meaningless. The reader has already moved to
  // the next record: after the end of a too-long record as its quotes place it, after the
  // line of a stray character, and back to the line after the opening line of a quote
  // that never closed (the message says "reading resumes at line N"), so every row is
  // either read or named.
  std::string error;
};

// Reads records one at a time from a stream, holding at most one record and one read
// chunk in memory (limits.h kMaxRecordBytes, kMaxFieldsPerRecord, kReadChunkBytes).
//
// Format accepted (RFC 4180 with the usual relaxations):
// - fields separated by the delimiter (',' unless given), records by CRLF or LF; the last record
// may lack a break;
// - a field starting with '"' is quoted: it ends at the next lone '"', "" inside stands
//   for one '"', and commas and line breaks inside are data;
// - a '"' inside an unquoted field, anything but ',' or a line break after a closing
//   quote, and a CR not followed by LF outside quotes are malformed;
// - empty lines are skipped (they carry no record); a UTF-8 byte order mark at the very
//   start is dropped; no trimming: spaces are data.
//
// Not thread-safe. The stream is not owned and must outlive the reader.
class CsvReader {
 public:
  // `delimiter` separates fields: ',', ';' or '\t' (ERP exports use all three).
  explicit CsvReader(std::istream* in, char delimiter = ',');

  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Reads the next record into *record. Returns false at the end of input. A malformed
  // record is returned as true with record->error set. A non-OK status means the stream
  // itself failed (an I/O error); the reader is then unusable.
  absl::StatusOr<bool> Next(CsvRecord* record);

  // Bytes consumed from the stream so far (for progress reporting).
  int64_t bytes_read() const { return bytes_read_; }

 private:
  // -1 at end of input.
  int Peek();
  int Get();
  bool Fill();
  // Consumes up to and including the next LF, or to the end of input.
  void SkipRestOfLine();
  // Fills record->error and skips to the next line.
  bool Malformed(CsvRecord* record, std::string reason);
  // Consumes up to the end of the record as quoting places it (a line break outside
  // quotes). Returns false when the input ends inside quotes.
  bool SkipRestOfRecord(bool in_quotes);
  // Remembers where the line after a quote's first line break starts.
  void NoteLineBreakInQuotes();
  // For a quote that never closed (or closed where no field can end): fills
  // record->error and goes back to the line after the one the quote opened on, so the
  // rows it swallowed are read again. A stream that cannot seek is read no further and
  // the message names the lines lost.
  bool ResumeAfterQuoteLine(CsvRecord* record, std::string reason);
  // The line of the last byte consumed, at least first_line.
  int64_t LastLine(int64_t first_line) const;

  std::istream* in_;
  std::string chunk_;
  size_t chunk_pos_ = 0;
  bool eof_ = false;
  bool io_failed_ = false;
  bool started_ = false;
  int64_t bytes_read_ = 0;
  // The line the next byte belongs to.
  int64_t line_ = 1;
  char delimiter_ = ',';
  int last_char_ = -1;
  // Stream offset and line of the start of the line after the first line break inside
  // the current record's quotes; -1 when there was none.
  int64_t resume_offset_ = -1;
  int64_t resume_line_ = 0;
};

}  // namespace sixhearts::csv_import

#endif  // SIXHEARTS_TOOLS_CSV_IMPORT_CSV_READER_H_
