// Appending import batches, with the split on ALREADY_EXISTS and the row-by-row retry
// around rows the ledger refuses.
#include "tools/ledgerctl/import_append.h"

#include <optional>
#include <string_view>

#include "absl/strings/numbers.h"

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

bool IsRowError(const absl::Status& status) {
  return absl::IsInvalidArgument(status) || absl::IsAlreadyExists(status) ||
         absl::IsNotFound(status) || absl::IsOutOfRange(status);
}

namespace {

// k of a message that starts "events[k]", the ledger's way of naming the event at fault.
std::optional<size_t> EventIndex(const absl::Status& status) {
  std::string_view message(status.message().data(), status.message().size());
  constexpr std::string_view kPrefix = "events[";
  if (!message.starts_with(kPrefix)) return std::nullopt;
  message.remove_prefix(kPrefix.size());
  const size_t close = message.find(']');
  size_t index = 0;
  if (close == std::string_view::npos ||
      !absl::SimpleAtoi(absl::string_view(message.data(), close), &index)) {
    return std::nullopt;
  }
  return index;
}

struct RowAppender {
  LedgerClient* client;
  absl::Span<const v1::Event> events;
  absl::Span<const std::pair<size_t, size_t>> rows;
  AppendCounts* counts;
  std::vector<bool>* stored;
  std::vector<RefusedRow>* refused;

  // Sends the events of `subset` (row indices) in one request; (*owner)[k] is the row of
  // the request's events[k].
  absl::Status Send(const std::vector<size_t>& subset, std::vector<size_t>* owner) {
    v1::AppendRequest request;
    owner->clear();
    for (size_t row : subset) {
      for (size_t i = rows[row].first; i < rows[row].second; ++i) {
        *request.add_events() = events[i];
        owner->push_back(row);
      }
    }
    if (request.events_size() == 0) return absl::OkStatus();
    absl::StatusOr<v1::AppendResponse> response = client->Append(request);
    if (!response.ok()) return response.status();
    (response->duplicate() ? counts->already_stored : counts->appended) += request.events_size();
    for (size_t row : subset) (*stored)[row] = true;
    return absl::OkStatus();
  }

  absl::Status Run(std::vector<size_t> pending) {
    std::vector<size_t> owner;
    while (!pending.empty()) {
      absl::Status s = Send(pending, &owner);
      if (s.ok()) return s;
      if (!IsRowError(s)) return s;
      if (pending.size() == 1) return Alone(pending[0]);
      const std::optional<size_t> at = EventIndex(s);
      if (!at.has_value() || *at >= owner.size()) {
        const size_t half = pending.size() / 2;
        if (absl::Status left = Run({pending.begin(), pending.begin() + half}); !left.ok()) {
          return left;
        }
        return Run({pending.begin() + half, pending.end()});
      }
      const size_t bad = owner[*at];
      if (absl::Status alone = Alone(bad); !alone.ok()) return alone;
      std::erase(pending, bad);
    }
    return absl::OkStatus();
  }

  // The row on its own: stored, or refused with the ledger's reason for it alone.
  absl::Status Alone(size_t row) {
    std::vector<size_t> owner;
    absl::Status s = Send({row}, &owner);
    if (s.ok()) return s;
    if (absl::IsAlreadyExists(s) && rows[row].second - rows[row].first > 1) {
      // Part of the row was stored by someone else: event by event, as AppendSplitting.
      AppendCounts part;
      s = AppendSplitting(
          client, events.subspan(rows[row].first, rows[row].second - rows[row].first), &part);
      counts->appended += part.appended;
      counts->already_stored += part.already_stored;
      if (s.ok()) {
        (*stored)[row] = true;
        return s;
      }
    }
    if (!IsRowError(s)) return s;
    refused->push_back({row, s});
    return absl::OkStatus();
  }
};

}  // namespace

absl::Status AppendRows(LedgerClient* client, absl::Span<const v1::Event> events,
                        absl::Span<const std::pair<size_t, size_t>> rows, AppendCounts* counts,
                        std::vector<bool>* stored, std::vector<RefusedRow>* refused) {
  stored->assign(rows.size(), false);
  std::vector<size_t> all(rows.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  RowAppender appender{client, events, rows, counts, stored, refused};
  return appender.Run(std::move(all));
}

}  // namespace sixhearts::ledgerctl
