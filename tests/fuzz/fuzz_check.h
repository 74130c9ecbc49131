// Invariant checks for the libFuzzer targets: a broken invariant must look like a crash to
// libFuzzer (so it saves the input and stops), and say which invariant broke and why.
#ifndef SIXHEARTS_TESTS_FUZZ_FUZZ_CHECK_H_
#define SIXHEARTS_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <string>

#include "google/protobuf/stubs/logging.h"

namespace sixhearts::fuzz {

// Aborts with the invariant and the detail when `ok` is false. abort() rather than a
// return code because libFuzzer treats only crashes (and sanitizer reports) as findings.
inline void Check(bool ok, const char* invariant, const std::string& detail = {}) {
  if (ok) return;
  std::fprintf(stderr, "\nFUZZ INVARIANT BROKEN: %s\n%s\n", invariant, detail.c_str());
  std::abort();
}

// Protobuf logs an ERROR for every string field holding invalid UTF-8 it serializes, and
// the fuzzers make many such messages on purpose; the invariants check what matters
// (that the bytes parse back), so the log lines would only bury real reports.
inline void SilenceProtobufLogs() {
  google::protobuf::SetLogHandler(
      [](google::protobuf::LogLevel level, const char*, int, const std::string& message) {
        if (level >= google::protobuf::LOGLEVEL_FATAL)
          std::fprintf(stderr, "%s\n", message.c_str());
      });
}

}  // namespace sixhearts::fuzz

#endif  // SIXHEARTS_TESTS_FUZZ_FUZZ_CHECK_H_
