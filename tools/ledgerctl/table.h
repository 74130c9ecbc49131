// Output formatting shared by every ledgerctl command: tables rendered as aligned text,
// CSV (RFC 4180) or a JSON array of objects, and single records (digest, verify, an
// import summary) rendered as aligned `name  value` lines, one CSV row or a JSON object.
#ifndef SIXHEARTS_TOOLS_LEDGERCTL_TABLE_H_
#define SIXHEARTS_TOOLS_LEDGERCTL_TABLE_H_

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sixhearts::ledgerctl {

// Chosen by the global --json / --csv flags; text is the default.
enum class OutputFormat { kText, kCsv, kJson };

enum class ColumnKind {
  // Left-aligned in text, a JSON string.
  kText,
  // An integer or decimal written as is: right-aligned in text, a JSON number (an empty
  // cell is JSON null). Positions and versions, which people search for, are these.
  kNumber,
  // Like kNumber, but text groups thousands ("5,032") for counts and amounts people read.
  kGroupedNumber,
  // "true" or "false": left-aligned in text, a JSON boolean.
  kBool,
};

struct Column {
  std::string name;
  ColumnKind kind = ColumnKind::kText;
  // Text only: the least width, for tables whose rows arrive over time (tail).
  size_t min_width = 0;
};

// Writes a table row by row. Text output holds rows back, up to `max_buffered_rows`, to
// measure the columns; past that it prints what it holds and aligns later rows with the
// widths measured so far (a longer cell pushes its row's later cells right). CSV and JSON
// are written at once. Call Finish() once at the end; nothing is printed for an empty
// text table unless `print_empty_header`.
// Not thread-safe; `out` is not owned and must outlive the writer.
class TableWriter {
 public:
  TableWriter(std::vector<Column> columns, OutputFormat format, std::ostream* out,
              size_t max_buffered_rows);

  // REQUIRES: cells.size() == number of columns; kNumber cells are JSON numbers or empty,
  // kBool cells "true" or "false".
  void AddRow(std::vector<std::string> cells);
  void Finish();

  void set_print_empty_header(bool print) { print_empty_header_ = print; }
  size_t rows() const { return rows_; }

 private:
  void FlushBuffered();
  void WriteTextRow(const std::vector<std::string>& cells);

  std::vector<Column> columns_;
  OutputFormat format_;
  std::ostream* out_;
  size_t max_buffered_rows_;
  bool print_empty_header_ = false;
  bool started_ = false;
  bool finished_ = false;
  size_t rows_ = 0;
  std::vector<size_t> widths_;
  std::vector<std::vector<std::string>> buffered_;
};

// A whole table in memory, for outputs of bounded size.
class Table {
 public:
  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}

  // REQUIRES: as TableWriter::AddRow.
  void AddRow(std::vector<std::string> cells);

  // Text: the header, then rows, columns two spaces apart, no trailing spaces. An empty
  // table renders as its header alone.
  std::string Render(OutputFormat format) const;

  size_t rows() const { return rows_.size(); }

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// One record: named values. Text renders `name  value` lines with the values aligned,
// CSV a header and one row, JSON one object.
class Record {
 public:
  void Add(std::string name, std::string value, ColumnKind kind = ColumnKind::kText);
  // A value that is already JSON (an array, an object); skipped in text and CSV.
  void AddJson(std::string name, std::string json);

  std::string Render(OutputFormat format) const;

 private:
  struct Field {
    std::string name;
    std::string value;
    ColumnKind kind;
    bool raw_json;
  };
  std::vector<Field> fields_;
};

// The pieces, for commands with their own layouts and for tests.
// Columns a string takes on a terminal: one per code point, two for East Asian wide
// and full-width characters (CJK names are common in this ledger), none for combining
// marks.
size_t DisplayWidth(std::string_view text);
// RFC 4180: quoted when it holds a comma, a double quote, CR or LF; quotes doubled.
std::string CsvField(std::string_view field);
// A CSV record ending in CRLF.
std::string CsvRow(const std::vector<std::string>& cells);
// A JSON string literal: quotes, backslashes and control characters escaped; other bytes
// (UTF-8) as they are.
std::string JsonQuote(std::string_view text);
// A JSON value for a cell of that kind.
std::string JsonValue(std::string_view cell, ColumnKind kind);
// "1234567.5" -> "1,234,567.5"; anything that is not a plain number stays as it is.
std::string GroupThousands(std::string_view number);

}  // namespace sixhearts::ledgerctl

#endif  // SIXHEARTS_TOOLS_LEDGERCTL_TABLE_H_
