// Backups of a real store in temporary directories: a backup taken while appends go on
// restores to a store that opens, verifies and has the source's digest at the backup's
// position; restore refuses a non-empty directory; verify names a damaged backup file.
#include "ledger/backup.h"

#include <filesystem>
#include <fstream>
#include <thread>

#include "gtest/gtest.h"
#include "ledger/format.h"
#include "tests/testing/test_events.h"

namespace sixhearts::ledger {
namespace {

using ::sixhearts::testing::Batch;
using ::sixhearts::testing::ClientRegistered;
using ::sixhearts::testing::Interaction;
using ::sixhearts::testing::InvoiceIssued;
using ::sixhearts::testing::TempDir;
namespace fs = std::filesystem;

class BackupTest : public ::testing::Test {
 protected:
  BackupTest() {
    EventStoreOptions options;
    options.data_dir = dir_.sub("ledger");
    auto opened = EventStore::Open(options);
    EXPECT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
  }

  // Appends `n` interactions of client 42, ids from `first_id`.
  void AppendInteractions(uint64_t first_id, int n) {
    for (int i = 0; i < n; ++i) {
      const uint64_t id = first_id + i;
      // Event 1 registers the client.
      auto r = store_->Append(Batch({id == 1 ? ClientRegistered(id, "42")
                                             : Interaction(id, "42", "X-" + std::to_string(id))}),
                              "alice");
      ASSERT_TRUE(r.ok()) << r.status();
    }
  }

  // The chain hash at `position` as the source computes it now.
  std::string SourceHashAt(uint64_t position) {
    auto v = store_->Verify(1, position);
    EXPECT_TRUE(v.ok() && v->ok);
    return v.ok() ? v->head_hash : "";
  }

  TempDir dir_;
  std::unique_ptr<EventStore> store_;
};

TEST_F(BackupTest, RestoredBackupHasTheSourceDigestAtItsPosition) {
  ASSERT_TRUE(
      store_
          ->Append(Batch({ClientRegistered(1, "42"), InvoiceIssued(2, "42", "INV-1", 100'000)}),
                   "alice")
          .ok());
  AppendInteractions(100, 28);  // positions 3..30
  // Projection state and snapshots live in their own column families; they must come back.
  ASSERT_TRUE(store_->SaveProjection("receivables", 30, "state-at-30").ok());
  ASSERT_TRUE(store_->SaveSnapshot("receivables", {20, absl::FromUnixSeconds(5), "snap-20"}).ok());

  auto created = CreateBackup(*store_, dir_.sub("backups"));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->backup.backup_id, 1u);
  EXPECT_EQ(created->backup.head_position, 30u);
  EXPECT_EQ(created->backup.head_hash, store_->head().hash);
  EXPECT_GT(created->backup.file_count, 0u);
  EXPECT_TRUE(created->backup.problem.empty());

  AppendInteractions(200, 20);  // the source moves on to 50
  ASSERT_EQ(store_->head().position, 50u);
  ASSERT_NE(store_->head().hash, created->backup.head_hash);

  auto listed = ListBackups(dir_.sub("backups"));
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].head_position, 30u);
  EXPECT_EQ((*listed)[0].head_hash, created->backup.head_hash);

  auto restored = RestoreBackup(dir_.sub("backups"), 0, dir_.sub("restored"));
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(restored->backup.backup_id, 1u);
  EXPECT_EQ(restored->backup.head_position, 30u);
  EXPECT_TRUE(restored->chain.ok) << restored->chain.problem;
  EXPECT_EQ(restored->chain.checked, 30u);
  EXPECT_EQ(restored->backup.head_hash, SourceHashAt(30));

  // The restored directory is a ledger: it opens, serves the same events and the
  // projection's saved state, and takes appends after position 30.
  EventStoreOptions options;
  options.data_dir = dir_.sub("restored");
  auto copy = EventStore::Open(options);
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ((*copy)->head().position, 30u);
  EXPECT_EQ((*copy)->head().hash, SourceHashAt(30));
  auto page = (*copy)->ReadLog(30, false, 1, {});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_EQ(page->events[0].interaction_logged().interaction_id(), "X-127");
  auto projection = (*copy)->LoadProjection("receivables");
  ASSERT_TRUE(projection.ok() && projection->has_value());
  EXPECT_EQ((*projection)->position, 30u);
  EXPECT_EQ((*projection)->state, "state-at-30");
  EXPECT_EQ(*(*copy)->CountSnapshots("receivables"), 1u);
  auto next = (*copy)->Append(Batch({Interaction(999, "42", "X-999")}), "alice");
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->positions(0), 31u);
}

TEST_F(BackupTest, BackupWhileAppendsGoOnHoldsAConsistentPrefix) {
  AppendInteractions(1, 10);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    uint64_t id = 1000;
    // The first batch registers the clients 7 and 8 and the others are about them.
    ASSERT_TRUE(
        store_->Append(Batch({ClientRegistered(998, "7"), ClientRegistered(999, "8")}), "bob")
            .ok());
    while (!stop.load()) {
      auto r = store_->Append(Batch({Interaction(id, "7", "Y-" + std::to_string(id)),
                                     Interaction(id + 1, "8", "Y-" + std::to_string(id + 1))}),
                              "bob");
      ASSERT_TRUE(r.ok()) << r.status();
      id += 2;
    }
  });
  std::vector<BackupInfo> backups;
  for (int i = 0; i < 3; ++i) {
    auto created = CreateBackup(*store_, dir_.sub("backups"));
    ASSERT_TRUE(created.ok()) << created.status();
    backups.push_back(created->backup);
  }
  stop = true;
  writer.join();
  ASSERT_GT(store_->head().position, backups.back().head_position);
  for (const BackupInfo& backup : backups) {
    SCOPED_TRACE(backup.backup_id);
    EXPECT_GE(backup.head_position, 10u);
    // Two-event batches after position 10: a backup never holds half of one.
    EXPECT_EQ(backup.head_position % 2, 0u);
    EXPECT_EQ(backup.head_hash, SourceHashAt(backup.head_position));
    auto verified = VerifyBackup(dir_.sub("backups"), backup.backup_id);
    ASSERT_TRUE(verified.ok()) << verified.status();
    EXPECT_TRUE(verified->chain.ok) << verified->chain.problem;
    EXPECT_EQ(verified->chain.checked, backup.head_position);
    const std::string target = dir_.sub("restored-" + std::to_string(backup.backup_id));
    auto restored = RestoreBackup(dir_.sub("backups"), backup.backup_id, target);
    ASSERT_TRUE(restored.ok()) << restored.status();
    EXPECT_EQ(restored->backup.head_position, backup.head_position);
    EXPECT_EQ(restored->backup.head_hash, backup.head_hash);
    EXPECT_TRUE(restored->chain.ok);
  }
}

TEST_F(BackupTest, RestoreRefusesANonEmptyDirectoryAndAnUnknownBackup) {
  AppendInteractions(1, 3);
  ASSERT_TRUE(CreateBackup(*store_, dir_.sub("backups")).ok());
  fs::create_directories(dir_.sub("busy"));
  { std::ofstream(dir_.sub("busy") + "/CURRENT") << "MANIFEST-000001\n"; }
  auto refused = RestoreBackup(dir_.sub("backups"), 0, dir_.sub("busy"));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.status().message(),
            "data_dir: " + dir_.sub("busy") +
                " is not empty; a restore only writes into a missing or empty directory");
  // The live data directory is never a restore target either.
  EXPECT_EQ(RestoreBackup(dir_.sub("backups"), 0, dir_.sub("ledger")).status().code(),
            absl::StatusCode::kFailedPrecondition);

  auto unknown = RestoreBackup(dir_.sub("backups"), 7, dir_.sub("fresh"));
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(unknown.status().message(), "backup_id: no backup 7 in " + dir_.sub("backups"));
  EXPECT_FALSE(fs::exists(dir_.sub("fresh")) && !fs::is_empty(dir_.sub("fresh")));

  EXPECT_EQ(ListBackups(dir_.sub("nothing")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(CreateBackup(*store_, dir_.sub("ledger") + "/backups").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(BackupTest, VerifyNamesADamagedBackupFileAndRestoreRefusesIt) {
  AppendInteractions(1, 40);
  auto created = CreateBackup(*store_, dir_.sub("backups"));
  ASSERT_TRUE(created.ok()) << created.status();
  auto verified = VerifyBackup(dir_.sub("backups"), 1);
  ASSERT_TRUE(verified.ok()) << verified.status();
  ASSERT_TRUE(verified->chain.ok) << verified->chain.problem;
  EXPECT_EQ(verified->chain.checked, 40u);

  // Flip one byte in the middle of the backup's table file of the log family: the
  // flush before the backup put all 40 records in it. Table files are shared between
  // backups, under shared_checksum/.
  fs::path largest;
  uintmax_t largest_size = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir_.sub("backups"))) {
    if (entry.path().extension() == ".sst" && entry.file_size() > largest_size) {
      largest = entry.path();
      largest_size = entry.file_size();
    }
  }
  ASSERT_FALSE(largest.empty());
  {
    std::fstream file(largest, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(static_cast<std::streamoff>(largest_size / 3));
    char byte = 0;
    file.read(&byte, 1);
    byte ^= 0x20;
    file.seekp(static_cast<std::streamoff>(largest_size / 3));
    file.write(&byte, 1);
  }
  verified = VerifyBackup(dir_.sub("backups"), 1);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_FALSE(verified->chain.ok);
  EXPECT_TRUE(verified->chain.problem.starts_with("files: ")) << verified->chain.problem;
  // The problem names the damaged file by its path in the backup directory.
  EXPECT_NE(verified->chain.problem.find(largest.filename().string()), std::string::npos)
      << verified->chain.problem;

  auto restored = RestoreBackup(dir_.sub("backups"), 1, dir_.sub("restored"));
  EXPECT_EQ(restored.status().code(), absl::StatusCode::kDataLoss) << restored.status();
  EXPECT_TRUE(!fs::exists(dir_.sub("restored")) || fs::is_empty(dir_.sub("restored")));
}

TEST_F(BackupTest, KeepLastDeletesOlderBackups) {
  for (int i = 0; i < 3; ++i) {
    AppendInteractions(10 * i + 1, 2);
    auto created = CreateBackup(*store_, dir_.sub("backups"), {.keep_last = 2});
    ASSERT_TRUE(created.ok()) << created.status();
    EXPECT_EQ(created->backup.head_position, 2u * (i + 1));
    const std::vector<uint32_t> purged = i < 2 ? std::vector<uint32_t>{} : std::vector<uint32_t>{1};
    EXPECT_EQ(created->purged_backup_ids, purged);
  }
  auto listed = ListBackups(dir_.sub("backups"));
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].backup_id, 2u);
  EXPECT_EQ((*listed)[0].head_position, 4u);
  EXPECT_EQ((*listed)[1].backup_id, 3u);
  EXPECT_EQ((*listed)[1].head_position, 6u);
}

}  // namespace
}  // namespace sixhearts::ledger
