// Requests whose bytes do not parse: every method answers INVALID_ARGUMENT "the request
// could not be parsed as <type>", naming the field at fault where the bytes are at hand.
// gRPC itself answers such a request with INTERNAL and no message (synchronous methods)
// or UNIMPLEMENTED (callback methods), so a client would blame the server or conclude
// the method does not exist.
#ifndef SIXHEARTS_SERVICES_REQUEST_PARSE_H_
#define SIXHEARTS_SERVICES_REQUEST_PARSE_H_

#include <memory>
#include <string_view>

#include "google/protobuf/message.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_interceptor.h"
#include "grpcpp/support/status.h"

namespace sixhearts::services {

// Parses `bytes` into `request`. OK, or INVALID_ARGUMENT "the request could not be parsed
// as sixhearts.ledger.v1.AppendRequest: events[0].event_id: not valid UTF-8" (the part
// after the type from ledger::DescribeParseFailure, left out when it finds nothing to
// name). For the methods that take their request's raw bytes (EventStore/Append).
grpc::Status ParseRequest(const grpc::ByteBuffer& bytes, google::protobuf::Message* request);

// The interceptor factory that gives every other method the same answer: a call whose
// request gRPC could not parse into the method's type (found in the generated descriptor
// pool from the method's path) answers INVALID_ARGUMENT "the request could not be parsed
// as sixhearts.ledger.v1.AgingRequest" instead of gRPC's INTERNAL with no message. gRPC
// frees the bytes before any interceptor runs, so this message names the type, not the
// field. For grpc::ServerBuilder::experimental().SetInterceptorCreators().
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeParseFailureInterceptorFactory();

}  // namespace sixhearts::services

#endif  // SIXHEARTS_SERVICES_REQUEST_PARSE_H_
