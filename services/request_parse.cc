// Parse failures of requests: the raw-bytes parser and the interceptor for the others.
#include "services/request_parse.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/support/interceptor.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "ledger/wire_check.h"

namespace sixhearts::services {
namespace {

namespace pb = ::google::protobuf;

constexpr char kCouldNotParse[] = "the request could not be parsed";

// The request type of the method at `path` ("/sixhearts.ledger.v1.Receivables/Aging"),
// or nullptr when the generated pool does not know it.
const pb::Descriptor* RequestTypeOf(std::string_view path) {
  if (path.size() < 2 || path[0] != '/') return nullptr;
  std::string name(path.substr(1));
  const size_t slash = name.rfind('/');
  if (slash == std::string::npos) return nullptr;
  name[slash] = '.';
  const pb::MethodDescriptor* method = pb::DescriptorPool::generated_pool()->FindMethodByName(name);
  return method == nullptr ? nullptr : method->input_type();
}

// One interceptor per call. Only calls with one request message (unary and server
// streaming) are watched: on the others a missing message is the end of the stream.
class ParseFailureInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit ParseFailureInterceptor(grpc::experimental::ServerRpcInfo* info)
      : method_(info->method() != nullptr ? info->method() : ""),
        watched_(info->type() == grpc::experimental::ServerRpcInfo::Type::UNARY ||
                 info->type() == grpc::experimental::ServerRpcInfo::Type::SERVER_STREAMING) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    // gRPC hands the interceptors no message when the request did not parse (or never
    // came); the handler then never ran, and the status about to go out is gRPC's own.
    if (watched_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr) {
      unparsed_ = true;
    }
    if (unparsed_ && methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      // INTERNAL from the synchronous handlers, UNIMPLEMENTED from the callback ones; any
      // other code (RESOURCE_EXHAUSTED when gRPC has no thread for the call) is left.
      if (status.error_code() == grpc::StatusCode::INTERNAL ||
          status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
        methods->ModifySendStatus(Rewritten(status));
      }
    }
    methods->Proceed();
  }

 private:
  grpc::Status Rewritten(const grpc::Status& status) const {
    const pb::Descriptor* type = RequestTypeOf(method_);
    std::string message(kCouldNotParse);
    if (type != nullptr) absl::StrAppend(&message, " as ", type->full_name());
    // gRPC's words for a call that carried no request message at all.
    if (status.error_message() == "No payload") absl::StrAppend(&message, ": no request message");
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
  }

  const std::string method_;
  const bool watched_;
  bool unparsed_ = false;
};

class ParseFailureInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new ParseFailureInterceptor(info);
  }
};

}  // namespace

grpc::Status ParseRequest(const grpc::ByteBuffer& bytes, pb::Message* request) {
  grpc::ByteBuffer copy(bytes);  // the reader consumes what it reads; the copy shares slices
  grpc::ProtoBufferReader reader(&copy);
  if (request->ParseFromZeroCopyStream(&reader)) return grpc::Status::OK;
  // Only a refused request pays for the flat copy the walk reads.
  std::string flat;
  if (std::vector<grpc::Slice> slices; bytes.Dump(&slices).ok()) {
    for (const grpc::Slice& slice : slices) {
      flat.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
  }
  const pb::Descriptor& type = *request->GetDescriptor();
  const std::string where = ledger::DescribeParseFailure(type, flat);
  return grpc::Status(
      grpc::StatusCode::INVALID_ARGUMENT,
      absl::StrCat(kCouldNotParse, " as ", type.full_name(), where.empty() ? "" : ": ", where));
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeParseFailureInterceptorFactory() {
  return std::make_unique<ParseFailureInterceptorFactory>();
}

}  // namespace sixhearts::services
