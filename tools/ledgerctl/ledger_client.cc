// gRPC calls of ledgerctl and the conversion of their statuses.
#include "tools/ledgerctl/ledger_client.h"

#include <chrono>
#include <utility>

#include "absl/strings/cord.h"
#include "services/grpc_status.h"
#include "tools/ledgerctl/limits.h"

namespace sixhearts::ledgerctl {
namespace {

constexpr char kServerErrorPayload[] = "type.sixhearts.dev/ledgerctl.ServerError";

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return ServerError(services::FromGrpcStatus(status));
}

template <typename Reader>
absl::Status DrainRead(grpc::ClientContext* context, Reader* reader,
                       absl::FunctionRef<absl::Status(v1::Event&)> on_event) {
  v1::ReadResponse page;
  absl::Status local = absl::OkStatus();
  while (local.ok() && reader->Read(&page)) {
    for (v1::Event& event : *page.mutable_events()) {
      local = on_event(event);
      if (!local.ok()) break;
    }
  }
  if (!local.ok()) {
    context->TryCancel();
    (void)reader->Finish();
    return local;
  }
  return FromGrpc(reader->Finish());
}

// One unary call of `stub`: `method` is the stub's member function.
template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> Unary(Stub* stub,
                               grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                            Response*),
                               const Request& request, grpc::ClientContext* context) {
  Response response;
  if (absl::Status s = FromGrpc((stub->*method)(context, request, &response)); !s.ok()) return s;
  return response;
}

}  // namespace

bool IsServerError(const absl::Status& status) {
  return status.GetPayload(kServerErrorPayload).has_value();
}

absl::Status ServerError(absl::Status status) {
  if (!status.ok()) status.SetPayload(kServerErrorPayload, absl::Cord("1"));
  return status;
}

LedgerClient::LedgerClient(const std::string& server, absl::Duration unary_timeout)
    : unary_timeout_(unary_timeout) {
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(kMaxMessageBytes);
  arguments.SetMaxSendMessageSize(kMaxMessageBytes);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(server, grpc::InsecureChannelCredentials(), arguments);
  stub_ = v1::EventStore::NewStub(channel);
  receivables_stub_ = v1::Receivables::NewStub(channel);
  relationships_stub_ = v1::Relationships::NewStub(channel);
  admin_stub_ = v1::Admin::NewStub(channel);
}

void LedgerClient::SetDeadline(grpc::ClientContext* context) const {
  context->set_deadline(std::chrono::system_clock::now() +
                        absl::ToChronoMilliseconds(unary_timeout_));
}

absl::StatusOr<v1::AppendResponse> LedgerClient::Append(const v1::AppendRequest& request) {
  grpc::ClientContext context;
  SetDeadline(&context);
  v1::AppendResponse response;
  if (absl::Status s = FromGrpc(stub_->Append(&context, request, &response)); !s.ok()) return s;
  return response;
}

absl::StatusOr<v1::DigestResponse> LedgerClient::Digest() {
  grpc::ClientContext context;
  SetDeadline(&context);
  v1::DigestResponse response;
  if (absl::Status s = FromGrpc(stub_->Digest(&context, v1::DigestRequest(), &response)); !s.ok()) {
    return s;
  }
  return response;
}

absl::StatusOr<v1::VerifyResponse> LedgerClient::Verify(const v1::VerifyRequest& request) {
  grpc::ClientContext context;
  v1::VerifyResponse response;
  if (absl::Status s = FromGrpc(stub_->Verify(&context, request, &response)); !s.ok()) return s;
  return response;
}

absl::Status LedgerClient::ReadLog(const v1::ReadLogRequest& request,
                                   absl::FunctionRef<absl::Status(v1::Event&)> on_event) {
  grpc::ClientContext context;
  auto reader = stub_->ReadLog(&context, request);
  return DrainRead(&context, reader.get(), on_event);
}

absl::Status LedgerClient::ReadStream(const v1::ReadStreamRequest& request,
                                      absl::FunctionRef<absl::Status(v1::Event&)> on_event) {
  grpc::ClientContext context;
  auto reader = stub_->ReadStream(&context, request);
  return DrainRead(&context, reader.get(), on_event);
}

std::unique_ptr<LedgerClient::Subscription> LedgerClient::Subscribe(
    const v1::SubscribeRequest& request) {
  auto subscription = std::make_unique<Subscription>();
  subscription->reader_ = stub_->Subscribe(&subscription->context_, request);
  return subscription;
}

absl::StatusOr<v1::AgingResponse> LedgerClient::Aging(const v1::AgingRequest& request) {
  grpc::ClientContext context;
  return Unary(receivables_stub_.get(), &v1::Receivables::Stub::Aging, request, &context);
}

absl::StatusOr<v1::DsoResponse> LedgerClient::Dso(const v1::DsoRequest& request) {
  grpc::ClientContext context;
  return Unary(receivables_stub_.get(), &v1::Receivables::Stub::Dso, request, &context);
}

absl::StatusOr<v1::PromisesResponse> LedgerClient::Promises(const v1::PromisesRequest& request) {
  grpc::ClientContext context;
  return Unary(receivables_stub_.get(), &v1::Receivables::Stub::Promises, request, &context);
}

absl::StatusOr<v1::DisputesResponse> LedgerClient::Disputes(const v1::DisputesRequest& request) {
  grpc::ClientContext context;
  return Unary(receivables_stub_.get(), &v1::Receivables::Stub::Disputes, request, &context);
}

absl::StatusOr<v1::ProjectionStatusResponse> LedgerClient::ProjectionStatus() {
  grpc::ClientContext context;
  SetDeadline(&context);
  return Unary(receivables_stub_.get(), &v1::Receivables::Stub::ProjectionStatus,
               v1::ProjectionStatusRequest(), &context);
}

absl::StatusOr<v1::RebuildResponse> LedgerClient::Rebuild(
    const std::function<void(const v1::RebuildResponse&)>& progress) {
  grpc::ClientContext context;
  auto reader = receivables_stub_->Rebuild(&context, v1::RebuildRequest());
  v1::RebuildResponse message;
  v1::RebuildResponse last;
  while (reader->Read(&message)) {
    progress(message);
    last = message;
  }
  absl::Status status = FromGrpc(reader->Finish());
  if (!status.ok()) return status;
  if (!last.finished()) return absl::UnavailableError("the rebuild ended without finishing");
  return last;
}

absl::StatusOr<v1::ScorecardResponse> LedgerClient::Scorecard(const v1::ScorecardRequest& request) {
  grpc::ClientContext context;
  return Unary(relationships_stub_.get(), &v1::Relationships::Stub::Scorecard, request, &context);
}

absl::StatusOr<v1::TimelineResponse> LedgerClient::Timeline(const v1::TimelineRequest& request) {
  grpc::ClientContext context;
  return Unary(relationships_stub_.get(), &v1::Relationships::Stub::Timeline, request, &context);
}

absl::StatusOr<v1::PlansResponse> LedgerClient::Plans(const v1::PlansRequest& request) {
  grpc::ClientContext context;
  return Unary(relationships_stub_.get(), &v1::Relationships::Stub::Plans, request, &context);
}

absl::StatusOr<v1::WorklistResponse> LedgerClient::Worklist(const v1::WorklistRequest& request) {
  grpc::ClientContext context;
  return Unary(relationships_stub_.get(), &v1::Relationships::Stub::Worklist, request, &context);
}

absl::StatusOr<v1::EvidenceResponse> LedgerClient::Evidence(const v1::EvidenceRequest& request) {
  grpc::ClientContext context;
  return Unary(relationships_stub_.get(), &v1::Relationships::Stub::Evidence, request, &context);
}

absl::StatusOr<v1::RelationshipsProjectionStatusResponse>
LedgerClient::RelationshipsProjectionStatus() {
  grpc::ClientContext context;
  SetDeadline(&context);
  return Unary(relationships_stub_.get(), &v1::Relationships::Stub::ProjectionStatus,
               v1::RelationshipsProjectionStatusRequest(), &context);
}

absl::StatusOr<v1::RelationshipsRebuildResponse> LedgerClient::RelationshipsRebuild(
    const std::function<void(const v1::RelationshipsRebuildResponse&)>& progress) {
  grpc::ClientContext context;
  auto reader = relationships_stub_->Rebuild(&context, v1::RelationshipsRebuildRequest());
  v1::RelationshipsRebuildResponse message;
  v1::RelationshipsRebuildResponse last;
  while (reader->Read(&message)) {
    progress(message);
    last = message;
  }
  absl::Status status = FromGrpc(reader->Finish());
  if (!status.ok()) return status;
  if (!last.finished()) return absl::UnavailableError("the rebuild ended without finishing");
  return last;
}

absl::Status LedgerClient::Subscription::Finish() { return FromGrpc(reader_->Finish()); }

absl::StatusOr<v1::CreateBackupResponse> LedgerClient::CreateBackup(
    const v1::CreateBackupRequest& request) {
  grpc::ClientContext context;
  return Unary(admin_stub_.get(), &v1::Admin::Stub::CreateBackup, request, &context);
}

absl::StatusOr<v1::ListBackupsResponse> LedgerClient::ListBackups() {
  grpc::ClientContext context;
  return Unary(admin_stub_.get(), &v1::Admin::Stub::ListBackups, v1::ListBackupsRequest(),
               &context);
}

absl::StatusOr<v1::VerifyBackupResponse> LedgerClient::VerifyBackup(
    const v1::VerifyBackupRequest& request) {
  grpc::ClientContext context;
  return Unary(admin_stub_.get(), &v1::Admin::Stub::VerifyBackup, request, &context);
}

}  // namespace sixhearts::ledgerctl
