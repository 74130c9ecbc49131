// Setting limits by name, for configuration files and flags.
#include "ledger/limits.h"

#include <limits>

#include "absl/strings/str_cat.h"

namespace sixhearts::ledger {
namespace {

// One entry per field: its name and how to set it within its type's range.
struct Field {
  const char* name;
  size_t* size_field = nullptr;
  uint32_t* u32_field = nullptr;
  uint64_t max = std::numeric_limits<uint64_t>::max();
};

std::vector<Field> Fields(Limits* l) {
  constexpr uint64_t kU32 = std::numeric_limits<uint32_t>::max();
  // gRPC takes message sizes as int.
  constexpr uint64_t kInt = std::numeric_limits<int32_t>::max();
  return {
      {"max_event_bytes", &l->max_event_bytes, nullptr, kInt},
      {"max_batch_events", &l->max_batch_events, nullptr, kU32},
      {"max_message_bytes", &l->max_message_bytes, nullptr, kInt},
      {"max_read_events", nullptr, &l->max_read_events, kU32},
      {"max_scan_records", nullptr, &l->max_scan_records, kU32},
      {"subscription_buffer_events", &l->subscription_buffer_events, nullptr, kU32},
      {"max_subscriptions", &l->max_subscriptions, nullptr, kU32},
      {"max_pending_appends", &l->max_pending_appends, nullptr, kU32},
      {"max_group_events", &l->max_group_events, nullptr, kU32},
      {"max_id_bytes", &l->max_id_bytes, nullptr, kU32},
      {"max_text_bytes", &l->max_text_bytes, nullptr, kU32},
      {"max_cached_streams", &l->max_cached_streams, nullptr, kU32},
      {"max_in_flight_requests", &l->max_in_flight_requests, nullptr, kU32},
      {"max_streams_per_connection", &l->max_streams_per_connection, nullptr, kU32},
      {"grpc_memory_bytes", &l->grpc_memory_bytes, nullptr, std::numeric_limits<uint64_t>::max()},
  };
}

}  // namespace

absl::Status SetLimit(Limits* limits, std::string_view name, uint64_t value) {
  for (const Field& field : Fields(limits)) {
    if (name != field.name) continue;
    if (value == 0 || value > field.max) {
      return absl::InvalidArgumentError(
          absl::StrCat(field.name, ": ", value, " is outside 1..", field.max));
    }
    if (field.size_field != nullptr) *field.size_field = static_cast<size_t>(value);
    if (field.u32_field != nullptr) *field.u32_field = static_cast<uint32_t>(value);
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("no limit is called \"", std::string(name), "\" (ledger/limits.h)"));
}

std::vector<std::string> LimitNames() {
  Limits limits;
  std::vector<std::string> names;
  for (const Field& field : Fields(&limits)) names.push_back(field.name);
  return names;
}

}  // namespace sixhearts::ledger
