// Signed checkpoints against golang.org/x/mod/sumdb/note's own vectors (note_test.go:
// the PeterNeumann key and its signature of a two-line text, byte for byte), and the key
// file: created 0600 on first use, the same key on the next, refused when others may
// read it.
#include "ledger/checkpoint.h"

#include <sys/stat.h>

#include <filesystem>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "tests/testing/test_events.h"

namespace sixhearts::ledger {
namespace {

// PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz:
// base64 of 0x01 || the 32-byte seed.
std::string PeterSeed() {
  std::string decoded;
  EXPECT_TRUE(absl::Base64Unescape("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", &decoded));
  return decoded.substr(1);
}

TEST(CheckpointTest, SignsAsGoSumdbNoteDoes) {
  auto signer = CheckpointSigner::FromSeed(PeterSeed(), "PeterNeumann");
  ASSERT_TRUE(signer.ok()) << signer.status();
  EXPECT_EQ((*signer)->VerifierKey(),
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
  const std::string text =
      "If you think cryptography is the answer to your problem,\n"
      "then you don't know what your problem is.\n";
  EXPECT_EQ((*signer)->SignNote(text),
            text +
                "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZ"
                "SNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n");
}

// The note of golang.org/x/mod/sumdb/note's example verifies with its key; one changed
// byte of the text, another key or a malformed key does not.
TEST(CheckpointTest, VerifyNoteChecksTheSignatureOfTheKey) {
  const std::string key = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
  const std::string note =
      "If you think cryptography is the answer to your problem,\n"
      "then you don't know what your problem is.\n"
      "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZ"
      "SNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
  EXPECT_TRUE(VerifyNote(note, key).ok()) << VerifyNote(note, key);
  std::string changed = note;
  changed[3] = 'X';
  EXPECT_EQ(VerifyNote(changed, key).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(VerifyNote(note, "PeterNeumann+c74f20a3").code(), absl::StatusCode::kInvalidArgument);
  // A key whose base64 holds a '+' (the name and key id never do).
  for (char c = 1; c < 100; ++c) {
    auto signer = CheckpointSigner::FromSeed(std::string(32, c), "other");
    ASSERT_TRUE(signer.ok());
    const std::string other = (*signer)->VerifierKey();
    if (other.find('+', std::string("other+12345678+").size()) == std::string::npos) continue;
    EXPECT_TRUE(VerifyNote((*signer)->Sign(3, std::string(32, 'r')), other).ok()) << other;
    EXPECT_EQ(VerifyNote(note, other).code(), absl::StatusCode::kUnauthenticated);
    return;
  }
  FAIL() << "no seed gave a key with '+'";
}

TEST(CheckpointTest, CheckpointBodyHasOriginSizeAndBase64Root) {
  EXPECT_EQ(CheckpointBody("example.com/log", 37, std::string(32, '\0')),
            "example.com/log\n37\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
}

TEST(CheckpointTest, KeyFileIsCreatedOnceWithMode0600) {
  ::sixhearts::testing::TempDir dir;
  const std::string path = dir.sub("checkpoint.key");
  bool created = false;
  auto first = CheckpointSigner::LoadOrCreate(path, "ledger.test", &created);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(created);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  created = false;
  auto second = CheckpointSigner::LoadOrCreate(path, "ledger.test", &created);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(created);
  EXPECT_EQ((*first)->VerifierKey(), (*second)->VerifierKey());

  ::chmod(path.c_str(), 0644);
  auto open = CheckpointSigner::LoadOrCreate(path, "ledger.test");
  EXPECT_EQ(open.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(open.status().message().find("readable by others"), std::string::npos);

  EXPECT_EQ(CheckpointSigner::LoadOrCreate(path, "bad origin").status().message(),
            "checkpoint_origin: \"bad origin\" cannot be a key name (no spaces, '+' or control "
            "characters)");
}

}  // namespace
}  // namespace sixhearts::ledger
