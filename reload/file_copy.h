// File: reload/file_copy.h
//
// Copying a module file, as the loader does into its private directory. Benchmarks call the
// same function for their copy baseline, so "the loader against the copy" compares like with
// like.

#ifndef HOTCC_RELOAD_FILE_COPY_H_
#define HOTCC_RELOAD_FILE_COPY_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"

namespace hotcc {

// Copies the first `size` bytes of the open file `from` to the open file `to`, in the kernel
// (copy_file_range) where the file systems allow it, else through a buffer. The paths are for
// messages. Fails with FailedPrecondition when `from` turns out shorter than `size` (it shrank
// while being copied: still being written), and with the errno of a failed read or write.
absl::Status CopyFileContents(int from, int to, off_t size, const std::string& from_path,
                              const std::string& to_path);

}  // namespace hotcc

#endif  // HOTCC_RELOAD_FILE_COPY_H_
