// Appending import batches, with the split on ALREADY_EXISTS.
#include "tools/ledgerctl/import_append.h"

namespace sixhearts::ledgerctl {

std::vector<std::pair<size_t, size_t>> RowGroups(absl::Span<const v1::Event> events) {
  std::vector<std::pair<size_t, size_t>> groups;
  for (size_t i = 0; i < events.size(); ++i) {
    bool joins = false;
    if (i > 0 && events[i - 1].stream() == events[i].stream()) {
      const v1::Event& previous = events[i - 1];
      const v1::Event& event = events[i];
      if (event.has_invoice_issued() && previous.has_client_registered()) joins = true;
      if (event.has_payment_received() && previous.has_invoice_issued() &&
          event.payment_received().allocations_size() > 0 &&
          event.payment_received().allocations(0).invoice_id() ==
              previous.invoice_issued().invoice_id()) {
        joins = true;
      }
    }
    if (joins) {
      groups.back().second = i + 1;
    } else {
      groups.emplace_back(i, i + 1);
    }
  }
  return groups;
}

// Depth is at most two: a batch into rows, a row into events.
absl::Status AppendSplitting(LedgerClient* client, absl::Span<const v1::Event> events,
                             AppendCounts* counts) {
  v1::AppendRequest request;
  for (const v1::Event& event : events) *request.add_events() = event;
  absl::StatusOr<v1::AppendResponse> response = client->Append(request);
  if (response.ok()) {
    (response->duplicate() ? counts->already_stored : counts->appended) +=
        static_cast<int64_t>(events.size());
    return absl::OkStatus();
  }
  if (!absl::IsAlreadyExists(response.status()) || events.size() == 1) return response.status();
  std::vector<std::pair<size_t, size_t>> parts = RowGroups(events);
  if (parts.size() == 1) {
    parts.clear();
    for (size_t i = 0; i < events.size(); ++i) parts.emplace_back(i, i + 1);
  }
  for (const auto& [begin, end] : parts) {
    absl::Status s = AppendSplitting(client, events.subspan(begin, end - begin), counts);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace sixhearts::ledgerctl
