// The client side of the EventStore, Receivables and Relationships gRPC services as
// ledgerctl uses them: one channel, errors as absl::Status values marked as coming from the server
// (so that the exit code can tell a server error from a usage error), deadlines on the short calls.
#ifndef SIXHEARTS_TOOLS_LEDGERCTL_LEDGER_CLIENT_H_
#define SIXHEARTS_TOOLS_LEDGERCTL_LEDGER_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "sixhearts/ledger/v1/admin.grpc.pb.h"
#include "sixhearts/ledger/v1/compliance.grpc.pb.h"
#include "sixhearts/ledger/v1/event_store.grpc.pb.h"
#include "sixhearts/ledger/v1/receivables.grpc.pb.h"
#include "sixhearts/ledger/v1/relationships.grpc.pb.h"

namespace sixhearts::ledgerctl {

namespace v1 = ::sixhearts::ledger::v1;

// True when `status` came back from the ledger (or from gRPC failing to reach it).
bool IsServerError(const absl::Status& status);

// Marks `status` as a server error (see IsServerError).
absl::Status ServerError(absl::Status status);

// How to reach the ledger and who to be there.
struct Connection {
  // HOST:PORT.
  std::string server = "127.0.0.1:50051";
  // Sent as "authorization: Bearer <token>" on every call; empty: none.
  std::string token;
  // PEM CA bundle the server's certificate must chain to; non-empty turns TLS on.
  std::string tls_ca_file;
  // A client certificate and its key (PEM), for servers that ask for one.
  std::string tls_cert_file;
  std::string tls_key_file;
  // The name the server's certificate must carry, when it is not the host of `server`.
  std::string tls_server_name;
};

// A hint to print after `status` when the connection ended before any answer (gRPC's bare
// "Socket closed"), which is how a TLS server turns away a plaintext client, or a server
// that requires client certificates a client without one: which flags may be missing
// given `connection`. Empty for every other status.
std::string ConnectionHint(const absl::Status& status, const Connection& connection);

// The channel for `connection`. INVALID_ARGUMENT or NOT_FOUND naming a flag whose file
// cannot be read or that needs another (a client key without its certificate, TLS files
// without --tls-ca).
absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenChannel(const Connection& connection);

// Thread-compatible: one command uses it from one thread.
class LedgerClient {
 public:
  // Creates the channel; connects lazily on the first call, so an unreachable server
  // shows up as UNAVAILABLE from that call. `unary_timeout` bounds Append and Digest.
  // No TLS, no token.
  LedgerClient(const std::string& server, absl::Duration unary_timeout);
  // Over a channel from OpenChannel.
  LedgerClient(std::shared_ptr<grpc::Channel> channel, absl::Duration unary_timeout);

  absl::StatusOr<v1::AppendResponse> Append(const v1::AppendRequest& request);
  absl::StatusOr<v1::DigestResponse> Digest();
  absl::StatusOr<v1::VerifyResponse> Verify(const v1::VerifyRequest& request);
  absl::StatusOr<v1::EraseSubjectResponse> EraseSubject(const v1::EraseSubjectRequest& request);
  absl::StatusOr<v1::GetInclusionProofResponse> GetInclusionProof(
      const v1::GetInclusionProofRequest& request);
  absl::StatusOr<v1::GetConsistencyProofResponse> GetConsistencyProof(
      const v1::GetConsistencyProofRequest& request);
  // Streams every page of an audit export to `on_page`. No deadline: the export walks
  // the log from the auditor's last verified head. An error from `on_page` cancels the
  // call and is returned as it is.
  absl::Status ExportAudit(const v1::ExportAuditRequest& request,
                           absl::FunctionRef<absl::Status(v1::ExportAuditResponse&)> on_page);

  // Streams every event of the read to `on_event`, in order. An error from `on_event`
  // cancels the call and is returned as it is (not marked as a server error).
  absl::Status ReadLog(const v1::ReadLogRequest& request,
                       absl::FunctionRef<absl::Status(v1::Event&)> on_event);
  absl::Status ReadStream(const v1::ReadStreamRequest& request,
                          absl::FunctionRef<absl::Status(v1::Event&)> on_event);

  // One Subscribe call. Read() until it returns false, then Finish().
  class Subscription {
   public:
    bool Read(v1::SubscribeResponse* response) { return reader_->Read(response); }
    // Ends the call early; Finish() then returns CANCELLED.
    void Cancel() { context_.TryCancel(); }
    absl::Status Finish();

   private:
    friend class LedgerClient;
    grpc::ClientContext context_;
    std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>> reader_;
  };
  std::unique_ptr<Subscription> Subscribe(const v1::SubscribeRequest& request);

  // Receivables reports. No deadline: an as-of read may replay part of the log.
  absl::StatusOr<v1::AgingResponse> Aging(const v1::AgingRequest& request);
  absl::StatusOr<v1::DsoResponse> Dso(const v1::DsoRequest& request);
  absl::StatusOr<v1::PromisesResponse> Promises(const v1::PromisesRequest& request);
  absl::StatusOr<v1::DisputesResponse> Disputes(const v1::DisputesRequest& request);
  // Bounded by the unary timeout.
  absl::StatusOr<v1::ProjectionStatusResponse> ProjectionStatus();
  // No deadline: a rebuild replays the whole log.
  // `progress` sees every message; returns the final one.
  absl::StatusOr<v1::RebuildResponse> Rebuild(
      const std::function<void(const v1::RebuildResponse&)>& progress);

  // Relationship reports. No deadline: an as-of read may replay part of the log.
  absl::StatusOr<v1::ScorecardResponse> Scorecard(const v1::ScorecardRequest& request);
  absl::StatusOr<v1::TimelineResponse> Timeline(const v1::TimelineRequest& request);
  absl::StatusOr<v1::PlansResponse> Plans(const v1::PlansRequest& request);
  absl::StatusOr<v1::WorklistResponse> Worklist(const v1::WorklistRequest& request);
  absl::StatusOr<v1::EvidenceResponse> Evidence(const v1::EvidenceRequest& request);
  // Bounded by the unary timeout.
  absl::StatusOr<v1::RelationshipsProjectionStatusResponse> RelationshipsProjectionStatus();
  // No deadline; `progress` sees every message; returns the final one.
  absl::StatusOr<v1::RelationshipsRebuildResponse> RelationshipsRebuild(
      const std::function<void(const v1::RelationshipsRebuildResponse&)>& progress);

  // Compliance reports, streamed (progress, header, content chunks, trailer). No
  // deadline. An error from `on_response` cancels the call and is returned as it is.
  absl::Status ComplianceReport(
      const v1::ComplianceReportRequest& request,
      const std::function<absl::Status(const v1::ComplianceReportResponse&)>& on_response);
  absl::Status Disclosure(
      const v1::DisclosureRequest& request,
      const std::function<absl::Status(const v1::DisclosureResponse&)>& on_response);
  // The compliance projection's status (bounded by the unary timeout) and its rebuild (no
  // deadline; `progress` sees every message; returns the final one).
  absl::StatusOr<v1::ProjectionStatusResponse> ComplianceProjectionStatus();
  absl::StatusOr<v1::RebuildResponse> ComplianceRebuild(
      const std::function<void(const v1::RebuildResponse&)>& progress);
  // Admin: backups. No deadline: a backup copies the whole store, and verification
  // reads a whole backup.
  absl::StatusOr<v1::CreateBackupResponse> CreateBackup(const v1::CreateBackupRequest& request);
  absl::StatusOr<v1::ListBackupsResponse> ListBackups();
  absl::StatusOr<v1::VerifyBackupResponse> VerifyBackup(const v1::VerifyBackupRequest& request);

 private:
  void SetDeadline(grpc::ClientContext* context) const;

  std::unique_ptr<v1::EventStore::Stub> stub_;
  std::unique_ptr<v1::Receivables::Stub> receivables_stub_;
  std::unique_ptr<v1::Relationships::Stub> relationships_stub_;
  std::unique_ptr<v1::Compliance::Stub> compliance_stub_;
  std::unique_ptr<v1::Admin::Stub> admin_stub_;
  absl::Duration unary_timeout_;
};

}  // namespace sixhearts::ledgerctl

#endif  // SIXHEARTS_TOOLS_LEDGERCTL_LEDGER_CLIENT_H_
