// libFuzzer target for the call gate (services/auth/authenticator.h): the input decides a
// call's method path, its metadata (authorization values among others) and the common
// names of its client certificate; CallGate::Process must decide as the rules of README
// "Authentication and roles" say, against an auth configuration of four principals, and
// PrincipalOf must name the principal Process let through.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpc/grpc.h"
#include "grpc/grpc_security_constants.h"
#include "grpcpp/security/auth_context.h"
#include "grpcpp/server_context.h"
#include "grpcpp/test/server_context_test_spouse.h"
#include "services/auth/auth_config.h"
#include "services/auth/authenticator.h"
#include "services/auth/roles.h"
#include "spdlog/spdlog.h"
#include "tests/fuzz/fuzz_check.h"

namespace sixhearts::fuzz {
namespace {

using services::auth::Principal;

// The configuration's principals, with the tokens whose hashes it holds.
struct Known {
  const char* name;
  const char* roles;        // TOML array body
  const char* token;        // "" for none
  const char* common_name;  // "" for none
};
constexpr Known kKnown[] = {
    {"bb-writer", "\"writer\"", "wr1tEr-T0ken-4cf8a1f2c2b54d7e9a1b0c3d5e7f9a1b2c3d", ""},
    {"bb-reader", "\"reader\"", "rEad3r-T0ken-0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7", ""},
    {"audit-firm", "\"auditor\", \"reader\"", "aud1t-T0ken-9f8e7d6c5b4a39281706f5e4d3c2b1a0f9e",
     "audit-firm.example"},
    {"ops-admin", "\"admin\"", "", "ops-admin.example"},
};

// The end of an empty property list (the iterator's constructors are for gRPC's own
// contexts).
struct NoProperties : grpc::AuthPropertyIterator {
  NoProperties() {}
};

// An auth context holding only certificate common names, as gRPC sets them for a client
// certificate that verified against client_ca_file.
class FakeAuthContext final : public grpc::AuthContext {
 public:
  explicit FakeAuthContext(std::vector<std::string> common_names)
      : common_names_(std::move(common_names)) {}
  bool IsPeerAuthenticated() const override { return !common_names_.empty(); }
  std::vector<grpc::string_ref> GetPeerIdentity() const override { return Refs(); }
  std::string GetPeerIdentityPropertyName() const override { return GRPC_X509_CN_PROPERTY_NAME; }
  std::vector<grpc::string_ref> FindPropertyValues(const std::string& name) const override {
    if (name != GRPC_X509_CN_PROPERTY_NAME) return {};
    return Refs();
  }
  grpc::AuthPropertyIterator begin() const override { return NoProperties(); }
  grpc::AuthPropertyIterator end() const override { return NoProperties(); }
  void AddProperty(const std::string&, const grpc::string_ref&) override {
    Check(false, "the call gate adds nothing to the connection's auth context");
  }
  bool SetPeerIdentityPropertyName(const std::string&) override {
    Check(false, "the call gate adds nothing to the connection's auth context");
    return false;
  }

 private:
  std::vector<grpc::string_ref> Refs() const {
    std::vector<grpc::string_ref> refs;
    for (const std::string& cn : common_names_) refs.emplace_back(cn.data(), cn.size());
    return refs;
  }
  std::vector<std::string> common_names_;
};

struct Fixture {
  std::vector<Principal> principals;
  std::unique_ptr<services::auth::CallGate> gate;
  // Set by the gate's admission function: whether the call got that far.
  bool admitted_asked = false;
  grpc::Status admission = grpc::Status::OK;
  uint64_t calls = 0, allowed = 0, unauthenticated = 0, denied = 0, not_admitted = 0;
};

Fixture& TheFixture() {
  static Fixture* fixture = [] {
    auto* f = new Fixture;  // never destroyed: libFuzzer may exit from any thread
    // Through the configuration parser, as ledgerd loads it.
    std::string toml;
    for (const Known& k : kKnown) {
      absl::StrAppend(&toml, "[[principals]]\nname = \"", k.name, "\"\nroles = [", k.roles, "]\n");
      if (*k.token != '\0') {
        absl::StrAppend(&toml, "token_hash = \"", services::auth::MakeTokenHash(k.token), "\"\n");
      }
      if (*k.common_name != '\0') {
        absl::StrAppend(&toml, "certificate_common_name = \"", k.common_name, "\"\n");
      }
    }
    auto config = services::auth::ParseAuthConfig(toml, "fuzz-auth.toml");
    Check(config.ok(), "the fuzz auth configuration parses", config.status().ToString());
    f->principals = config->principals;
    f->gate = std::make_unique<services::auth::CallGate>(config->principals, [f](std::string_view) {
      f->admitted_asked = true;
      return f->admission;
    });
    return f;
  }();
  return *fixture;
}

const Known* ByToken(std::string_view token) {
  for (const Known& k : kKnown) {
    if (*k.token != '\0' && token == k.token) return &k;
  }
  return nullptr;
}

const Known* ByCommonName(const std::vector<std::string>& common_names) {
  for (const std::string& cn : common_names) {
    for (const Known& k : kKnown) {
      if (*k.common_name != '\0' && cn == k.common_name) return &k;
    }
  }
  return nullptr;
}

const Principal& PrincipalNamed(const char* name) {
  for (const Principal& p : TheFixture().principals) {
    if (p.name == name) return p;
  }
  Check(false, "every known principal is configured", name);
  std::abort();
}

// What one call is made of.
struct Call {
  std::string path;
  std::vector<std::pair<std::string, std::string>> metadata;  // in the order sent
  std::vector<std::string> common_names;
};

Call Decode(FuzzedDataProvider& in) {
  Call call;
  const auto& table = services::auth::MethodTable();
  if (in.ConsumeBool()) {
    call.path = std::string(table[in.ConsumeIntegralInRange<size_t>(0, table.size() - 1)].method);
  } else {
    call.path = in.ConsumeRandomLengthString(128);
  }
  const int entries = in.ConsumeIntegralInRange(0, 5);
  for (int i = 0; i < entries; ++i) {
    std::string key;
    switch (in.ConsumeIntegralInRange(0, 3)) {
      case 0:
      case 1:
        key = "authorization";
        break;
      case 2:
        key = "x-request-id";
        break;
      default:
        key = in.ConsumeRandomLengthString(32);
    }
    // The transport never passes a second :path, nor a key with a NUL byte.
    if (key.empty() || key == ":path" || key.find('\0') != std::string::npos) continue;
    std::string value;
    switch (in.ConsumeIntegralInRange(0, 2)) {
      case 0: {
        const Known& k = kKnown[in.ConsumeIntegralInRange<size_t>(0, std::size(kKnown) - 1)];
        value = absl::StrCat("Bearer ", k.token);
        break;
      }
      case 1:
        value = absl::StrCat("Bearer ", in.ConsumeRandomLengthString(64));
        break;
      default:
        value = in.ConsumeRandomLengthString(64);
    }
    call.metadata.emplace_back(std::move(key), std::move(value));
  }
  const int names = in.ConsumeIntegralInRange(0, 2);
  for (int i = 0; i < names; ++i) {
    if (in.ConsumeBool()) {
      const Known& k = kKnown[in.ConsumeIntegralInRange<size_t>(0, std::size(kKnown) - 1)];
      call.common_names.push_back(k.common_name);
    } else {
      call.common_names.push_back(in.ConsumeRandomLengthString(64));
    }
  }
  return call;
}

// The decision the rules call for: the code, and the principal when one is found.
struct Expected {
  grpc::StatusCode code = grpc::StatusCode::OK;
  const Known* principal = nullptr;
  bool reaches_admission = false;
};

Expected Decide(const Call& call, const grpc::Status& admission) {
  Expected e;
  const services::auth::MethodAccess* access = services::auth::FindMethodAccess(call.path);
  if (access == nullptr) {
    e.code = grpc::StatusCode::PERMISSION_DENIED;
    return e;
  }
  if (access->access == services::auth::Access::kPublic) {
    e.reaches_admission = true;
    e.code = admission.error_code();
    return e;
  }
  std::vector<std::string_view> authorization;
  for (const auto& [key, value] : call.metadata) {
    if (key == "authorization") authorization.push_back(value);
  }
  if (authorization.size() > 1) {
    // Two credentials do not say whose call it is.
    e.code = grpc::StatusCode::UNAUTHENTICATED;
    return e;
  }
  if (authorization.size() == 1) {
    const std::string_view value = authorization[0];
    if (value.substr(0, 7) == "Bearer ") e.principal = ByToken(value.substr(7));
  } else {
    e.principal = ByCommonName(call.common_names);
  }
  if (e.principal == nullptr) {
    e.code = grpc::StatusCode::UNAUTHENTICATED;
    return e;
  }
  if (!services::auth::Allows(*access, PrincipalNamed(e.principal->name).roles)) {
    e.code = grpc::StatusCode::PERMISSION_DENIED;
    return e;
  }
  e.reaches_admission = true;
  e.code = admission.error_code();
  return e;
}

std::string Show(const Call& call) {
  std::string out = absl::StrCat("path \"", call.path, "\"");
  for (const auto& [key, value] : call.metadata) absl::StrAppend(&out, "; ", key, ": ", value);
  for (const std::string& cn : call.common_names) absl::StrAppend(&out, "; CN ", cn);
  return out;
}

}  // namespace
}  // namespace sixhearts::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Held for the whole run: gRPC objects made per input (contexts, buffers) would
  // otherwise start and stop the library each time.
  grpc_init();
  // Refusals are logged (at most one line a second); the fuzzer makes them on purpose.
  spdlog::set_level(spdlog::level::critical);
  sixhearts::fuzz::TheFixture();
  std::atexit([] {
    const sixhearts::fuzz::Fixture& f = sixhearts::fuzz::TheFixture();
    std::fprintf(stderr,
                 "fuzz_auth: calls %lu: allowed %lu, unauthenticated %lu, permission denied %lu, "
                 "not admitted %lu\n",
                 static_cast<unsigned long>(f.calls), static_cast<unsigned long>(f.allowed),
                 static_cast<unsigned long>(f.unauthenticated),
                 static_cast<unsigned long>(f.denied), static_cast<unsigned long>(f.not_admitted));
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sixhearts::fuzz;
  Fixture& f = TheFixture();
  FuzzedDataProvider in(data, size);
  const Call call = Decode(in);
  f.admission = in.ConsumeBool() ? grpc::Status::OK
                                 : grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "full");
  f.admitted_asked = false;

  // The metadata as gRPC hands it to the processor, and the same in the call's context.
  std::multimap<grpc::string_ref, grpc::string_ref> input;
  input.emplace(":path", grpc::string_ref(call.path.data(), call.path.size()));
  for (const auto& [key, value] : call.metadata) {
    input.emplace(grpc::string_ref(key.data(), key.size()),
                  grpc::string_ref(value.data(), value.size()));
  }
  FakeAuthContext auth(call.common_names);
  grpc::AuthMetadataProcessor::OutputMetadata consumed, response;
  const grpc::Status status = f.gate->Process(input, &auth, &consumed, &response);

  const Expected expected = Decide(call, f.admission);
  ++f.calls;
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      ++f.allowed;
      break;
    case grpc::StatusCode::UNAUTHENTICATED:
      ++f.unauthenticated;
      break;
    case grpc::StatusCode::PERMISSION_DENIED:
      ++f.denied;
      break;
    default:
      ++f.not_admitted;
  }
  Check(status.error_code() == expected.code, "Process decides as the rules say",
        absl::StrCat("got ", status.error_code(), " \"", status.error_message(), "\", expected ",
                     expected.code,
                     expected.principal ? absl::StrCat(" as ", expected.principal->name) : "",
                     " for ", Show(call)));
  Check(f.admitted_asked == expected.reaches_admission,
        "admission is asked only for calls that passed every check", Show(call));
  Check(status.ok() || !status.error_message().empty(), "a refusal says why", Show(call));
  // Messages name the method and the principal, never a credential: none holds a
  // configured token (unless the path the message quotes does).
  for (const Known& k : kKnown) {
    if (*k.token == '\0' || call.path.find(k.token) != std::string::npos) continue;
    Check(status.error_message().find(k.token) == std::string::npos, "no message contains a token",
          Show(call));
  }
  Check(consumed.empty() && response.empty(), "the gate adds no metadata");

  // The actor of the call: PrincipalOf reads the call's own metadata. Only calls with a
  // token reach it here: this context has no connection to carry certificates.
  const bool has_token = std::any_of(call.metadata.begin(), call.metadata.end(),
                                     [](const auto& kv) { return kv.first == "authorization"; });
  if (status.ok() && expected.principal != nullptr && has_token) {
    grpc::ServerContext context;
    grpc::testing::ServerContextTestSpouse spouse(&context);
    for (const auto& [key, value] : call.metadata) spouse.AddClientMetadata(key, value);
    const std::string actor = f.gate->PrincipalOf(context);
    Check(actor == expected.principal->name, "PrincipalOf names the principal Process let through",
          absl::StrCat("got ", actor, " for ", Show(call)));
  }
  return 0;
}
