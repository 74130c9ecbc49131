// The gRPC EventStore service over ledger::EventStore.
#ifndef SIXHEARTS_SERVICES_EVENT_STORE_SERVICE_H_
#define SIXHEARTS_SERVICES_EVENT_STORE_SERVICE_H_

#include <atomic>
#include <functional>
#include <string_view>

#include "ledger/checkpoint.h"
#include "ledger/event_store.h"
#include "services/auth/authenticator.h"
#include "sixhearts/ledger/v1/event_store.grpc.pb.h"

namespace sixhearts::services {

// What the Append handler does with the raw request bytes, apart from gRPC's call:
// parses them (ParseRequest: INVALID_ARGUMENT naming the field of bytes that do not
// parse), appends with `actor` as EventStore::AppendAsync does (unknown fields,
// validation, the writer), serializes the AppendResponse into `*response_bytes` when it
// succeeds, and calls `done` with the call's status: on the writer thread, or at once on
// the calling thread for a request refused before the writer. tests/fuzz/fuzz_append
// drives the handler's path through it. REQUIRES: `*response_bytes` outlives `done`.
void AppendRequestBytes(ledger::EventStore& store, const grpc::ByteBuffer& request_bytes,
                        std::string_view actor, grpc::ByteBuffer* response_bytes,
                        std::function<void(const grpc::Status&)> done);

// Thread-safe. Returns UNAVAILABLE until a store is attached (recovery still running).
// Append uses gRPC's callback API so that no server thread waits for the disk: the
// store's writer completes the call when its group commit is durable. It takes the raw
// request bytes and parses them itself (AppendRequestBytes), so that a request that does
// not parse is answered INVALID_ARGUMENT naming the field; the other methods get the same
// code from the interceptor of services/request_parse.h, naming the type only.
class EventStoreService final
    : public ledger::v1::EventStore::WithRawCallbackMethod_Append<ledger::v1::EventStore::Service> {
 public:
  EventStoreService() = default;

  // Attaches the opened store and the checkpoint signer (nullptr: checkpoints are not
  // signed). REQUIRES: both outlive the service's RPCs.
  void Attach(ledger::EventStore* store, const ledger::CheckpointSigner* signer = nullptr) {
    signer_.store(signer);
    store_.store(store);
  }

  // The gate whose principals are the actors of appended events. REQUIRES: set before the
  // server starts; without one every caller is "anonymous".
  void SetCallGate(std::shared_ptr<const auth::CallGate> gate) { gate_ = std::move(gate); }

  // `request` holds a sixhearts.ledger.v1.AppendRequest; `response` receives an
  // AppendResponse.
  grpc::ServerUnaryReactor* Append(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;
  grpc::Status ReadLog(grpc::ServerContext* context, const ledger::v1::ReadLogRequest* request,
                       grpc::ServerWriter<ledger::v1::ReadResponse>* writer) override;
  grpc::Status ReadStream(grpc::ServerContext* context,
                          const ledger::v1::ReadStreamRequest* request,
                          grpc::ServerWriter<ledger::v1::ReadResponse>* writer) override;
  grpc::Status Subscribe(grpc::ServerContext* context, const ledger::v1::SubscribeRequest* request,
                         grpc::ServerWriter<ledger::v1::SubscribeResponse>* writer) override;
  grpc::Status Digest(grpc::ServerContext* context, const ledger::v1::DigestRequest* request,
                      ledger::v1::DigestResponse* response) override;
  grpc::Status Verify(grpc::ServerContext* context, const ledger::v1::VerifyRequest* request,
                      ledger::v1::VerifyResponse* response) override;
  grpc::Status ExportAudit(grpc::ServerContext* context,
                           const ledger::v1::ExportAuditRequest* request,
                           grpc::ServerWriter<ledger::v1::ExportAuditResponse>* writer) override;
  grpc::Status EraseSubject(grpc::ServerContext* context,
                            const ledger::v1::EraseSubjectRequest* request,
                            ledger::v1::EraseSubjectResponse* response) override;
  grpc::Status GetInclusionProof(grpc::ServerContext* context,
                                 const ledger::v1::GetInclusionProofRequest* request,
                                 ledger::v1::GetInclusionProofResponse* response) override;
  grpc::Status GetConsistencyProof(grpc::ServerContext* context,
                                   const ledger::v1::GetConsistencyProofRequest* request,
                                   ledger::v1::GetConsistencyProofResponse* response) override;

 private:
  // The principal recorded as the actor of events appended through `context`.
  std::string ActorOf(const grpc::ServerContextBase& context) const;
  // The signed checkpoint of `size` with `root`, empty without a signer.
  std::string Checkpoint(uint64_t size, const std::string& root) const;

  std::atomic<const ledger::CheckpointSigner*> signer_{nullptr};

  std::atomic<ledger::EventStore*> store_{nullptr};
  std::shared_ptr<const auth::CallGate> gate_;
};

}  // namespace sixhearts::services

#endif  // SIXHEARTS_SERVICES_EVENT_STORE_SERVICE_H_
