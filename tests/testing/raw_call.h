// One unary gRPC call with the request's bytes as they are, through the generic stub: for
// tests of what the server does with bytes no generated client would send.
#ifndef SIXHEARTS_TESTS_TESTING_RAW_CALL_H_
#define SIXHEARTS_TESTS_TESTING_RAW_CALL_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

namespace sixhearts::testing {

// Calls `method` (e.g. "/sixhearts.ledger.v1.EventStore/Append") on `channel` with
// `bytes` as the request, and `token` as a bearer token unless empty; waits at most 10 s
// and returns the call's status.
inline grpc::Status CallRaw(const std::shared_ptr<grpc::Channel>& channel,
                            const std::string& method, const std::string& bytes,
                            const std::string& token = "") {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::mutex mu;
  std::condition_variable done_cv;
  bool done = false;
  grpc::Status result;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                 [&](grpc::Status status) {
                   std::lock_guard<std::mutex> lock(mu);
                   result = status;
                   done = true;
                   done_cv.notify_all();
                 });
  std::unique_lock<std::mutex> lock(mu);
  done_cv.wait(lock, [&] { return done; });
  return result;
}

}  // namespace sixhearts::testing

#endif  // SIXHEARTS_TESTS_TESTING_RAW_CALL_H_
