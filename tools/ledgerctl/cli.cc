// CLI11 wiring of the ledgerctl commands.
#include "tools/ledgerctl/cli.h"

#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/auth/auth_config.h"
#include "tools/ledgerctl/audit_command.h"
#include "tools/ledgerctl/commands.h"
#include "tools/ledgerctl/compliance_commands.h"
#include "tools/ledgerctl/limits.h"
#include "tools/ledgerctl/proof_commands.h"

namespace sixhearts::ledgerctl {
namespace {

constexpr char kAppendFooter[] =
    R"(Each line is one sixhearts.ledger.v1.Event in the protobuf JSON mapping, e.g.
  {"stream":"client-42","occurred_at":"2026-01-05T00:00:00Z","client_registered":{...}}
Blank lines are skipped. position, stream_version, recorded_at, actor and hash are set by
the ledger and ignored.

A line without event_id gets a deterministic one: the first 16 bytes of SHA-256 over the
line's bytes (without its line break), with the UUID version nibble set to 8 and the
variant bits to 10, written as a lower-case 8-4-4-4-12 UUID. Appending the same file again
(with the same --batch) therefore stores nothing new: every request is answered with the
original positions and shown as already_stored. Two identical lines are one event.

--expect is checked once, with the first request: it states what the streams look like
before the file. A malformed line stops the command (exit 2); requests sent before it
stay stored, the one it belongs to is not sent.)";

constexpr char kImportFooter[] =
    R"(The mapping is the preset, then the mapping file, then the --map pairs (later wins);
keys are listed in tools/csv_import/column_mapping.h (client_id, invoice_id,
invoice_date, due_date, amount, currency, settled_date, date_format, jurisdiction, ...).

Each row is compared with what the client's stream holds for its invoice: an unchanged
row appends nothing; a row settled since appends a payment of what the ERP says was paid
minus what the ledger holds; a row that changed a stored fact (amount, dates, currency,
settlement) is a conflict, listed with the stored and new values, and appends nothing.
With --reconcile, the events that make the ledger agree are appended instead, each naming
its line: an InvoiceAmended for a higher amount or other dates (effective --amended-on,
or the settled date when earlier), a credit note for a lower amount, a PaymentReversed of
the import's payment for a settlement moved or removed, and the payment of the
difference; another currency stays a conflict. A row the ledger refuses is listed
with its reason and the rest of its batch is stored. Exit codes: 0 every row imported,
4 some rows rejected, in conflict or refused (the rest are stored), 2 bad flags or
mapping, 1 the ledger failed, 130 interrupted (Ctrl-C: what was stored is reported, and
importing the file again completes it).)";

constexpr char kGenerateFooter[] =
    R"(The same --seed, --clients, --months, --end-date and --batch give the same events in
the same Append requests, with deterministic event ids: running the command again appends
nothing (every request is answered as already stored), and an interrupted run, run again,
appends only the rest. Each client has a tending propensity that sets how often its
owner practises each heart and how the client pays: see `ledgerctl evidence`.)";

constexpr char kTailFooter[] =
    R"(When the ledger drops the subscription because tail fell behind (RESOURCE_EXHAUSTED),
or the server is unavailable or stopping (UNAVAILABLE, CANCELLED), tail says so on stderr
and subscribes again after the last position it received: no event is lost or repeated.
It waits 0.1 s before the first attempt and twice as long before each next one, up to 5 s,
and keeps trying until interrupted.)";

constexpr char kBackupFooter[] =
    R"(create asks the server for a backup into the directory ledgerd was started with
(--backup-dir); appends go on meanwhile, and the backup holds every event appended before
it began (head_position says exactly which). list and verify ask the server too, or read
a backup directory here with --backup-dir (e.g. a copy on another machine). restore works
on directories only and never talks to a server: it refuses a --data-dir that is not
empty, copies the backup there (checking every file's CRC32C), opens the restored ledger
and verifies its whole chain. Start ledgerd on the restored directory to serve it.)";

void AddFilterFlags(CLI::App* command, FilterOptions* filter) {
  command
      ->add_option("--type", filter->types,
                   "Only events of this type, e.g. InvoiceIssued (repeatable)")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  command->add_option("--stream-prefix", filter->stream_prefix,
                      "Only streams starting with this, e.g. client-42");
  command->add_option("--occurred-from", filter->occurred_from,
                      "Only events that occurred at or after this: RFC 3339 or YYYY-MM-DD (UTC)");
  command->add_option("--occurred-to", filter->occurred_to,
                      "Only events that occurred before this RFC 3339 instant, or on or "
                      "before this YYYY-MM-DD (UTC)");
}

constexpr char kReportsFooter[] =
    R"(--as-of is the business day: the report counts what had happened by the end of that day
(UTC); default today per the server's clock. --known-at asks for the books as the ledger
knew them then (RFC 3339, or YYYY-MM-DD for the end of that day, UTC), leaving out events
recorded later, e.g. a late-entered payment. Text shows amounts in major units of their
currency (4,284.29); --csv and --json give integer minor units in columns named *_minor.)";

void AddReportFlags(CLI::App* command, ReportOptions* report) {
  command->add_option("--as-of", report->as_of, "Business day YYYY-MM-DD (default: today, UTC)");
  command->add_option("--known-at", report->known_at,
                      "Only events recorded by then: RFC 3339, or YYYY-MM-DD (its end, UTC)");
  command->add_option("--group-by", report->group_by,
                      "client|owner|jurisdiction|kind|currency (aging only)");
  command->footer(kReportsFooter);
}

constexpr char kRelationshipsFooter[] =
    R"(--as-of is the business day: the report counts what had happened by the end of that day
(UTC); default today per the server's clock. --known-at asks for the books as the ledger
knew them then (RFC 3339, or YYYY-MM-DD for the end of that day, UTC). Heart scores are
0..1 and health indices 0..100 (n/a: not applicable); definitions and defaults are in
services/relationships/analytics.h.)";

// --as-of, --known-at and, where the report has a window, --window-days; where it judges
// promises, --tolerance-days. Unset numbers keep the server's defaults.
void AddRelationshipFlags(CLI::App* command, RelationshipReportOptions* report, int* window_days,
                          int* tolerance_days, bool window, bool tolerance) {
  command->add_option("--as-of", report->as_of, "Business day YYYY-MM-DD (default: today, UTC)");
  command->add_option("--known-at", report->known_at,
                      "Only events recorded by then: RFC 3339, or YYYY-MM-DD (its end, UTC)");
  if (window) {
    command->add_option("--window-days", *window_days, "Look-back window in days (default 180)")
        ->check(CLI::Range(1, 3650));
  }
  if (tolerance) {
    command
        ->add_option("--tolerance-days", *tolerance_days,
                     "Days after the promised date a promise is judged (default 3)")
        ->check(CLI::Range(0, 3650));
  }
  command->footer(kRelationshipsFooter);
}

// Copies the numeric flags given on the command line into the options.
void TakeRelationshipFlags(CLI::App* command, int window_days, int tolerance_days,
                           RelationshipReportOptions* report) {
  if (CLI::Option* o = command->get_option_no_throw("--window-days"); o && o->count() > 0) {
    report->window_days = window_days;
  }
  if (CLI::Option* o = command->get_option_no_throw("--tolerance-days"); o && o->count() > 0) {
    report->tolerance_days = tolerance_days;
  }
}

// token-hash: no server needed. The token comes on standard input, not as a flag, so it
// stays out of the shell history and the process list.
int RunTokenHash(std::istream& in, std::ostream& out, std::ostream& err, bool new_token) {
  if (new_token) {
    const std::string token = services::auth::NewToken();
    out << "token: " << token << "\n"
        << "token_hash = \"" << services::auth::MakeTokenHash(token) << "\"\n";
    return kExitOk;
  }
  std::string token;
  std::getline(in, token);
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (token.empty()) {
    err << "ledgerctl: token-hash: no token on standard input (or use --new)" << std::endl;
    return kExitUsage;
  }
  out << "token_hash = \"" << services::auth::MakeTokenHash(token) << "\"\n";
  return kExitOk;
}

}  // namespace

int RunLedgerctl(int argc, const char* const* argv, std::istream* in, std::ostream* out,
                 std::ostream* err, bool err_is_terminal) {
  CLI::App app{"ledgerctl: command-line client of the Six Hearts collections ledger"};
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 done; 1 the ledger returned an error or could not be reached; 2 bad "
      "flags or bad input, nothing sent for it; 3 verify found the hash chain broken.");
  app.fallthrough(true);
  std::string server = "127.0.0.1:50051";
  bool json = false;
  bool csv = false;
  int64_t timeout_ms = kDefaultUnaryTimeoutMs;
  app.add_option("--server", server, "Ledger HOST:PORT (environment: LEDGER_SERVER)")
      ->envname("LEDGER_SERVER")
      ->capture_default_str();
  auto* json_flag = app.add_flag("--json", json,
                                 "JSON output: events one per line, tables as arrays of "
                                 "objects, records as objects");
  app.add_flag("--csv", csv, "CSV output (RFC 4180)")->excludes(json_flag);
  app.add_option("--timeout-ms", timeout_ms, "Deadline of append requests, digest and projections")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  Connection connection;
  app.add_option("--token", connection.token,
                 "Bearer token (environment: LEDGER_TOKEN, which keeps it out of the process "
                 "list)")
      ->envname("LEDGER_TOKEN");
  app.add_option("--tls-ca", connection.tls_ca_file,
                 "PEM CA the server's certificate must chain to; turns TLS on "
                 "(environment: LEDGER_TLS_CA)")
      ->envname("LEDGER_TLS_CA");
  app.add_option("--tls-cert", connection.tls_cert_file, "PEM client certificate (with --tls-key)");
  app.add_option("--tls-key", connection.tls_key_file, "PEM key of --tls-cert");
  app.add_option("--tls-server-name", connection.tls_server_name,
                 "Name the server's certificate must carry, when not the host of --server");

  AppendOptions append;
  CLI::App* append_command = app.add_subcommand("append", "Append events from JSON lines");
  append_command->add_option("file", append.file, "JSON-lines file, or - for standard input")
      ->capture_default_str();
  append_command
      ->add_option(
          "--batch", append.batch_events,
          absl::StrCat("Events per Append request (default ", kDefaultAppendBatchEvents, ")"))
      ->check(CLI::Range(static_cast<size_t>(1), kMaxAppendBatchEvents));
  append_command
      ->add_option("--expect", append.expect,
                   "STREAM=any|no-stream|VERSION: what the stream must look like (repeatable)")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  append_command->footer(kAppendFooter);

  ReadOptions read;
  CLI::App* read_command = app.add_subcommand("read", "Read the log by position");
  read_command->add_option("--from", read.from_position,
                           "First position (forward: 0 is the start; backward: 0 is the head)");
  read_command->add_flag("--backward", read.backward, "Newest first");
  read_command->add_option("--limit", read.limit, "Most events shown; 0: no limit");
  AddFilterFlags(read_command, &read.filter);

  StreamOptions stream;
  CLI::App* stream_command = app.add_subcommand("stream", "Read one stream by version");
  stream_command->alias("show");
  stream_command->add_option("stream", stream.stream, "Stream, e.g. client-42")->required();
  stream_command->add_option("--from-version", stream.from_version, "First version (0: start)");
  stream_command->add_option("--limit", stream.limit, "Most events shown; 0: no limit");
  AddFilterFlags(stream_command, &stream.filter);

  TailOptions tail;
  uint64_t after_position = 0;
  CLI::App* tail_command =
      app.add_subcommand("tail", "Follow the log: print events as they are appended");
  auto* after_option = tail_command->add_option(
      "--after", after_position, "Start after this position (default: the current head)");
  tail_command->add_flag("--from-start", tail.from_start, "Start at the beginning of the log")
      ->excludes(after_option);
  tail_command->add_option("--count", tail.count, "Stop after this many events; 0: never");
  AddFilterFlags(tail_command, &tail.filter);
  tail_command->footer(kTailFooter);

  app.add_subcommand("digest", "Head position and chain hash");
  ProofOptions proof_options;
  const ProofCommands proof_commands = AddProofCommands(app, &proof_options);

  VerifyOptions verify;
  CLI::App* verify_command =
      app.add_subcommand("verify", "Recompute the hash chain; exit code 3 when it does not verify");
  verify_command->add_option("--from", verify.from_position, "First position (0: start)");
  verify_command->add_option("--to", verify.to_position, "Last position (0: head)");

  ImportCsvOptions import_options;
  CLI::App* import_command = app.add_subcommand("import", "Import an ERP CSV export");
  import_command->add_option("file", import_options.file, "CSV file, or - for standard input")
      ->required();
  import_command->add_option("--preset", import_options.preset, "Built-in mapping: ibm");
  import_command->add_option("--mapping", import_options.mapping_file,
                             "Mapping file (key = value lines)");
  import_command->add_option("--map", import_options.map, "key=value mapping setting (repeatable)")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  import_command->add_option("--batch", import_options.batch_events,
                             "Events per Append request (default 500, 3..5000)");
  import_command->add_flag("--reconcile", import_options.reconcile,
                           "Append amendments, credit notes, reversals and payments that make "
                           "the ledger agree with changed rows, instead of reporting them as "
                           "conflicts");
  import_command->add_option("--amended-on", import_options.amended_on,
                             "With --reconcile: the day amendments take effect, YYYY-MM-DD "
                             "(default: today, UTC)");
  import_command->footer(kImportFooter);

  GenerateOptions generate;
  CLI::App* generate_command = app.add_subcommand(
      "generate", "Append a deterministic demo portfolio (government clients, six hearts)");
  generate_command->add_option("--seed", generate.seed, "Scenario seed")->capture_default_str();
  generate_command->add_option("--clients", generate.clients, "Number of clients")
      ->capture_default_str()
      ->check(CLI::Range(1, 200'000));
  generate_command->add_option("--months", generate.months, "Months of history")
      ->capture_default_str()
      ->check(CLI::Range(1, 120));
  generate_command->add_option("--end-date", generate.end_date, "Last day with events, YYYY-MM-DD")
      ->capture_default_str();
  generate_command
      ->add_option(
          "--batch", generate.batch_events,
          absl::StrCat("Events per Append request (default ", kDefaultAppendBatchEvents, ")"))
      ->check(CLI::Range(static_cast<size_t>(1), kMaxAppendBatchEvents));
  auto* dry_run_flag =
      generate_command->add_flag("--dry-run", generate.dry_run, "Generate and count only");
  generate_command
      ->add_option("--jsonl", generate.jsonl,
                   "Write the events as JSON lines to this file instead of appending")
      ->excludes(dry_run_flag);
  generate_command->footer(kGenerateFooter);

  AgingCommandOptions aging;
  CLI::App* aging_command =
      app.add_subcommand("aging", "Receivables by age bucket, per group and currency");
  AddReportFlags(aging_command, &aging.report);
  aging_command->add_option("--buckets", aging.buckets,
                            "Inclusive upper bounds in days, ascending (default "
                            "0,30,60,90,180,365)");
  aging_command->add_flag("--invoices", aging.invoices,
                          "Also list each invoice, unapplied payment and standalone credit "
                          "(with --csv: instead of the summary)");

  DsoCommandOptions dso;
  CLI::App* dso_command = app.add_subcommand(
      "dso", "DSO (countback, simple), best possible DSO, ADD, CEI and days late per currency");
  AddReportFlags(dso_command, &dso.report);
  dso_command->add_option("--from", dso.from, "First day of the period, YYYY-MM-DD");
  dso_command->add_option("--to", dso.to,
                          "Last day of the period, YYYY-MM-DD (default: today); same as --as-of");
  dso_command->add_option("--quarter", dso.quarter, "The period as a quarter, e.g. 2013Q3");
  dso_command->add_option("--method", dso.method, "countback (default) or simple");
  dso_command
      ->add_option("--countback-max-months", dso.countback_max_months,
                   "Months countback may walk back (0: the default 36)")
      ->check(CLI::Range(0, 1200));

  PromisesCommandOptions promises;
  int tolerance_days = 0;
  CLI::App* promises_command =
      app.add_subcommand("promises", "Promises to pay: open, kept, partially kept, broken");
  AddReportFlags(promises_command, &promises.report);
  auto* tolerance_option =
      promises_command
          ->add_option("--tolerance-days", tolerance_days,
                       "Days after the promised date a promise is judged (default 3)")
          ->check(CLI::Range(0, 3650));

  ReportOptions disputes;
  CLI::App* disputes_command = app.add_subcommand("disputes", "Open and resolved disputes");
  AddReportFlags(disputes_command, &disputes);

  int window_days = 0;
  int report_tolerance_days = 0;
  ScorecardCommandOptions scorecard;
  CLI::App* scorecard_command = app.add_subcommand(
      "scorecard", "Six-hearts scores, health index and neglect alerts per client and owner");
  AddRelationshipFlags(scorecard_command, &scorecard.report, &window_days, &report_tolerance_days,
                       true, false);
  scorecard_command->add_option("--client", scorecard.clients, "Only this client (repeatable)")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  scorecard_command
      ->add_option("--owner", scorecard.owners, "Only this account owner's clients (repeatable)")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);

  TimelineCommandOptions timeline;
  int months = 0;
  CLI::App* timeline_command = app.add_subcommand(
      "timeline", "A client's trust-building timeline, milestones and monthly health vs payment");
  timeline_command->add_option("client", timeline.client, "Client id, e.g. acme")->required();
  AddRelationshipFlags(timeline_command, &timeline.report, &window_days, &report_tolerance_days,
                       true, true);
  auto* months_option =
      timeline_command->add_option("--months", months, "Months in the series (default 12)")
          ->check(CLI::Range(1, 120));
  timeline_command->add_option("--show", timeline.show,
                               "With --csv: entries (default), milestones or series");

  PlansCommandOptions plans;
  CLI::App* plans_command = app.add_subcommand(
      "plans", "Collection plans: step status (on time, late, overdue, upcoming), money");
  AddRelationshipFlags(plans_command, &plans.report, &window_days, &report_tolerance_days, false,
                       false);
  plans_command->add_option("--client", plans.clients, "Only this client (repeatable)")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);

  WorklistCommandOptions worklist;
  int limit = 0;
  CLI::App* worklist_command = app.add_subcommand(
      "worklist", "Clients to work on first, with each score component and next actions");
  AddRelationshipFlags(worklist_command, &worklist.report, &window_days, &report_tolerance_days,
                       true, true);
  worklist_command
      ->add_option("--owner", worklist.owners,
                   "Only this account owner's clients: the collector or team (repeatable)")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  auto* limit_option = worklist_command->add_option("--limit", limit, "Rows shown (default 100)")
                           ->check(CLI::Range(1, 10000));

  RelationshipReportOptions evidence;
  CLI::App* evidence_command = app.add_subcommand(
      "evidence", "Do healthier relationships pay better? Payment behaviour by band and heart");
  AddRelationshipFlags(evidence_command, &evidence, &window_days, &report_tolerance_days, true,
                       true);

  std::string projection = "receivables";
  CLI::App* projections_command =
      app.add_subcommand("projections", "Status of a projection against the log");
  projections_command
      ->add_option("projection", projection, "receivables (default), relationships or compliance")
      ->check(CLI::IsMember({"receivables", "relationships", "compliance"}));
  CLI::App* rebuild_command = app.add_subcommand(
      "rebuild", "Rebuild a projection from the whole log; prints the position reached");
  rebuild_command
      ->add_option("projection", projection, "receivables (default), relationships or compliance")
      ->check(CLI::IsMember({"receivables", "relationships", "compliance"}));

  // report compliance | disclosure | audit: the reports a compliance officer or auditor
  // files, rendered by the server.
  ComplianceReportCommandOptions compliance_report;
  CLI::App* report_command = app.add_subcommand(
      "report",
      "Reports: compliance, disclosure (CN Art 18) or audit (one client's events "
      "with what an auditor needs to check them)");
  report_command->require_subcommand(1);
  CLI::App* compliance_command = report_command->add_subcommand(
      "compliance",
      "Statutory deadlines, late interest, aging, promises, disputes and six-heart "
      "coverage as of a day, with the digest of the events used");
  CLI::App* disclosure_command = report_command->add_subcommand(
      "disclosure", "CN Art 18: contracts with payments overdue to the SME seller in a year");
  for (CLI::App* command : {compliance_command, disclosure_command}) {
    command->add_option("--as-of", compliance_report.as_of,
                        "Business day YYYY-MM-DD (default: today, UTC)");
    command->add_option("--known-at", compliance_report.known_at,
                        "As the ledger knew it then: RFC 3339, or a date for its end "
                        "(default: the server's now, stated in the report)");
    command->add_option("--format", compliance_report.format, "json (default), csv or html");
    command->add_option("-o,--output", compliance_report.output, "File to write (default: stdout)");
    command->add_option("--client", compliance_report.clients, "Only this client (repeatable)");
  }
  compliance_command->add_option("--period-from", compliance_report.period_from,
                                 "First day of the period (default: as-of - 364 days)");
  compliance_command->add_flag("--with-proofs", compliance_report.with_proofs,
                               "JSON only: each listed invoice with the events its figures came "
                               "from and their inclusion proofs (tools/verify_audit.py --key)");
  disclosure_command->add_option("--year", compliance_report.year,
                                 "The year (default: the year of --as-of)");
  AuditExportOptions audit_export;
  CLI::App* audit_export_command = report_command->add_subcommand(
      "audit", "One client's events over a period with what an auditor needs to check them");
  AddAuditExportFlags(audit_export_command, &audit_export);
  EraseSubjectOptions erase_subject;
  CLI::App* erase_subject_command = app.add_subcommand(
      "erase-subject", "Erase a subject's personal data by destroying its key (audited)");
  AddEraseSubjectFlags(erase_subject_command, &erase_subject);
  bool new_token = false;
  CLI::App* token_hash_command = app.add_subcommand(
      "token-hash",
      "Print the token_hash of a token read from standard input, for the auth configuration");
  token_hash_command->add_flag("--new", new_token,
                               "Make a new random token and print it with its token_hash");
  BackupOptions backup;
  CLI::App* backup_command = app.add_subcommand(
      "backup", "Backups: create online through the server; list, verify; restore offline");
  backup_command->require_subcommand(1);
  backup_command->footer(kBackupFooter);
  CLI::App* backup_create = backup_command->add_subcommand(
      "create", "Take a backup now, into ledgerd's --backup-dir, while appends go on");
  backup_create->add_option("--keep", backup.keep_last,
                            "Then delete all but the newest N backups (default 0: keep all)");
  CLI::App* backup_list = backup_command->add_subcommand("list", "List backups, oldest first");
  backup_list->add_option("--backup-dir", backup.backup_dir,
                          "Read this backup directory here instead of asking the server");
  CLI::App* backup_verify = backup_command->add_subcommand(
      "verify", "Check a backup's files, table blocks and hash chain; exit code 3 when damaged");
  backup_verify->add_option("backup_id", backup.backup_id, "Backup id (default: the newest)");
  backup_verify->add_option("--backup-dir", backup.backup_dir,
                            "Read this backup directory here instead of asking the server");
  CLI::App* backup_restore = backup_command->add_subcommand(
      "restore", "Restore a backup into a new data directory (offline, local), then verify it");
  backup_restore->add_option("--backup-dir", backup.backup_dir, "Backup directory")->required();
  backup_restore
      ->add_option("--data-dir", backup.data_dir,
                   "Data directory to create; must be missing or empty")
      ->required();
  backup_restore->add_option("--backup-id", backup.backup_id, "Backup id (default: the newest)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e, *out, *err);
    return code == 0 ? kExitOk : kExitUsage;
  }

  if (token_hash_command->parsed()) return RunTokenHash(*in, *out, *err, new_token);
  connection.server = server;
  auto channel = OpenChannel(connection);
  if (!channel.ok()) {
    *err << "ledgerctl: " << absl::StatusCodeToString(channel.status().code()) << ": "
         << channel.status().message() << std::endl;
    return kExitUsage;
  }
  LedgerClient client(*channel, absl::Milliseconds(timeout_ms));
  CommandContext context;
  context.client = &client;
  context.format = json ? OutputFormat::kJson : csv ? OutputFormat::kCsv : OutputFormat::kText;
  context.in = in;
  context.out = out;
  context.err = err;
  context.err_is_terminal = err_is_terminal;
  context.now = [] { return absl::Now(); };
  context.sleep = [](absl::Duration d) { absl::SleepFor(d); };

  absl::StatusOr<int> result = absl::InternalError("no command ran");
  if (auto proof_result = RunProofCommand(proof_commands, context, proof_options)) {
    result = std::move(*proof_result);
  } else if (append_command->parsed()) {
    result = RunAppend(context, append);
  } else if (read_command->parsed()) {
    result = RunRead(context, read);
  } else if (stream_command->parsed()) {
    result = RunStream(context, stream);
  } else if (tail_command->parsed()) {
    if (after_option->count() > 0) tail.after_position = after_position;
    result = RunTail(context, tail);
  } else if (app.got_subcommand("digest")) {
    result = RunDigest(context);
  } else if (verify_command->parsed()) {
    result = RunVerify(context, verify);
  } else if (import_command->parsed()) {
    result = RunImport(context, import_options);
  } else if (generate_command->parsed()) {
    result = RunGenerate(context, generate);
  } else if (aging_command->parsed()) {
    result = RunAging(context, aging);
  } else if (dso_command->parsed()) {
    result = RunDso(context, dso);
  } else if (promises_command->parsed()) {
    if (tolerance_option->count() > 0) promises.tolerance_days = tolerance_days;
    result = RunPromises(context, promises);
  } else if (disputes_command->parsed()) {
    result = RunDisputes(context, disputes);
  } else if (scorecard_command->parsed()) {
    TakeRelationshipFlags(scorecard_command, window_days, report_tolerance_days, &scorecard.report);
    result = RunScorecard(context, scorecard);
  } else if (timeline_command->parsed()) {
    TakeRelationshipFlags(timeline_command, window_days, report_tolerance_days, &timeline.report);
    if (months_option->count() > 0) timeline.months = months;
    result = RunTimeline(context, timeline);
  } else if (plans_command->parsed()) {
    result = RunPlans(context, plans);
  } else if (worklist_command->parsed()) {
    TakeRelationshipFlags(worklist_command, window_days, report_tolerance_days, &worklist.report);
    if (limit_option->count() > 0) worklist.limit = limit;
    result = RunWorklist(context, worklist);
  } else if (evidence_command->parsed()) {
    TakeRelationshipFlags(evidence_command, window_days, report_tolerance_days, &evidence);
    result = RunEvidence(context, evidence);
  } else if (compliance_command->parsed() || disclosure_command->parsed()) {
    compliance_report.kind = compliance_command->parsed() ? "compliance" : "disclosure";
    result = RunComplianceReport(context, compliance_report);
  } else if (projections_command->parsed()) {
    result = projection == "relationships" ? RunRelationshipsProjections(context)
             : projection == "compliance"  ? RunComplianceProjections(context)
                                           : RunProjections(context);
  } else if (audit_export_command->parsed()) {
    result = RunAuditExport(context, audit_export);
  } else if (erase_subject_command->parsed()) {
    result = RunEraseSubject(context, erase_subject);
  } else if (backup_create->parsed()) {
    result = RunBackupCreate(context, backup);
  } else if (backup_list->parsed()) {
    result = RunBackupList(context, backup);
  } else if (backup_verify->parsed()) {
    result = RunBackupVerify(context, backup);
  } else if (backup_restore->parsed()) {
    result = RunBackupRestore(context, backup);
  } else if (rebuild_command->parsed()) {
    result = projection == "relationships" ? RunRelationshipsRebuild(context)
             : projection == "compliance"  ? RunComplianceRebuild(context)
                                           : RunRebuild(context);
  }
  out->flush();
  if (!result.ok()) {
    *err << "ledgerctl: " << absl::StatusCodeToString(result.status().code()) << ": "
         << result.status().message() << std::endl;
    if (const std::string hint = ConnectionHint(result.status(), connection); !hint.empty()) {
      *err << "ledgerctl: " << hint << std::endl;
    }
    return ExitCodeFor(result.status());
  }
  return *result;
}

}  // namespace sixhearts::ledgerctl
