// Table and record rendering: aligned text, RFC 4180 CSV and JSON.
#include "tools/ledgerctl/table.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace sixhearts::ledgerctl {
namespace {

// Decodes one UTF-8 code point at text[*i] and advances *i; a malformed byte is taken as
// one column wide so that garbage still lines up roughly.
uint32_t NextCodePoint(std::string_view text, size_t* i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(*i);
  int length = 1;
  uint32_t cp = b0;
  if (b0 >= 0xF0 && b0 < 0xF8) {
    length = 4;
    cp = b0 & 0x07;
  } else if (b0 >= 0xE0) {
    length = 3;
    cp = b0 & 0x0F;
  } else if (b0 >= 0xC0) {
    length = 2;
    cp = b0 & 0x1F;
  }
  if (length == 1 || *i + length > text.size()) {
    ++*i;
    return b0 >= 0x80 ? '?' : b0;
  }
  for (int k = 1; k < length; ++k) {
    const unsigned char b = byte(*i + k);
    if ((b & 0xC0) != 0x80) {
      ++*i;
      return '?';
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  *i += length;
  return cp;
}

bool IsWide(uint32_t cp) {
  return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
         (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
         (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
         (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
         (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

bool IsZeroWidth(uint32_t cp) {
  return (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x200B && cp <= 0x200F) || cp == 0xFEFF;
}

bool RightAligned(ColumnKind kind) {
  return kind == ColumnKind::kNumber || kind == ColumnKind::kGroupedNumber;
}

// A cell as text shows it: thousands grouped where asked, and line breaks and tabs made
// spaces so that one row stays one line.
std::string TextCell(std::string_view cell, ColumnKind kind) {
  std::string shown = kind == ColumnKind::kGroupedNumber ? GroupThousands(cell) : std::string(cell);
  for (char& c : shown) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return shown;
}

void Pad(std::string* line, size_t count) { line->append(count, ' '); }

}  // namespace

size_t DisplayWidth(std::string_view text) {
  size_t width = 0;
  size_t i = 0;
  while (i < text.size()) {
    const uint32_t cp = NextCodePoint(text, &i);
    if (IsZeroWidth(cp)) continue;
    width += IsWide(cp) ? 2 : 1;
  }
  return width;
}

std::string CsvField(std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(field);
  std::string quoted = "\"";
  for (char c : field) {
    if (c == '"') quoted.push_back('"');
    quoted.push_back(c);
  }
  quoted.push_back('"');
  return quoted;
}

std::string CsvRow(const std::vector<std::string>& cells) {
  std::string row;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) row.push_back(',');
    row += CsvField(cells[i]);
  }
  row += "\r\n";
  return row;
}

std::string JsonQuote(std::string_view text) {
  std::string quoted = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        quoted += "\\\"";
        break;
      case '\\':
        quoted += "\\\\";
        break;
      case '\n':
        quoted += "\\n";
        break;
      case '\r':
        quoted += "\\r";
        break;
      case '\t':
        quoted += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          quoted += absl::StrFormat("\\u%04x", static_cast<unsigned char>(c));
        } else {
          quoted.push_back(c);
        }
    }
  }
  quoted.push_back('"');
  return quoted;
}

std::string JsonValue(std::string_view cell, ColumnKind kind) {
  switch (kind) {
    case ColumnKind::kNumber:
    case ColumnKind::kGroupedNumber:
      return cell.empty() ? "null" : std::string(cell);
    case ColumnKind::kBool:
      return cell == "true" ? "true" : "false";
    case ColumnKind::kText:
      break;
  }
  return JsonQuote(cell);
}

std::string GroupThousands(std::string_view number) {
  std::string_view sign;
  if (!number.empty() && number[0] == '-') {
    sign = number.substr(0, 1);
    number.remove_prefix(1);
  }
  const size_t dot = number.find('.');
  const std::string_view whole = number.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : number.substr(dot);
  const bool digits = !whole.empty() && std::all_of(whole.begin(), whole.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
  const bool fraction_digits =
      std::all_of(fraction.begin() + (fraction.empty() ? 0 : 1), fraction.end(),
                  [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); });
  if (!digits || !fraction_digits) return std::string(sign) + std::string(number);
  std::string grouped;
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped.push_back(',');
    grouped.push_back(whole[i]);
  }
  return std::string(sign) + grouped + std::string(fraction);
}

TableWriter::TableWriter(std::vector<Column> columns, OutputFormat format, std::ostream* out,
                         size_t max_buffered_rows)
    : columns_(std::move(columns)),
      format_(format),
      out_(out),
      max_buffered_rows_(max_buffered_rows) {
  widths_.reserve(columns_.size());
  for (const Column& column : columns_) {
    widths_.push_back(std::max(column.min_width, DisplayWidth(column.name)));
  }
}

void TableWriter::AddRow(std::vector<std::string> cells) {
  if (cells.size() != columns_.size() || finished_) std::abort();
  ++rows_;
  switch (format_) {
    case OutputFormat::kCsv: {
      if (!started_) {
        std::vector<std::string> names;
        for (const Column& column : columns_) names.push_back(column.name);
        *out_ << CsvRow(names);
        started_ = true;
      }
      *out_ << CsvRow(cells);
      return;
    }
    case OutputFormat::kJson: {
      std::string object = started_ ? ",\n{" : "[\n{";
      started_ = true;
      for (size_t i = 0; i < cells.size(); ++i) {
        if (i > 0) object.push_back(',');
        absl::StrAppend(&object, JsonQuote(columns_[i].name), ":",
                        JsonValue(cells[i], columns_[i].kind));
      }
      object.push_back('}');
      *out_ << object;
      return;
    }
    case OutputFormat::kText:
      break;
  }
  if (!started_) {
    // Widths are fixed once the buffered rows are printed, so that the rows printed
    // later stay under the header.
    for (size_t i = 0; i < cells.size(); ++i) {
      widths_[i] = std::max(widths_[i], DisplayWidth(TextCell(cells[i], columns_[i].kind)));
    }
    buffered_.push_back(std::move(cells));
    if (buffered_.size() > max_buffered_rows_) FlushBuffered();
    return;
  }
  WriteTextRow(cells);
}

void TableWriter::FlushBuffered() {
  if (started_) return;
  started_ = true;
  std::vector<std::string> names;
  for (const Column& column : columns_) names.push_back(column.name);
  // Through the row path, so that a number column's name is right-aligned over it.
  WriteTextRow(names);
  for (const auto& row : buffered_) WriteTextRow(row);
  buffered_.clear();
}

void TableWriter::WriteTextRow(const std::vector<std::string>& cells) {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    const std::string shown = TextCell(cells[i], columns_[i].kind);
    const size_t width = DisplayWidth(shown);
    const size_t pad = widths_[i] > width ? widths_[i] - width : 0;
    const bool last = i + 1 == cells.size();
    if (i > 0) line += "  ";
    if (RightAligned(columns_[i].kind)) {
      Pad(&line, pad);
      line += shown;
    } else {
      line += shown;
      if (!last) Pad(&line, pad);
    }
  }
  // A blank last cell would leave the previous padding behind.
  while (!line.empty() && line.back() == ' ') line.pop_back();
  line.push_back('\n');
  *out_ << line;
}

void TableWriter::Finish() {
  if (finished_) return;
  finished_ = true;
  switch (format_) {
    case OutputFormat::kCsv:
      if (!started_ && print_empty_header_) {
        std::vector<std::string> names;
        for (const Column& column : columns_) names.push_back(column.name);
        *out_ << CsvRow(names);
      }
      break;
    case OutputFormat::kJson:
      *out_ << (started_ ? "\n]\n" : "[]\n");
      break;
    case OutputFormat::kText:
      if (rows_ > 0 || print_empty_header_) FlushBuffered();
      break;
  }
  out_->flush();
}

void Table::AddRow(std::vector<std::string> cells) {
  if (cells.size() != columns_.size()) std::abort();
  rows_.push_back(std::move(cells));
}

std::string Table::Render(OutputFormat format) const {
  std::ostringstream out;
  TableWriter writer(columns_, format, &out, rows_.size());
  writer.set_print_empty_header(true);
  for (const auto& row : rows_) writer.AddRow(row);
  writer.Finish();
  return out.str();
}

void Record::Add(std::string name, std::string value, ColumnKind kind) {
  fields_.push_back({std::move(name), std::move(value), kind, false});
}

void Record::AddJson(std::string name, std::string json) {
  fields_.push_back({std::move(name), std::move(json), ColumnKind::kText, true});
}

std::string Record::Render(OutputFormat format) const {
  std::string out;
  switch (format) {
    case OutputFormat::kJson: {
      out = "{";
      bool first = true;
      for (const Field& field : fields_) {
        if (!first) out.push_back(',');
        first = false;
        absl::StrAppend(&out, JsonQuote(field.name), ":",
                        field.raw_json ? field.value : JsonValue(field.value, field.kind));
      }
      out += "}\n";
      return out;
    }
    case OutputFormat::kCsv: {
      std::vector<std::string> names;
      std::vector<std::string> values;
      for (const Field& field : fields_) {
        if (field.raw_json) continue;
        names.push_back(field.name);
        values.push_back(field.value);
      }
      return CsvRow(names) + CsvRow(values);
    }
    case OutputFormat::kText:
      break;
  }
  size_t name_width = 0;
  for (const Field& field : fields_) {
    if (!field.raw_json) name_width = std::max(name_width, DisplayWidth(field.name));
  }
  for (const Field& field : fields_) {
    if (field.raw_json) continue;
    std::string line = field.name;
    const std::string shown = TextCell(field.value, field.kind);
    if (!shown.empty()) {
      Pad(&line, name_width - DisplayWidth(field.name) + 2);
      line += shown;
    }
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

}  // namespace sixhearts::ledgerctl
