// Tests of the deterministic event ids: RFC 9562 version-5 conformance and the exact ids
// of imported events, which any uuid5 implementation reproduces.
#include "tools/csv_import/event_ids.h"

#include "gtest/gtest.h"

namespace sixhearts::csv_import {
namespace {

TEST(NameBasedUuidTest, MatchesTheWellKnownVersion5Example) {
  // Python's documentation: uuid.uuid5(uuid.NAMESPACE_DNS, 'python.org').
  EXPECT_EQ(NameBasedUuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org"),
            "886313e1-3b8a-5372-9b90-0c9aee199e5d");
  // Upper-case namespace text names the same namespace.
  EXPECT_EQ(NameBasedUuid("6BA7B810-9DAD-11D1-80B4-00C04FD430C8", "python.org"),
            "886313e1-3b8a-5372-9b90-0c9aee199e5d");
}

TEST(ImportEventIdTest, ExactIdsOfTheFirstIbmRow) {
  // Computed with Python: uuid.uuid5(uuid.UUID(kImportNamespaceUuid), name).
  EXPECT_EQ(ImportEventId("client-0379-NEVHP", "ClientRegistered", "0379-NEVHP"),
            "27a39176-36fe-52c7-9b59-44113f6ff95b");
  EXPECT_EQ(ImportEventId("client-0379-NEVHP", "InvoiceIssued", "0000611365"),
            "89f7e96e-e2ab-5995-8165-b4ae10837ffe");
  EXPECT_EQ(ImportEventId("client-0379-NEVHP", "PaymentReceived", "pay-0000611365"),
            "f92edd68-aeff-5e0c-a055-3272d634fb9b");
}

TEST(ImportEventIdTest, DiffersWhenAnyPartDiffers) {
  const std::string id = ImportEventId("client-a", "InvoiceIssued", "1");
  EXPECT_EQ(id, ImportEventId("client-a", "InvoiceIssued", "1"));
  EXPECT_NE(id, ImportEventId("client-a", "InvoiceIssued", "2"));
  EXPECT_NE(id, ImportEventId("client-b", "InvoiceIssued", "1"));
  EXPECT_NE(id, ImportEventId("client-a", "PaymentReceived", "1"));
  // Version nibble 5 and variant bits 10.
  ASSERT_EQ(id.size(), 36u);
  EXPECT_EQ(id[14], '5');
  EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b') << id;
}

}  // namespace
}  // namespace sixhearts::csv_import
