// gRPC calls of ledgerctl and the conversion of their statuses.
#include "tools/ledgerctl/ledger_client.h"

#include <chrono>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/support/client_interceptor.h"
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

// One Rebuild call of `stub`: every progress message to `progress`, the last one, which
// must say the rebuild finished, returned.
template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> DrainRebuild(Stub* stub, const Request& request,
                                      const std::function<void(const Response&)>& progress) {
  grpc::ClientContext context;
  auto reader = stub->Rebuild(&context, request);
  Response message;
  Response last;
  while (reader->Read(&message)) {
    progress(message);
    last = message;
  }
  absl::Status status = FromGrpc(reader->Finish());
  if (!status.ok()) return status;
  if (!last.finished()) return absl::UnavailableError("the rebuild ended without finishing");
  return last;
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path, std::string_view flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(std::string(flag), ": cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Adds the bearer token to every call's initial metadata.
class BearerToken final : public grpc::experimental::Interceptor {
 public:
  explicit BearerToken(const std::string& header) : header_(header) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->insert({"authorization", header_});
    }
    methods->Proceed();
  }

 private:
  const std::string& header_;
};

class BearerTokenFactory final : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit BearerTokenFactory(std::string_view token)
      : header_(absl::StrCat("Bearer ", std::string(token))) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new BearerToken(header_);
  }

 private:
  const std::string header_;
};

}  // namespace

bool IsServerError(const absl::Status& status) {
  return status.GetPayload(kServerErrorPayload).has_value();
}

absl::Status ServerError(absl::Status status) {
  if (!status.ok()) status.SetPayload(kServerErrorPayload, absl::Cord("1"));
  return status;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenChannel(const Connection& connection) {
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(kMaxMessageBytes);
  arguments.SetMaxSendMessageSize(kMaxMessageBytes);
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (connection.tls_ca_file.empty()) {
    if (!connection.tls_cert_file.empty() || !connection.tls_key_file.empty()) {
      return absl::InvalidArgumentError("--tls-cert and --tls-key need --tls-ca");
    }
  } else {
    if (connection.tls_cert_file.empty() != connection.tls_key_file.empty()) {
      return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
    }
    grpc::SslCredentialsOptions tls;
    auto ca = ReadWholeFile(connection.tls_ca_file, "--tls-ca");
    if (!ca.ok()) return ca.status();
    tls.pem_root_certs = *ca;
    if (!connection.tls_cert_file.empty()) {
      auto cert = ReadWholeFile(connection.tls_cert_file, "--tls-cert");
      if (!cert.ok()) return cert.status();
      auto key = ReadWholeFile(connection.tls_key_file, "--tls-key");
      if (!key.ok()) return key.status();
      tls.pem_cert_chain = *cert;
      tls.pem_private_key = *key;
    }
    credentials = grpc::SslCredentials(tls);
    if (!connection.tls_server_name.empty()) {
      arguments.SetSslTargetNameOverride(connection.tls_server_name);
    }
  }
  if (connection.token.empty()) {
    return grpc::CreateCustomChannel(connection.server, credentials, arguments);
  }
  // An interceptor rather than call credentials: gRPC sends call credentials only over
  // TLS, and a server without TLS still takes tokens on loopback.
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<BearerTokenFactory>(connection.token));
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      connection.server, credentials, arguments, std::move(interceptors));
}

std::string ConnectionHint(const absl::Status& status, const Connection& connection) {
  if (!absl::IsUnavailable(status) || !absl::StrContains(status.message(), "Socket closed")) {
    return "";
  }
  if (connection.tls_ca_file.empty()) {
    return "the server may need TLS: give --tls-ca with the CA of its certificate (and "
           "--tls-cert/--tls-key if it requires client certificates)";
  }
  if (connection.tls_cert_file.empty()) {
    return "the server may require a client certificate: give --tls-cert and --tls-key";
  }
  return "";
}

namespace {
Connection PlainConnection(const std::string& server) {
  Connection connection;
  connection.server = server;
  return connection;
}
}  // namespace

// Without TLS files or a token OpenChannel cannot fail.
LedgerClient::LedgerClient(const std::string& server, absl::Duration unary_timeout)
    : LedgerClient(*OpenChannel(PlainConnection(server)), unary_timeout) {}

LedgerClient::LedgerClient(std::shared_ptr<grpc::Channel> channel, absl::Duration unary_timeout)
    : unary_timeout_(unary_timeout) {
  stub_ = v1::EventStore::NewStub(channel);
  receivables_stub_ = v1::Receivables::NewStub(channel);
  relationships_stub_ = v1::Relationships::NewStub(channel);
  compliance_stub_ = v1::Compliance::NewStub(channel);
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

absl::StatusOr<v1::GetInclusionProofResponse> LedgerClient::GetInclusionProof(
    const v1::GetInclusionProofRequest& request) {
  grpc::ClientContext context;
  SetDeadline(&context);
  v1::GetInclusionProofResponse response;
  if (absl::Status s = FromGrpc(stub_->GetInclusionProof(&context, request, &response)); !s.ok()) {
    return s;
  }
  return response;
}

absl::StatusOr<v1::GetConsistencyProofResponse> LedgerClient::GetConsistencyProof(
    const v1::GetConsistencyProofRequest& request) {
  grpc::ClientContext context;
  SetDeadline(&context);
  v1::GetConsistencyProofResponse response;
  if (absl::Status s = FromGrpc(stub_->GetConsistencyProof(&context, request, &response));
      !s.ok()) {
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

absl::StatusOr<v1::EraseSubjectResponse> LedgerClient::EraseSubject(
    const v1::EraseSubjectRequest& request) {
  grpc::ClientContext context;
  SetDeadline(&context);
  v1::EraseSubjectResponse response;
  if (absl::Status s = FromGrpc(stub_->EraseSubject(&context, request, &response)); !s.ok()) {
    return s;
  }
  return response;
}

absl::Status LedgerClient::ExportAudit(
    const v1::ExportAuditRequest& request,
    absl::FunctionRef<absl::Status(v1::ExportAuditResponse&)> on_page) {
  grpc::ClientContext context;
  auto reader = stub_->ExportAudit(&context, request);
  v1::ExportAuditResponse page;
  while (reader->Read(&page)) {
    if (absl::Status local = on_page(page); !local.ok()) {
      context.TryCancel();
      (void)reader->Finish();
      return local;
    }
  }
  return FromGrpc(reader->Finish());
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
  return DrainRebuild(receivables_stub_.get(), v1::RebuildRequest(), progress);
}

absl::StatusOr<v1::ProjectionStatusResponse> LedgerClient::ComplianceProjectionStatus() {
  grpc::ClientContext context;
  SetDeadline(&context);
  return Unary(compliance_stub_.get(), &v1::Compliance::Stub::ProjectionStatus,
               v1::ProjectionStatusRequest(), &context);
}

absl::StatusOr<v1::RebuildResponse> LedgerClient::ComplianceRebuild(
    const std::function<void(const v1::RebuildResponse&)>& progress) {
  return DrainRebuild(compliance_stub_.get(), v1::RebuildRequest(), progress);
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
  return DrainRebuild(relationships_stub_.get(), v1::RelationshipsRebuildRequest(), progress);
}

namespace {

template <typename Reader, typename Response>
absl::Status ReadAll(grpc::ClientContext& context, Reader& reader,
                     const std::function<absl::Status(const Response&)>& on_response) {
  Response message;
  absl::Status stopped;
  while (reader->Read(&message)) {
    stopped = on_response(message);
    if (!stopped.ok()) {
      context.TryCancel();
      break;
    }
  }
  absl::Status status = FromGrpc(reader->Finish());
  return stopped.ok() ? status : stopped;
}

}  // namespace

absl::Status LedgerClient::ComplianceReport(
    const v1::ComplianceReportRequest& request,
    const std::function<absl::Status(const v1::ComplianceReportResponse&)>& on_response) {
  grpc::ClientContext context;
  auto reader = compliance_stub_->Report(&context, request);
  return ReadAll(context, reader, on_response);
}

absl::Status LedgerClient::Disclosure(
    const v1::DisclosureRequest& request,
    const std::function<absl::Status(const v1::DisclosureResponse&)>& on_response) {
  grpc::ClientContext context;
  auto reader = compliance_stub_->Disclosure(&context, request);
  return ReadAll(context, reader, on_response);
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
