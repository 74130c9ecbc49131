// Unknown fields and parse failures, by reflection and by a walk of the wire format.
#include "ledger/wire_check.h"

#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/unknown_field_set.h"

namespace sixhearts::ledger {
namespace {

namespace pb = ::google::protobuf;

std::string Join(std::string_view path, std::string_view name) {
  if (path.empty()) return std::string(name);
  return absl::StrCat(absl::string_view(path.data(), path.size()), ".",
                      absl::string_view(name.data(), name.size()));
}

std::string Element(std::string_view path, const pb::FieldDescriptor& field, int index) {
  std::string name = Join(path, field.name());
  if (field.is_repeated()) absl::StrAppend(&name, "[", index, "]");
  return name;
}

// Reads a base-128 varint at `*pos`; false when it is truncated or longer than 10 bytes.
bool ReadVarint(std::string_view bytes, size_t* pos, uint64_t* value) {
  *value = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (*pos >= bytes.size()) return false;
    const uint8_t byte = static_cast<uint8_t>(bytes[(*pos)++]);
    *value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

// Reads a tag at `*pos` as protobuf's parser does: a varint of at most 5 bytes of which
// the low 32 bits count (a longer value is cut, not refused); false when it is truncated
// or longer.
bool ReadTag(std::string_view bytes, size_t* pos, uint64_t* tag) {
  uint64_t value = 0;
  for (int i = 0; i < 5; ++i) {
    if (*pos >= bytes.size()) return false;
    const uint8_t byte = static_cast<uint8_t>(bytes[(*pos)++]);
    value |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      *tag = value & 0xffffffff;
      return true;
    }
  }
  return false;
}

// The first fault in `bytes` as a message of `type` at `path`; "" when none is found.
// `base` is the offset of `bytes` in the whole request.
std::string Walk(const pb::Descriptor& type, std::string_view bytes, size_t base,
                 const std::string& path) {
  const std::string prefix = path.empty() ? "" : absl::StrCat(path, ": ");
  absl::flat_hash_map<int, int> seen;  // field number -> elements so far
  size_t pos = 0;
  while (pos < bytes.size()) {
    const size_t start = pos;
    uint64_t tag = 0;
    if (!ReadTag(bytes, &pos, &tag)) {
      return absl::StrCat(prefix, "byte ", base + start,
                          ": truncated tag (or one of over 5 bytes)");
    }
    const uint64_t number = tag >> 3;
    const int wire_type = static_cast<int>(tag & 7);
    if (number == 0) {
      return absl::StrCat(prefix, "byte ", base + start, ": tag with field number 0");
    }
    const pb::FieldDescriptor* field = type.FindFieldByNumber(static_cast<int>(number));
    const std::string name = field != nullptr
                                 ? Element(path, *field, seen[static_cast<int>(number)]++)
                                 : Join(path, absl::StrCat("field ", number));
    switch (wire_type) {
      case 0: {
        uint64_t ignored = 0;
        if (!ReadVarint(bytes, &pos, &ignored)) return absl::StrCat(name, ": truncated varint");
        break;
      }
      case 1:
      case 5: {
        const size_t width = wire_type == 1 ? 8 : 4;
        if (bytes.size() - pos < width) {
          return absl::StrCat(name, ": ", width, " bytes announced, ", bytes.size() - pos, " left");
        }
        pos += width;
        break;
      }
      case 2: {
        uint64_t length = 0;
        if (!ReadVarint(bytes, &pos, &length)) return absl::StrCat(name, ": truncated length");
        if (length > bytes.size() - pos) {
          return absl::StrCat(name, ": ", length, " bytes announced, ", bytes.size() - pos,
                              " left");
        }
        const std::string_view value = bytes.substr(pos, length);
        const size_t value_base = base + pos;
        pos += length;
        if (field == nullptr || field->is_packed()) break;
        if (field->type() == pb::FieldDescriptor::TYPE_STRING &&
            field->file()->syntax() == pb::FileDescriptor::SYNTAX_PROTO3 && !IsValidUtf8(value)) {
          return absl::StrCat(name, ": not valid UTF-8");
        }
        if (field->type() == pb::FieldDescriptor::TYPE_MESSAGE) {
          std::string inner = Walk(*field->message_type(), value, value_base, name);
          if (!inner.empty()) return inner;
        }
        break;
      }
      default:
        // Groups (3, 4) are not used by this API and are skipped by nobody here; 6 and 7
        // do not exist.
        return wire_type == 3 || wire_type == 4
                   ? std::string()
                   : absl::StrCat(prefix, "byte ", base + start, ": wire type ", wire_type,
                                  " does not exist");
    }
  }
  return std::string();
}

}  // namespace

absl::Status RefuseUnknownFields(const pb::Message& message, std::string_view path) {
  const pb::Reflection* reflection = message.GetReflection();
  const pb::UnknownFieldSet& unknown = reflection->GetUnknownFields(message);
  if (!unknown.empty()) {
    const int number = unknown.field(0).number();
    const pb::Descriptor* type = message.GetDescriptor();
    const std::string where = path.empty() ? "request" : std::string(path);
    const pb::FieldDescriptor* known = type->FindFieldByNumber(number);
    if (known != nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": field ", number, " sent with a wire type other than that of ",
                       known->full_name(), " (", known->type_name(), ")"));
    }
    return absl::InvalidArgumentError(absl::StrCat(where, ": unknown field ", number, " (",
                                                   type->full_name(),
                                                   " has no field of that number)"));
  }
  std::vector<const pb::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const pb::FieldDescriptor* field : fields) {
    if (field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (!field->is_repeated()) {
      absl::Status s =
          RefuseUnknownFields(reflection->GetMessage(message, field), Join(path, field->name()));
      if (!s.ok()) return s;
      continue;
    }
    const int size = reflection->FieldSize(message, field);
    for (int i = 0; i < size; ++i) {
      absl::Status s = RefuseUnknownFields(reflection->GetRepeatedMessage(message, field, i),
                                           Element(path, *field, i));
      if (!s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

std::string DescribeParseFailure(const pb::Descriptor& type, std::string_view bytes) {
  return Walk(type, bytes, 0, "");
}

bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const uint8_t c = static_cast<uint8_t>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int extra = 0;
    uint32_t code = 0;
    uint32_t min = 0;
    if ((c & 0xe0) == 0xc0) {
      extra = 1, code = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2, code = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3, code = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (text.size() - i <= static_cast<size_t>(extra)) return false;
    for (int k = 1; k <= extra; ++k) {
      const uint8_t next = static_cast<uint8_t>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code = (code << 6) | (next & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    i += extra + 1;
  }
  return true;
}

}  // namespace sixhearts::ledger
