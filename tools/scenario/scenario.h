// A deterministic demo portfolio: government clients, their contracts, invoices and
// payments, and the six hearts' interactions, generated from a seed as ledger events.
#ifndef SIXHEARTS_TOOLS_SCENARIO_SCENARIO_H_
#define SIXHEARTS_TOOLS_SCENARIO_SCENARIO_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "sixhearts/ledger/v1/events.pb.h"

namespace sixhearts::scenario {

namespace v1 = ::sixhearts::ledger::v1;

// The namespace of every scenario event id, fixed forever: a new one would make a
// rerun of the same options append a second copy instead of duplicates.
inline constexpr std::string_view kScenarioNamespaceUuid = "6f1c2b7e-3d4a-4e59-8b1f-5a2c9d0e7b31";

// Sizes and defaults of the generator (STYLE.md rule 4: no literals buried in code). Each
// client holds a 2.5 KB random generator, so kMaxClients bounds memory to about 0.5 GB.
inline constexpr int kMaxClients = 200'000;
inline constexpr int kMaxMonths = 120;
inline constexpr size_t kDefaultChunkEvents = 500;

struct ScenarioOptions {
  uint64_t seed = 1;
  int clients = 20;
  // The portfolio's history: clients join during its first quarter.
  int months = 24;
  // The last day with events; never the wall clock, so a seed gives the same events on
  // any day it is run.
  absl::CivilDay end_date = absl::CivilDay(2026, 11, 30);
  // Most events handed to the sink at once.
  size_t chunk_events = kDefaultChunkEvents;
};

struct ScenarioSummary {
  int64_t events = 0;
  int clients = 0;
  // Events by type name (ledger/event_types.h), e.g. "InvoiceIssued".
  std::map<std::string, int64_t> by_type;
};

// INVALID_ARGUMENT for clients outside 1..kMaxClients, months outside 1..kMaxMonths or
// chunk_events 0.
absl::Status CheckOptions(const ScenarioOptions& options);

// Generates the scenario and hands it to `sink` in occurred_at order, in chunks of at
// most chunk_events; the same options always give the same events in the same chunks.
// Holds one month of events in memory at a time. Stops at the sink's first error and
// returns it.
//
// Each client has a "tending" propensity in 0..1 (how well its owner practises the six
// hearts). It sets how often each heart's interactions happen (against cadences of trust
// 90, care 30, listening 60, communication 14, feedback 90 days) and also how the client
// pays: well-tended clients accept and pay on time more often, keep more promises and
// dispute less, so the Evidence report shows the relation.
absl::StatusOr<ScenarioSummary> GenerateScenario(
    const ScenarioOptions& options, absl::FunctionRef<absl::Status(std::vector<v1::Event>&&)> sink);

}  // namespace sixhearts::scenario

#endif  // SIXHEARTS_TOOLS_SCENARIO_SCENARIO_H_
