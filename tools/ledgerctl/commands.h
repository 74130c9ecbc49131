// The ledgerctl commands as functions over parsed options, so that the command line
// (cli.cc) stays a thin layer and the commands can be driven from tests.
//
// Exit codes: kExitOk; kExitServerError when the ledger returned an error (or could not
// be reached); kExitUsage for bad flags or bad input found before anything was sent;
// kExitVerifyFailed when `verify` finds the hash chain broken; kExitRowsNotImported and
// kExitInterrupted for `import`.
#ifndef SIXHEARTS_TOOLS_LEDGERCTL_COMMANDS_H_
#define SIXHEARTS_TOOLS_LEDGERCTL_COMMANDS_H_

#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sixhearts/ledger/v1/event_store.pb.h"
#include "tools/ledgerctl/ledger_client.h"
#include "tools/ledgerctl/table.h"

namespace sixhearts::ledgerctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitServerError = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitVerifyFailed = 3;
// `import`: some rows were not imported (rejected, in conflict with the ledger, or refused
// by it); every other row is stored.
inline constexpr int kExitRowsNotImported = 4;
// `import` stopped by SIGINT (Ctrl-C) between two batches.
inline constexpr int kExitInterrupted = 130;

// The exit code for a failed command: kExitServerError for errors marked by
// ServerError(), kExitUsage for the rest.
int ExitCodeFor(const absl::Status& status);

// What every command gets. Nothing here is owned.
struct CommandContext {
  LedgerClient* client = nullptr;
  OutputFormat format = OutputFormat::kText;
  std::istream* in = nullptr;
  std::ostream* out = nullptr;
  // Errors, reconnect notices and the progress bar.
  std::ostream* err = nullptr;
  bool err_is_terminal = false;
  std::function<absl::Time()> now;
  std::function<void(absl::Duration)> sleep;
};

// --type, --stream-prefix, --occurred-from, --occurred-to.
struct FilterOptions {
  std::vector<std::string> types;
  std::string stream_prefix;
  // RFC 3339, or YYYY-MM-DD for the start of that day in UTC.
  std::string occurred_from;
  // RFC 3339 (exclusive), or YYYY-MM-DD for the end of that day in UTC (the day included).
  std::string occurred_to;
};

// INVALID_ARGUMENT naming the flag for an unknown type or an unparsable time.
absl::StatusOr<ledger::v1::EventFilter> BuildFilter(const FilterOptions& options);

// "STREAM=any", "STREAM=no-stream" or "STREAM=N" (N = 0 is the same as no-stream).
absl::StatusOr<ledger::v1::ExpectedVersion> ParseExpectation(const std::string& text);

struct AppendOptions {
  std::string file = "-";  // "-": standard input
  size_t batch_events = 0;
  std::vector<std::string> expect;
};
absl::StatusOr<int> RunAppend(const CommandContext& context, const AppendOptions& options);

struct ReadOptions {
  uint64_t from_position = 0;
  bool backward = false;
  uint32_t limit = 0;
  FilterOptions filter;
};
absl::StatusOr<int> RunRead(const CommandContext& context, const ReadOptions& options);

struct StreamOptions {
  std::string stream;
  uint64_t from_version = 0;
  uint32_t limit = 0;
  FilterOptions filter;
};
absl::StatusOr<int> RunStream(const CommandContext& context, const StreamOptions& options);

struct TailOptions {
  // Unset: from the head when tail starts.
  std::optional<uint64_t> after_position;
  bool from_start = false;
  // Stop after this many events; 0: run until interrupted.
  uint64_t count = 0;
  FilterOptions filter;
};
absl::StatusOr<int> RunTail(const CommandContext& context, const TailOptions& options);

absl::StatusOr<int> RunDigest(const CommandContext& context);

struct VerifyOptions {
  uint64_t from_position = 0;
  uint64_t to_position = 0;
};
absl::StatusOr<int> RunVerify(const CommandContext& context, const VerifyOptions& options);

struct ImportCsvOptions {
  std::string file;  // "-": standard input
  std::string preset;
  std::string mapping_file;
  std::vector<std::string> map;
  size_t batch_events = 0;
  // Append what makes the ledger agree with changed rows instead of reporting conflicts.
  bool reconcile = false;
  // YYYY-MM-DD: the day a reconciled row's InvoiceAmended takes effect; empty: today (UTC).
  std::string amended_on;
};
absl::StatusOr<int> RunImport(const CommandContext& context, const ImportCsvOptions& options);

struct GenerateOptions {
  uint64_t seed = 1;
  int clients = 20;
  int months = 24;
  std::string end_date = "2026-11-30";
  size_t batch_events = 0;  // 0: kDefaultAppendBatchEvents
  bool dry_run = false;     // generate and count, append nothing
  std::string jsonl;        // write JSON lines here instead of appending
};
absl::StatusOr<int> RunGenerate(const CommandContext& context, const GenerateOptions& options);

// --as-of, --known-at and --group-by, which every receivables report accepts.
struct ReportOptions {
  // YYYY-MM-DD; empty: today (UTC) per the server's clock.
  std::string as_of;
  // RFC 3339, or YYYY-MM-DD for the end of that day (UTC); empty: everything stored now.
  std::string known_at;
  // client|owner|jurisdiction|kind|currency; only aging groups (the others refuse it).
  std::string group_by;
};

struct AgingCommandOptions {
  ReportOptions report;
  // Comma-separated inclusive upper bounds in days, e.g. "0,30,60,90"; empty: the
  // server's default 0,30,60,90,180,365.
  std::string buckets;
  // Show the drill-down lines (invoices, unapplied cash, standalone credits).
  bool invoices = false;
};
absl::StatusOr<int> RunAging(const CommandContext& context, const AgingCommandOptions& options);

struct DsoCommandOptions {
  // as_of is the same as `to`.
  ReportOptions report;
  std::string from;
  std::string to;
  // "2013Q3": from the quarter's first day to its last; excludes from, to and as_of.
  std::string quarter;
  // countback|simple; empty: countback.
  std::string method;
  // 0: the server's default (36).
  int countback_max_months = 0;
};
absl::StatusOr<int> RunDso(const CommandContext& context, const DsoCommandOptions& options);

struct PromisesCommandOptions {
  ReportOptions report;
  // Unset: the server's default (3 days).
  std::optional<int> tolerance_days;
};
absl::StatusOr<int> RunPromises(const CommandContext& context,
                                const PromisesCommandOptions& options);

absl::StatusOr<int> RunDisputes(const CommandContext& context, const ReportOptions& options);

// The receivables projection's status, and its rebuild.
absl::StatusOr<int> RunProjections(const CommandContext& context);
absl::StatusOr<int> RunRebuild(const CommandContext& context);

// --as-of, --known-at and the few analytics options the relationship reports expose.
struct RelationshipReportOptions {
  // YYYY-MM-DD; empty: today (UTC) per the server's clock.
  std::string as_of;
  // RFC 3339, or YYYY-MM-DD for the end of that day (UTC); empty: everything stored now.
  std::string known_at;
  // The look-back window in days; unset: the server's default (180).
  std::optional<int> window_days;
  // Days after the promised date a promise is judged; unset: the server's default (3).
  // Not used by scorecard and plans.
  std::optional<int> tolerance_days;
};

struct ScorecardCommandOptions {
  RelationshipReportOptions report;
  // Only these clients / account owners; empty: all.
  std::vector<std::string> clients;
  std::vector<std::string> owners;
};
absl::StatusOr<int> RunScorecard(const CommandContext& context,
                                 const ScorecardCommandOptions& options);

struct TimelineCommandOptions {
  RelationshipReportOptions report;
  std::string client;  // required
  // Months in the series; unset: the server's default (12).
  std::optional<int> months;
  // Which table --csv prints: entries (default), milestones or series.
  std::string show;
};
absl::StatusOr<int> RunTimeline(const CommandContext& context,
                                const TimelineCommandOptions& options);

struct PlansCommandOptions {
  RelationshipReportOptions report;
  std::vector<std::string> clients;
};
absl::StatusOr<int> RunPlans(const CommandContext& context, const PlansCommandOptions& options);

struct WorklistCommandOptions {
  RelationshipReportOptions report;
  // The collector or team; empty: every client.
  std::vector<std::string> owners;
  // Rows shown; unset: the server's default (100).
  std::optional<int> limit;
};
absl::StatusOr<int> RunWorklist(const CommandContext& context,
                                const WorklistCommandOptions& options);

absl::StatusOr<int> RunEvidence(const CommandContext& context,
                                const RelationshipReportOptions& options);

// The relationship projection's status, and its rebuild.
absl::StatusOr<int> RunRelationshipsProjections(const CommandContext& context);
absl::StatusOr<int> RunRelationshipsRebuild(const CommandContext& context);

// The compliance projection's status, and its rebuild.
absl::StatusOr<int> RunComplianceProjections(const CommandContext& context);
absl::StatusOr<int> RunComplianceRebuild(const CommandContext& context);

// `backup create|list|verify|restore`. create goes through the server's Admin service
// (the backup lands in ledgerd's --backup-dir); list and verify too, unless backup_dir
// is given, when they read that directory locally; restore is always local and offline.
struct BackupOptions {
  // Local backup directory: required by restore, optional for list and verify.
  std::string backup_dir;
  // restore: the data directory to create; must be missing or empty.
  std::string data_dir;
  // verify, restore: 0 means the newest backup.
  uint32_t backup_id = 0;
  // create: keep only the newest N backups afterwards; 0 keeps all.
  uint32_t keep_last = 0;
};
absl::StatusOr<int> RunBackupCreate(const CommandContext& context, const BackupOptions& options);
absl::StatusOr<int> RunBackupList(const CommandContext& context, const BackupOptions& options);
// Exit code kExitVerifyFailed when the backup is damaged.
absl::StatusOr<int> RunBackupVerify(const CommandContext& context, const BackupOptions& options);
// Exit code kExitVerifyFailed when the restored chain does not verify.
absl::StatusOr<int> RunBackupRestore(const CommandContext& context, const BackupOptions& options);

// Decimal major units of `amount_minor` with the currency's minor digits (ledger/currency.h;
// 2 for an unknown code): FormatMinorUnits(428429, "USD") == "4284.29",
// FormatMinorUnits(-5, "JPY") == "-5", FormatMinorUnits(-5, "USD") == "-0.05".
std::string FormatMinorUnits(int64_t amount_minor, std::string_view currency);

}  // namespace sixhearts::ledgerctl

#endif  // SIXHEARTS_TOOLS_LEDGERCTL_COMMANDS_H_
