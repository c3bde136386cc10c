// File: reload/file_copy.h
//
// Copying a module file, as the loader does into its private directory, and telling whether two
// builds are the same bytes. Benchmarks call the same copy function for their copy baseline, so
// "the loader against the copy" compares like with like.

#ifndef HOTCC_RELOAD_FILE_COPY_H_
#define HOTCC_RELOAD_FILE_COPY_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace hotcc {

// Copies the first `size` bytes of the open file `from` to the open file `to`, in the kernel
// (copy_file_range) where the file systems allow it, else through a buffer. The paths are for
// messages. Fails with FailedPrecondition when `from` turns out shorter than `size` (it shrank
// while being copied: still being written), and with the errno of a failed read or write.
absl::Status CopyFileContents(int from, int to, off_t size, const std::string& from_path,
                              const std::string& to_path);

// A 64-bit digest of the first `size` bytes of the open file `fd`, equal for equal bytes within
// one process (absl::Hash: not stable across processes, so never store it). The loader compares
// the dev loop's fast-path build of a module with Bazel's by it. Fails with the errno of a
// failed map, or FailedPrecondition if the file is shorter than `size`.
absl::StatusOr<std::uint64_t> DigestFileContents(int fd, off_t size, const std::string& path);

}  // namespace hotcc

#endif  // HOTCC_RELOAD_FILE_COPY_H_
