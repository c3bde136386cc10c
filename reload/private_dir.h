// File: reload/private_dir.h
//
// A directory that only this process writes to, for the copies of modules it loads.
//
// Loading a copy rather than the build output itself keeps Bazel free to replace the output
// while the old version is mapped, and gives each version a path of its own, so glibc never
// mistakes a new version for one it already has open. The directory is created with mkdtemp
// (mode 0700, an unpredictable name), files in it are created with O_EXCL|O_NOFOLLOW, and it is
// removed when the PrivateDir is destroyed. A process that was killed cannot remove its own:
// `Create` removes leftovers under the same base, those whose lock (an flock(2) that the owner
// holds on the directory for its whole life) no process holds any more. If something else
// removes the directory while the process runs, the next CreateFile makes it again.
//
//   absl::StatusOr<PrivateDir> dir = PrivateDir::Create();
//   absl::StatusOr<int> fd = dir->CreateFile("libview.v3.so");  // write the copy, dlopen it,
//   dir->RemoveFile("libview.v3.so");                            // remove it once dlclosed

#ifndef HOTCC_RELOAD_PRIVATE_DIR_H_
#define HOTCC_RELOAD_PRIVATE_DIR_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hotcc {

class PrivateDir {
 public:
  // Creates `<base>/hotcc-<pid>-XXXXXX` and locks it. `base` defaults to $HOTCC_TMPDIR, else
  // $TMPDIR, else /tmp; it must allow executable mappings (not mounted noexec), since modules are
  // dlopened from it. First removes `hotcc-<pid>-*` directories in `base` owned by this user
  // that no live process has locked. Fails with the errno of mkdtemp.
  static absl::StatusOr<PrivateDir> Create(absl::string_view base = "");

  // The base directory `Create` uses by default.
  static std::string DefaultBase();

  PrivateDir(PrivateDir&& other) noexcept;
  PrivateDir& operator=(PrivateDir&& other) noexcept;
  PrivateDir(const PrivateDir&) = delete;
  PrivateDir& operator=(const PrivateDir&) = delete;
  // Removes the directory and everything left in it.
  ~PrivateDir();

  const std::string& path() const { return path_; }

  // The absolute path of `name` inside the directory.
  std::string PathOf(absl::string_view name) const;

  // Creates `name` (a plain file name) for writing, mode 0600; fails if it exists. Returns an
  // open file descriptor that the caller closes. Makes the directory again if it was removed.
  absl::StatusOr<int> CreateFile(absl::string_view name) const;

  // Removes `name`; a file that is already gone is not an error.
  absl::Status RemoveFile(absl::string_view name) const;

  // The number of entries in the directory (for leak checks).
  absl::StatusOr<int> CountEntries() const;

 private:
  PrivateDir(std::string path, int lock_fd) : path_(std::move(path)), lock_fd_(lock_fd) {}
  void Remove();

  std::string path_;  // Empty once moved from.
  // Holds the directory's flock while it exists; CreateFile replaces it when it makes the
  // directory again.
  mutable int lock_fd_ = -1;
};

// Removes `dir` and the plain files in it (a PrivateDir, or a test's scratch directory, holds
// nothing else). Errors are ignored: this is cleanup.
void RemoveFlatDirectory(const std::string& dir);

// The number of entries in `dir`, not counting "." and "..".
absl::StatusOr<int> CountDirectoryEntries(const std::string& dir);

}  // namespace hotcc

#endif  // HOTCC_RELOAD_PRIVATE_DIR_H_
