// The gRPC face every projection shares: its status and its rebuild streamed as progress
// messages. Receivables, relationships and compliance each expose ProjectionStatus and
// Rebuild RPCs whose messages have the same fields; these templates serve all three.
#ifndef SIXHEARTS_SERVICES_PROJECTION_PROJECTION_RPC_H_
#define SIXHEARTS_SERVICES_PROJECTION_PROJECTION_RPC_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>

#include "absl/status/statusor.h"
#include "services/grpc_status.h"
#include "services/projection/projection_engine.h"

namespace sixhearts::services::projection {

// Fills a ProjectionStatus-shaped `response` from `engine`'s status.
template <typename Response>
void FillStatus(const ProjectionEngine& engine, Response* response) {
  const ProjectionStatus status = engine.status();
  response->set_name(status.name);
  response->set_position(status.position);
  response->set_head_position(status.head_position);
  response->set_lag_events(status.lag_events);
  response->set_saved_position(status.saved_position);
  response->set_snapshots(status.snapshots);
}

// Rebuilds `engine` from position zero, writing a progress message to `writer` as the
// replay advances and a last one with `finished` set. A client that went away only misses
// progress; the rebuild goes on. REQUIRES: `engine` is not null.
template <typename Response>
grpc::Status StreamRebuild(ProjectionEngine* engine, grpc::ServerWriter<Response>* writer) {
  absl::StatusOr<uint64_t> position =
      engine->Rebuild([writer](uint64_t done_position, uint64_t target_position) {
        Response progress;
        progress.set_done_position(done_position);
        progress.set_target_position(target_position);
        writer->Write(progress);
      });
  if (!position.ok()) return ToGrpcStatus(position.status());
  Response done;
  done.set_position(*position);
  done.set_done_position(*position);
  done.set_target_position(*position);
  done.set_finished(true);
  writer->Write(done);
  return grpc::Status::OK;
}

}  // namespace sixhearts::services::projection

#endif  // SIXHEARTS_SERVICES_PROJECTION_PROJECTION_RPC_H_
