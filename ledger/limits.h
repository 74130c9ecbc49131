// Every limit of the ledger in one place (STYLE.md rule 4). Each queue and loop is
// bounded by one of these; the server exposes them as configuration with these defaults.
#ifndef SIXHEARTS_LEDGER_LIMITS_H_
#define SIXHEARTS_LEDGER_LIMITS_H_

#include <cstddef>
#include <cstdint>

namespace sixhearts::ledger {

struct Limits {
  // Largest serialized event accepted, in bytes.
  size_t max_event_bytes = 64 * 1024;
  // Most events in one Append request.
  size_t max_batch_events = 10'000;
  // Largest gRPC message accepted or sent, in bytes (a full batch of large events fits).
  size_t max_message_bytes = 64 * 1024 * 1024;
  // Most events returned by one read call (a page); ReadLog/ReadStream stream pages.
  uint32_t max_read_events = 1'000;
  // Most records one read page may look at while filtering, so a filter that matches
  // nothing cannot pin a thread on a scan of the whole log.
  uint32_t max_scan_records = 100'000;
  // Events a live subscription may have queued before it is dropped as too slow.
  size_t subscription_buffer_events = 16'384;
  // Live subscriptions served at once.
  size_t max_subscriptions = 256;
  // Append requests waiting for the writer; beyond this Append returns
  // RESOURCE_EXHAUSTED.
  size_t max_pending_appends = 4'096;
  // Most events the writer puts in one synced write (group commit). The writer stages the
  // next group while one is being written, so at most two groups are in memory besides
  // the queue.
  size_t max_group_events = 20'000;
  // Longest identifier (event id, stream, business id, correlation id), in bytes.
  size_t max_id_bytes = 128;
  // Longest free-text field (summary, reason, note), in bytes.
  size_t max_text_bytes = 4'096;
  // Stream version cache entries kept by the writer before it is cleared.
  size_t max_cached_streams = 1'000'000;
  // Business objects (the `entities` family: clients, invoices, ...) the writer caches
  // before it clears the cache, so a reference to a known object costs no read.
  size_t max_cached_entities = 1'000'000;
  // Personal-data keys kept in memory by the keystore before its cache is cleared.
  size_t max_cached_keys = 100'000;

  // The server's (gRPC) limits; the ledger core only carries them.
  //
  // Calls being served at once, Subscribe and health Watch excepted (those are bounded by
  // max_subscriptions); beyond it a call gets RESOURCE_EXHAUSTED before any handler runs.
  size_t max_in_flight_requests = 1'024;
  // Concurrent calls on one client connection (HTTP/2 streams); a client opening more
  // waits on its side.
  size_t max_streams_per_connection = 100;
  // Memory gRPC may use for buffers of all connections together (its ResourceQuota);
  // under pressure it shrinks read buffers and refuses new connections rather than grow.
  size_t grpc_memory_bytes = 512 * 1024 * 1024;
};

}  // namespace sixhearts::ledger

#endif  // SIXHEARTS_LEDGER_LIMITS_H_
