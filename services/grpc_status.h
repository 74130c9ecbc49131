// The one place an absl::Status becomes a grpc::Status (STYLE.md rule 2). The codes are
// numerically the same; the message is passed through, cut to kMaxStatusMessageBytes.
#ifndef SIXHEARTS_SERVICES_GRPC_STATUS_H_
#define SIXHEARTS_SERVICES_GRPC_STATUS_H_

#include <cstddef>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace sixhearts::services {

// The longest status message sent. Messages quote at most ledger::kMaxQuotedInputBytes of
// any input (ledger/quoted.h); this cap is the backstop for one that does not, since a
// message travels in the response metadata (8 KiB by default on the client) and one too
// long reaches the caller as RESOURCE_EXHAUSTED instead of its own status.
inline constexpr size_t kMaxStatusMessageBytes = 1024;

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace sixhearts::services

#endif  // SIXHEARTS_SERVICES_GRPC_STATUS_H_
