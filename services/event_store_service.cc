// gRPC handlers: translate requests to EventStore calls and stream pages back.
#include "services/event_store_service.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "ledger/audit_export.h"
#include "ledger/dates.h"
#include "ledger/proofs.h"
#include "ledger/subscription.h"
#include "services/grpc_status.h"
#include "services/request_fields.h"
#include "services/request_parse.h"

namespace sixhearts::services {
namespace v1 = ledger::v1;

namespace {

grpc::Status NotReady() {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the ledger is still recovering");
}

// Streams pages until `limit` events (0: no limit) or the end of the range.
template <typename ReadPage>
grpc::Status StreamPages(grpc::ServerContext* context, uint32_t limit, ReadPage read_page,
                         grpc::ServerWriter<v1::ReadResponse>* writer) {
  uint64_t sent = 0;
  while (!context->IsCancelled()) {
    const uint32_t want =
        limit == 0 ? 0 : static_cast<uint32_t>(std::min<uint64_t>(limit - sent, UINT32_MAX));
    auto page = read_page(want);
    if (!page.ok()) return ToGrpcStatus(page.status());
    v1::ReadResponse response;
    response.set_scanned_to_position(page->scanned_to_position);
    sent += page->events.size();
    for (auto& event : page->events) *response.add_events() = std::move(event);
    if (response.events_size() > 0 || page->end) writer->Write(response);
    if (page->end || (limit != 0 && sent >= limit)) break;
  }
  return grpc::Status::OK;
}

}  // namespace

void AppendRequestBytes(ledger::EventStore& store, const grpc::ByteBuffer& request_bytes,
                        std::string_view actor, grpc::ByteBuffer* response_bytes,
                        std::function<void(const grpc::Status&)> done) {
  v1::AppendRequest request;
  if (grpc::Status parsed = ParseRequest(request_bytes, &request); !parsed.ok()) {
    done(parsed);
    return;
  }
  store.AppendAsync(
      request, actor,
      [response_bytes, done = std::move(done)](absl::StatusOr<v1::AppendResponse> result) {
        grpc::Status status = ToGrpcStatus(result.status());
        if (result.ok()) {
          bool own_buffer = false;
          status = grpc::SerializationTraits<v1::AppendResponse>::Serialize(*result, response_bytes,
                                                                            &own_buffer);
        }
        done(status);
      });
}

std::string EventStoreService::ActorOf(const grpc::ServerContextBase& context) const {
  std::string principal = gate_ == nullptr ? std::string() : gate_->PrincipalOf(context);
  // Without authentication (loopback only) every caller is the same anonymous principal.
  if (principal.empty()) return "anonymous";
  return principal;
}

grpc::ServerUnaryReactor* EventStoreService::Append(grpc::CallbackServerContext* context,
                                                    const grpc::ByteBuffer* request_bytes,
                                                    grpc::ByteBuffer* response_bytes) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  ledger::EventStore* store = store_.load();
  if (store == nullptr) {
    reactor->Finish(NotReady());
    return reactor;
  }
  AppendRequestBytes(*store, *request_bytes, ActorOf(*context), response_bytes,
                     [reactor](const grpc::Status& status) { reactor->Finish(status); });
  return reactor;
}

grpc::Status EventStoreService::ReadLog(grpc::ServerContext* context,
                                        const v1::ReadLogRequest* request,
                                        grpc::ServerWriter<v1::ReadResponse>* writer) {
  ledger::EventStore* store = store_.load();
  if (store == nullptr) return NotReady();
  if (absl::Status s = CheckEnum(request->direction(), v1::Direction_IsValid, "direction");
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (absl::Status s = ledger::ValidateFilter(request->filter()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  const bool backward = request->direction() == v1::DIRECTION_BACKWARD;
  uint64_t next = request->from_position();
  if (backward && next == 0) next = store->head().position;
  if (backward && next == 0) return grpc::Status::OK;  // empty log
  return StreamPages(
      context, request->limit(),
      [&](uint32_t want) -> absl::StatusOr<ledger::ReadPage> {
        auto page = store->ReadLog(next, backward, want, request->filter());
        if (page.ok() && page->scanned_to_position != 0) {
          if (backward) {
            if (page->scanned_to_position <= 1) page->end = true;
            next = page->scanned_to_position - 1;
          } else {
            next = page->scanned_to_position + 1;
          }
        }
        return page;
      },
      writer);
}

grpc::Status EventStoreService::ReadStream(grpc::ServerContext* context,
                                           const v1::ReadStreamRequest* request,
                                           grpc::ServerWriter<v1::ReadResponse>* writer) {
  ledger::EventStore* store = store_.load();
  if (store == nullptr) return NotReady();
  if (absl::Status s = ledger::ValidateFilter(request->filter()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  uint64_t next_version = std::max<uint64_t>(request->from_version(), 1);
  return StreamPages(
      context, request->limit(),
      [&](uint32_t want) -> absl::StatusOr<ledger::ReadPage> {
        auto page = store->ReadStream(request->stream(), next_version, want, request->filter());
        if (page.ok() && page->scanned_to_version != 0) {
          next_version = page->scanned_to_version + 1;
        }
        return page;
      },
      writer);
}

grpc::Status EventStoreService::Subscribe(grpc::ServerContext* context,
                                          const v1::SubscribeRequest* request,
                                          grpc::ServerWriter<v1::SubscribeResponse>* writer) {
  ledger::EventStore* store = store_.load();
  if (store == nullptr) return NotReady();
  auto subscription = store->Subscribe(request->after_position(), request->filter());
  if (!subscription.ok()) return ToGrpcStatus(subscription.status());
  // A heartbeat (no events, the current checkpoint) goes out when the consumer has heard
  // nothing for kHeartbeat: it moves a filtered consumer's checkpoint along and lets
  // either side notice a dead connection while the log is quiet.
  constexpr absl::Duration kHeartbeat = absl::Seconds(5);
  absl::Time last_sent = absl::Now();
  while (!context->IsCancelled()) {
    auto batch = (*subscription)->Next(absl::Milliseconds(250));
    if (!batch.ok()) return ToGrpcStatus(batch.status());
    const bool heartbeat = absl::Now() - last_sent >= kHeartbeat;
    if (batch->events.empty() && !batch->caught_up && !heartbeat) continue;
    v1::SubscribeResponse response;
    response.set_caught_up(batch->caught_up);
    response.set_checkpoint_position(batch->checkpoint_position);
    for (auto& event : batch->events) *response.add_events() = std::move(event);
    if (!writer->Write(response)) break;  // the client went away
    last_sent = absl::Now();
  }
  return grpc::Status::OK;
}

grpc::Status EventStoreService::Digest(grpc::ServerContext*, const v1::DigestRequest*,
                                       v1::DigestResponse* response) {
  ledger::EventStore* store = store_.load();
  if (store == nullptr) return NotReady();
  const ledger::Head head = store->head();
  response->set_head_position(head.position);
  response->set_head_hash(head.hash);
  auto tree = ledger::TreeHeadAt(*store, head.position);
  if (!tree.ok()) return ToGrpcStatus(tree.status());
  response->set_tree_root(tree->root);
  response->set_checkpoint(Checkpoint(tree->size, tree->root));
  if (const ledger::CheckpointSigner* signer = signer_.load(); signer != nullptr) {
    response->set_verifier_key(signer->VerifierKey());
  }
  return grpc::Status::OK;
}

grpc::Status EventStoreService::Verify(grpc::ServerContext*, const v1::VerifyRequest* request,
                                       v1::VerifyResponse* response) {
  ledger::EventStore* store = store_.load();
  if (store == nullptr) return NotReady();
  if (request->to_position() != 0 && request->from_position() > request->to_position()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "from_position: after to_position");
  }
  auto result = store->Verify(request->from_position(), request->to_position());
  if (!result.ok()) return ToGrpcStatus(result.status());
  response->set_ok(result->ok);
  response->set_checked(result->checked);
  response->set_first_bad_position(result->first_bad_position);
  response->set_problem(result->problem);
  response->set_head_hash(result->head_hash);
  return grpc::Status::OK;
}

grpc::Status EventStoreService::ExportAudit(grpc::ServerContext* context,
                                            const v1::ExportAuditRequest* request,
                                            grpc::ServerWriter<v1::ExportAuditResponse>* writer) {
  ledger::EventStore* store = store_.load();
  if (store == nullptr) return NotReady();
  ledger::AuditExportRequest export_request;
  export_request.client_id = request->client_id();
  for (const auto& [field, date, day] : {std::tuple{"from", &request->from(), &export_request.from},
                                         std::tuple{"to", &request->to(), &export_request.to}}) {
    if (ledger::IsUnsetDate(*date)) {
      return ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat(field, ": required")));
    }
    if (!ledger::IsValidDate(*date)) {
      return ToGrpcStatus(absl::InvalidArgumentError(
          absl::StrCat(field, ": ", ledger::FormatDate(*date), " is not a calendar day")));
    }
    *day = ledger::ToCivilDay(*date);
  }
  export_request.verified_position = request->verified_position();
  export_request.proofs = request->proofs();
  export_request.signer = signer_.load();

  // Pages: at most max_read_events records, and a quarter of the message limit in bytes
  // so that one more large event always fits.
  const ledger::Limits& limits = store->limits();
  const size_t page_bytes = limits.max_message_bytes / 4;
  v1::ExportAuditResponse page;
  size_t bytes = 0;
  auto flush = [&]() -> absl::Status {
    if (context->IsCancelled()) return absl::CancelledError("the caller went away");
    if (!writer->Write(page)) return absl::CancelledError("the caller went away");
    page.Clear();
    bytes = 0;
    return absl::OkStatus();
  };
  absl::Status s = ledger::ExportAudit(
      *store, export_request,
      [&](const v1::AuditHeader& header) {
        *page.mutable_header() = header;
        return absl::OkStatus();
      },
      [&](v1::AuditRecord& record) -> absl::Status {
        bytes += record.ByteSizeLong();
        *page.add_records() = std::move(record);
        if (static_cast<uint32_t>(page.records_size()) >= limits.max_read_events ||
            bytes >= page_bytes) {
          return flush();
        }
        return absl::OkStatus();
      });
  if (s.ok() && (page.has_header() || page.records_size() > 0)) s = flush();
  return ToGrpcStatus(s);
}

grpc::Status EventStoreService::EraseSubject(grpc::ServerContext* context,
                                             const v1::EraseSubjectRequest* request,
                                             v1::EraseSubjectResponse* response) {
  ledger::EventStore* store = store_.load();
  if (store == nullptr) return NotReady();
  auto result = store->EraseSubject(request->subject_id(), request->reason(), ActorOf(*context));
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = std::move(*result);
  return grpc::Status::OK;
}

std::string EventStoreService::Checkpoint(uint64_t size, const std::string& root) const {
  return ledger::SignedCheckpoint(signer_.load(), size, root);
}

grpc::Status EventStoreService::GetInclusionProof(grpc::ServerContext*,
                                                  const v1::GetInclusionProofRequest* request,
                                                  v1::GetInclusionProofResponse* response) {
  ledger::EventStore* store = store_.load();
  if (store == nullptr) return NotReady();
  auto proof = ledger::ProveInclusion(*store, request->position(), request->tree_size());
  if (!proof.ok()) return ToGrpcStatus(proof.status());
  response->set_position(proof->position);
  response->set_tree_size(proof->tree_size);
  response->set_leaf_hash(proof->leaf);
  for (std::string& hash : proof->path) response->add_path(std::move(hash));
  response->set_root_hash(proof->root);
  response->set_checkpoint(Checkpoint(proof->tree_size, proof->root));
  return grpc::Status::OK;
}

grpc::Status EventStoreService::GetConsistencyProof(grpc::ServerContext*,
                                                    const v1::GetConsistencyProofRequest* request,
                                                    v1::GetConsistencyProofResponse* response) {
  ledger::EventStore* store = store_.load();
  if (store == nullptr) return NotReady();
  auto proof = ledger::ProveConsistency(*store, request->first(), request->second());
  if (!proof.ok()) return ToGrpcStatus(proof.status());
  response->set_first(proof->first);
  response->set_second(proof->second);
  response->set_first_root(proof->first_root);
  response->set_second_root(proof->second_root);
  for (std::string& hash : proof->path) response->add_path(std::move(hash));
  response->set_first_checkpoint(Checkpoint(proof->first, proof->first_root));
  response->set_second_checkpoint(Checkpoint(proof->second, proof->second_root));
  return grpc::Status::OK;
}

}  // namespace sixhearts::services
