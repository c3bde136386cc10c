#include "reload/file_copy.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "reload/status_util.h"

namespace hotcc {

absl::Status CopyFileContents(int from, int to, off_t size, const std::string& from_path,
                              const std::string& to_path) {
  off_t offset = 0;
  while (offset < size) {
    ssize_t copied = copy_file_range(from, &offset, to, nullptr, size - offset, 0);
    if (copied < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL)) {
      char buffer[1 << 16];
      copied = pread(from, buffer, std::min<off_t>(sizeof(buffer), size - offset), offset);
      if (copied > 0 && write(to, buffer, copied) != copied) {
        return PosixError(errno, "cannot write", to_path);
      }
      if (copied > 0) offset += copied;
    }
    if (copied < 0 && errno == EINTR) continue;
    if (copied < 0) return PosixError(errno, "cannot copy", from_path);
    if (copied == 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(from_path, ": file shrank while being copied (still being written?)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace hotcc
