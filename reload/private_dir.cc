#include "reload/private_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "reload/status_util.h"
#include "reload/temp_base.h"

namespace hotcc {
namespace {

constexpr absl::string_view kPrefix = "hotcc-";

// Whether `name` is `hotcc-<pid>-XXXXXX`, a private directory's name.
bool IsPrivateDirName(absl::string_view name) {
  if (!absl::StartsWith(name, kPrefix)) return false;
  std::vector<absl::string_view> parts = absl::StrSplit(name.substr(kPrefix.size()), '-');
  int pid = 0;
  return parts.size() == 2 && absl::SimpleAtoi(parts[0], &pid) && pid > 0;
}

// Opens `path` and takes the lock that marks it as in use by this process; -1 if it is held
// already (or the directory cannot be opened). The owner keeps the descriptor for the
// directory's lifetime. A lock, not the pid in the name: a process in another PID namespace
// (a Bazel test sandbox sharing /tmp) sees no process of that pid and would remove the directory
// of an app that is running; and the kernel drops the lock of a process that died, however it
// died.
int LockDirectory(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -1;
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Removes the private directories under `base` that this user owns and no process holds.
void RemoveLeftovers(const std::string& base) {
  DIR* stream = opendir(base.c_str());
  if (stream == nullptr) return;
  std::vector<std::string> candidates;
  while (const dirent* entry = readdir(stream)) {
    if (!IsPrivateDirName(entry->d_name)) continue;
    const std::string path = absl::StrCat(base, "/", entry->d_name);
    struct stat st;
    // Only our own directories: in a shared /tmp, never touch another user's files.
    if (lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid()) {
      candidates.push_back(path);
    }
  }
  closedir(stream);
  for (const std::string& path : candidates) {
    const int lock = LockDirectory(path);
    if (lock < 0) continue;  // Its process is alive.
    RemoveFlatDirectory(path);
    close(lock);
  }
}

}  // namespace

std::string PrivateDir::DefaultBase() { return TemporaryBase(); }

absl::StatusOr<PrivateDir> PrivateDir::Create(absl::string_view base) {
  std::string base_dir(base);
  if (base_dir.empty()) base_dir = DefaultBase();
  RemoveLeftovers(base_dir);
  std::string path_template = absl::StrCat(base_dir, "/", kPrefix, getpid(), "-XXXXXX");
  if (mkdtemp(path_template.data()) == nullptr) {
    return Annotate(PosixError(errno, "mkdtemp", path_template),
                    "cannot create the private directory for module copies (set HOTCC_TMPDIR "
                    "to a writable directory)");
  }
  const int lock = LockDirectory(path_template);
  if (lock < 0) {
    const int error = errno;
    rmdir(path_template.c_str());
    return PosixError(error, "cannot lock the private directory", path_template);
  }
  return PrivateDir(std::move(path_template), lock);
}

PrivateDir::PrivateDir(PrivateDir&& other) noexcept
    : path_(std::move(other.path_)), lock_fd_(std::exchange(other.lock_fd_, -1)) {
  other.path_.clear();
}

PrivateDir& PrivateDir::operator=(PrivateDir&& other) noexcept {
  if (this != &other) {
    Remove();
    path_ = std::move(other.path_);
    other.path_.clear();
    lock_fd_ = std::exchange(other.lock_fd_, -1);
  }
  return *this;
}

PrivateDir::~PrivateDir() { Remove(); }

void PrivateDir::Remove() {
  if (!path_.empty()) RemoveFlatDirectory(path_);
  if (lock_fd_ >= 0) close(lock_fd_);
  lock_fd_ = -1;
}

std::string PrivateDir::PathOf(absl::string_view name) const {
  return absl::StrCat(path_, "/", name);
}

absl::StatusOr<int> PrivateDir::CreateFile(absl::string_view name) const {
  const std::string path = PathOf(name);
  const auto create = [&] {
    return open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  };
  int fd = create();
  // Something removed the directory under us (a /tmp cleaner, `rm -rf /tmp/hotcc-*`): make it
  // again under the same name, as private as before (mkdir fails if anyone else took the name
  // meanwhile), rather than refuse every later build.
  if (fd < 0 && errno == ENOENT && mkdir(path_.c_str(), 0700) == 0) {
    const int lock = LockDirectory(path_);
    if (lock >= 0) {
      if (lock_fd_ >= 0) close(lock_fd_);
      lock_fd_ = lock;
    }
    fd = create();
  }
  if (fd < 0) return PosixError(errno, "cannot create", path);
  return fd;
}

absl::Status PrivateDir::RemoveFile(absl::string_view name) const {
  const std::string path = PathOf(name);
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return PosixError(errno, "cannot remove", path);
  return absl::OkStatus();
}

absl::StatusOr<int> PrivateDir::CountEntries() const { return CountDirectoryEntries(path_); }

void RemoveFlatDirectory(const std::string& dir) {
  if (DIR* stream = opendir(dir.c_str())) {
    while (const dirent* entry = readdir(stream)) {
      const absl::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      unlink(absl::StrCat(dir, "/", name).c_str());
    }
    closedir(stream);
  }
  rmdir(dir.c_str());
}

absl::StatusOr<int> CountDirectoryEntries(const std::string& dir) {
  DIR* stream = opendir(dir.c_str());
  if (stream == nullptr) return PosixError(errno, "cannot list", dir);
  int count = 0;
  while (const dirent* entry = readdir(stream)) {
    const absl::string_view name = entry->d_name;
    if (name != "." && name != "..") ++count;
  }
  closedir(stream);
  return count;
}

}  // namespace hotcc
