// File: reload/status_util.h
//
// Small helpers for the absl::Status values that reload/ returns. Every message names the file
// (and the symbol, where there is one) and the OS error, so that a developer can act on it.

#ifndef HOTCC_RELOAD_STATUS_UTIL_H_
#define HOTCC_RELOAD_STATUS_UTIL_H_

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
