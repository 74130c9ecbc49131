// The one place an absl::Status becomes a grpc::Status (STYLE.md rule 2). The codes are
// numerically the same; the message is passed through unchanged.
#ifndef SIXHEARTS_SERVICES_GRPC_STATUS_H_
#define SIXHEARTS_SERVICES_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace sixhearts::services {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace sixhearts::services

#endif  // SIXHEARTS_SERVICES_GRPC_STATUS_H_
