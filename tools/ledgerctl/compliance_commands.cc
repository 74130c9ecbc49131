// ledgerctl report compliance|disclosure.
#include "tools/ledgerctl/compliance_commands.h"

#include <fstream>
#include <optional>
#include <ostream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "ledger/dates.h"
#include "openssl/evp.h"
#include "tools/ledgerctl/projection_commands.h"

namespace sixhearts::ledgerctl {
namespace {

namespace v1 = ::sixhearts::ledger::v1;

absl::StatusOr<std::optional<absl::CivilDay>> Day(const char* flag, const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::optional<absl::CivilDay> day = ledger::ParseIsoDay(text);
  if (!day) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": \"", text, "\" is not a date (YYYY-MM-DD, e.g. 2026-03-31)"));
  }
  return day;
}

// A bare date means the end of that day (UTC), as for the other reports.
absl::StatusOr<std::optional<google::protobuf::Timestamp>> KnownAt(const std::string& text) {
  if (text.empty()) return std::nullopt;
  absl::Time t;
  if (std::optional<absl::CivilDay> day = ledger::ParseIsoDay(text)) {
    t = ledger::EndOfUtcDay(*day) - absl::Nanoseconds(1);
  } else if (std::string error; !absl::ParseTime(absl::RFC3339_full, text, &t, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--known-at: \"", text,
                     "\" is neither RFC 3339 (2026-01-31T12:00:00Z) nor a date (2026-01-31)"));
  }
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  ts.set_nanos(
      static_cast<int32_t>((t - absl::FromUnixSeconds(ts.seconds())) / absl::Nanoseconds(1)));
  return ts;
}

absl::StatusOr<v1::ComplianceReportFormat> Format(const std::string& text) {
  if (text.empty() || text == "json") return v1::COMPLIANCE_REPORT_FORMAT_JSON;
  if (text == "csv") return v1::COMPLIANCE_REPORT_FORMAT_CSV;
  if (text == "html") return v1::COMPLIANCE_REPORT_FORMAT_HTML;
  return absl::InvalidArgumentError(
      absl::StrCat("--format: \"", text, "\" is not one of json, csv, html"));
}

// Writes the content as it arrives, hashes it, and reports progress and the digest.
class Receiver {
 public:
  Receiver(const CommandContext& context, std::ostream* out)
      : context_(context), out_(out), sha_(EVP_MD_CTX_new()) {
    EVP_DigestInit_ex(sha_, EVP_sha256(), nullptr);
  }
  ~Receiver() { EVP_MD_CTX_free(sha_); }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  template <typename Response>
  absl::Status On(const Response& r) {
    switch (r.part_case()) {
      case Response::kProgress:
        if (r.progress().target_position() > 0) {
          *context_.err << absl::StrFormat("replaying the log: %d of %d positions\n",
                                           r.progress().done_position(),
                                           r.progress().target_position());
        }
        break;
      case Response::kHeader:
        header_ = r.header();
        break;
      case Response::kContent:
        out_->write(r.content().data(), static_cast<std::streamsize>(r.content().size()));
        EVP_DigestUpdate(sha_, r.content().data(), r.content().size());
        bytes_ += r.content().size();
        break;
      case Response::kTrailer:
        trailer_ = r.trailer();
        break;
      default:
        break;
    }
    if (!*out_) return absl::UnavailableError("cannot write the report");
    return absl::OkStatus();
  }

  absl::Status Check() {
    unsigned char sha[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(sha_, sha, &length);
    const std::string hex =
        absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(sha), length));
    if (!trailer_ || trailer_->content_bytes() != bytes_ || trailer_->content_sha256() != hex) {
      return absl::DataLossError("the report arrived incomplete or altered (SHA-256 mismatch)");
    }
    return absl::OkStatus();
  }

  const v1::ComplianceReportHeader& header() const { return header_; }
  const std::string sha256() const { return trailer_ ? trailer_->content_sha256() : ""; }
  uint64_t bytes() const { return bytes_; }

 private:
  const CommandContext& context_;
  std::ostream* out_;
  EVP_MD_CTX* sha_;  // owned
  uint64_t bytes_ = 0;
  v1::ComplianceReportHeader header_;
  std::optional<v1::ComplianceReportTrailer> trailer_;
};

}  // namespace

absl::StatusOr<int> RunComplianceReport(const CommandContext& context,
                                        const ComplianceReportCommandOptions& options) {
  absl::StatusOr<v1::ComplianceReportFormat> format = Format(options.format);
  if (!format.ok()) return format.status();
  absl::StatusOr<std::optional<absl::CivilDay>> as_of = Day("--as-of", options.as_of);
  if (!as_of.ok()) return as_of.status();
  absl::StatusOr<std::optional<absl::CivilDay>> period_from =
      Day("--period-from", options.period_from);
  if (!period_from.ok()) return period_from.status();
  absl::StatusOr<std::optional<google::protobuf::Timestamp>> known_at = KnownAt(options.known_at);
  if (!known_at.ok()) return known_at.status();

  std::ofstream file;
  std::ostream* out = context.out;
  const bool to_file = !options.output.empty() && options.output != "-";
  if (to_file) {
    file.open(options.output, std::ios::binary | std::ios::trunc);
    if (!file)
      return absl::InvalidArgumentError(absl::StrCat("-o: cannot write \"", options.output, "\""));
    out = &file;
  }
  Receiver receiver(context, out);
  absl::Status status;
  if (options.kind == "disclosure") {
    v1::DisclosureRequest request;
    int year = options.year;
    if (year == 0 && as_of->has_value()) year = static_cast<int>((*as_of)->year());
    if (year == 0) return absl::InvalidArgumentError("--year: required (or --as-of in the year)");
    request.set_year(year);
    request.set_format(*format);
    if (known_at->has_value()) *request.mutable_known_at() = **known_at;
    for (const std::string& c : options.clients) request.add_client_ids(c);
    status = context.client->Disclosure(
        request, [&](const v1::DisclosureResponse& r) { return receiver.On(r); });
  } else {
    v1::ComplianceReportRequest request;
    request.set_format(*format);
    if (as_of->has_value()) *request.mutable_as_of() = ledger::FromCivilDay(**as_of);
    if (period_from->has_value())
      *request.mutable_period_from() = ledger::FromCivilDay(**period_from);
    if (known_at->has_value()) *request.mutable_known_at() = **known_at;
    for (const std::string& c : options.clients) request.add_client_ids(c);
    request.set_with_proofs(options.with_proofs);
    status = context.client->ComplianceReport(
        request, [&](const v1::ComplianceReportResponse& r) { return receiver.On(r); });
  }
  if (!status.ok()) return status;
  if (absl::Status s = receiver.Check(); !s.ok()) return ServerError(s);
  out->flush();
  if (to_file) {
    *context.err << absl::StrFormat(
        "wrote %d bytes to %s: %s report as of %s, log position %d, chain hash %s, sha256 %s\n",
        receiver.bytes(), options.output, options.kind.empty() ? "compliance" : options.kind,
        ledger::FormatDate(receiver.header().as_of()), receiver.header().position(),
        receiver.header().head_hash(), receiver.sha256());
  }
  return kExitOk;
}

absl::StatusOr<int> RunComplianceProjections(const CommandContext& context) {
  return PrintProjectionStatus(context, context.client->ComplianceProjectionStatus());
}

absl::StatusOr<int> RunComplianceRebuild(const CommandContext& context) {
  return RebuildWithProgress<v1::RebuildResponse>(context, "compliance", [&](const auto& progress) {
    return context.client->ComplianceRebuild(progress);
  });
}

}  // namespace sixhearts::ledgerctl
