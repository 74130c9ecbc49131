// The gRPC Compliance service (proto/sixhearts/ledger/v1/compliance.proto) and the one
// function that reads the three projections at a cut and builds a report, which the
// service, the benchmark and tests share.
#ifndef SIXHEARTS_SERVICES_COMPLIANCE_COMPLIANCE_SERVICE_H_
#define SIXHEARTS_SERVICES_COMPLIANCE_COMPLIANCE_SERVICE_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ledger/checkpoint.h"
#include "ledger/clock.h"
#include "ledger/event_store.h"
#include "services/compliance/report.h"
#include "services/compliance/rules.h"
#include "services/projection/projection_engine.h"
#include "sixhearts/ledger/v1/compliance.grpc.pb.h"

namespace sixhearts::services::compliance {

// Default and largest content chunk of a streamed report.
inline constexpr uint32_t kDefaultChunkBytes = 64 * 1024;
inline constexpr uint32_t kMaxChunkBytes = 1024 * 1024;

// The projections a report reads, over `store`: receivables (MakeReceivablesRows or
// MakeReceivablesFoldFactory), compliance (MakeComplianceRows, as ledgerd keeps it, or
// MakeComplianceFoldFactory) and relationships (MakeRelationshipsFoldFactory, or its rows).
// A report that lists clients reads only their compliance rows when compliance is a stored
// view that has reached the cut.
struct ComplianceSources {
  ledger::EventStore* store = nullptr;
  projection::ProjectionEngine* receivables = nullptr;
  projection::ProjectionEngine* compliance = nullptr;
  projection::ProjectionEngine* relationships = nullptr;
  // Signs the checkpoint a report names; nullptr: reports name none.
  const ledger::CheckpointSigner* signer = nullptr;
};

// The digest of the log at `position`: its chain hash in hex (zeros for 0) and the
// checkpoint of the tree of `position` events signed by `signer` (none when nullptr).
absl::StatusOr<LogDigest> DigestAt(const ledger::EventStore& store, uint64_t position,
                                   const ledger::CheckpointSigner* signer = nullptr);

// Reads the three projections as of (request.as_of, request.known_at) — one log prefix,
// so the digest names exactly the events used — and builds the report. `progress` (may
// be null) sees each replay's progress.
absl::StatusOr<ComplianceReport> ReadComplianceReport(const ComplianceSources& sources,
                                                      const ReportRequest& request,
                                                      const StatutoryOptions& options,
                                                      const projection::ProgressFn& progress);
absl::StatusOr<DisclosureReport> ReadDisclosure(const ComplianceSources& sources,
                                                const DisclosureRequest& request,
                                                const StatutoryOptions& options,
                                                const projection::ProgressFn& progress);

// Thread-safe. UNAVAILABLE until attached.
class ComplianceService final : public ledger::v1::Compliance::Service {
 public:
  // `clock` says which day "today" and which instant "now" are when a request omits
  // them. Not owned. REQUIRES: `clock` outlives the service.
  ComplianceService(ledger::Clock* clock, StatutoryOptions options)
      : clock_(clock), options_(std::move(options)) {}

  // Attaches the sources (all set) or detaches (store nullptr). REQUIRES: they outlive
  // the RPCs that see them: detach and drain the server before destroying them.
  void Attach(const ComplianceSources& sources) ABSL_LOCKS_EXCLUDED(mu_);

  grpc::Status Report(grpc::ServerContext* context,
                      const ledger::v1::ComplianceReportRequest* request,
                      grpc::ServerWriter<ledger::v1::ComplianceReportResponse>* writer) override;
  grpc::Status Disclosure(grpc::ServerContext* context,
                          const ledger::v1::DisclosureRequest* request,
                          grpc::ServerWriter<ledger::v1::DisclosureResponse>* writer) override;
  grpc::Status ProjectionStatus(grpc::ServerContext* context,
                                const ledger::v1::ProjectionStatusRequest* request,
                                ledger::v1::ProjectionStatusResponse* response) override;
  grpc::Status Rebuild(grpc::ServerContext* context, const ledger::v1::RebuildRequest* request,
                       grpc::ServerWriter<ledger::v1::RebuildResponse>* writer) override;

 private:
  ComplianceSources sources() const ABSL_LOCKS_EXCLUDED(mu_);

  ledger::Clock* const clock_;
  const StatutoryOptions options_;
  mutable absl::Mutex mu_;
  ComplianceSources sources_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sixhearts::services::compliance

#endif  // SIXHEARTS_SERVICES_COMPLIANCE_COMPLIANCE_SERVICE_H_
