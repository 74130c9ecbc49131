// Tests of column mappings: the file and pair syntaxes, presets, overrides and the error
// messages a person sees for a mistyped key or value.
#include "tools/csv_import/column_mapping.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace sixhearts::csv_import {
namespace {

std::string Error(const absl::StatusOr<ColumnMapping>& mapping) {
  EXPECT_FALSE(mapping.ok());
  return mapping.ok() ? "" : std::string(mapping.status().message());
}

constexpr char kFullFile[] = R"(# ERP export of the north region
client_id = Customer No
client_name = "  Customer Name "
invoice_id=Invoice
invoice_date = Invoice Date
due_date = Due Date
amount = Total
currency_column = Cur

settled_date = Paid On
disputed = In Dispute
delivery_date = Delivered
date_format = YYYY-MM-DD
thousands_separator = comma
jurisdiction = cn
client_kind = public_institution
seller_is_sme = yes
)";

TEST(ParseMappingFileTest, ReadsEveryKey) {
  absl::StatusOr<ColumnMapping> m = ParseMappingFile(kFullFile);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->client_id_column, "Customer No");
  EXPECT_EQ(m->client_name_column, "  Customer Name ");  // quotes keep the spaces
  EXPECT_EQ(m->invoice_id_column, "Invoice");
  EXPECT_EQ(m->invoice_date_column, "Invoice Date");
  EXPECT_EQ(m->due_date_column, "Due Date");
  EXPECT_EQ(m->amount_column, "Total");
  EXPECT_EQ(m->currency_column, "Cur");
  EXPECT_EQ(m->currency, "");
  EXPECT_EQ(m->settled_date_column, "Paid On");
  EXPECT_EQ(m->disputed_column, "In Dispute");
  EXPECT_EQ(m->delivery_date_column, "Delivered");
  EXPECT_EQ(m->date_format, DateFormat::kIso);
  EXPECT_EQ(m->thousands_separator, ThousandsSeparator::kComma);
  EXPECT_EQ(m->jurisdiction, v1::JURISDICTION_CN);
  EXPECT_EQ(m->client_kind, v1::CLIENT_KIND_PUBLIC_INSTITUTION);
  EXPECT_TRUE(m->seller_is_sme);
}

TEST(ParseMappingFileTest, FormatParsesBackToTheSameMapping) {
  absl::StatusOr<ColumnMapping> m = ParseMappingFile(kFullFile);
  ASSERT_TRUE(m.ok()) << m.status();
  absl::StatusOr<ColumnMapping> again = ParseMappingFile(FormatMappingFile(*m));
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << FormatMappingFile(*m);
  EXPECT_EQ(FormatMappingFile(*again), FormatMappingFile(*m));
  EXPECT_EQ(again->client_name_column, "  Customer Name ");
}

TEST(ParseMappingFileTest, UnknownKeyIsNamedWithItsLine) {
  const std::string error = Error(ParseMappingFile("preset = ibm\n# typo below\namout = X\n"));
  EXPECT_TRUE(absl::StartsWith(error,
                               "mapping line 3: unknown key \"amout\" (known keys: preset, "
                               "client_id, client_name, invoice_id,"))
      << error;
}

TEST(ParseMappingFileTest, SyntaxAndValueErrors) {
  EXPECT_EQ(Error(ParseMappingFile("preset = ibm\namount InvoiceAmount\n")),
            "mapping line 2: expected `key = value`, got \"amount InvoiceAmount\"");
  EXPECT_EQ(Error(ParseMappingFile("preset = ibm\namount = A\namount = B\n")),
            "mapping line 3: key \"amount\" already set (mapping line 2)");
  EXPECT_EQ(Error(ParseMappingFile("preset = ibm\ndate_format = D/M/YYYY\n")),
            "mapping line 2: unknown date_format \"D/M/YYYY\" (M/D/YYYY, YYYY-MM-DD or YYYY-M-D)");
  EXPECT_EQ(Error(ParseMappingFile("preset = ibm\njurisdiction = UK\n")),
            "mapping line 2: unknown jurisdiction \"UK\" (CN, US, EU or OTHER)");
  EXPECT_EQ(Error(ParseMappingFile("preset = ibm\nclient_kind = ministry\n")),
            "mapping line 2: unknown client_kind \"ministry\" (government_organ, "
            "public_institution, state_owned_enterprise or private)");
  EXPECT_EQ(Error(ParseMappingFile("preset = ibm\ncurrency = Currency\n")),
            "mapping line 2: unknown currency \"Currency\" (an ISO 4217 code in upper case; to "
            "read it from a column use currency_column)");
  EXPECT_EQ(Error(ParseMappingFile("preset = ibm\nthousands_separator = dot\n")),
            "mapping line 2: unknown thousands_separator \"dot\" (none or comma)");
  EXPECT_EQ(Error(ParseMappingFile("preset = acme\n")),
            "mapping line 1: unknown mapping preset \"acme\" (known: ibm)");
  EXPECT_EQ(Error(ParseMappingFile("preset = ibm\ncurrency = EUR\ncurrency_column = C\n")),
            "mapping line 3: currency and currency_column are both set; give one");
}

TEST(ParseMappingFileTest, MissingRequiredSettings) {
  EXPECT_EQ(Error(ParseMappingFile("")), "mapping: client_id is required");
  EXPECT_EQ(Error(ParseMappingFile("preset = ibm\ndue_date =\n")), "mapping: due_date is required");
  EXPECT_EQ(Error(ParseMappingFile("client_id=a\ninvoice_id=b\ninvoice_date=c\ndue_date=d\n"
                                   "amount=e\njurisdiction=US\nclient_kind=private\n")),
            "mapping: give exactly one of currency (a fixed code) and currency_column");
  EXPECT_EQ(Error(ParseMappingFile("client_id=a\ninvoice_id=b\ninvoice_date=c\ndue_date=d\n"
                                   "amount=e\ncurrency=USD\nclient_kind=private\n")),
            "mapping: jurisdiction is required (CN, US, EU or OTHER)");
}

TEST(MappingPresetTest, Ibm) {
  absl::StatusOr<ColumnMapping> m = MappingPreset("ibm");
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(ValidateMapping(*m).ok());
  EXPECT_EQ(m->client_id_column, "customerID");
  EXPECT_EQ(m->client_name_column, "");
  EXPECT_EQ(m->invoice_id_column, "invoiceNumber");
  EXPECT_EQ(m->invoice_date_column, "InvoiceDate");
  EXPECT_EQ(m->due_date_column, "DueDate");
  EXPECT_EQ(m->amount_column, "InvoiceAmount");
  EXPECT_EQ(m->currency, "USD");
  EXPECT_EQ(m->settled_date_column, "SettledDate");
  EXPECT_EQ(m->disputed_column, "Disputed");
  EXPECT_EQ(m->delivery_date_column, "");
  EXPECT_EQ(m->date_format, DateFormat::kMonthDayYear);
  EXPECT_EQ(m->thousands_separator, ThousandsSeparator::kNone);
  EXPECT_EQ(m->jurisdiction, v1::JURISDICTION_US);
  EXPECT_EQ(m->client_kind, v1::CLIENT_KIND_GOVERNMENT_ORGAN);
  EXPECT_FALSE(m->seller_is_sme);
  EXPECT_EQ(MappingPreset("IBM").status().code(), absl::StatusCode::kNotFound);
}

TEST(ParseMappingPairsTest, PresetWithOverridesInAnyOrder) {
  const std::vector<std::string> pairs = {"currency_column=Cur", "settled_date=", "preset=ibm",
                                          "client_kind = state_owned_enterprise"};
  absl::StatusOr<ColumnMapping> m = ParseMappingPairs(pairs);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->currency_column, "Cur");
  EXPECT_EQ(m->currency, "");  // the preset's fixed USD gave way to the column
  EXPECT_EQ(m->settled_date_column, "");
  EXPECT_EQ(m->client_kind, v1::CLIENT_KIND_STATE_OWNED_ENTERPRISE);
  EXPECT_EQ(m->amount_column, "InvoiceAmount");
}

TEST(ParseMappingPairsTest, Errors) {
  EXPECT_TRUE(absl::StartsWith(
      Error(ParseMappingPairs(std::vector<std::string>{"preset=ibm", "amout=X"})),
      "mapping pair \"amout=X\": unknown key \"amout\" (known keys: preset, client_id,"));
  EXPECT_EQ(Error(ParseMappingPairs(std::vector<std::string>{"preset"})),
            "mapping pair \"preset\": expected key=value");
  EXPECT_EQ(Error(ParseMappingPairs(std::vector<std::string>{"=x"})),
            "mapping pair \"=x\": missing key before '='");
}

TEST(ParseMappingTest, PairsOverrideTheFile) {
  absl::StatusOr<ColumnMapping> m =
      ParseMapping("preset = ibm\ncurrency = EUR\n", std::vector<std::string>{"currency=GBP"});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->currency, "GBP");
  EXPECT_EQ(m->amount_column, "InvoiceAmount");
}

}  // namespace
}  // namespace sixhearts::csv_import
