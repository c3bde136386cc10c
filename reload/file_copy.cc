#include "reload/file_copy.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
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

absl::StatusOr<std::uint64_t> DigestFileContents(int fd, off_t size, const std::string& path) {
  // Read, not mapped: a file that shrinks under a mapping would kill the host with SIGBUS.
  std::uint64_t digest = absl::HashOf(size);
  char buffer[1 << 16];
  off_t offset = 0;
  while (offset < size) {
    const ssize_t got = pread(fd, buffer, std::min<off_t>(sizeof(buffer), size - offset), offset);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return PosixError(errno, "cannot read", path);
    if (got == 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, ": file shrank while being read (still being written?)"));
    }
    digest = absl::HashOf(digest, absl::string_view(buffer, static_cast<size_t>(got)));
    offset += got;
  }
  return digest;
}

}  // namespace hotcc
