// Builds the gRPC server: services, health, reflection, message limits.
#include "services/server.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <optional>
#include <string_view>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "ledger/backup.h"
#include "services/admin_service.h"
#include "services/auth/authenticator.h"
#include "services/compliance/compliance_service.h"
#include "services/compliance/compliance_view.h"
#include "services/compliance/rates.h"
#include "services/event_store_service.h"
#include "services/in_flight.h"
#include "services/metrics/http_exporter.h"
#include "services/metrics/ledger_metrics.h"
#include "services/projection/projection_engine.h"
#include "services/projection/view_store.h"
#include "services/receivables/receivables_fold.h"
#include "services/receivables/receivables_service.h"
#include "services/receivables/receivables_view.h"
#include "services/relationships/relationships_service.h"
#include "services/relationships/relationships_view.h"
#include "services/request_parse.h"
#include "spdlog/spdlog.h"

namespace sixhearts::services {
namespace {

// The health service name of the EventStore service (its full protobuf name).
constexpr char kEventStoreServiceName[] = "sixhearts.ledger.v1.EventStore";

// `name`: HOST:PORT with PORT a number from 0 to 65535 (or a unix: address). gRPC would
// take the port modulo 65536 and listen elsewhere.
absl::Status CheckListen(const char* name, const std::string& listen) {
  if (absl::StartsWith(listen, "unix:")) return absl::OkStatus();
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": expected HOST:PORT, got \"", listen, "\""));
  }
  const std::string port = listen.substr(colon + 1);
  const bool digits =
      !port.empty() && port.size() <= 5 &&
      std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits || std::stoi(port) > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": port \"", port, "\" of \"", listen,
                                                   "\" is not a number from 0 to 65535"));
  }
  return absl::OkStatus();
}

// Says, at start-up, which statutory rate tables end before their publisher's next rate
// (reports flag every rate carried past it), and exports each table's last entry and that
// next publication as gauges (Unix seconds of the day, UTC) for an alert on time().
void ReportRateTables(const compliance::RateTables& rates, absl::Time now,
                      metrics::LedgerMetrics* metrics) {
  const absl::CivilDay today = absl::ToCivilDay(now, absl::UTCTimeZone());
  auto seconds = [](absl::CivilDay day) {
    return static_cast<double>(absl::ToUnixSeconds(absl::FromCivil(day, absl::UTCTimeZone())));
  };
  metrics::Registry::Family<metrics::Gauge>* last_entry = nullptr;
  metrics::Registry::Family<metrics::Gauge>* next_publication = nullptr;
  if (metrics != nullptr) {
    last_entry = &metrics->registry().AddGauge(
        "ledger_compliance_rate_table_last_entry_timestamp_seconds",
        "Day of the last entry of each statutory rate table (Unix seconds, UTC).", {"table"});
    next_publication = &metrics->registry().AddGauge(
        "ledger_compliance_rate_table_next_publication_timestamp_seconds",
        "Day the publisher of each rate table next published after its last entry (Unix "
        "seconds, UTC); past it, reports flag the rate as carried forward.",
        {"table"});
  }
  for (compliance::RateTableId id : compliance::kRateTableIds) {
    const auto& entries = compliance::TableOf(rates, id).entries();
    if (entries.empty()) continue;
    const std::string name(compliance::RateTableName(id));
    const absl::CivilDay last = entries.back().from;
    const absl::CivilDay next = compliance::NextPublication(id, last);
    if (metrics != nullptr) {
      last_entry->With({name}).Set(seconds(last));
      next_publication->With({name}).Set(seconds(next));
    }
    if (today >= next) {
      spdlog::warn(
          "compliance rate table {} ends with {} from {}; its next rate was due {}, {} days ago: "
          "reports flag every rate carried past it; add the newer rates with --compliance-rates "
          "(docs/compliance.md \"Rate tables\")",
          name, compliance::FormatPercent(entries.back().rate_ppm), absl::FormatCivilTime(last),
          absl::FormatCivilTime(next), today - next);
    }
  }
}

}  // namespace

absl::Status CheckServerOptions(const ServerOptions& options) {
  if (absl::Status s = CheckListen("listen", options.listen); !s.ok()) return s;
  if (!options.metrics_listen.empty()) {
    if (absl::Status s = CheckListen("metrics_listen", options.metrics_listen); !s.ok()) return s;
  }
  if (!options.backup_dir.empty()) {
    absl::Status s = ledger::CheckBackupDirApart(options.data_dir, options.backup_dir);
    if (!s.ok()) return s;
  }
  std::optional<auth::AuthConfig> auth_config;
  if (!options.auth_config_path.empty()) {
    auto loaded = auth::LoadAuthConfig(options.auth_config_path);
    if (!loaded.ok()) return loaded.status();
    auth_config = std::move(*loaded);
  }
  const std::string host = options.listen.substr(0, options.listen.rfind(':'));
  auto credentials = auth::MakeServerCredentials(
      auth_config, host,
      std::make_shared<auth::CallGate>(
          auth_config.has_value() ? std::make_optional(auth_config->principals) : std::nullopt,
          [](std::string_view) { return grpc::Status::OK; }));
  if (!credentials.ok()) return credentials.status();
  if (!options.compliance_rates_file.empty()) {
    auto rates = compliance::LoadRateTables(options.compliance_rates_file);
    if (!rates.ok()) return rates.status();
  }
  return absl::OkStatus();
}

class LedgerServer::Impl {
 public:
  // First, so it outlives the gRPC server (its interceptor) and the store (its observer).
  std::unique_ptr<metrics::LedgerMetrics> metrics;
  std::unique_ptr<metrics::HttpExporter> metrics_exporter;
  EventStoreService event_store;
  std::unique_ptr<AdminService> admin;
  std::unique_ptr<receivables::ReceivablesService> receivables;
  // Before the engines, so it outlives them.
  std::unique_ptr<projection::ViewStore> views;
  std::unique_ptr<projection::ProjectionEngine> receivables_engine;
  std::unique_ptr<relationships::RelationshipsService> relationships;
  std::unique_ptr<projection::ProjectionEngine> relationships_engine;
  std::unique_ptr<compliance::ComplianceService> compliance;
  std::unique_ptr<projection::ProjectionEngine> compliance_engine;
  std::unique_ptr<InFlightLimit> in_flight;
  std::unique_ptr<ledger::CheckpointSigner> checkpoint_signer;
  std::unique_ptr<grpc::Server> server;
  // What the gRPC health service says for the server as a whole, for GET /healthz.
  std::atomic<bool> serving{false};
  bool shut_down = false;
};

absl::StatusOr<std::unique_ptr<LedgerServer>> LedgerServer::Start(const ServerOptions& options) {
  if (absl::Status s = CheckServerOptions(options); !s.ok()) return s;
  std::unique_ptr<LedgerServer> self(new LedgerServer());
  self->impl_ = std::make_unique<Impl>();
  self->host_ = options.listen.substr(0, options.listen.rfind(':'));

  std::optional<auth::AuthConfig> auth_config;
  if (!options.auth_config_path.empty()) {
    auto loaded = auth::LoadAuthConfig(options.auth_config_path);
    if (!loaded.ok()) return loaded.status();
    auth_config = std::move(*loaded);
  }
  const ledger::Limits& limits = options.store.limits;
  self->impl_->in_flight = std::make_unique<InFlightLimit>(limits.max_in_flight_requests);
  InFlightLimit* in_flight = self->impl_->in_flight.get();
  auto gate = std::make_shared<auth::CallGate>(
      auth_config.has_value() ? std::make_optional(auth_config->principals) : std::nullopt,
      [in_flight](std::string_view method) { return in_flight->Check(method); });
  auto credentials = auth::MakeServerCredentials(auth_config, self->host_, gate);
  if (!credentials.ok()) return credentials.status();
  self->impl_->event_store.SetCallGate(gate);
  self->security_ = auth::DescribeSecurity(auth_config);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // Without this a second ledgerd could bind the same port and split the traffic.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(static_cast<int>(limits.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(limits.max_message_bytes));
  // Bounds on what a flood of clients can make the server hold (ledger/limits.h).
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             static_cast<int>(limits.max_streams_per_connection));
  grpc::ResourceQuota quota("ledgerd");
  quota.Resize(limits.grpc_memory_bytes);
  builder.SetResourceQuota(quota);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  // First: interceptors see a status about to be sent in their order, so the metrics and
  // the call log record the INVALID_ARGUMENT this one makes of an unparsable request.
  interceptors.push_back(MakeParseFailureInterceptorFactory());
  interceptors.push_back(in_flight->MakeCounterFactory());
  if (!options.metrics_listen.empty()) {
    self->impl_->metrics = std::make_unique<metrics::LedgerMetrics>();
    interceptors.push_back(self->impl_->metrics->MakeInterceptorFactory());
  }
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  builder.AddListeningPort(options.listen, *credentials, &self->port_);
  // Every service goes through `serve`, which records its name for the role-table test.
  auto serve = [&](grpc::Service* service, const char* full_name) {
    builder.RegisterService(service);
    self->service_names_.push_back(full_name);
  };
  serve(&self->impl_->event_store, ledger::v1::EventStore::service_full_name());
  self->impl_->admin = std::make_unique<AdminService>(options.backup_dir);
  serve(self->impl_->admin.get(), ledger::v1::Admin::service_full_name());
  self->impl_->receivables = std::make_unique<receivables::ReceivablesService>(
      options.store.clock != nullptr ? options.store.clock : ledger::SystemClock());
  serve(self->impl_->receivables.get(), ledger::v1::Receivables::service_full_name());
  self->impl_->relationships = std::make_unique<relationships::RelationshipsService>(
      options.store.clock != nullptr ? options.store.clock : ledger::SystemClock());
  serve(self->impl_->relationships.get(), ledger::v1::Relationships::service_full_name());
  compliance::StatutoryOptions statutory;
  if (!options.compliance_rates_file.empty()) {
    auto rates = compliance::LoadRateTables(options.compliance_rates_file);
    if (!rates.ok()) return rates.status();
    statutory.rates = std::move(*rates);
  }
  ReportRateTables(
      statutory.rates,
      (options.store.clock != nullptr ? options.store.clock : ledger::SystemClock())->Now(),
      self->impl_->metrics.get());
  self->impl_->compliance = std::make_unique<compliance::ComplianceService>(
      options.store.clock != nullptr ? options.store.clock : ledger::SystemClock(),
      std::move(statutory));
  serve(self->impl_->compliance.get(), ledger::v1::Compliance::service_full_name());
  // Added by gRPC itself (EnableDefaultHealthCheckService, the reflection plugin).
  self->service_names_.push_back("grpc.health.v1.Health");
  self->service_names_.push_back("grpc.reflection.v1alpha.ServerReflection");
  self->impl_->server = builder.BuildAndStart();
  if (self->impl_->server == nullptr || self->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen,
                     ": the port is in use or the address is not one of this host's"));
  }
  auto* health = self->impl_->server->GetHealthCheckService();
  health->SetServingStatus(false);
  if (self->impl_->metrics != nullptr) {
    auto exporter =
        metrics::HttpExporter::Start(options.metrics_listen, &self->impl_->metrics->registry(),
                                     [impl = self->impl_.get()] { return impl->serving.load(); });
    if (!exporter.ok()) {
      self->impl_->server->Shutdown();
      self->impl_->shut_down = true;
      return exporter.status();
    }
    self->impl_->metrics_exporter = std::move(*exporter);
    self->metrics_port_ = self->impl_->metrics_exporter->port();
  }

  ledger::EventStoreOptions store_options = options.store;
  store_options.data_dir = options.data_dir;
  if (self->impl_->metrics != nullptr) {
    store_options.observer = self->impl_->metrics.get();
    store_options.statistics = options.rocksdb_statistics;
  }
  // Appends are refused until a restart; reads go on, so only the EventStore service
  // reports NOT_SERVING, for a supervisor to restart ledgerd once the storage is fixed.
  store_options.on_storage_failure =
      [health, chained = options.store.on_storage_failure](const absl::Status& failure) {
        spdlog::error("appends are refused from now on: {}", failure.ToString());
        health->SetServingStatus(std::string(kEventStoreServiceName), false);
        if (chained) chained(failure);
      };
  auto store = options.replica_of.empty()
                   ? ledger::EventStore::Open(store_options)
                   : ledger::EventStore::OpenReplica(store_options, options.replica_of,
                                                     options.replica_catch_up_interval);
  if (!store.ok()) {
    self->impl_->server->Shutdown();
    self->impl_->shut_down = true;
    return store.status();
  }
  self->store_ = std::move(*store);
  // A read replica serves the primary's tree, so it signs with the primary's key (by
  // default the one beside the primary's data directory), and never creates one: a key of
  // its own would give auditors notes that the primary's verifier key does not verify.
  const bool replica = !options.replica_of.empty();
  const std::string key_file = !options.checkpoint_key_file.empty() ? options.checkpoint_key_file
                               : replica ? absl::StrCat(options.replica_of, ".checkpoint.key")
                                         : absl::StrCat(options.data_dir, ".checkpoint.key");
  if (std::error_code error; replica && !std::filesystem::exists(key_file, error)) {
    self->impl_->server->Shutdown();
    self->impl_->shut_down = true;
    self->store_.reset();
    return absl::FailedPreconditionError(
        absl::StrCat("server.checkpoint_key_file: a read replica signs with its primary's "
                     "checkpoint key, and ",
                     key_file, " does not exist (give the primary's key file)"));
  }
  bool key_created = false;
  auto signer =
      ledger::CheckpointSigner::LoadOrCreate(key_file, options.checkpoint_origin, &key_created);
  if (!signer.ok()) {
    self->impl_->server->Shutdown();
    self->impl_->shut_down = true;
    self->store_.reset();
    return signer.status();
  }
  self->impl_->checkpoint_signer = std::move(*signer);
  if (store_options.on_progress) {
    store_options.on_progress(
        absl::StrCat(key_created ? "created the checkpoint key " : "checkpoint key ", key_file,
                     "; verifier key ", self->impl_->checkpoint_signer->VerifierKey()));
  }
  projection::ViewStoreOptions view_options;
  view_options.dir =
      options.views_dir.empty() ? absl::StrCat(options.data_dir, ".views") : options.views_dir;
  view_options.block_cache_bytes = options.views_block_cache_bytes;
  auto views = projection::ViewStore::Open(view_options,
                                           [](std::string_view line) { spdlog::warn("{}", line); });
  if (!views.ok()) {
    self->impl_->server->Shutdown();
    self->impl_->shut_down = true;
    return views.status();
  }
  self->impl_->views = std::move(*views);
  auto engine = projection::ProjectionEngine::StartStored(
      self->store_.get(), self->impl_->views.get(), receivables::MakeReceivablesRows(),
      options.projections);
  if (!engine.ok()) {
    self->impl_->server->Shutdown();
    self->impl_->shut_down = true;
    return engine.status();
  }
  self->impl_->receivables_engine = std::move(*engine);
  self->impl_->receivables->Attach(self->impl_->receivables_engine.get());
  auto relationships_engine = projection::ProjectionEngine::StartStored(
      self->store_.get(), self->impl_->views.get(), relationships::MakeRelationshipsRows(),
      options.projections);
  if (!relationships_engine.ok()) {
    self->impl_->server->Shutdown();
    self->impl_->shut_down = true;
    return relationships_engine.status();
  }
  self->impl_->relationships_engine = std::move(*relationships_engine);
  self->impl_->relationships->Attach(self->impl_->relationships_engine.get(),
                                     self->impl_->receivables_engine.get());
  auto compliance_engine = projection::ProjectionEngine::StartStored(
      self->store_.get(), self->impl_->views.get(), compliance::MakeComplianceRows(),
      options.projections);
  if (!compliance_engine.ok()) {
    self->impl_->server->Shutdown();
    self->impl_->shut_down = true;
    return compliance_engine.status();
  }
  self->impl_->compliance_engine = std::move(*compliance_engine);
  self->impl_->compliance->Attach({self->store_.get(), self->impl_->receivables_engine.get(),
                                   self->impl_->compliance_engine.get(),
                                   self->impl_->relationships_engine.get(),
                                   self->impl_->checkpoint_signer.get()});
  self->impl_->event_store.Attach(self->store_.get(), self->impl_->checkpoint_signer.get());
  if (self->impl_->metrics != nullptr) {
    self->impl_->metrics->Attach(self->store_.get(), {self->impl_->receivables_engine.get(),
                                                      self->impl_->relationships_engine.get(),
                                                      self->impl_->compliance_engine.get()});
  }
  self->impl_->admin->Attach(self->store_.get());
  health->SetServingStatus(true);
  // A log found damaged at open (or by a projection's first read) stays NOT_SERVING; the
  // second look covers damage noted between the first and the set.
  health->SetServingStatus(std::string(kEventStoreServiceName), self->store_->damage().ok());
  if (!self->store_->damage().ok()) {
    health->SetServingStatus(std::string(kEventStoreServiceName), false);
  }
  self->impl_->serving = true;
  return self;
}

LedgerServer::~LedgerServer() { Shutdown(); }

size_t LedgerServer::in_flight_requests() const { return impl_->in_flight->in_flight(); }

std::string LedgerServer::address() const { return absl::StrCat(host_, ":", port_); }

void LedgerServer::Shutdown() {
  if (impl_ == nullptr || impl_->shut_down || impl_->server == nullptr) return;
  impl_->shut_down = true;
  // First, before anything that takes time: health says NOT_SERVING, and the store
  // refuses new appends (UNAVAILABLE "the ledger is shutting down") while it finishes the
  // queued ones and ends subscriptions, so every RPC returns soon.
  impl_->serving = false;
  auto* health = impl_->server->GetHealthCheckService();
  health->SetServingStatus(false);
  health->SetServingStatus(std::string(kEventStoreServiceName), false);
  if (store_ != nullptr) store_->Shutdown();
  // Scrapes read the store and the engines; stop them before detaching.
  impl_->metrics_exporter.reset();
  if (impl_->metrics != nullptr) impl_->metrics->Detach();
  impl_->receivables->Attach(nullptr);
  impl_->relationships->Attach(nullptr, nullptr);
  impl_->compliance->Attach({});
  impl_->admin->Attach(nullptr);
  // Calls still running after the grace period are cancelled; without a bound, a client
  // that keeps its connection open without answering the server's GOAWAY holds the stop.
  impl_->server->Shutdown(std::chrono::system_clock::now() +
                          std::chrono::milliseconds(kShutdownGraceMs));
  impl_->server->Wait();
  // The engine's last checkpoint needs the store still open.
  if (impl_->compliance_engine != nullptr) impl_->compliance_engine->Stop();
  impl_->compliance_engine.reset();
  if (impl_->relationships_engine != nullptr) impl_->relationships_engine->Stop();
  impl_->relationships_engine.reset();
  if (impl_->receivables_engine != nullptr) impl_->receivables_engine->Stop();
  impl_->receivables_engine.reset();
  impl_->views.reset();
  store_.reset();
}

}  // namespace sixhearts::services
