// Compliance RPCs: validate the request (messages name the field), read the projections at
// one cut, build and render the report, and stream it in chunks with a SHA-256 trailer.
#include "services/compliance/compliance_service.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "ledger/dates.h"
#include "ledger/proofs.h"
#include "openssl/sha.h"
#include "services/compliance/compliance_state.h"
#include "services/compliance/compliance_view.h"
#include "services/compliance/render.h"
#include "services/compliance/report_proofs.h"
#include "services/grpc_status.h"
#include "services/projection/projection_rpc.h"
#include "services/projection/view_store.h"
#include "services/receivables/receivables_fold.h"
#include "services/relationships/relationships_fold.h"
#include "services/request_fields.h"

namespace sixhearts::services::compliance {
namespace {

namespace v1 = ::sixhearts::ledger::v1;

// How long a read waits for a live projection to reach the cut before replaying instead.
constexpr absl::Duration kCatchUpWait = absl::Seconds(2);

grpc::Status NotReady() {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      "the compliance projections are still loading; retry shortly");
}

std::string Hex(std::string_view bytes) {
  return absl::BytesToHexString(absl::string_view(bytes.data(), bytes.size()));
}

// Reads the three states at `as_of` (one log prefix, replayed in one scan of the log when
// a past cut needs it) and hands them to `use`. When the report lists clients and the
// compliance view has reached the cut, only their compliance rows are read (one range of
// rows in force per client, compliance_view.h), at the position the others are read at.
template <typename Use>
absl::Status ReadStates(const ComplianceSources& s, const projection::AsOf& as_of,
                        const std::vector<std::string>& client_ids,
                        const projection::ProgressFn& progress, Use use) {
  if (!client_ids.empty()) {
    ComplianceState listed;
    uint64_t listed_position = 0;
    absl::StatusOr<bool> from_view =
        s.compliance->ReadViewCut(as_of, [&](const projection::ViewCut& cut, uint64_t position) {
          listed_position = position;
          for (const std::string& client_id : client_ids) {
            if (absl::Status st = AddClientFromCut(cut, as_of.business_day, client_id, listed);
                !st.ok()) {
              return st;
            }
          }
          return absl::OkStatus();
        });
    if (!from_view.ok()) return from_view.status();
    if (*from_view) {
      return projection::ProjectionEngine::ReadTogether(
          {s.receivables, s.relationships}, as_of,
          [&](const std::vector<const projection::Fold*>& folds, uint64_t position) {
            if (position != listed_position) {
              return absl::InternalError(absl::StrCat("compliance rows read at ", listed_position,
                                                      ", the others at ", position));
            }
            return use(static_cast<const receivables::ReceivablesFold&>(*folds[0]).state(), listed,
                       static_cast<const relationships::RelationshipsFold&>(*folds[1]).state(),
                       position);
          },
          progress);
    }
  }
  return projection::ProjectionEngine::ReadTogether(
      {s.receivables, s.compliance, s.relationships}, as_of,
      [&](const std::vector<const projection::Fold*>& folds, uint64_t position) {
        // The engines were started with these factories (ComplianceSources).
        return use(static_cast<const receivables::ReceivablesFold&>(*folds[0]).state(),
                   static_cast<const ComplianceFold&>(*folds[1]).state(),
                   static_cast<const relationships::RelationshipsFold&>(*folds[2]).state(),
                   position);
      },
      progress);
}

absl::StatusOr<uint64_t> CutPosition(const ComplianceSources& s, absl::Time known_at) {
  absl::StatusOr<uint64_t> position = s.store->PositionKnownAt(known_at);
  if (!position.ok()) return position.status();
  // A live projection at the cut serves without a replay.
  for (projection::ProjectionEngine* e : {s.receivables, s.compliance, s.relationships}) {
    e->WaitFor(*position, kCatchUpWait);
  }
  return *position;
}

absl::StatusOr<ReportFormat> FormatOf(v1::ComplianceReportFormat format) {
  switch (format) {
    case v1::COMPLIANCE_REPORT_FORMAT_JSON:
      return ReportFormat::kJson;
    case v1::COMPLIANCE_REPORT_FORMAT_CSV:
      return ReportFormat::kCsv;
    case v1::COMPLIANCE_REPORT_FORMAT_HTML:
      return ReportFormat::kHtml;
    default:
      return absl::InvalidArgumentError("format: required (JSON, CSV or HTML)");
  }
}

std::string ContentType(ReportFormat format) {
  switch (format) {
    case ReportFormat::kJson:
      return "application/json";
    case ReportFormat::kCsv:
      return "text/csv; charset=utf-8";
    case ReportFormat::kHtml:
      return "text/html; charset=utf-8";
  }
  return "application/octet-stream";
}

absl::StatusOr<uint32_t> ChunkBytes(uint32_t requested) {
  if (requested == 0) return kDefaultChunkBytes;
  if (requested > kMaxChunkBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("chunk_bytes: at most ", kMaxChunkBytes, ", got ", requested));
  }
  return requested;
}

absl::StatusOr<absl::Time> KnownAtOrNow(bool present, const google::protobuf::Timestamp& t,
                                        ledger::Clock* clock) {
  absl::StatusOr<std::optional<absl::Time>> known_at = KnownAt(present, t, clock);
  if (!known_at.ok()) return known_at.status();
  return known_at->value_or(clock->Now());
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t seconds = absl::ToUnixSeconds(t);  // floor
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>((t - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
  return ts;
}

// Streams header, content chunks and trailer.
template <typename Response>
grpc::Status Stream(grpc::ServerWriter<Response>* writer, absl::CivilDay as_of, absl::Time known_at,
                    const LogDigest& digest, v1::ComplianceReportFormat format,
                    ReportFormat rendered_format, const std::string& content, uint32_t chunk) {
  Response header;
  v1::ComplianceReportHeader* h = header.mutable_header();
  *h->mutable_as_of() = ledger::FromCivilDay(as_of);
  *h->mutable_known_at() = ToTimestamp(known_at);
  h->set_position(digest.position);
  h->set_head_hash(digest.head_hash_hex);
  h->set_checkpoint(digest.checkpoint);
  h->set_format(format);
  h->set_content_type(ContentType(rendered_format));
  h->set_content_bytes(content.size());
  if (!writer->Write(header)) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
  for (size_t offset = 0; offset < content.size(); offset += chunk) {
    Response part;
    part.set_content(content.substr(offset, chunk));
    if (!writer->Write(part)) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
  }
  unsigned char sha[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(content.data()), content.size(), sha);
  Response trailer;
  trailer.mutable_trailer()->set_content_bytes(content.size());
  trailer.mutable_trailer()->set_content_sha256(
      Hex(std::string_view(reinterpret_cast<const char*>(sha), sizeof(sha))));
  writer->Write(trailer);
  return grpc::Status::OK;
}

// Progress messages at most about five a second (the engine already throttles to 200 ms).
template <typename Response>
projection::ProgressFn ProgressWriter(grpc::ServerWriter<Response>* writer) {
  return [writer](uint64_t done, uint64_t target) {
    Response r;
    r.mutable_progress()->set_done_position(done);
    r.mutable_progress()->set_target_position(target);
    writer->Write(r);
  };
}

// Replaces the references to personal text the views keep (client names, dispute
// reasons) by the text as it reads now: opened, or "[erased]" (FORMAT.md "Personal data").
absl::Status OpenText(const ledger::EventStore& store, std::string& text) {
  absl::StatusOr<std::string> opened = store.OpenViewText(text);
  if (!opened.ok()) return opened.status();
  text = *std::move(opened);
  return absl::OkStatus();
}

absl::Status OpenTexts(const ledger::EventStore& store, ComplianceReport& report) {
  for (ClientHealth& client : report.clients) {
    if (absl::Status s = OpenText(store, client.name); !s.ok()) return s;
  }
  for (auto* list : {&report.disputes.open, &report.disputes.resolved}) {
    for (receivables::DisputeLine& line : *list) {
      if (absl::Status s = OpenText(store, line.reason); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

absl::Status OpenTexts(const ledger::EventStore& store, DisclosureReport& report) {
  for (DisclosureRow& row : report.rows) {
    if (absl::Status s = OpenText(store, row.name); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LogDigest> DigestAt(const ledger::EventStore& store, uint64_t position,
                                   const ledger::CheckpointSigner* signer) {
  LogDigest digest;
  digest.position = position;
  digest.head_hash_hex = std::string(64, '0');
  absl::StatusOr<std::string> checkpoint = ledger::CheckpointAt(store, signer, position);
  if (!checkpoint.ok()) return checkpoint.status();
  digest.checkpoint = *std::move(checkpoint);
  if (position == 0) return digest;
  absl::Status s = store.ForEachEvent(position, position, {}, [&](const v1::Event& e) {
    digest.head_hash_hex = Hex(e.hash());
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return digest;
}

absl::StatusOr<ComplianceReport> ReadComplianceReport(const ComplianceSources& sources,
                                                      const ReportRequest& request,
                                                      const StatutoryOptions& options,
                                                      const projection::ProgressFn& progress) {
  if (absl::Status s = ValidateReportRequest(request); !s.ok()) return s;
  absl::StatusOr<uint64_t> position = CutPosition(sources, request.known_at);
  if (!position.ok()) return position.status();
  absl::StatusOr<LogDigest> digest = DigestAt(*sources.store, *position, sources.signer);
  if (!digest.ok()) return digest.status();
  projection::AsOf as_of;
  as_of.business_day = request.as_of;
  as_of.known_at = request.known_at;
  absl::StatusOr<ComplianceReport> report = absl::InternalError("not read");
  absl::Status read =
      ReadStates(sources, as_of, request.client_ids, progress,
                 [&](const receivables::ReceivablesState& rec, const ComplianceState& cmp,
                     const relationships::RelationshipsState& rel, uint64_t read_position) {
                   if (read_position != *position) {
                     return absl::InternalError(absl::StrCat("read position ", read_position,
                                                             " is not the cut ", *position));
                   }
                   report = BuildComplianceReport(rec, cmp, rel, request, *digest, options);
                   if (report.ok() && request.with_proofs) SetInvoiceFigures(rec, *report);
                   return absl::OkStatus();
                 });
  if (!read.ok()) return read;
  if (report.ok()) {
    if (absl::Status s = OpenTexts(*sources.store, *report); !s.ok()) return s;
    if (request.with_proofs) {
      if (absl::Status s = AddProvenEvents(*sources.store, *report); !s.ok()) return s;
    }
  }
  return report;
}

absl::StatusOr<DisclosureReport> ReadDisclosure(const ComplianceSources& sources,
                                                const DisclosureRequest& request,
                                                const StatutoryOptions& options,
                                                const projection::ProgressFn& progress) {
  if (request.year < 2 || request.year > 9999) {
    return absl::InvalidArgumentError(
        absl::StrCat("year: must be in [2, 9999], got ", request.year));
  }
  absl::StatusOr<uint64_t> position = CutPosition(sources, request.known_at);
  if (!position.ok()) return position.status();
  absl::StatusOr<LogDigest> digest = DigestAt(*sources.store, *position, sources.signer);
  if (!digest.ok()) return digest.status();
  projection::AsOf as_of;
  as_of.business_day = absl::CivilDay(request.year, 12, 31);
  as_of.known_at = request.known_at;
  absl::StatusOr<DisclosureReport> report = absl::InternalError("not read");
  absl::Status read =
      ReadStates(sources, as_of, request.client_ids, progress,
                 [&](const receivables::ReceivablesState& rec, const ComplianceState& cmp,
                     const relationships::RelationshipsState&, uint64_t) {
                   report = BuildDisclosure(rec, cmp, request, *digest, options);
                   return absl::OkStatus();
                 });
  if (!read.ok()) return read;
  if (report.ok()) {
    if (absl::Status s = OpenTexts(*sources.store, *report); !s.ok()) return s;
  }
  return report;
}

void ComplianceService::Attach(const ComplianceSources& sources) {
  absl::MutexLock lock(&mu_);
  sources_ = sources.store != nullptr ? sources : ComplianceSources{};
}

ComplianceSources ComplianceService::sources() const {
  absl::MutexLock lock(&mu_);
  return sources_;
}

grpc::Status ComplianceService::Report(grpc::ServerContext*,
                                       const v1::ComplianceReportRequest* request,
                                       grpc::ServerWriter<v1::ComplianceReportResponse>* writer) {
  const ComplianceSources s = sources();
  if (s.store == nullptr) return NotReady();
  absl::StatusOr<ReportFormat> format = FormatOf(request->format());
  if (!format.ok()) return ToGrpcStatus(format.status());
  absl::StatusOr<uint32_t> chunk = ChunkBytes(request->chunk_bytes());
  if (!chunk.ok()) return ToGrpcStatus(chunk.status());
  ReportRequest r;
  absl::StatusOr<absl::CivilDay> day =
      DayOrToday(request->has_as_of(), request->as_of(), "as_of", clock_);
  if (!day.ok()) return ToGrpcStatus(day.status());
  r.as_of = *day;
  absl::StatusOr<absl::Time> known_at =
      KnownAtOrNow(request->has_known_at(), request->known_at(), clock_);
  if (!known_at.ok()) return ToGrpcStatus(known_at.status());
  r.known_at = *known_at;
  if (request->has_period_from() && !ledger::IsUnsetDate(request->period_from())) {
    if (!ledger::IsValidDate(request->period_from())) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("period_from: not a valid date: ",
                                       ledger::FormatDate(request->period_from())));
    }
    r.period_from = ledger::ToCivilDay(request->period_from());
  }
  r.client_ids.assign(request->client_ids().begin(), request->client_ids().end());
  if (request->with_proofs() && *format != ReportFormat::kJson) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "with_proofs: only with format JSON (CSV and HTML have no place for "
                        "the proofs)");
  }
  r.with_proofs = request->with_proofs();
  absl::StatusOr<ComplianceReport> report =
      ReadComplianceReport(s, r, options_, ProgressWriter(writer));
  if (!report.ok()) return ToGrpcStatus(report.status());
  return Stream(writer, report->as_of, report->known_at, report->digest, request->format(), *format,
                RenderComplianceReport(*report, *format), *chunk);
}

grpc::Status ComplianceService::Disclosure(grpc::ServerContext*,
                                           const v1::DisclosureRequest* request,
                                           grpc::ServerWriter<v1::DisclosureResponse>* writer) {
  const ComplianceSources s = sources();
  if (s.store == nullptr) return NotReady();
  absl::StatusOr<ReportFormat> format = FormatOf(request->format());
  if (!format.ok()) return ToGrpcStatus(format.status());
  absl::StatusOr<uint32_t> chunk = ChunkBytes(request->chunk_bytes());
  if (!chunk.ok()) return ToGrpcStatus(chunk.status());
  DisclosureRequest r;
  r.year = request->year();
  absl::StatusOr<absl::Time> known_at =
      KnownAtOrNow(request->has_known_at(), request->known_at(), clock_);
  if (!known_at.ok()) return ToGrpcStatus(known_at.status());
  r.known_at = *known_at;
  r.client_ids.assign(request->client_ids().begin(), request->client_ids().end());
  absl::StatusOr<DisclosureReport> report = ReadDisclosure(s, r, options_, ProgressWriter(writer));
  if (!report.ok()) return ToGrpcStatus(report.status());
  return Stream(writer, report->as_of, report->known_at, report->digest, request->format(), *format,
                RenderDisclosure(*report, *format), *chunk);
}

grpc::Status ComplianceService::ProjectionStatus(grpc::ServerContext* /*context*/,
                                                 const v1::ProjectionStatusRequest* /*request*/,
                                                 v1::ProjectionStatusResponse* response) {
  const ComplianceSources s = sources();
  if (s.store == nullptr) return NotReady();
  projection::FillStatus(*s.compliance, response);
  return grpc::Status::OK;
}

grpc::Status ComplianceService::Rebuild(grpc::ServerContext* /*context*/,
                                        const v1::RebuildRequest* /*request*/,
                                        grpc::ServerWriter<v1::RebuildResponse>* writer) {
  const ComplianceSources s = sources();
  if (s.store == nullptr) return NotReady();
  return projection::StreamRebuild(s.compliance, writer);
}

}  // namespace sixhearts::services::compliance
