// The in-flight counter: one interceptor object per call, alive exactly as long as the
// call, so its constructor and destructor count the call in and out.
#include "services/in_flight.h"

#include "absl/strings/str_cat.h"

namespace sixhearts::services {

class InFlightCounter final : public grpc::experimental::Interceptor {
 public:
  InFlightCounter(InFlightLimit* limit, bool counted) : limit_(limit), counted_(counted) {
    if (counted_) limit_->in_flight_.fetch_add(1, std::memory_order_relaxed);
  }
  ~InFlightCounter() override {
    if (counted_) limit_->in_flight_.fetch_sub(1, std::memory_order_relaxed);
  }
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    methods->Proceed();
  }

 private:
  InFlightLimit* const limit_;
  const bool counted_;
};

namespace {

class CounterFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CounterFactory(InFlightLimit* limit) : limit_(limit) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    const char* method = info->method();
    return new InFlightCounter(limit_, method != nullptr && !InFlightLimit::IsLongLived(method));
  }

 private:
  InFlightLimit* const limit_;
};

}  // namespace

bool InFlightLimit::IsLongLived(std::string_view method) {
  return method == "/sixhearts.ledger.v1.EventStore/Subscribe" ||
         method == "/grpc.health.v1.Health/Watch";
}

grpc::Status InFlightLimit::Check(std::string_view method) const {
  if (IsLongLived(method)) return grpc::Status::OK;
  if (in_flight_.load(std::memory_order_relaxed) < max_) return grpc::Status::OK;
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                      absl::StrCat("more than max_in_flight_requests (", max_,
                                   ") calls are in progress; retry with backoff"));
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
InFlightLimit::MakeCounterFactory() {
  return std::make_unique<CounterFactory>(this);
}

}  // namespace sixhearts::services
