// The keystore (RocksDB) and AES-256-GCM sealing of contacts (OpenSSL EVP), as
// specified in ledger/FORMAT.md "Personal data".
#include "ledger/personal_data.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "ledger/rocksdb_status.h"
#include "rocksdb/db.h"

namespace sixhearts::ledger {
namespace {

constexpr size_t kKeyIdBytes = 16;
constexpr size_t kKeyBytes = 32;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  // Without randomness no key or nonce can be made safely; stop rather than reuse one.
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    std::abort();
  }
  return out;
}

// Additional authenticated data: the subject and the event, so a ciphertext cannot be
// moved to another subject or another event unnoticed.
std::string Aad(std::string_view subject, std::string_view event_id) {
  std::string aad(subject);
  aad.push_back('\0');
  aad.append(event_id);
  return aad;
}

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// ciphertext || tag.
std::string Encrypt(const SubjectKey& key, std::string_view nonce, std::string_view aad,
                    std::string_view plaintext) {
  std::string out(plaintext.size() + kTagBytes, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  int total = 0;
  bool ok = ctx != nullptr &&
            EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
            EVP_EncryptInit_ex(ctx, nullptr, nullptr, U(key.key), U(nonce)) == 1 &&
            EVP_EncryptUpdate(ctx, nullptr, &len, U(aad), static_cast<int>(aad.size())) == 1 &&
            EVP_EncryptUpdate(ctx, o, &len, U(plaintext), static_cast<int>(plaintext.size())) == 1;
  total = len;
  ok = ok && EVP_EncryptFinal_ex(ctx, o + total, &len) == 1;
  total += len;
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kTagBytes, o + total) == 1;
  EVP_CIPHER_CTX_free(ctx);
  // Encryption of a buffer in memory cannot fail unless OpenSSL itself is broken; never
  // store personal data in the clear instead.
  if (!ok || static_cast<size_t>(total) != plaintext.size()) std::abort();
  return out;
}

// nullopt when the ciphertext does not authenticate.
std::optional<std::string> Decrypt(const SubjectKey& key, std::string_view nonce,
                                   std::string_view aad, std::string_view sealed) {
  if (nonce.size() != kNonceBytes || sealed.size() < kTagBytes) return std::nullopt;
  const std::string_view ciphertext = sealed.substr(0, sealed.size() - kTagBytes);
  std::string tag(sealed.substr(ciphertext.size()));
  std::string out(ciphertext.size(), '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  int total = 0;
  bool ok =
      ctx != nullptr &&
      EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
      EVP_DecryptInit_ex(ctx, nullptr, nullptr, U(key.key), U(nonce)) == 1 &&
      EVP_DecryptUpdate(ctx, nullptr, &len, U(aad), static_cast<int>(aad.size())) == 1 &&
      EVP_DecryptUpdate(ctx, o, &len, U(ciphertext), static_cast<int>(ciphertext.size())) == 1;
  total = len;
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1 &&
       EVP_DecryptFinal_ex(ctx, o + total, &len) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) return std::nullopt;
  return out;
}

// The subject whose key seals the personal text: the contact's of an interaction that
// names one, else the client (the stream).
std::string TextSubjectOf(const v1::Event& event) {
  if (event.has_interaction_logged() &&
      !event.interaction_logged().contact().subject_id().empty()) {
    return event.interaction_logged().contact().subject_id();
  }
  return event.stream();
}

std::string TextAad(std::string_view subject, std::string_view event_id, std::string_view path) {
  std::string aad = Aad(subject, event_id);
  aad.push_back('\0');
  aad.append(path);
  return aad;
}

absl::Status SealText(v1::Event& event, KeyStore& keys, std::vector<SealedUnder>* sealed_under) {
  const std::optional<PersonalTextSlot> slot = PersonalTextSlotOf(event);
  if (!slot) return absl::OkStatus();
  const google::protobuf::Reflection* events = event.GetReflection();
  google::protobuf::Message* payload = events->MutableMessage(&event, slot->payload);
  const google::protobuf::Reflection* r = payload->GetReflection();
  const std::string text = r->GetString(*payload, slot->text);
  if (text.empty()) return absl::OkStatus();
  const std::string subject = TextSubjectOf(event);
  auto key = keys.GetOrCreate(subject);
  if (!key.ok()) return key.status();
  if (sealed_under != nullptr) sealed_under->push_back({subject, key->key_id});
  v1::SealedPersonalData sealed;
  const std::string nonce = RandomBytes(kNonceBytes);
  sealed.set_key_id(key->key_id);
  sealed.set_nonce(nonce);
  sealed.set_ciphertext(Encrypt(*key, nonce, TextAad(subject, event.event_id(), slot->path), text));
  r->MutableMessage(payload, slot->sealed)->CopyFrom(sealed);
  r->ClearField(payload, slot->text);
  return absl::OkStatus();
}

absl::Status OpenText(v1::Event& event, KeyStore& keys) {
  const std::optional<PersonalTextSlot> slot = PersonalTextSlotOf(event);
  if (!slot) return absl::OkStatus();
  const google::protobuf::Reflection* events = event.GetReflection();
  google::protobuf::Message* payload = events->MutableMessage(&event, slot->payload);
  const google::protobuf::Reflection* r = payload->GetReflection();
  if (!r->HasField(*payload, slot->sealed)) return absl::OkStatus();
  v1::SealedPersonalData sealed;
  sealed.CopyFrom(r->GetMessage(*payload, slot->sealed));
  r->ClearField(payload, slot->sealed);
  const std::string subject = TextSubjectOf(event);
  auto key = keys.Find(subject);
  if (!key.ok()) return key.status();
  if (!key->has_value() || (*key)->key_id != sealed.key_id()) {
    r->SetString(payload, slot->text, kErasedMarker);
    return absl::OkStatus();
  }
  std::optional<std::string> plain = Decrypt(
      **key, sealed.nonce(), TextAad(subject, event.event_id(), slot->path), sealed.ciphertext());
  if (!plain) {
    return absl::DataLossError(absl::StrCat("the ", slot->path, " of the event at position ",
                                            event.position(), " does not decrypt with its key"));
  }
  r->SetString(payload, slot->text, *plain);
  return absl::OkStatus();
}

// Calls fn on every contact of the event.
template <typename Fn>
absl::Status ForEachContact(v1::Event& event, Fn fn) {
  switch (event.payload_case()) {
    case v1::Event::kPromiseToPayMade:
      if (event.promise_to_pay_made().has_contact()) {
        return fn(event.mutable_promise_to_pay_made()->mutable_contact());
      }
      return absl::OkStatus();
    case v1::Event::kInteractionLogged:
      if (event.interaction_logged().has_contact()) {
        return fn(event.mutable_interaction_logged()->mutable_contact());
      }
      return absl::OkStatus();
    case v1::Event::kFeedbackMeetingHeld:
      for (v1::Contact& contact : *event.mutable_feedback_meeting_held()->mutable_attendees()) {
        if (absl::Status s = fn(&contact); !s.ok()) return s;
      }
      return absl::OkStatus();
    default:
      return absl::OkStatus();
  }
}

template <typename Pred>
bool AnyContact(const v1::Event& event, Pred pred) {
  switch (event.payload_case()) {
    case v1::Event::kPromiseToPayMade:
      return pred(event.promise_to_pay_made().contact());
    case v1::Event::kInteractionLogged:
      return pred(event.interaction_logged().contact());
    case v1::Event::kFeedbackMeetingHeld:
      for (const v1::Contact& contact : event.feedback_meeting_held().attendees()) {
        if (pred(contact)) return true;
      }
      return false;
    default:
      return false;
  }
}

// What the files of a RocksDB directory are now (names, sizes, modification times): it
// changes with every write, flush and compaction of the primary's keystore.
std::string DirectoryFingerprint(const std::string& dir) {
  std::string out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::error_code file_ec;
    const uintmax_t size = entry.file_size(file_ec);
    const auto modified = entry.last_write_time(file_ec).time_since_epoch().count();
    absl::StrAppend(&out, entry.path().filename().string(), ":", size, ":", modified, ";");
  }
  return out;
}

// A RocksDB secondary instance of `dir`, its own logs in `own_dir`.
absl::StatusOr<rocksdb::DB*> OpenSecondary(const std::string& dir, const std::string& own_dir) {
  std::error_code ec;
  std::filesystem::create_directories(own_dir, ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create directory ", own_dir, ": ", ec.message()));
  }
  rocksdb::Options options;
  options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  options.keep_log_file_num = 1;
  // A secondary keeps every file it reads open, so the primary's compactions (one after
  // each erasure) cannot remove them from under it.
  options.max_open_files = -1;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenAsSecondary(options, dir, own_dir, &db);
  if (!s.ok()) return FromRocksDB(s, absl::StrCat("open keys directory ", dir, " read-only"));
  return db;
}

}  // namespace

// ------------------------------------------------------------------------------ KeyStore

absl::StatusOr<std::unique_ptr<KeyStore>> KeyStore::Open(const std::string& dir,
                                                         size_t max_cached_keys) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create keys directory ", dir, ": ", ec.message()));
  }
  rocksdb::Options options;
  options.create_if_missing = true;
  options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  // Few, small keys: no need for background parallelism; and no WAL archive, so a
  // destroyed key does not survive in an archived log.
  options.WAL_ttl_seconds = 0;
  options.WAL_size_limit_MB = 0;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir, &db);
  if (!s.ok()) return FromRocksDB(s, absl::StrCat("open keys directory ", dir));
  return std::unique_ptr<KeyStore>(new KeyStore(db, max_cached_keys, ""));
}

absl::StatusOr<std::unique_ptr<KeyStore>> KeyStore::OpenFollower(const std::string& dir,
                                                                 const std::string& own_dir,
                                                                 size_t max_cached_keys) {
  if (!std::filesystem::exists(std::filesystem::path(dir) / "CURRENT")) {
    return absl::FailedPreconditionError(
        absl::StrCat("keys_dir: ", dir, " holds no keystore (a replica reads its primary's)"));
  }
  const std::string fingerprint = DirectoryFingerprint(dir);
  auto db = OpenSecondary(dir, absl::StrCat(own_dir, "/0"));
  if (!db.ok()) return db.status();
  std::unique_ptr<KeyStore> keys(new KeyStore(*db, max_cached_keys, dir));
  keys->own_dir_ = own_dir;
  keys->fingerprint_ = fingerprint;
  return keys;
}

absl::Status KeyStore::CatchUp() {
  if (follows_.empty()) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  // A new secondary instance rather than TryCatchUpWithPrimary: catching up, a secondary
  // kept a key in its memtable after the primary had deleted, flushed and compacted it
  // away (RocksDB 7.8), so an erased subject still read in the clear here. A fresh one
  // reads the primary's files and write-ahead log as they are.
  const std::string fingerprint = DirectoryFingerprint(follows_);
  if (fingerprint == fingerprint_) return absl::OkStatus();
  ++generation_;
  auto db = OpenSecondary(follows_, absl::StrCat(own_dir_, "/", generation_ % 2));
  if (!db.ok()) return db.status();
  db_->Close().PermitUncheckedError();
  delete db_;
  db_ = *db;
  fingerprint_ = fingerprint;
  cache_.clear();
  return absl::OkStatus();
}

KeyStore::~KeyStore() {
  db_->Close().PermitUncheckedError();
  delete db_;
}

absl::StatusOr<std::optional<SubjectKey>> KeyStore::Find(std::string_view subject_view) {
  const std::string subject(subject_view);
  absl::MutexLock lock(&mu_);
  if (auto it = cache_.find(subject); it != cache_.end()) return it->second;
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), rocksdb::Slice(subject.data(), subject.size()), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocksDB(s, "read key");
  if (value.size() != kKeyIdBytes + kKeyBytes) {
    return absl::DataLossError(absl::StrCat("the key of subject ", subject, " is malformed"));
  }
  SubjectKey key{value.substr(0, kKeyIdBytes), value.substr(kKeyIdBytes)};
  if (cache_.size() >= max_cached_keys_) cache_.clear();
  cache_.emplace(subject, key);
  return key;
}

absl::StatusOr<SubjectKey> KeyStore::GetOrCreate(std::string_view subject_view) {
  const std::string subject(subject_view);
  if (!follows_.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the keystore ", follows_, " is read-only here (a replica's)"));
  }
  auto found = Find(subject);
  if (!found.ok()) return found.status();
  if (found->has_value()) return **found;
  absl::MutexLock lock(&mu_);
  // Another thread may have created it since Find released the lock.
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), rocksdb::Slice(subject.data(), subject.size()), &value);
  SubjectKey key;
  if (s.ok() && value.size() == kKeyIdBytes + kKeyBytes) {
    key = SubjectKey{value.substr(0, kKeyIdBytes), value.substr(kKeyIdBytes)};
  } else if (s.IsNotFound()) {
    key = SubjectKey{RandomBytes(kKeyIdBytes), RandomBytes(kKeyBytes)};
    rocksdb::WriteOptions write;
    write.sync = true;  // no sealed event may outlive its key through a crash
    s = db_->Put(write, rocksdb::Slice(subject.data(), subject.size()), key.key_id + key.key);
    if (!s.ok()) return FromRocksDB(s, "create key");
  } else if (!s.ok()) {
    return FromRocksDB(s, "read key");
  } else {
    return absl::DataLossError(absl::StrCat("the key of subject ", subject, " is malformed"));
  }
  if (cache_.size() >= max_cached_keys_) cache_.clear();
  cache_[subject] = key;
  return key;
}

absl::Status KeyStore::Destroy(std::string_view subject_view) {
  const std::string subject(subject_view);
  if (!follows_.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the keystore ", follows_, " is read-only here (a replica's)"));
  }
  absl::MutexLock lock(&mu_);
  cache_.erase(subject);
  const rocksdb::Slice key(subject.data(), subject.size());
  rocksdb::WriteOptions write;
  write.sync = true;
  if (rocksdb::Status s = db_->Delete(write, key); !s.ok()) return FromRocksDB(s, "destroy key");
  // A delete only hides the value: flush the memtable and compact every level so the
  // SST files and the write-ahead log that held the key are rewritten or removed.
  rocksdb::FlushOptions flush;
  flush.wait = true;
  if (rocksdb::Status s = db_->Flush(flush); !s.ok()) return FromRocksDB(s, "flush keys");
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  if (rocksdb::Status s = db_->CompactRange(compact, nullptr, nullptr); !s.ok()) {
    return FromRocksDB(s, "compact keys");
  }
  return absl::OkStatus();
}

// ------------------------------------------------------------------- sealing, opening

std::string SubjectOf(const v1::Event& event, const v1::Contact& contact) {
  return contact.subject_id().empty() ? event.stream() : contact.subject_id();
}

bool HasPlainPersonalData(const v1::Event& event) {
  return !PersonalTextOf(event).empty() || AnyContact(event, [](const v1::Contact& c) {
    return !c.name().empty() || !c.phone().empty() || !c.email().empty();
  });
}

bool HasSealedPersonalData(const v1::Event& event) {
  return HasSealedPersonalText(event) ||
         AnyContact(event, [](const v1::Contact& c) { return c.has_sealed(); });
}

absl::Status SealPersonalData(v1::Event& event, KeyStore& keys,
                              std::vector<SealedUnder>* sealed_under) {
  if (absl::Status s = SealText(event, keys, sealed_under); !s.ok()) return s;
  const std::string event_id = event.event_id();
  const std::string stream = event.stream();
  return ForEachContact(event, [&](v1::Contact* contact) -> absl::Status {
    if (contact->name().empty() && contact->phone().empty() && contact->email().empty()) {
      return absl::OkStatus();
    }
    const std::string subject = contact->subject_id().empty() ? stream : contact->subject_id();
    auto key = keys.GetOrCreate(subject);
    if (!key.ok()) return key.status();
    if (sealed_under != nullptr) sealed_under->push_back({subject, key->key_id});
    v1::Contact plain;
    plain.set_name(contact->name());
    plain.set_phone(contact->phone());
    plain.set_email(contact->email());
    const std::string nonce = RandomBytes(kNonceBytes);
    v1::SealedPersonalData* sealed = contact->mutable_sealed();
    sealed->set_key_id(key->key_id);
    sealed->set_nonce(nonce);
    sealed->set_ciphertext(Encrypt(*key, nonce, Aad(subject, event_id), plain.SerializeAsString()));
    contact->clear_name();
    contact->clear_phone();
    contact->clear_email();
    return absl::OkStatus();
  });
}

absl::Status OpenPersonalData(v1::Event& event, KeyStore& keys) {
  if (absl::Status s = OpenText(event, keys); !s.ok()) return s;
  const std::string event_id = event.event_id();
  const std::string stream = event.stream();
  const uint64_t position = event.position();
  return ForEachContact(event, [&](v1::Contact* contact) -> absl::Status {
    if (!contact->has_sealed()) return absl::OkStatus();
    const std::string subject = contact->subject_id().empty() ? stream : contact->subject_id();
    auto key = keys.Find(subject);
    if (!key.ok()) return key.status();
    const v1::SealedPersonalData& sealed = contact->sealed();
    if (!key->has_value() || (*key)->key_id != sealed.key_id()) {
      // The key that sealed it was destroyed (a later key of the same subject, made
      // for data stored after the erasure, has another id).
      contact->set_name(kErasedMarker);
      contact->set_phone(kErasedMarker);
      contact->set_email(kErasedMarker);
      contact->set_erased(true);
      contact->clear_sealed();
      return absl::OkStatus();
    }
    std::optional<std::string> plain =
        Decrypt(**key, sealed.nonce(), Aad(subject, event_id), sealed.ciphertext());
    v1::Contact opened;
    if (!plain || !opened.ParseFromString(*plain)) {
      return absl::DataLossError(absl::StrCat("the personal data of the event at position ",
                                              position, " does not decrypt with its key"));
    }
    contact->set_name(opened.name());
    contact->set_phone(opened.phone());
    contact->set_email(opened.email());
    contact->clear_sealed();
    return absl::OkStatus();
  });
}

}  // namespace sixhearts::ledger
