// Erasure of personal data by crypto-shredding, against real RocksDB directories: the log
// holds only ciphertext, reads open it, the keys live apart from the data directory, and
// EraseSubject makes one subject's contacts read "[erased]" while the chain still verifies
// and the erasure is itself an event.
#include "ledger/personal_data.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ledger/event_store.h"
#include "ledger/subscription.h"
#include "tests/ledger/sync_gate.h"
#include "tests/testing/test_events.h"

namespace sixhearts::ledger {
namespace {

using ::sixhearts::testing::Batch;
using ::sixhearts::testing::ClientRegistered;
using ::sixhearts::testing::Interaction;
using ::sixhearts::testing::Outcome;
using ::sixhearts::testing::SyncGate;
using ::sixhearts::testing::TempDir;

constexpr char kName[] = "Zhang Wei";
constexpr char kPhone[] = "+86 755 8888 1234";
constexpr char kEmail[] = "zhang.wei@sz-edu.example.cn";

// An interaction on client-<client> with a contact of `subject` ("" = the client).
v1::Event Visit(uint64_t id, const std::string& client, const std::string& iid,
                const std::string& subject, const std::string& name) {
  v1::Event e = Interaction(id, client, iid);
  v1::Contact* c = e.mutable_interaction_logged()->mutable_contact();
  c->set_name(name);
  c->set_phone(kPhone);
  c->set_email(kEmail);
  c->set_role("finance director");
  c->set_subject_id(subject);
  return e;
}

// True when any file under `dir` contains `needle`.
bool AnyFileContains(const std::string& dir, const std::string& needle) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    if (buffer.str().find(needle) != std::string::npos) return true;
  }
  return false;
}

class PersonalDataTest : public ::testing::Test {
 protected:
  PersonalDataTest() { Reopen(); }

  void Reopen(const std::string& data_dir = "", const std::string& keys_dir = "") {
    store_.reset();
    EventStoreOptions options;
    options.data_dir = data_dir.empty() ? dir_.sub("ledger") : data_dir;
    options.keys_dir = keys_dir;
    options.file_system = gate_;
    auto opened = EventStore::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
  }

  void Append(const v1::AppendRequest& request) {
    auto result = store_->Append(request, "alice");
    ASSERT_TRUE(result.ok()) << result.status();
  }

  // Positions: 1 client 42, 2 a visit whose contact is the client (subject client-42),
  // 3 a visit whose contact is subject person-7.
  void Build() {
    Append(Batch({ClientRegistered(1, "42")}));
    Append(Batch({Visit(2, "42", "X-1", "", kName)}));
    Append(Batch({Visit(3, "42", "X-2", "person-7", "Li Na")}));
  }

  v1::Contact ContactAt(uint64_t position) {
    auto page = store_->ReadLog(position, false, 1, {});
    EXPECT_TRUE(page.ok()) << page.status();
    return page->events.at(0).interaction_logged().contact();
  }

  std::vector<std::string> Hashes() {
    std::vector<std::string> out;
    auto page = store_->ReadLog(0, false, 0, {});
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) return out;
    for (const v1::Event& e : page->events) out.push_back(e.hash());
    return out;
  }

  TempDir dir_;
  std::shared_ptr<SyncGate> gate_ = std::make_shared<SyncGate>(rocksdb::FileSystem::Default());
  std::unique_ptr<EventStore> store_;
};

TEST_F(PersonalDataTest, TheLogHoldsCiphertextAndReadsOpenIt) {
  Build();
  // Every stored byte of the log: no name, phone or e-mail; the role is not personal.
  std::string log;
  ASSERT_TRUE(store_
                  ->ForEachRecord(0, 0,
                                  [&](uint64_t, std::string_view, std::string_view bytes) {
                                    log.append(bytes);
                                    return absl::OkStatus();
                                  })
                  .ok());
  for (const char* secret : {kName, kPhone, kEmail, "Li Na"}) {
    EXPECT_FALSE(absl::StrContains(log, secret)) << secret;
    EXPECT_FALSE(AnyFileContains(dir_.sub("ledger"), secret)) << secret;
  }
  EXPECT_TRUE(absl::StrContains(log, "finance director"));
  // Reads open it, by position, by stream and in a fold's scan.
  const v1::Contact c = ContactAt(2);
  EXPECT_EQ(c.name(), kName);
  EXPECT_EQ(c.phone(), kPhone);
  EXPECT_EQ(c.email(), kEmail);
  EXPECT_FALSE(c.has_sealed());
  EXPECT_FALSE(c.erased());
  EXPECT_EQ(
      store_->ReadStream("client-42", 3, 1, {})->events[0].interaction_logged().contact().name(),
      "Li Na");
  int seen = 0;
  ASSERT_TRUE(store_
                  ->ForEachEvent(2, 3, {},
                                 [&](const v1::Event& e) {
                                   EXPECT_FALSE(e.interaction_logged().contact().has_sealed());
                                   ++seen;
                                   return absl::OkStatus();
                                 })
                  .ok());
  EXPECT_EQ(seen, 2);
  // A retry of the same batch is recognised although the stored form differs.
  auto retry = store_->Append(Batch({Visit(2, "42", "X-1", "", kName)}), "alice");
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->duplicate());
}

TEST_F(PersonalDataTest, SubscribersGetContactsOpenedInCatchUpAndLive) {
  Build();
  auto subscription = store_->Subscribe(0, {});
  ASSERT_TRUE(subscription.ok()) << subscription.status();
  std::vector<std::string> names;
  bool live_sent = false;
  for (int i = 0; i < 50 && names.size() < 3; ++i) {
    auto batch = (*subscription)->Next(absl::Milliseconds(100));
    ASSERT_TRUE(batch.ok()) << batch.status();
    for (const v1::Event& e : batch->events) {
      if (!e.has_interaction_logged()) continue;
      EXPECT_FALSE(e.interaction_logged().contact().has_sealed());
      names.push_back(e.interaction_logged().contact().name());
    }
    if (batch->caught_up && !live_sent) {
      live_sent = true;
      Append(Batch({Visit(4, "42", "X-4", "person-8", "Chen Jie")}));
    }
  }
  EXPECT_EQ(names, (std::vector<std::string>{kName, "Li Na", "Chen Jie"}));
}

TEST_F(PersonalDataTest, ACopyOfTheDataDirectoryWithoutTheKeysReadsErased) {
  Build();
  store_.reset();
  // What a backup of the data directory holds: the keys are in ledger.keys, not in it.
  EXPECT_TRUE(std::filesystem::exists(dir_.sub("ledger.keys")));
  std::filesystem::copy(dir_.sub("ledger"), dir_.sub("copy"),
                        std::filesystem::copy_options::recursive);
  Reopen(dir_.sub("copy"), dir_.sub("copy-keys"));
  const v1::Contact c = ContactAt(2);
  EXPECT_EQ(c.name(), "[erased]");
  EXPECT_EQ(c.phone(), "[erased]");
  EXPECT_EQ(c.email(), "[erased]");
  EXPECT_TRUE(c.erased());
  EXPECT_EQ(c.role(), "finance director");
  EXPECT_TRUE(store_->Verify(0, 0)->ok);
}

TEST_F(PersonalDataTest, EraseSubjectErasesThatSubjectOnlyAndIsAnAuditedEvent) {
  Build();
  // The key of person-7 as stored, to look for its bytes after the erasure.
  store_.reset();
  std::string key_bytes;
  {
    auto keys = KeyStore::Open(dir_.sub("ledger.keys"), 10);
    ASSERT_TRUE(keys.ok()) << keys.status();
    auto key = (*keys)->Find("person-7");
    ASSERT_TRUE(key.ok() && key->has_value());
    key_bytes = (*key)->key;
    ASSERT_TRUE(AnyFileContains(dir_.sub("ledger.keys"), key_bytes));
  }
  Reopen();
  const std::vector<std::string> before = Hashes();

  auto erased = store_->EraseSubject("person-7", "erasure request of 2026-05-28", "admin");
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(erased->position(), 4u);
  EXPECT_EQ(erased->stream(), "subjects");

  const v1::Contact gone = ContactAt(3);
  EXPECT_EQ(gone.name(), "[erased]");
  EXPECT_EQ(gone.email(), "[erased]");
  EXPECT_TRUE(gone.erased());
  EXPECT_EQ(ContactAt(2).name(), kName);  // another subject is untouched
  // The chain: the same hashes for positions 1..3, and it verifies through the erasure.
  std::vector<std::string> after = Hashes();
  ASSERT_EQ(after.size(), 4u);
  after.pop_back();
  EXPECT_EQ(after, before);
  auto verify = store_->Verify(0, 0);
  EXPECT_TRUE(verify->ok) << verify->problem;
  EXPECT_EQ(verify->checked, 4u);
  // The erasure is an event with its actor.
  const v1::Event record = store_->ReadLog(4, false, 1, {})->events.at(0);
  EXPECT_EQ(record.subject_erased().subject_id(), "person-7");
  EXPECT_EQ(record.subject_erased().reason(), "erasure request of 2026-05-28");
  EXPECT_EQ(record.actor(), "admin");
  // The key is gone from the keystore's files, not just hidden.
  store_.reset();
  EXPECT_FALSE(AnyFileContains(dir_.sub("ledger.keys"), key_bytes));
  Reopen();
  EXPECT_TRUE(ContactAt(3).erased());  // and stays gone after a restart

  auto again = store_->EraseSubject("person-7", "twice", "admin");
  EXPECT_EQ(again.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(again.status().message(),
            "subject_id: no key for subject \"person-7\": nothing was stored for it, or it is "
            "erased");
  // New data about the subject gets a new key; the old data stays erased.
  Append(Batch({Visit(5, "42", "X-3", "person-7", "Li Na")}));
  EXPECT_EQ(ContactAt(5).name(), "Li Na");
  EXPECT_TRUE(ContactAt(3).erased());
}

// Personal data is sealed on the caller's thread, before the writer orders the request: a
// request sealed under a subject's key while an erasure of the subject destroys that key,
// and ordered after the erasure, is refused (ABORTED, naming the subject) instead of being
// stored unreadable; its retry is sealed under the subject's new key and reads open.
TEST_F(PersonalDataTest, DataSealedUnderAKeyItsErasureDestroysIsRefusedAndARetryReadsOpen) {
  Build();
  // The erasure's event (position 4) waits in its group's sync while the visit is sealed
  // under client-42's key, which still exists, and ordered after it.
  gate_->HoldNextSync();
  absl::StatusOr<v1::EraseSubjectResponse> erased;
  std::thread eraser([&] { erased = store_->EraseSubject("client-42", "client closed", "admin"); });
  gate_->AwaitHeld();
  Outcome visit;
  store_->AppendAsync(Batch({Visit(5, "42", "X-5", "", "Wang Fang")}), "alice", visit.callback());
  gate_->Release();
  eraser.join();
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(erased->position(), 4u);

  auto refused = visit.Await();
  ASSERT_FALSE(refused.ok()) << "stored at " << refused->positions(0) << ", reads "
                             << ContactAt(refused->positions(0)).name();
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(refused.status().message(),
            "events[0]: its personal data was sealed under the key of subject client-42 that "
            "an erasure of the subject destroys; nothing was stored; retry the append (it is "
            "sealed again, under the subject's new key once the erasure is done)");
  EXPECT_EQ(store_->head().position, 4u);

  auto retried = store_->Append(Batch({Visit(5, "42", "X-5", "", "Wang Fang")}), "alice");
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->positions(0), 5u);
  EXPECT_FALSE(retried->duplicate());
  const v1::Contact after = ContactAt(5);
  EXPECT_EQ(after.name(), "Wang Fang");
  EXPECT_FALSE(after.erased());
  auto page = store_->ReadLog(5, false, 1, {});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->events[0].interaction_logged().summary(), "visited the finance bureau");
  const v1::Contact before = ContactAt(2);
  EXPECT_EQ(before.name(), kErasedMarker);
  EXPECT_TRUE(before.erased());
  auto verify = store_->Verify(0, 0);
  ASSERT_TRUE(verify.ok()) << verify.status();
  EXPECT_TRUE(verify->ok) << verify->problem;
  EXPECT_EQ(verify->checked, 5u);
}

TEST_F(PersonalDataTest, CallersCannotForgeAnErasureOrSealedData) {
  Build();
  v1::Event forged = ::sixhearts::testing::Envelope(9, "42");
  forged.mutable_subject_erased()->set_subject_id("client-42");
  forged.mutable_subject_erased()->set_reason("no key destroyed");
  auto result = store_->Append(Batch({forged}), "mallory");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(result.status().message(),
                               "events[0].subject_erased: appended only by EraseSubject"))
      << result.status();
  v1::Event sealed = Visit(10, "42", "X-9", "", kName);
  sealed.mutable_interaction_logged()->mutable_contact()->mutable_sealed()->set_nonce("x");
  EXPECT_EQ(store_->Append(Batch({sealed}), "mallory").status().message(),
            "events[0].interaction_logged.contact.sealed: set by the ledger only");
  EXPECT_EQ(store_->EraseSubject("", "r", "admin").status().message(), "subject_id: required");
  EXPECT_EQ(store_->EraseSubject("client-42", "", "admin").status().message(), "reason: required");
}

// Issue 16 item 3: free text is sealed too, under the client's key or, for an
// interaction whose contact names a subject, under that subject's; views keep references
// to it, opened from the log as it reads now.
TEST_F(PersonalDataTest, FreeTextIsSealedUnderTheClientOrTheContactsSubject) {
  v1::Event client = ClientRegistered(1, "42");
  client.mutable_client_registered()->set_name("Zhang Wei Consulting");
  v1::Event own = Interaction(2, "42", "X-1");
  own.mutable_interaction_logged()->set_summary("Zhang Wei: call back on +86 755 8888 1234");
  v1::Event named = Visit(3, "42", "X-2", "person-7", "Li Na");
  named.mutable_interaction_logged()->set_summary("Li Na wants the invoice copy");
  Append(Batch({client, own, named}));
  std::string log;
  ASSERT_TRUE(store_
                  ->ForEachRecord(0, 0,
                                  [&](uint64_t, std::string_view, std::string_view bytes) {
                                    log.append(bytes);
                                    return absl::OkStatus();
                                  })
                  .ok());
  for (const char* secret : {"Zhang Wei", "8888 1234", "Li Na", "invoice copy"}) {
    EXPECT_FALSE(absl::StrContains(log, secret)) << secret;
  }
  const auto at = [&](uint64_t position) {
    return store_->ReadLog(position, false, 1, {})->events.at(0);
  };
  EXPECT_EQ(at(1).client_registered().name(), "Zhang Wei Consulting");
  EXPECT_FALSE(at(1).client_registered().has_sealed_name());
  EXPECT_EQ(at(3).interaction_logged().summary(), "Li Na wants the invoice copy");
  // A retry of the same batch is recognised although the stored form differs.
  auto retry = store_->Append(Batch({client, own, named}), "alice");
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->duplicate());
  // A view's reference reads the text as it is now.
  const std::string view = absl::StrCat("registered as ", PersonalTextReference(at(1)), "; ",
                                        PersonalTextReference(at(3)));
  EXPECT_EQ(view,
            "registered as \x1f"
            "1\x1f; \x1f"
            "3\x1f");
  EXPECT_EQ(*store_->OpenViewText(view),
            "registered as Zhang Wei Consulting; Li Na wants the invoice copy");

  // Erasing person-7 erases the summary sealed under it, not the client's texts.
  ASSERT_TRUE(store_->EraseSubject("person-7", "request", "admin").ok());
  EXPECT_EQ(at(3).interaction_logged().summary(), "[erased]");
  EXPECT_EQ(at(2).interaction_logged().summary(), "Zhang Wei: call back on +86 755 8888 1234");
  EXPECT_EQ(*store_->OpenViewText(view), "registered as Zhang Wei Consulting; [erased]");
  // Erasing the client erases its name and the summary sealed under it.
  ASSERT_TRUE(store_->EraseSubject("client-42", "request", "admin").ok());
  EXPECT_EQ(at(1).client_registered().name(), "[erased]");
  EXPECT_EQ(at(2).interaction_logged().summary(), "[erased]");
  EXPECT_EQ(*store_->OpenViewText(view), "registered as [erased]; [erased]");
  EXPECT_TRUE(store_->Verify(0, 0)->ok);

  v1::Event forged = Interaction(9, "42", "X-9");
  forged.mutable_interaction_logged()->mutable_sealed_summary()->set_nonce("x");
  EXPECT_EQ(store_->Append(Batch({forged}), "mallory").status().message(),
            "events[0].interaction_logged.sealed_summary: set by the ledger only");
  EXPECT_EQ(store_->OpenViewText("\x1fnot a position\x1f").status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace sixhearts::ledger
