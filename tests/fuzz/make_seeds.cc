// Writes the binary seeds of tests/fuzz/corpus: valid AppendRequests (binary and JSON) for
// fuzz_validate, the binary ones and two that must be refused for fuzz_append, and records, entity
// values, ids, events and receivables snapshots for fuzz_decode. Generated rather than hand-made so
// they stay valid as the schema and the formats move; rerun it (tests/fuzz/README.md) after such a
// change.
//
// Usage: fuzz_make_seeds CORPUS_DIR
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "google/protobuf/unknown_field_set.h"
#include "google/protobuf/util/json_util.h"
#include "ledger/format.h"
#include "services/compliance/compliance_state.h"
#include "services/receivables/receivables_state.h"
#include "sixhearts/ledger/v1/event_store.pb.h"
#include "tests/testing/test_events.h"

namespace sixhearts::fuzz {
namespace {

namespace format = ::sixhearts::ledger::format;
namespace t = ::sixhearts::testing;
namespace v1 = ::sixhearts::ledger::v1;

void Write(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::exit(1);
  }
}

// Payloads the test builders do not cover, so the seeds reach every branch family of
// the validator and the receivables fold.
v1::Event CreditNote(uint64_t id, const std::string& client, const std::string& invoice) {
  v1::Event e = t::Envelope(id, client, t::D(2026, 1, 20));
  auto* p = e.mutable_credit_note_issued();
  p->set_credit_note_id("CN-1");
  p->set_invoice_id(invoice);
  *p->mutable_amount() = t::Money(5000);
  *p->mutable_issue_date() = t::D(2026, 1, 20);
  p->set_reason("price correction");
  return e;
}

v1::Event Promise(uint64_t id, const std::string& client, const std::string& invoice) {
  v1::Event e = t::Envelope(id, client, t::D(2026, 2, 10));
  auto* p = e.mutable_promise_to_pay_made();
  p->set_promise_id("PTP-1");
  *p->mutable_amount() = t::Money(20000);
  *p->mutable_promised_date() = t::D(2026, 3, 1);
  p->add_invoice_ids(invoice);
  p->mutable_contact()->set_name("Finance bureau head");
  return e;
}

v1::Event Dispute(uint64_t id, const std::string& client, const std::string& invoice) {
  v1::Event e = t::Envelope(id, client, t::D(2026, 2, 12));
  auto* p = e.mutable_dispute_opened();
  p->set_dispute_id("D-1");
  p->set_invoice_id(invoice);
  p->set_amount_minor(3000);
  p->set_reason("delivery incomplete");
  *p->mutable_opened_on() = t::D(2026, 2, 12);
  return e;
}

v1::Event DisputeResolved(uint64_t id, const std::string& client) {
  v1::Event e = t::Envelope(id, client, t::D(2026, 2, 20));
  auto* p = e.mutable_dispute_resolved();
  p->set_dispute_id("D-1");
  p->set_outcome(v1::DISPUTE_OUTCOME_PARTIAL);
  p->set_conceded_minor(1000);
  *p->mutable_resolved_on() = t::D(2026, 2, 20);
  return e;
}

v1::Event WriteOff(uint64_t id, const std::string& client, const std::string& invoice) {
  v1::Event e = t::Envelope(id, client, t::D(2026, 6, 30));
  auto* p = e.mutable_invoice_written_off();
  p->set_invoice_id(invoice);
  p->set_amount_minor(1000);
  *p->mutable_written_off_on() = t::D(2026, 6, 30);
  p->set_reason("uncollectable remainder");
  return e;
}

v1::Event Reversal(uint64_t id, const std::string& client, const std::string& payment) {
  v1::Event e = t::Envelope(id, client, t::D(2026, 2, 3));
  auto* p = e.mutable_payment_reversed();
  p->set_payment_id(payment);
  *p->mutable_reversed_on() = t::D(2026, 2, 3);
  p->set_reason("bounced");
  return e;
}

std::string Json(const google::protobuf::Message& message) {
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(message, &json).ok()) std::exit(1);
  return json;
}

}  // namespace
}  // namespace sixhearts::fuzz

int main(int argc, char** argv) {
  using namespace sixhearts::fuzz;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path root = argv[1];
  const std::filesystem::path validate = root / "fuzz_validate";
  const std::filesystem::path decode = root / "fuzz_decode";
  const std::filesystem::path append = root / "fuzz_append";

  // A client's whole receivables story, in stream order: the same events make the
  // AppendRequests, the Event seeds and the folded snapshot.
  const std::vector<v1::Event> story = {
      t::ClientRegistered(1, "bj-fin"),
      t::InvoiceIssued(2, "bj-fin", "INV-1", 100000),
      t::InvoiceIssued(3, "bj-fin", "INV-2", 50000),
      t::PaymentReceived(4, "bj-fin", "PAY-1", 60000, "INV-1", 60000),
      Reversal(5, "bj-fin", "PAY-1"),
      CreditNote(6, "bj-fin", "INV-2"),
      Promise(7, "bj-fin", "INV-1"),
      Dispute(8, "bj-fin", "INV-2"),
      DisputeResolved(9, "bj-fin"),
      WriteOff(10, "bj-fin", "INV-2"),
      t::Interaction(11, "bj-fin", "X-1"),
  };

  v1::AppendRequest whole;
  for (const v1::Event& e : story) *whole.add_events() = e;
  t::Expect(&whole, "client-bj-fin", v1::ExpectedVersion::KIND_NO_STREAM);
  Write(validate / "story.pb", whole.SerializeAsString());
  Write(append / "story.pb", whole.SerializeAsString());
  Write(validate / "story.json", Json(whole));

  const v1::AppendRequest first = t::Batch({story[0], story[1]});
  Write(validate / "register-and-invoice.pb", first.SerializeAsString());
  Write(validate / "register-and-invoice.json", Json(first));
  Write(append / "register-and-invoice.pb", first.SerializeAsString());
  // The bytes of issue 13 defect 3 (invalid UTF-8 in events[0].event_id), and a valid
  // request with an unknown field 99 in its payload (defect 4): both must be refused.
  Write(append / "invalid-utf8-event-id.bin", std::string("\x0a\x05\x0a\x03\xff\xfe\xfd", 7));
  {
    v1::AppendRequest unknown = first;
    unknown.mutable_events(1)
        ->mutable_invoice_issued()
        ->GetReflection()
        ->MutableUnknownFields(unknown.mutable_events(1)->mutable_invoice_issued())
        ->AddVarint(99, 1);
    Write(append / "unknown-field-99.pb", unknown.SerializeAsString());
  }
  // One event per request, so single-event mutations start from every payload kind.
  for (size_t i = 0; i < story.size(); ++i) {
    const v1::AppendRequest one = t::Batch({story[i]});
    Write(validate / ("event-" + std::to_string(i + 1) + ".pb"), one.SerializeAsString());
    Write(append / ("event-" + std::to_string(i + 1) + ".pb"), one.SerializeAsString());
    Write(decode / ("event-" + std::to_string(i + 1) + ".pb"), story[i].SerializeAsString());
  }

  // The `log` value of the first event, hashed onto the zero hash as position 1.
  const std::string event_bytes = story[0].SerializeAsString();
  const format::Hash hash = format::ChainHashOfEvent(format::ZeroHash(), 1, event_bytes);
  Write(decode / "record.bin", format::EncodeRecord(hash, event_bytes));
  Write(decode / "entity.bin", format::EncodeEntity({"CNY", 100000, 2}));
  Write(decode / "entity-blank-currency.bin", format::EncodeEntity({"", 0, 11}));
  Write(decode / "event-id.txt", story[0].event_id());

  sixhearts::services::receivables::ReceivablesState state;
  Write(decode / "snapshot-empty.bin", state.Serialize());
  for (const v1::Event& e : story) state.Apply(e);
  Write(decode / "snapshot-story.bin", state.Serialize());

  // A compliance snapshot: a contract with acceptance and an amendment, an invoice with
  // delivery, receipt and acceptance days.
  v1::Event contract = t::Envelope(20, "bj-fin", t::D(2025, 6, 1));
  auto* c = contract.mutable_contract_signed();
  c->set_contract_id("K-1");
  *c->mutable_amount() = t::Money(500000);
  *c->mutable_signed_on() = t::D(2025, 6, 1);
  c->set_payment_terms_days(90);
  c->set_acceptance_required(true);
  c->set_acceptance_period_days(15);
  c->set_late_interest_rate_bps(1825);
  v1::Event amended = t::Envelope(21, "bj-fin", t::D(2025, 7, 1));
  auto* m = amended.mutable_contract_amended();
  m->set_contract_id("K-1");
  m->set_payment_terms_days(45);
  m->set_reason("renegotiated");
  *m->mutable_amended_on() = t::D(2025, 7, 1);
  v1::Event invoice = t::InvoiceIssued(22, "bj-fin", "INV-K", 100000, t::D(2025, 7, 2));
  invoice.mutable_invoice_issued()->set_contract_id("K-1");
  *invoice.mutable_invoice_issued()->mutable_delivery_date() = t::D(2025, 7, 1);
  *invoice.mutable_invoice_issued()->mutable_received_date() = t::D(2025, 7, 3);
  v1::Event accepted = t::Envelope(23, "bj-fin", t::D(2025, 7, 10));
  accepted.mutable_invoice_accepted()->set_invoice_id("INV-K");
  *accepted.mutable_invoice_accepted()->mutable_acceptance_date() = t::D(2025, 7, 10);
  sixhearts::services::compliance::ComplianceState compliance;
  for (const v1::Event& e : {contract, amended, invoice, accepted}) compliance.Apply(e);
  Write(decode / "compliance-snapshot.bin", compliance.Serialize());
  return 0;
}
