// absl and gRPC share the canonical code numbering (google.rpc.Code).
#include "services/grpc_status.h"

#include <string>

namespace sixhearts::services {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const std::string message(status.message());
  std::string text = message.substr(0, kMaxStatusMessageBytes);
  if (message.size() > kMaxStatusMessageBytes) {
    // Cut before a UTF-8 continuation byte, and say so.
    while (!text.empty() && (static_cast<unsigned char>(message[text.size()]) & 0xc0) == 0x80) {
      text.pop_back();
    }
    text += "... (message cut)";
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), text);
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

}  // namespace sixhearts::services
