// Builders for test events and a scoped temporary directory, shared by the ledger and
// service tests. Every builder fills exactly the fields validation requires.
#ifndef SIXHEARTS_TESTS_TESTING_TEST_EVENTS_H_
#define SIXHEARTS_TESTS_TESTING_TEST_EVENTS_H_

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>

#include "absl/strings/str_format.h"
#include "sixhearts/ledger/v1/event_store.pb.h"
#include "sixhearts/ledger/v1/events.pb.h"

namespace sixhearts::testing {

namespace v1 = ::sixhearts::ledger::v1;

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            absl::StrFormat("sixhearts-test-%d-%d", ::getpid(), counter++);
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string path() const { return path_.string(); }
  std::string sub(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// A canonical UUID whose last 12 digits are `n`: readable in failure messages.
inline std::string Uuid(uint64_t n, uint32_t prefix = 0xe0e0e0e0) {
  return absl::StrFormat("%08x-0000-4000-8000-%012x", prefix, n);
}

inline v1::Date D(int y, int m, int d) {
  v1::Date date;
  date.set_year(y);
  date.set_month(m);
  date.set_day(d);
  return date;
}

inline v1::Money Money(int64_t minor, const std::string& currency = "CNY") {
  v1::Money m;
  m.set_amount_minor(minor);
  m.set_currency(currency);
  return m;
}

// An envelope on stream client-<client> that occurred at noon UTC of the given day.
inline v1::Event Envelope(uint64_t id, const std::string& client, v1::Date day = D(2026, 1, 5)) {
  v1::Event e;
  e.set_event_id(Uuid(id));
  e.set_stream("client-" + client);
  struct tm t = {};
  t.tm_year = day.year() - 1900;
  t.tm_mon = day.month() - 1;
  t.tm_mday = day.day();
  t.tm_hour = 12;
  e.mutable_occurred_at()->set_seconds(timegm(&t));
  return e;
}

inline v1::Event ClientRegistered(uint64_t id, const std::string& client) {
  v1::Event e = Envelope(id, client);
  auto* p = e.mutable_client_registered();
  p->set_client_id(client);
  p->set_name("Bureau " + client);
  p->set_jurisdiction(v1::JURISDICTION_CN);
  p->set_client_kind(v1::CLIENT_KIND_GOVERNMENT_ORGAN);
  p->set_seller_is_sme(true);
  return e;
}

inline v1::Event InvoiceIssued(uint64_t id, const std::string& client, const std::string& invoice,
                               int64_t minor, v1::Date issue = D(2026, 1, 5),
                               v1::Date due = D(2026, 2, 4), const std::string& currency = "CNY") {
  v1::Event e = Envelope(id, client, issue);
  auto* p = e.mutable_invoice_issued();
  p->set_invoice_id(invoice);
  *p->mutable_amount() = Money(minor, currency);
  *p->mutable_issue_date() = issue;
  *p->mutable_due_date() = due;
  return e;
}

inline v1::Event PaymentReceived(uint64_t id, const std::string& client, const std::string& payment,
                                 int64_t minor, const std::string& invoice, int64_t allocated_minor,
                                 v1::Date value = D(2026, 2, 1),
                                 const std::string& currency = "CNY") {
  v1::Event e = Envelope(id, client, value);
  auto* p = e.mutable_payment_received();
  p->set_payment_id(payment);
  *p->mutable_amount() = Money(minor, currency);
  *p->mutable_value_date() = value;
  if (!invoice.empty()) {
    auto* a = p->add_allocations();
    a->set_invoice_id(invoice);
    a->set_amount_minor(allocated_minor);
  }
  return e;
}

inline v1::Event Interaction(uint64_t id, const std::string& client, const std::string& iid,
                             v1::InteractionKind kind = v1::INTERACTION_KIND_ON_SITE_VISIT) {
  v1::Event e = Envelope(id, client);
  auto* p = e.mutable_interaction_logged();
  p->set_interaction_id(iid);
  p->set_kind(kind);
  p->set_summary("visited the finance bureau");
  return e;
}

inline v1::AppendRequest Batch(std::initializer_list<v1::Event> events) {
  v1::AppendRequest r;
  for (const auto& e : events) *r.add_events() = e;
  return r;
}

inline void Expect(v1::AppendRequest* r, const std::string& stream, v1::ExpectedVersion::Kind kind,
                   uint64_t version = 0) {
  auto* x = r->add_expected();
  x->set_stream(stream);
  x->set_kind(kind);
  x->set_version(version);
}

}  // namespace sixhearts::testing

#endif  // SIXHEARTS_TESTS_TESTING_TEST_EVENTS_H_
