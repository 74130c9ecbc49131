// ledgerd's --log-format json: one JSON object per line ({"time", "level", "message"},
// plus "request_id" when the message carries request_id=...), for log shippers that
// parse JSON. spdlog's patterns cannot escape the message, hence a formatter.
#ifndef SIXHEARTS_TOOLS_JSON_LOG_FORMATTER_H_
#define SIXHEARTS_TOOLS_JSON_LOG_FORMATTER_H_

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "ledger/quoted.h"
#include "spdlog/formatter.h"
#include "spdlog/spdlog.h"

namespace sixhearts::tools {

class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string_view message(msg.payload.data(), msg.payload.size());
    std::string line = "{\"time\":\"";
    line +=
        absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::FromChrono(msg.time), absl::UTCTimeZone());
    line += "\",\"level\":\"";
    const auto level = spdlog::level::to_string_view(msg.level);
    line.append(level.data(), level.size());
    line += "\",\"message\":";
    ledger::AppendQuoted(message, line);
    // The request id gets its own field so logs can be searched by it.
    if (const size_t at = message.find("request_id="); at != std::string_view::npos) {
      const size_t start = at + 11;
      const size_t end = message.find(' ', start);
      line += ",\"request_id\":";
      ledger::AppendQuoted(message.substr(start, end == std::string_view::npos ? end : end - start),
                           line);
    }
    line += "}\n";
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonLogFormatter>();
  }
};

}  // namespace sixhearts::tools

#endif  // SIXHEARTS_TOOLS_JSON_LOG_FORMATTER_H_
