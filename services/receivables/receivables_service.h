// The gRPC Receivables service (proto/sixhearts/ledger/v1/receivables.proto): reports read
// from the receivables projection through the projection engine, as of a business day and
// optionally as the ledger knew it at a record time.
#ifndef SIXHEARTS_SERVICES_RECEIVABLES_RECEIVABLES_SERVICE_H_
#define SIXHEARTS_SERVICES_RECEIVABLES_RECEIVABLES_SERVICE_H_

#include <atomic>

#include "ledger/clock.h"
#include "services/projection/projection_engine.h"
#include "sixhearts/ledger/v1/receivables.grpc.pb.h"

namespace sixhearts::services::receivables {

// Thread-safe. Returns UNAVAILABLE until an engine is attached (the projection is still
// loading or rebuilding at start-up). The engine must have been started with
// MakeReceivablesFoldFactory() (receivables_fold.h).
class ReceivablesService final : public ledger::v1::Receivables::Service {
 public:
  // `clock` says which day "today" is (UTC) when a request gives no day; the projection
  // itself never reads a clock. Not owned. REQUIRES: `clock` outlives the service.
  explicit ReceivablesService(ledger::Clock* clock) : clock_(clock) {}

  // Attaches the started engine; nullptr detaches it (RPCs return UNAVAILABLE again).
  // REQUIRES: `engine` outlives the RPCs that see it: detach and drain the server before
  // destroying it.
  void Attach(projection::ProjectionEngine* engine) { engine_.store(engine); }

  grpc::Status Aging(grpc::ServerContext* context, const ledger::v1::AgingRequest* request,
                     ledger::v1::AgingResponse* response) override;
  grpc::Status Dso(grpc::ServerContext* context, const ledger::v1::DsoRequest* request,
                   ledger::v1::DsoResponse* response) override;
  grpc::Status Promises(grpc::ServerContext* context, const ledger::v1::PromisesRequest* request,
                        ledger::v1::PromisesResponse* response) override;
  grpc::Status Disputes(grpc::ServerContext* context, const ledger::v1::DisputesRequest* request,
                        ledger::v1::DisputesResponse* response) override;
  grpc::Status ProjectionStatus(grpc::ServerContext* context,
                                const ledger::v1::ProjectionStatusRequest* request,
                                ledger::v1::ProjectionStatusResponse* response) override;
  grpc::Status Rebuild(grpc::ServerContext* context, const ledger::v1::RebuildRequest* request,
                       grpc::ServerWriter<ledger::v1::RebuildResponse>* writer) override;

 private:
  ledger::Clock* const clock_;
  std::atomic<projection::ProjectionEngine*> engine_{nullptr};
};

}  // namespace sixhearts::services::receivables

#endif  // SIXHEARTS_SERVICES_RECEIVABLES_RECEIVABLES_SERVICE_H_
