// The gRPC Relationships service (proto/sixhearts/ledger/v1/relationships.proto): the
// six-hearts reports read from the relationship projection and, for payment outcomes, the
// receivables projection, both as of the same business day and record time.
#ifndef SIXHEARTS_SERVICES_RELATIONSHIPS_RELATIONSHIPS_SERVICE_H_
#define SIXHEARTS_SERVICES_RELATIONSHIPS_RELATIONSHIPS_SERVICE_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "ledger/clock.h"
#include "services/projection/projection_engine.h"
#include "sixhearts/ledger/v1/relationships.grpc.pb.h"

namespace sixhearts::services::relationships {

// Thread-safe. Returns UNAVAILABLE until both engines are attached (the projections are
// still loading or rebuilding at start-up). The engines must have been started with
// MakeRelationshipsFoldFactory() (relationships_fold.h) and MakeReceivablesFoldFactory()
// (services/receivables/receivables_fold.h) respectively.
class RelationshipsService final : public ledger::v1::Relationships::Service {
 public:
  // `clock` says which day "today" is (UTC) when a request gives no day; the projections
  // themselves never read a clock. Not owned. REQUIRES: `clock` outlives the service.
  explicit RelationshipsService(ledger::Clock* clock) : clock_(clock) {}

  // Attaches the started engines; nullptr for either detaches both (RPCs return
  // UNAVAILABLE again). REQUIRES: the engines outlive the RPCs that see them: detach and
  // drain the server before destroying them.
  void Attach(projection::ProjectionEngine* relationships,
              projection::ProjectionEngine* receivables) ABSL_LOCKS_EXCLUDED(mu_);

  grpc::Status Scorecard(grpc::ServerContext* context, const ledger::v1::ScorecardRequest* request,
                         ledger::v1::ScorecardResponse* response) override;
  grpc::Status Timeline(grpc::ServerContext* context, const ledger::v1::TimelineRequest* request,
                        ledger::v1::TimelineResponse* response) override;
  grpc::Status Plans(grpc::ServerContext* context, const ledger::v1::PlansRequest* request,
                     ledger::v1::PlansResponse* response) override;
  grpc::Status Worklist(grpc::ServerContext* context, const ledger::v1::WorklistRequest* request,
                        ledger::v1::WorklistResponse* response) override;
  grpc::Status Evidence(grpc::ServerContext* context, const ledger::v1::EvidenceRequest* request,
                        ledger::v1::EvidenceResponse* response) override;
  grpc::Status ProjectionStatus(
      grpc::ServerContext* context, const ledger::v1::RelationshipsProjectionStatusRequest* request,
      ledger::v1::RelationshipsProjectionStatusResponse* response) override;
  grpc::Status Rebuild(
      grpc::ServerContext* context, const ledger::v1::RelationshipsRebuildRequest* request,
      grpc::ServerWriter<ledger::v1::RelationshipsRebuildResponse>* writer) override;

 private:
  // Both engines, taken together so that an RPC never sees one attached and not the other.
  struct Engines {
    projection::ProjectionEngine* relationships = nullptr;
    projection::ProjectionEngine* receivables = nullptr;
  };
  Engines engines() const ABSL_LOCKS_EXCLUDED(mu_);

  ledger::Clock* const clock_;
  mutable absl::Mutex mu_;
  Engines engines_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sixhearts::services::relationships

#endif  // SIXHEARTS_SERVICES_RELATIONSHIPS_RELATIONSHIPS_SERVICE_H_
