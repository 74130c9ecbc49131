// Every limit and default of ledgerctl in one place (STYLE.md rule 4): input line size,
// batch sizes, how many rows a text table buffers to align them, deadlines, reconnect
// backoff.
#ifndef SIXHEARTS_TOOLS_LEDGERCTL_LIMITS_H_
#define SIXHEARTS_TOOLS_LEDGERCTL_LIMITS_H_

#include <cstddef>
#include <cstdint>

namespace sixhearts::ledgerctl {

// Longest JSON line `append` accepts, in bytes. The ledger refuses events over 64 KiB
// serialized (ledger/limits.h max_event_bytes); JSON is wordier, so allow 16 times that.
inline constexpr size_t kMaxJsonLineBytes = 1024 * 1024;

// Events per Append request for `append`. The upper bound is the ledger's default
// max_batch_events.
inline constexpr size_t kDefaultAppendBatchEvents = 500;
inline constexpr size_t kMaxAppendBatchEvents = 10'000;

// Rows a text table holds back to measure its columns; later rows are printed at once
// with the widths measured so far, so reading a long log never holds it all in memory.
inline constexpr size_t kMaxBufferedTableRows = 10'000;

// Deadline of Append and Digest calls unless --timeout-ms says otherwise. Reads, Verify
// and Subscribe take as long as their range needs and have none.
inline constexpr int64_t kDefaultUnaryTimeoutMs = 30'000;

// Largest gRPC message received or sent: the ledger's default max_message_bytes.
inline constexpr int kMaxMessageBytes = 64 * 1024 * 1024;

// `tail` reconnects after this, doubling up to the maximum; a message received resets it.
inline constexpr int64_t kReconnectInitialBackoffMs = 100;
inline constexpr int64_t kReconnectMaxBackoffMs = 5'000;

// The progress bar redraws at most this often on a terminal, and prints a line at most
// this often otherwise.
inline constexpr int64_t kProgressRedrawMs = 100;
inline constexpr int64_t kProgressLineMs = 5'000;

}  // namespace sixhearts::ledgerctl

#endif  // SIXHEARTS_TOOLS_LEDGERCTL_LIMITS_H_
