// Builds the gRPC server: services, health, reflection, message limits.
#include "services/server.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "services/admin_service.h"
#include "services/event_store_service.h"
#include "services/projection/projection_engine.h"
#include "services/receivables/receivables_fold.h"
#include "services/receivables/receivables_service.h"
#include "services/relationships/relationships_fold.h"
#include "services/relationships/relationships_service.h"

namespace sixhearts::services {

class LedgerServer::Impl {
 public:
  EventStoreService event_store;
  std::unique_ptr<AdminService> admin;
  std::unique_ptr<receivables::ReceivablesService> receivables;
  std::unique_ptr<projection::ProjectionEngine> receivables_engine;
  std::unique_ptr<relationships::RelationshipsService> relationships;
  std::unique_ptr<projection::ProjectionEngine> relationships_engine;
  std::unique_ptr<grpc::Server> server;
  bool shut_down = false;
};

absl::StatusOr<std::unique_ptr<LedgerServer>> LedgerServer::Start(const ServerOptions& options) {
  std::unique_ptr<LedgerServer> self(new LedgerServer());
  self->impl_ = std::make_unique<Impl>();
  const size_t colon = options.listen.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen: expected HOST:PORT, got \"", options.listen, "\""));
  }
  self->host_ = options.listen.substr(0, colon);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // Without this a second ledgerd could bind the same port and split the traffic.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(static_cast<int>(options.store.limits.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(options.store.limits.max_message_bytes));
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(), &self->port_);
  builder.RegisterService(&self->impl_->event_store);
  self->impl_->admin = std::make_unique<AdminService>(options.backup_dir);
  builder.RegisterService(self->impl_->admin.get());
  self->impl_->receivables = std::make_unique<receivables::ReceivablesService>(
      options.store.clock != nullptr ? options.store.clock : ledger::SystemClock());
  builder.RegisterService(self->impl_->receivables.get());
  self->impl_->relationships = std::make_unique<relationships::RelationshipsService>(
      options.store.clock != nullptr ? options.store.clock : ledger::SystemClock());
  builder.RegisterService(self->impl_->relationships.get());
  self->impl_->server = builder.BuildAndStart();
  if (self->impl_->server == nullptr || self->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen,
                     ": the port is in use or the address is not one of this host's"));
  }
  auto* health = self->impl_->server->GetHealthCheckService();
  health->SetServingStatus(false);

  ledger::EventStoreOptions store_options = options.store;
  store_options.data_dir = options.data_dir;
  auto store = ledger::EventStore::Open(store_options);
  if (!store.ok()) {
    self->impl_->server->Shutdown();
    self->impl_->shut_down = true;
    return store.status();
  }
  self->store_ = std::move(*store);
  auto engine = projection::ProjectionEngine::Start(
      self->store_.get(), receivables::kReceivablesProjectionName,
      receivables::MakeReceivablesFoldFactory(), options.projections);
  if (!engine.ok()) {
    self->impl_->server->Shutdown();
    self->impl_->shut_down = true;
    return engine.status();
  }
  self->impl_->receivables_engine = std::move(*engine);
  self->impl_->receivables->Attach(self->impl_->receivables_engine.get());
  auto relationships_engine = projection::ProjectionEngine::Start(
      self->store_.get(), relationships::kRelationshipsProjectionName,
      relationships::MakeRelationshipsFoldFactory(), options.projections);
  if (!relationships_engine.ok()) {
    self->impl_->server->Shutdown();
    self->impl_->shut_down = true;
    return relationships_engine.status();
  }
  self->impl_->relationships_engine = std::move(*relationships_engine);
  self->impl_->relationships->Attach(self->impl_->relationships_engine.get(),
                                     self->impl_->receivables_engine.get());
  self->impl_->event_store.Attach(self->store_.get());
  self->impl_->admin->Attach(self->store_.get());
  health->SetServingStatus(true);
  return self;
}

LedgerServer::~LedgerServer() { Shutdown(); }

std::string LedgerServer::address() const { return absl::StrCat(host_, ":", port_); }

void LedgerServer::Shutdown() {
  if (impl_ == nullptr || impl_->shut_down || impl_->server == nullptr) return;
  impl_->shut_down = true;
  impl_->server->GetHealthCheckService()->SetServingStatus(false);
  impl_->receivables->Attach(nullptr);
  impl_->relationships->Attach(nullptr, nullptr);
  impl_->admin->Attach(nullptr);
  // The store finishes queued appends and ends subscriptions, so every RPC returns soon.
  if (store_ != nullptr) store_->Shutdown();
  impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  impl_->server->Wait();
  // The engine's last checkpoint needs the store still open.
  if (impl_->relationships_engine != nullptr) impl_->relationships_engine->Stop();
  impl_->relationships_engine.reset();
  if (impl_->receivables_engine != nullptr) impl_->receivables_engine->Stop();
  impl_->receivables_engine.reset();
  store_.reset();
}

}  // namespace sixhearts::services
