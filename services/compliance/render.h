// The compliance report and the disclosure as JSON, CSV and a self-contained HTML page
// (inline CSS with print rules, inline SVG charts, no script, no external resource).
// Rendering is a pure function of the report: the same report gives the same bytes.
//
// JSON: one object; money as integer `*_minor` fields with the currency beside them;
// dates "YYYY-MM-DD"; record times RFC 3339 UTC; ratios as decimals with fixed digits.
// CSV (RFC 4180): one table per section, each starting with a header row whose first cell
// is the section name (e.g. "invoices"), sections separated by one empty line.
#ifndef SIXHEARTS_SERVICES_COMPLIANCE_RENDER_H_
#define SIXHEARTS_SERVICES_COMPLIANCE_RENDER_H_

#include <cstddef>
#include <string>

#include "services/compliance/report.h"

namespace sixhearts::services::compliance {

// Invoice rows the HTML page lists (the largest interest first); JSON and CSV list all.
// A printed page of thousands of rows helps no one; the page says how many it left out.
inline constexpr size_t kMaxHtmlInvoiceRows = 500;

enum class ReportFormat { kJson, kCsv, kHtml };

std::string RenderComplianceReport(const ComplianceReport& report, ReportFormat format);
std::string RenderDisclosure(const DisclosureReport& report, ReportFormat format);

// "1,234.56" for 123456 minor units of a 2-digit currency; unknown codes take 2 digits.
std::string FormatMajor(int64_t amount_minor, const std::string& currency);

}  // namespace sixhearts::services::compliance

#endif  // SIXHEARTS_SERVICES_COMPLIANCE_RENDER_H_
