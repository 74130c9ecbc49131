// Tests of the RFC 4180 reader: quoting, line breaks, line numbers, limits and recovery
// after a malformed record.
#include "tools/csv_import/csv_reader.h"

#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tools/csv_import/limits.h"

namespace sixhearts::csv_import {
namespace {

using Fields = std::vector<std::string>;

// Reads every record; malformed ones come back with only line and error.
std::vector<CsvRecord> ReadAll(const std::string& text, int64_t* bytes_read = nullptr) {
  std::istringstream in(text);
  CsvReader reader(&in);
  std::vector<CsvRecord> records;
  CsvRecord record;
  for (;;) {
    absl::StatusOr<bool> more = reader.Next(&record);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    records.push_back(record);
  }
  if (bytes_read != nullptr) *bytes_read = reader.bytes_read();
  return records;
}

TEST(CsvReaderTest, LineFeedAndCrLfGiveTheSameRecords) {
  for (const std::string text : {"a,b\n1,2\n", "a,b\r\n1,2\r\n", "a,b\n1,2"}) {
    const std::vector<CsvRecord> records = ReadAll(text);
    ASSERT_EQ(records.size(), 2u) << text;
    EXPECT_EQ(records[0].fields, (Fields{"a", "b"}));
    EXPECT_EQ(records[0].line, 1);
    EXPECT_EQ(records[1].fields, (Fields{"1", "2"}));
    EXPECT_EQ(records[1].line, 2);
    EXPECT_TRUE(records[1].error.empty());
  }
}

TEST(CsvReaderTest, QuotedFieldsHoldCommasQuotesAndLineBreaks) {
  const std::vector<CsvRecord> records =
      ReadAll("id,note\n1,\"Smith, J.\"\n2,\"say \"\"hi\"\"\"\n3,\"two\nlines\"\n4,\"\"\n5,end\n");
  ASSERT_EQ(records.size(), 6u);
  EXPECT_EQ(records[1].fields, (Fields{"1", "Smith, J."}));
  EXPECT_EQ(records[2].fields, (Fields{"2", "say \"hi\""}));
  EXPECT_EQ(records[3].fields, (Fields{"3", "two\nlines"}));
  EXPECT_EQ(records[3].line, 4);
  // The line break inside the quotes moved everything after it down one line.
  EXPECT_EQ(records[4].fields, (Fields{"4", ""}));
  EXPECT_EQ(records[4].line, 6);
  EXPECT_EQ(records[5].line, 7);
}

TEST(CsvReaderTest, CrLfInsideQuotesIsData) {
  const std::vector<CsvRecord> records = ReadAll("\"a\r\nb\",c\r\nd,e\r\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].fields, (Fields{"a\r\nb", "c"}));
  EXPECT_EQ(records[1].line, 3);
}

TEST(CsvReaderTest, EmptyFieldsAndSpacesAreKept) {
  const std::vector<CsvRecord> records = ReadAll(",,\n a , b \n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].fields, (Fields{"", "", ""}));
  EXPECT_EQ(records[1].fields, (Fields{" a ", " b "}));
}

TEST(CsvReaderTest, BlankLinesAreSkippedButCounted) {
  const std::vector<CsvRecord> records = ReadAll("a\n\n\r\nb\n\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].fields, (Fields{"b"}));
  EXPECT_EQ(records[1].line, 4);
}

TEST(CsvReaderTest, ByteOrderMarkIsDroppedAndCounted) {
  const std::string text = "\xEF\xBB\xBFid,x\n1,2\n";
  int64_t bytes_read = 0;
  const std::vector<CsvRecord> records = ReadAll(text, &bytes_read);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].fields, (Fields{"id", "x"}));
  EXPECT_EQ(bytes_read, static_cast<int64_t>(text.size()));
}

TEST(CsvReaderTest, MalformedRecordsAreReportedAndReadingGoesOn) {
  const std::vector<CsvRecord> records =
      ReadAll("ok,1\nab\"c,d\nok,3\n\"ab\"c,d\nok,5\nx\ry\nok,7\n\"never closed\nok,9\n");
  ASSERT_EQ(records.size(), 9u);
  EXPECT_EQ(records[0].fields, (Fields{"ok", "1"}));
  EXPECT_EQ(records[1].line, 2);
  EXPECT_EQ(records[1].error, "quote inside an unquoted field (quote the whole field)");
  EXPECT_TRUE(records[1].fields.empty());
  EXPECT_EQ(records[2].fields, (Fields{"ok", "3"}));
  EXPECT_EQ(records[2].line, 3);
  EXPECT_EQ(records[3].line, 4);
  EXPECT_EQ(records[3].error, "unexpected character 'c' after a closing quote");
  EXPECT_EQ(records[4].fields, (Fields{"ok", "5"}));
  EXPECT_EQ(records[5].line, 6);
  EXPECT_EQ(records[5].error, "carriage return not followed by line feed");
  EXPECT_EQ(records[6].fields, (Fields{"ok", "7"}));
  // The quote opened on line 8 never closes: line 8 is refused and line 9 read again.
  EXPECT_EQ(records[7].line, 8);
  EXPECT_EQ(records[7].last_line, 8);
  EXPECT_EQ(records[7].error,
            "quoted field opened on line 8 never closed; reading resumes at line 9");
  EXPECT_EQ(records[8].fields, (Fields{"ok", "9"}));
  EXPECT_EQ(records[8].line, 9);
}

// Over the limit inside a quoted field with line breaks, the reader skips to the end of
// the record as the quotes place it, not to the next line break inside them.
TEST(CsvReaderTest, OverlongQuotedRecordIsSkippedToItsEnd) {
  std::string inside;
  for (int i = 0; i < 2'000; ++i) inside += std::string(40, 'q') + "\n";
  const std::vector<CsvRecord> records = ReadAll("a,b\n1,\"" + inside + "\"\n2,ok\n");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[1].line, 2);
  EXPECT_EQ(records[1].last_line, 2'002);
  EXPECT_EQ(records[1].error, "record longer than 65536 bytes");
  EXPECT_EQ(records[2].fields, (Fields{"2", "ok"}));
  EXPECT_EQ(records[2].line, 2'003);
}

// A quote that closes where no field can end, after spanning lines, is read again from
// the line after the one it opened on, so the rows it swallowed are not lost.
TEST(CsvReaderTest, QuoteClosingMidFieldAcrossLinesIsReadAgain) {
  const std::vector<CsvRecord> records = ReadAll("\"open,1\nok,2\nx\"y,3\nok,4\n");
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].error,
            "unexpected character 'y' after a closing quote; reading resumes at line 2");
  EXPECT_EQ(records[1].fields, (Fields{"ok", "2"}));
  EXPECT_EQ(records[2].line, 3);
  EXPECT_EQ(records[2].error, "quote inside an unquoted field (quote the whole field)");
  EXPECT_EQ(records[3].fields, (Fields{"ok", "4"}));
}

TEST(CsvReaderTest, SemicolonAndTabDelimiters) {
  std::istringstream semicolons("a;\"b;c\";d\n");
  CsvReader semicolon_reader(&semicolons, ';');
  CsvRecord record;
  ASSERT_TRUE(*semicolon_reader.Next(&record));
  EXPECT_EQ(record.fields, (Fields{"a", "b;c", "d"}));
  std::istringstream tabs("a\tb,c\t\n");
  CsvReader tab_reader(&tabs, '\t');
  ASSERT_TRUE(*tab_reader.Next(&record));
  EXPECT_EQ(record.fields, (Fields{"a", "b,c", ""}));
}

TEST(CsvReaderTest, TooManyFieldsIsRejectedAndTheNextLineRead) {
  std::string wide(kMaxFieldsPerRecord, ',');  // kMaxFieldsPerRecord + 1 fields
  const std::vector<CsvRecord> ok = ReadAll(std::string(kMaxFieldsPerRecord - 1, ',') + "\n");
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0].fields.size(), kMaxFieldsPerRecord);

  const std::vector<CsvRecord> records = ReadAll(wide + "\nnext\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].error, "more than 256 fields");
  EXPECT_EQ(records[1].fields, (Fields{"next"}));
  EXPECT_EQ(records[1].line, 2);
}

TEST(CsvReaderTest, OverlongRecordIsRejectedAndTheNextLineRead) {
  const std::string longest(kMaxRecordBytes, 'x');
  const std::vector<CsvRecord> fits = ReadAll(longest + "\n");
  ASSERT_EQ(fits.size(), 1u);
  EXPECT_TRUE(fits[0].error.empty());

  const std::vector<CsvRecord> records = ReadAll(longest + "x\nnext\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].error, "record longer than 65536 bytes");
  EXPECT_EQ(records[1].fields, (Fields{"next"}));
  EXPECT_EQ(records[1].line, 2);
}

TEST(CsvReaderTest, CountsEveryByteRead) {
  const std::string text = "a,\"b\"\"\"\r\n\n1,2";
  int64_t bytes_read = 0;
  ReadAll(text, &bytes_read);
  EXPECT_EQ(bytes_read, static_cast<int64_t>(text.size()));
}

TEST(CsvReaderTest, EmptyInputHasNoRecords) {
  EXPECT_TRUE(ReadAll("").empty());
  EXPECT_TRUE(ReadAll("\n\r\n").empty());
}

}  // namespace
}  // namespace sixhearts::csv_import
