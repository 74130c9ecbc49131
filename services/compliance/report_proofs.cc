// The report on proofs: the listed invoices' figures from the receivables state, the
// events they came from (one pass over each listed client's stream) and each event's
// inclusion proof (ledger/FORMAT.md "Report on proofs").
#include "services/compliance/report_proofs.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "ledger/dates.h"
#include "ledger/proofs.h"
#include "openssl/sha.h"

namespace sixhearts::services::compliance {
namespace {

namespace v1 = ::sixhearts::ledger::v1;

std::string Sha256(std::string_view prefix, std::string_view bytes) {
  std::string data(prefix);
  data.append(bytes);
  std::string digest(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         reinterpret_cast<unsigned char*>(digest.data()));
  return digest;
}

// Finds, in one client's stream (in stream order), the events each listed invoice of the
// client depends on, the way the receivables fold links them: by invoice id, and through
// the payments and disputes that name the invoice.
class StreamSelector {
 public:
  // `invoices`: invoice id -> index in ComplianceReport::invoices.
  explicit StreamSelector(std::map<std::string, size_t> invoices)
      : invoices_(std::move(invoices)) {}

  // The report invoices (indexes) `event` belongs to.
  std::vector<size_t> Select(const v1::Event& event) {
    std::set<size_t> hit;
    auto by_invoice = [&](const std::string& invoice_id) {
      if (auto it = invoices_.find(invoice_id); it != invoices_.end()) hit.insert(it->second);
    };
    auto by_payment = [&](const std::string& payment_id) {
      if (auto it = payment_invoices_.find(payment_id); it != payment_invoices_.end()) {
        hit.insert(it->second.begin(), it->second.end());
      }
    };
    switch (event.payload_case()) {
      case v1::Event::kInvoiceIssued:
        by_invoice(event.invoice_issued().invoice_id());
        break;
      case v1::Event::kInvoiceAccepted:
        by_invoice(event.invoice_accepted().invoice_id());
        break;
      case v1::Event::kPaymentReceived: {
        const auto& p = event.payment_received();
        payment_positions_[p.payment_id()] = event.position();
        Link(p.payment_id(), p.allocations(), hit);
        break;
      }
      case v1::Event::kPaymentAllocated: {
        const auto& p = event.payment_allocated();
        std::set<size_t> linked;
        Link(p.payment_id(), p.allocations(), linked);
        if (!linked.empty()) {
          // The payment's value date bounds the allocation's day: its PaymentReceived too.
          if (auto it = payment_positions_.find(p.payment_id()); it != payment_positions_.end()) {
            for (size_t i : linked) also_[i].push_back(it->second);
          }
        }
        hit.insert(linked.begin(), linked.end());
        break;
      }
      case v1::Event::kPaymentReversed:
        by_payment(event.payment_reversed().payment_id());
        break;
      case v1::Event::kCreditNoteIssued:
        by_invoice(event.credit_note_issued().invoice_id());
        break;
      case v1::Event::kInvoiceWrittenOff:
        by_invoice(event.invoice_written_off().invoice_id());
        break;
      case v1::Event::kDisputeOpened:
        if (auto it = invoices_.find(event.dispute_opened().invoice_id()); it != invoices_.end()) {
          dispute_invoices_[event.dispute_opened().dispute_id()] = it->second;
          hit.insert(it->second);
        }
        break;
      case v1::Event::kDisputeResolved:
        if (auto it = dispute_invoices_.find(event.dispute_resolved().dispute_id());
            it != dispute_invoices_.end()) {
          hit.insert(it->second);
        }
        break;
      default:
        break;
    }
    return {hit.begin(), hit.end()};
  }

  // Positions found earlier than the event that made them needed (a PaymentReceived
  // that allocated nothing to the invoice, for a later PaymentAllocated that does).
  const std::map<size_t, std::vector<uint64_t>>& also() const { return also_; }

 private:
  void Link(const std::string& payment_id,
            const google::protobuf::RepeatedPtrField<v1::Allocation>& allocations,
            std::set<size_t>& hit) {
    for (const v1::Allocation& a : allocations) {
      if (auto it = invoices_.find(a.invoice_id()); it != invoices_.end()) {
        hit.insert(it->second);
        payment_invoices_[payment_id].insert(it->second);
      }
    }
  }

  const std::map<std::string, size_t> invoices_;
  std::map<std::string, uint64_t> payment_positions_;
  std::map<std::string, std::set<size_t>> payment_invoices_;
  std::map<std::string, size_t> dispute_invoices_;
  std::map<size_t, std::vector<uint64_t>> also_;
};

absl::Status TooManyEvents(const std::string& how_many) {
  return absl::InvalidArgumentError(absl::StrCat("with_proofs: the listed invoices need ", how_many,
                                                 " events, more than ", kMaxReportProvenEvents,
                                                 " in one report; narrow client_ids"));
}

// Adds the positions of `client_id`'s listed invoices (`invoices`: id -> index).
// `selected` counts the events selected so far, over all streams (distinct: a stream's
// events are its own), so that the scan stops as soon as the limit is passed.
absl::Status SelectStream(const ledger::EventStore& store, const std::string& client_id,
                          std::map<std::string, size_t> invoices, uint64_t cut,
                          absl::CivilDay as_of, ReportProofs& proofs, size_t& selected) {
  const std::string stream = absl::StrCat("client-", client_id);
  v1::EventFilter filter;
  filter.mutable_occurred_to()->set_seconds(absl::ToUnixSeconds(ledger::EndOfUtcDay(as_of)));
  StreamSelector selector(std::move(invoices));
  uint64_t next_version = 1;
  bool done = false;
  while (!done) {
    auto page = store.ReadStream(stream, next_version, 0, filter);
    if (!page.ok()) return page.status();
    for (const v1::Event& event : page->events) {
      if (event.position() > cut) {
        done = true;
        break;
      }
      const std::vector<size_t> hit = selector.Select(event);
      for (size_t i : hit) proofs.invoices[i].positions.push_back(event.position());
      if (!hit.empty() && ++selected > kMaxReportProvenEvents) return TooManyEvents("more");
    }
    if (page->end || page->scanned_to_version == 0) break;
    next_version = page->scanned_to_version + 1;
  }
  for (const auto& [i, positions] : selector.also()) {
    std::vector<uint64_t>& list = proofs.invoices[i].positions;
    list.insert(list.end(), positions.begin(), positions.end());
  }
  return absl::OkStatus();
}

absl::StatusOr<ProvenEvent> Prove(const ledger::EventStore& store, uint64_t position,
                                  uint64_t tree_size) {
  ProvenEvent proven;
  proven.position = position;
  absl::Status read = store.ForEachRecord(position, position,
                                          [&](uint64_t, std::string_view, std::string_view bytes) {
                                            proven.bytes = std::string(bytes);
                                            return absl::OkStatus();
                                          });
  if (!read.ok()) return read;
  absl::StatusOr<ledger::InclusionProof> proof = ledger::ProveInclusion(store, position, tree_size);
  if (!proof.ok()) return proof.status();
  if (proof->leaf != Sha256(std::string_view("\0", 1), proven.bytes)) {
    return absl::DataLossError(
        absl::StrCat("the Merkle tree's leaf at position ", position, " is not the record's"));
  }
  proven.leaf = std::move(proof->leaf);
  proven.path = std::move(proof->path);
  return proven;
}

}  // namespace

InvoiceProof InvoiceFigures(const receivables::Invoice& invoice, absl::CivilDay as_of) {
  InvoiceProof figures;
  if (as_of < invoice.issue_date) return figures;
  for (const receivables::Movement& m : invoice.movements) {
    if (!m.CountsOn(as_of)) continue;
    switch (m.kind) {
      case receivables::MovementKind::kAllocation:
        figures.paid_minor += m.amount_minor;
        break;
      case receivables::MovementKind::kCreditNote:
        figures.credited_minor += m.amount_minor;
        break;
      case receivables::MovementKind::kWriteOff:
        figures.written_off_minor += m.amount_minor;
        break;
    }
  }
  return figures;
}

void SetInvoiceFigures(const receivables::ReceivablesState& receivables, ComplianceReport& report) {
  ReportProofs proofs;
  proofs.invoices.reserve(report.invoices.size());
  for (const InvoiceAssessment& a : report.invoices) {
    const receivables::Client* client = receivables.FindClient(a.client_id);
    if (client == nullptr || client->invoices.find(a.invoice_id) == client->invoices.end()) {
      // The report lists only invoices of the state it was built from.
      std::fprintf(stderr, "SetInvoiceFigures: invoice %s of client %s is not in the state\n",
                   a.invoice_id.c_str(), a.client_id.c_str());
      std::abort();
    }
    const auto it = client->invoices.find(a.invoice_id);
    proofs.invoices.push_back(InvoiceFigures(it->second, report.as_of));
  }
  report.proofs = std::move(proofs);
}

absl::Status AddProvenEvents(const ledger::EventStore& store, ComplianceReport& report) {
  ReportProofs& proofs = *report.proofs;
  const uint64_t cut = report.digest.position;
  // Listed invoices by client: client id -> (invoice id -> index).
  std::map<std::string, std::map<std::string, size_t>> by_client;
  for (size_t i = 0; i < report.invoices.size(); ++i) {
    by_client[report.invoices[i].client_id][report.invoices[i].invoice_id] = i;
  }
  size_t selected = 0;
  for (auto& [client_id, invoices] : by_client) {
    if (absl::Status s = SelectStream(store, client_id, std::move(invoices), cut, report.as_of,
                                      proofs, selected);
        !s.ok()) {
      return s;
    }
  }
  std::set<uint64_t> positions;
  for (InvoiceProof& invoice : proofs.invoices) {
    std::sort(invoice.positions.begin(), invoice.positions.end());
    invoice.positions.erase(std::unique(invoice.positions.begin(), invoice.positions.end()),
                            invoice.positions.end());
    positions.insert(invoice.positions.begin(), invoice.positions.end());
  }
  if (positions.size() > kMaxReportProvenEvents) {
    return TooManyEvents(absl::StrCat(positions.size()));
  }
  if (cut == 0) {
    proofs.tree_root = Sha256("", "");  // the empty tree
    return absl::OkStatus();
  }
  absl::StatusOr<ledger::TreeHead> head = ledger::TreeHeadAt(store, cut);
  if (!head.ok()) return head.status();
  proofs.tree_root = head->root;
  proofs.events.reserve(positions.size());
  for (uint64_t position : positions) {
    absl::StatusOr<ProvenEvent> proven = Prove(store, position, cut);
    if (!proven.ok()) return proven.status();
    proofs.events.push_back(*std::move(proven));
  }
  return absl::OkStatus();
}

}  // namespace sixhearts::services::compliance
