// The bound on calls served at once (Limits::max_in_flight_requests). A server
// interceptor counts the calls from their start to their end; the call gate in front of
// the handlers (services/auth/authenticator.h) refuses a new call with
// RESOURCE_EXHAUSTED while the count is at the limit, so a flood of clients queues
// nothing in the server beyond the limit.
#ifndef SIXHEARTS_SERVICES_IN_FLIGHT_H_
#define SIXHEARTS_SERVICES_IN_FLIGHT_H_

#include <atomic>
#include <memory>
#include <string_view>

#include "grpcpp/support/server_interceptor.h"
#include "grpcpp/support/status.h"

namespace sixhearts::services {

// Thread-safe.
class InFlightLimit {
 public:
  explicit InFlightLimit(size_t max_in_flight_requests) : max_(max_in_flight_requests) {}

  // OK, or RESOURCE_EXHAUSTED naming max_in_flight_requests. Calls that wait for events
  // for as long as the client likes (Subscribe, health Watch) are neither counted nor
  // refused here: max_subscriptions bounds them. Calls that pass the check at the same
  // moment may overshoot the limit by the number of gRPC's transport threads.
  grpc::Status Check(std::string_view method) const;

  // The interceptor factory to give grpc::ServerBuilder. REQUIRES: this outlives the
  // server.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeCounterFactory();

  size_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  size_t max() const { return max_; }

  // True for the calls that are not counted.
  static bool IsLongLived(std::string_view method);

 private:
  friend class InFlightCounter;
  const size_t max_;
  std::atomic<size_t> in_flight_{0};
};

}  // namespace sixhearts::services

#endif  // SIXHEARTS_SERVICES_IN_FLIGHT_H_
