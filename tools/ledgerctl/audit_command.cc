// `ledgerctl report audit`: asks the ledger for an audit export and writes it as JSON or
// CSV. Both layouts are specified in ledger/FORMAT.md "Audit export" and read by
// tools/verify_audit.py; every hash is lower-case hex, event bytes are base64.
#include "tools/ledgerctl/audit_command.h"

#include <fstream>
#include <memory>
#include <optional>
#include <tuple>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "ledger/dates.h"
#include "ledger/event_types.h"
#include "tools/ledgerctl/event_output.h"
#include "tools/ledgerctl/report_format.h"
#include "tools/ledgerctl/table.h"

namespace sixhearts::ledgerctl {
namespace {

std::string Hex(const std::string& bytes) { return absl::BytesToHexString(bytes); }

std::string EventJson(const v1::Event& event) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(event, &json, options).ok()) return "null";
  return json;
}

// {"audit_export": 1, header fields, "records": [ ... ]} with one record a line.
class JsonWriter final : public AuditExportWriter {
 public:
  explicit JsonWriter(std::ostream* out) : out_(out) {}

  void Header(const v1::AuditHeader& h) override {
    proofs_ = h.proofs();
    *out_ << "{\n\"audit_export\": 1,\n\"chain_format\": " << JsonQuote(h.chain_format())
          << ",\n\"client_id\": " << JsonQuote(h.client_id())
          << ",\n\"stream\": " << JsonQuote(h.stream())
          << ",\n\"from\": " << JsonQuote(ledger::FormatDate(h.from()))
          << ",\n\"to\": " << JsonQuote(ledger::FormatDate(h.to()))
          << ",\n\"verified_position\": " << h.verified_position()
          << (h.proofs() ? "" : ",\n\"anchor\": {\"position\": ")
          << (h.proofs() ? ""
                         : absl::StrCat(h.first_position() - 1,
                                        ", \"hash\": ", JsonQuote(Hex(h.anchor_hash())), "}"))
          << ",\n\"head\": {\"position\": " << h.head_position()
          << ", \"hash\": " << JsonQuote(Hex(h.head_hash())) << "}";
    if (h.proofs()) {
      *out_ << ",\n\"proofs\": true"
            << ",\n\"checkpoint\": " << JsonQuote(h.checkpoint())
            << ",\n\"tree_size\": " << h.head_position()
            << ",\n\"tree_root\": " << JsonQuote(Hex(h.tree_root()))
            << ",\n\"verified_root\": " << JsonQuote(Hex(h.verified_root()))
            << ",\n\"consistency_path\": " << HexArray(h.consistency_path());
    }
    *out_ << ",\n\"records\": [";
  }

  void Record(const v1::AuditRecord& r) override {
    *out_ << (first_ ? "\n" : ",\n") << "{\"position\": " << r.position()
          << ", \"leaf\": " << JsonQuote(Hex(r.leaf()))
          << ", \"hash\": " << JsonQuote(Hex(r.hash()));
    first_ = false;
    if (!r.event_bytes().empty()) {
      const v1::Event& e = r.event();
      ++events_;
      if (r.in_period()) ++in_period_;
      *out_ << ", \"in_period\": " << (r.in_period() ? "true" : "false")
            << ", \"event_id\": " << JsonQuote(e.event_id())
            << ", \"type\": " << JsonQuote(std::string(ledger::EventTypeName(e)))
            << ", \"stream\": " << JsonQuote(e.stream())
            << ", \"stream_version\": " << e.stream_version()
            << ", \"previous_stream_position\": " << e.previous_stream_position()
            << ", \"occurred_at\": " << JsonQuote(FormatTimestamp(e.occurred_at()))
            << ", \"recorded_at\": " << JsonQuote(FormatTimestamp(e.recorded_at()))
            << ", \"actor\": " << JsonQuote(e.actor())
            << ", \"event_base64\": " << JsonQuote(absl::Base64Escape(r.event_bytes()))
            << ", \"event\": " << EventJson(e);
      if (proofs_) *out_ << ", \"inclusion_path\": " << HexArray(r.inclusion_path());
    }
    *out_ << "}";
  }

  void Finish() override {
    *out_ << "\n],\n\"summary\": {\"client_events\": " << events_
          << ", \"in_period\": " << in_period_ << "}\n}\n";
  }

 private:
  static std::string HexArray(const google::protobuf::RepeatedPtrField<std::string>& hashes) {
    std::vector<std::string> quoted;
    for (const std::string& hash : hashes) quoted.push_back(JsonQuote(Hex(hash)));
    return absl::StrCat("[", absl::StrJoin(quoted, ", "), "]");
  }

  std::ostream* out_;
  bool proofs_ = false;
  bool first_ = true;
  uint64_t events_ = 0;
  uint64_t in_period_ = 0;
};

// RFC 4180, one row per record; the first column says what the row is: `export` (the
// request), `anchor`, `head`, `leaf` (another client's position), `event`.
class CsvWriter final : public AuditExportWriter {
 public:
  explicit CsvWriter(std::ostream* out) : out_(out) {}

  void Header(const v1::AuditHeader& h) override {
    *out_ << "record,position,leaf,hash,client_id,from,to,chain_format,in_period,event_id,type,"
             "stream,stream_version,previous_stream_position,occurred_at,recorded_at,actor,"
             "event_base64\r\n";
    Row({"export", absl::StrCat(h.verified_position()), "", "", h.client_id(),
         ledger::FormatDate(h.from()), ledger::FormatDate(h.to()), h.chain_format(), "", "", "",
         h.stream()});
    Row({"anchor", absl::StrCat(h.first_position() - 1), "", Hex(h.anchor_hash())});
    Row({"head", absl::StrCat(h.head_position()), "", Hex(h.head_hash())});
  }

  void Record(const v1::AuditRecord& r) override {
    if (r.event_bytes().empty()) {
      Row({"leaf", absl::StrCat(r.position()), Hex(r.leaf()), Hex(r.hash())});
      return;
    }
    const v1::Event& e = r.event();
    Row({"event", absl::StrCat(r.position()), Hex(r.leaf()), Hex(r.hash()), "", "", "", "",
         r.in_period() ? "true" : "false", e.event_id(), std::string(ledger::EventTypeName(e)),
         e.stream(), absl::StrCat(e.stream_version()), absl::StrCat(e.previous_stream_position()),
         FormatTimestamp(e.occurred_at()), FormatTimestamp(e.recorded_at()), e.actor(),
         absl::Base64Escape(r.event_bytes())});
  }

  void Finish() override {}

 private:
  void Row(std::vector<std::string> cells) {
    cells.resize(kColumns);
    for (size_t i = 0; i < cells.size(); ++i) {
      *out_ << (i == 0 ? "" : ",") << CsvField(cells[i]);
    }
    *out_ << "\r\n";
  }

  static constexpr size_t kColumns = 18;
  std::ostream* out_;
};

}  // namespace

std::unique_ptr<AuditExportWriter> MakeAuditExportWriter(std::string_view format,
                                                         std::ostream* out) {
  if (format == "csv") return std::make_unique<CsvWriter>(out);
  return std::make_unique<JsonWriter>(out);
}

void AddAuditExportFlags(CLI::App* command, AuditExportOptions* options) {
  command->add_option("--client", options->client_id, "Client id (stream client-<id>)")->required();
  command->add_option("--from", options->from, "First day of the period, YYYY-MM-DD (UTC)")
      ->required();
  command->add_option("--to", options->to, "Last day of the period, YYYY-MM-DD (UTC), included")
      ->required();
  command->add_option("--verified-position", options->verified_position,
                      "Head position of the auditor's last verified digest; the chain then "
                      "starts right after it");
  command->add_flag("--proofs", options->proofs,
                    "Only the client's events, each with a Merkle inclusion proof against one "
                    "signed checkpoint (JSON); --verified-position is then the tree size of "
                    "your last verified checkpoint");
  command->add_option("--format", options->format, "json (default) or csv")
      ->check(CLI::IsMember({"json", "csv"}));
  command->add_option("-o,--output", options->output, "Output file (default: standard output)");
  command->footer(
      "Check the file without trusting the server:\n"
      "  python3 tools/verify_audit.py FILE --digest POSITION:HASH\n"
      "with POSITION:HASH from an earlier `ledgerctl digest`.");
}

absl::StatusOr<int> RunAuditExport(const CommandContext& context,
                                   const AuditExportOptions& options) {
  v1::ExportAuditRequest request;
  request.set_client_id(options.client_id);
  for (const auto& [flag, text, date] :
       {std::tuple{"--from", &options.from, request.mutable_from()},
        std::tuple{"--to", &options.to, request.mutable_to()}}) {
    std::optional<absl::CivilDay> day = ledger::ParseIsoDay(*text);
    if (!day) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": expected YYYY-MM-DD, got \"", *text, "\""));
    }
    *date = ledger::FromCivilDay(*day);
  }
  request.set_verified_position(options.verified_position);
  request.set_proofs(options.proofs);
  if (options.proofs && options.format == "csv") {
    return absl::InvalidArgumentError("--format: csv has no place for proofs; use json");
  }

  std::ofstream file;
  std::ostream* out = context.out;
  if (!options.output.empty() && options.output != "-") {
    file.open(options.output, std::ios::binary | std::ios::trunc);
    if (!file) return absl::InvalidArgumentError(absl::StrCat("-o: cannot write ", options.output));
    out = &file;
  }
  std::unique_ptr<AuditExportWriter> writer = MakeAuditExportWriter(options.format, out);
  v1::AuditHeader header;
  uint64_t records = 0;
  uint64_t events = 0;
  absl::Status s =
      context.client->ExportAudit(request, [&](v1::ExportAuditResponse& page) -> absl::Status {
        if (page.has_header()) {
          header = page.header();
          writer->Header(header);
        }
        for (const v1::AuditRecord& record : page.records()) {
          writer->Record(record);
          ++records;
          if (!record.event_bytes().empty()) ++events;
        }
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  writer->Finish();
  out->flush();
  if (out == &file) {
    if (!file) return absl::InternalError(absl::StrCat("writing ", options.output, " failed"));
    *context.err << "audit export of " << header.stream() << ": " << events
                 << " client events in positions " << header.first_position() << ".."
                 << header.head_position() << " (" << records << " positions), head "
                 << header.head_position() << " " << Hex(header.head_hash()) << ", written to "
                 << options.output << "\n";
  }
  return kExitOk;
}

void AddEraseSubjectFlags(CLI::App* command, EraseSubjectOptions* options) {
  command
      ->add_option("subject", options->subject_id,
                   "A contact's subject_id, or client-<id> for contacts stored without one")
      ->required();
  command->add_option("--reason", options->reason, "Why (kept in the SubjectErased event)")
      ->required();
}

absl::StatusOr<int> RunEraseSubject(const CommandContext& context,
                                    const EraseSubjectOptions& options) {
  v1::EraseSubjectRequest request;
  request.set_subject_id(options.subject_id);
  request.set_reason(options.reason);
  absl::StatusOr<v1::EraseSubjectResponse> result = context.client->EraseSubject(request);
  if (!result.ok()) return result.status();
  Record record;
  record.Add("subject_id", options.subject_id);
  record.Add("position", absl::StrCat(result->position()), ColumnKind::kNumber);
  record.Add("stream", result->stream());
  *context.out << record.Render(context.format);
  return kExitOk;
}

}  // namespace sixhearts::ledgerctl
