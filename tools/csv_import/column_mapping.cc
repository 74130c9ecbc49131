// Mapping settings: the key table, the file and pair parsers that feed it, the presets,
// and validation. Settings are collected first and applied preset-first, so the order of
// lines never changes the outcome.
#include "tools/csv_import/column_mapping.h"

#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "ledger/currency.h"
#include "tools/csv_import/limits.h"
#include "tools/csv_import/string_views.h"

namespace sixhearts::csv_import {
namespace {

// One `key = value` and where it came from, for messages.
struct Setting {
  std::string key;
  std::string value;
  std::string origin;  // "mapping line 3" or "mapping pair \"k=v\""
};

using Setter = absl::Status (*)(absl::string_view value, ColumnMapping* mapping);

struct KeySpec {
  absl::string_view key;
  // Column keys write this member; other keys use `setter`.
  std::string ColumnMapping::*column = nullptr;
  Setter setter = nullptr;
};

absl::Status SetCurrency(absl::string_view value, ColumnMapping* mapping) {
  if (!value.empty() && !ledger::IsKnownCurrency(StdView(value))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown currency \"", value,
        "\" (an ISO 4217 code in upper case; to read it from a column use currency_column)"));
  }
  mapping->currency = std::string(value);
  if (!value.empty()) mapping->currency_column.clear();
  return absl::OkStatus();
}

absl::Status SetCurrencyColumn(absl::string_view value, ColumnMapping* mapping) {
  mapping->currency_column = std::string(value);
  if (!value.empty()) mapping->currency.clear();
  return absl::OkStatus();
}

absl::Status SetDateFormat(absl::string_view value, ColumnMapping* mapping) {
  if (value == "M/D/YYYY" || value == "MM/DD/YYYY") {
    mapping->date_format = DateFormat::kMonthDayYear;
  } else if (value == "YYYY-MM-DD") {
    mapping->date_format = DateFormat::kIso;
  } else if (value == "YYYY-M-D" || value == "YYYY/M/D" || value == "YYYY年M月D日") {
    mapping->date_format = DateFormat::kYearMonthDay;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown date_format \"", value, "\" (M/D/YYYY, YYYY-MM-DD or YYYY-M-D)"));
  }
  return absl::OkStatus();
}

absl::Status SetThousandsSeparator(absl::string_view value, ColumnMapping* mapping) {
  if (value.empty() || value == "none") {
    mapping->thousands_separator = ThousandsSeparator::kNone;
  } else if (value == "comma" || value == ",") {
    mapping->thousands_separator = ThousandsSeparator::kComma;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown thousands_separator \"", value, "\" (none or comma)"));
  }
  return absl::OkStatus();
}

absl::Status SetDelimiter(absl::string_view value, ColumnMapping* mapping) {
  if (value.empty() || value == "comma" || value == ",") {
    mapping->delimiter = ',';
  } else if (value == "semicolon" || value == ";") {
    mapping->delimiter = ';';
  } else if (value == "tab" || value == "\\t") {
    mapping->delimiter = '\t';
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown delimiter \"", value, "\" (comma, semicolon or tab)"));
  }
  return absl::OkStatus();
}

absl::Status SetEncoding(absl::string_view value, ColumnMapping* mapping) {
  const std::string name = absl::AsciiStrToUpper(value);
  if (name.empty() || name == "UTF-8" || name == "UTF8") {
    mapping->encoding = "UTF-8";
  } else if (name == "GBK" || name == "GB18030" || name == "GB2312" || name == "CP936") {
    // GB18030 is a superset of GBK and GB2312, so every such file reads the same.
    mapping->encoding = "GB18030";
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown encoding \"", value, "\" (UTF-8, GBK or GB18030)"));
  }
  return absl::OkStatus();
}

// Accepts "US" as well as the proto spelling "JURISDICTION_US", in any case.
absl::Status SetJurisdiction(absl::string_view value, ColumnMapping* mapping) {
  std::string name = absl::AsciiStrToUpper(value);
  if (!absl::StartsWith(name, "JURISDICTION_")) name = absl::StrCat("JURISDICTION_", name);
  v1::Jurisdiction parsed = v1::JURISDICTION_UNSPECIFIED;
  if (!v1::Jurisdiction_Parse(name, &parsed) || parsed == v1::JURISDICTION_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown jurisdiction \"", value, "\" (CN, US, EU or OTHER)"));
  }
  mapping->jurisdiction = parsed;
  return absl::OkStatus();
}

absl::Status SetClientKind(absl::string_view value, ColumnMapping* mapping) {
  std::string name = absl::AsciiStrToUpper(value);
  if (!absl::StartsWith(name, "CLIENT_KIND_")) name = absl::StrCat("CLIENT_KIND_", name);
  v1::ClientKind parsed = v1::CLIENT_KIND_UNSPECIFIED;
  if (!v1::ClientKind_Parse(name, &parsed) || parsed == v1::CLIENT_KIND_UNSPECIFIED) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown client_kind \"", value,
        "\" (government_organ, public_institution, state_owned_enterprise or private)"));
  }
  mapping->client_kind = parsed;
  return absl::OkStatus();
}

absl::Status SetSellerIsSme(absl::string_view value, ColumnMapping* mapping) {
  const absl::StatusOr<bool> flag = ParseYesNo(StdView(value));
  if (!flag.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("seller_is_sme \"", value, "\": ", flag.status().message()));
  }
  mapping->seller_is_sme = *flag;
  return absl::OkStatus();
}

constexpr KeySpec kKeys[] = {
    {"client_id", &ColumnMapping::client_id_column},
    {"client_name", &ColumnMapping::client_name_column},
    {"invoice_id", &ColumnMapping::invoice_id_column},
    {"invoice_date", &ColumnMapping::invoice_date_column},
    {"due_date", &ColumnMapping::due_date_column},
    {"amount", &ColumnMapping::amount_column},
    {"currency", nullptr, &SetCurrency},
    {"currency_column", nullptr, &SetCurrencyColumn},
    {"settled_date", &ColumnMapping::settled_date_column},
    {"disputed", &ColumnMapping::disputed_column},
    {"delivery_date", &ColumnMapping::delivery_date_column},
    {"date_format", nullptr, &SetDateFormat},
    {"thousands_separator", nullptr, &SetThousandsSeparator},
    {"delimiter", nullptr, &SetDelimiter},
    {"encoding", nullptr, &SetEncoding},
    {"jurisdiction", nullptr, &SetJurisdiction},
    {"client_kind", nullptr, &SetClientKind},
    {"seller_is_sme", nullptr, &SetSellerIsSme},
};
constexpr absl::string_view kPresetKey = "preset";

std::string KnownKeys() {
  std::vector<absl::string_view> names = {kPresetKey};
  for (const KeySpec& spec : kKeys) names.push_back(spec.key);
  return absl::StrJoin(names, ", ");
}

const KeySpec* FindKey(absl::string_view key) {
  for (const KeySpec& spec : kKeys) {
    if (spec.key == key) return &spec;
  }
  return nullptr;
}

// Trims spaces and drops one pair of surrounding double quotes, which protect a column
// name's own leading or trailing spaces.
std::string CleanValue(absl::string_view raw) {
  absl::string_view value = absl::StripAsciiWhitespace(raw);
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
  }
  return std::string(value);
}

absl::Status Fail(const Setting& setting, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(setting.origin, ": ", problem));
}

// Rejects unknown and repeated keys of one source.
absl::Status CheckSettings(const std::vector<Setting>& settings) {
  for (size_t i = 0; i < settings.size(); ++i) {
    const Setting& s = settings[i];
    if (s.key.empty()) return Fail(s, "missing key before '='");
    if (s.key != kPresetKey && FindKey(s.key) == nullptr) {
      return Fail(s, absl::StrCat("unknown key \"", s.key, "\" (known keys: ", KnownKeys(), ")"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (settings[j].key == s.key) {
        return Fail(s, absl::StrCat("key \"", s.key, "\" already set (", settings[j].origin, ")"));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Setting>> SettingsFromFile(absl::string_view text) {
  if (text.size() > kMaxMappingFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("mapping file larger than ", kMaxMappingFileBytes, " bytes"));
  }
  std::vector<Setting> settings;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    const std::string origin = absl::StrCat("mapping line ", line_number);
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(origin, ": expected `key = value`, got \"", line, "\""));
    }
    if (settings.size() >= kMaxMappingSettings) {
      return absl::InvalidArgumentError(
          absl::StrCat(origin, ": more than ", kMaxMappingSettings, " settings"));
    }
    settings.push_back({std::string(absl::StripAsciiWhitespace(line.substr(0, eq))),
                        CleanValue(line.substr(eq + 1)), origin});
  }
  return settings;
}

absl::StatusOr<std::vector<Setting>> SettingsFromPairs(absl::Span<const std::string> pairs) {
  if (pairs.size() > kMaxMappingSettings) {
    return absl::InvalidArgumentError(
        absl::StrCat("more than ", kMaxMappingSettings, " mapping pairs"));
  }
  std::vector<Setting> settings;
  for (const std::string& pair : pairs) {
    const std::string origin = absl::StrCat("mapping pair \"", pair, "\"");
    const size_t eq = pair.find('=');
    if (eq == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(origin, ": expected key=value"));
    }
    settings.push_back({std::string(absl::StripAsciiWhitespace(pair.substr(0, eq))),
                        CleanValue(absl::string_view(pair).substr(eq + 1)), origin});
  }
  return settings;
}

const Setting* FindSetting(const std::vector<Setting>& settings, absl::string_view key) {
  for (const Setting& s : settings) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

absl::Status Apply(const std::vector<Setting>& settings, ColumnMapping* mapping) {
  if (FindSetting(settings, "currency") != nullptr &&
      FindSetting(settings, "currency_column") != nullptr) {
    return Fail(*FindSetting(settings, "currency_column"),
                "currency and currency_column are both set; give one");
  }
  for (const Setting& s : settings) {
    if (s.key == kPresetKey) continue;
    const KeySpec* spec = FindKey(s.key);
    if (spec->column != nullptr) {
      mapping->*(spec->column) = s.value;
      continue;
    }
    if (absl::Status status = spec->setter(s.value, mapping); !status.ok()) {
      return Fail(s, status.message());
    }
  }
  return absl::OkStatus();
}

std::string QuoteIfNeeded(absl::string_view value) {
  if (value != absl::StripAsciiWhitespace(value) ||
      (!value.empty() && value.front() == '"' && value.back() == '"')) {
    return absl::StrCat("\"", value, "\"");
  }
  return std::string(value);
}

}  // namespace

absl::Status ValidateMapping(const ColumnMapping& mapping) {
  const std::pair<absl::string_view, const std::string*> required[] = {
      {"client_id", &mapping.client_id_column},
      {"invoice_id", &mapping.invoice_id_column},
      {"invoice_date", &mapping.invoice_date_column},
      {"due_date", &mapping.due_date_column},
      {"amount", &mapping.amount_column},
  };
  for (const auto& [key, column] : required) {
    if (column->empty()) {
      return absl::InvalidArgumentError(absl::StrCat("mapping: ", key, " is required"));
    }
  }
  if (mapping.currency.empty() == mapping.currency_column.empty()) {
    return absl::InvalidArgumentError(
        "mapping: give exactly one of currency (a fixed code) and currency_column");
  }
  if (!mapping.currency.empty() && !ledger::IsKnownCurrency(mapping.currency)) {
    return absl::InvalidArgumentError(
        absl::StrCat("mapping: unknown currency \"", mapping.currency, "\""));
  }
  if (mapping.jurisdiction == v1::JURISDICTION_UNSPECIFIED ||
      !v1::Jurisdiction_IsValid(mapping.jurisdiction)) {
    return absl::InvalidArgumentError("mapping: jurisdiction is required (CN, US, EU or OTHER)");
  }
  if (mapping.client_kind == v1::CLIENT_KIND_UNSPECIFIED ||
      !v1::ClientKind_IsValid(mapping.client_kind)) {
    return absl::InvalidArgumentError(
        "mapping: client_kind is required (government_organ, public_institution, "
        "state_owned_enterprise or private)");
  }
  return absl::OkStatus();
}

absl::StatusOr<ColumnMapping> MappingPreset(std::string_view name) {
  if (name == "ibm") {
    ColumnMapping m;
    m.client_id_column = "customerID";
    m.invoice_id_column = "invoiceNumber";
    m.invoice_date_column = "InvoiceDate";
    m.due_date_column = "DueDate";
    m.amount_column = "InvoiceAmount";
    m.currency = "USD";
    m.settled_date_column = "SettledDate";
    m.disputed_column = "Disputed";
    m.date_format = DateFormat::kMonthDayYear;
    m.thousands_separator = ThousandsSeparator::kNone;
    m.jurisdiction = v1::JURISDICTION_US;
    m.client_kind = v1::CLIENT_KIND_GOVERNMENT_ORGAN;
    m.seller_is_sme = false;
    return m;
  }
  return absl::NotFoundError(
      absl::StrCat("unknown mapping preset \"", AbslView(name), "\" (known: ibm)"));
}

absl::StatusOr<ColumnMapping> ParseMapping(std::string_view file_text,
                                           absl::Span<const std::string> pairs) {
  absl::StatusOr<std::vector<Setting>> from_file = SettingsFromFile(AbslView(file_text));
  if (!from_file.ok()) return from_file.status();
  absl::StatusOr<std::vector<Setting>> from_pairs = SettingsFromPairs(pairs);
  if (!from_pairs.ok()) return from_pairs.status();
  if (absl::Status s = CheckSettings(*from_file); !s.ok()) return s;
  if (absl::Status s = CheckSettings(*from_pairs); !s.ok()) return s;

  ColumnMapping mapping;
  const Setting* preset = FindSetting(*from_pairs, kPresetKey);
  if (preset == nullptr) preset = FindSetting(*from_file, kPresetKey);
  if (preset != nullptr) {
    absl::StatusOr<ColumnMapping> base = MappingPreset(preset->value);
    if (!base.ok()) return Fail(*preset, base.status().message());
    mapping = *std::move(base);
  }
  if (absl::Status s = Apply(*from_file, &mapping); !s.ok()) return s;
  if (absl::Status s = Apply(*from_pairs, &mapping); !s.ok()) return s;
  if (absl::Status s = ValidateMapping(mapping); !s.ok()) return s;
  return mapping;
}

absl::StatusOr<ColumnMapping> ParseMappingFile(std::string_view text) {
  return ParseMapping(text, {});
}

absl::StatusOr<ColumnMapping> ParseMappingPairs(absl::Span<const std::string> pairs) {
  return ParseMapping("", pairs);
}

std::string FormatMappingFile(const ColumnMapping& mapping) {
  std::string out = "# CSV import mapping (tools/csv_import/column_mapping.h)\n";
  for (const KeySpec& spec : kKeys) {
    std::string value;
    if (spec.column != nullptr) {
      value = mapping.*(spec.column);
    } else if (spec.key == "currency") {
      value = mapping.currency;
    } else if (spec.key == "currency_column") {
      value = mapping.currency_column;
    } else if (spec.key == "date_format") {
      value = std::string(AbslView(DateFormatName(mapping.date_format)));
    } else if (spec.key == "thousands_separator") {
      value = mapping.thousands_separator == ThousandsSeparator::kComma ? "comma" : "none";
    } else if (spec.key == "delimiter") {
      value = mapping.delimiter == ';' ? "semicolon" : mapping.delimiter == '\t' ? "tab" : "comma";
    } else if (spec.key == "encoding") {
      value = mapping.encoding;
    } else if (spec.key == "jurisdiction") {
      if (mapping.jurisdiction == v1::JURISDICTION_UNSPECIFIED) continue;
      value = absl::AsciiStrToUpper(
          absl::StripPrefix(v1::Jurisdiction_Name(mapping.jurisdiction), "JURISDICTION_"));
    } else if (spec.key == "client_kind") {
      if (mapping.client_kind == v1::CLIENT_KIND_UNSPECIFIED) continue;
      value = absl::AsciiStrToLower(
          absl::StripPrefix(v1::ClientKind_Name(mapping.client_kind), "CLIENT_KIND_"));
    } else if (spec.key == "seller_is_sme") {
      value = mapping.seller_is_sme ? "yes" : "no";
    }
    if (value.empty()) continue;
    absl::StrAppend(&out, spec.key, " = ", QuoteIfNeeded(value), "\n");
  }
  return out;
}

}  // namespace sixhearts::csv_import
