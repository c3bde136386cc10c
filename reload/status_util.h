// File: reload/status_util.h
//
// Small helpers for the absl::Status values that reload/ returns. Every message names the file
// (and the symbol, where there is one) and the OS error, so that a developer can act on it.

#ifndef HOTCC_RELOAD_STATUS_UTIL_H_
#define HOTCC_RELOAD_STATUS_UTIL_H_

#include <string.h>

#include <cerrno>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace hotcc {

// A status for the failed system call `what` on `path`, with errno's code and text.
inline absl::Status PosixError(int error_number, absl::string_view what, absl::string_view path) {
  return absl::ErrnoToStatus(error_number, absl::StrCat(what, " ", path));
}

// errno's text for `error_number` ("No such file or directory"), as strerror says it, but safe
// to call from any thread (strerror may use one buffer for every thread).
inline std::string ErrnoText(int error_number) {
  char buffer[128];
  // GNU's strerror_r (glibc, with the _GNU_SOURCE that g++ and clang++ define for C++): it
  // returns the text, which is in `buffer` or a static string.
  return strerror_r(error_number, buffer, sizeof(buffer));
}

// Prefixes `status`'s message with `context`, keeping its code.
inline absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(context, ": ", status.message()));
}

}  // namespace hotcc

// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define HOTCC_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::absl::Status hotcc_status_ = (expr);         \
    if (!hotcc_status_.ok()) return hotcc_status_; \
  } while (false)

#endif  // HOTCC_RELOAD_STATUS_UTIL_H_
