#include "reload/private_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "reload/status_util.h"

namespace hotcc {
namespace {

constexpr absl::string_view kPrefix = "hotcc-";

// Whether `name` is `hotcc-<pid>-XXXXXX` for a process that no longer exists.
bool IsLeftoverOfDeadProcess(absl::string_view name) {
  if (!absl::StartsWith(name, kPrefix)) return false;
  std::vector<absl::string_view> parts = absl::StrSplit(name.substr(kPrefix.size()), '-');
  int pid = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &pid) || pid <= 0) return false;
  if (pid == getpid()) return false;
  return kill(pid, 0) != 0 && errno == ESRCH;
}

void RemoveLeftovers(const std::string& base) {
  DIR* stream = opendir(base.c_str());
  if (stream == nullptr) return;
  std::vector<std::string> leftovers;
  while (const dirent* entry = readdir(stream)) {
    if (!IsLeftoverOfDeadProcess(entry->d_name)) continue;
    const std::string path = absl::StrCat(base, "/", entry->d_name);
    struct stat st;
    // Only our own directories: in a shared /tmp, never touch another user's files.
    if (lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid()) {
      leftovers.push_back(path);
    }
  }
  closedir(stream);
  for (const std::string& path : leftovers) RemoveFlatDirectory(path);
}

}  // namespace

std::string PrivateDir::DefaultBase() {
  for (const char* variable : {"HOTCC_TMPDIR", "TMPDIR"}) {
    const char* value = std::getenv(variable);
    if (value != nullptr && *value != '\0') return value;
  }
  return "/tmp";
}

absl::StatusOr<PrivateDir> PrivateDir::Create(absl::string_view base) {
  const std::string base_dir = base.empty() ? DefaultBase() : std::string(base);
  RemoveLeftovers(base_dir);
  std::string path_template = absl::StrCat(base_dir, "/", kPrefix, getpid(), "-XXXXXX");
  if (mkdtemp(path_template.data()) == nullptr) {
    return Annotate(PosixError(errno, "mkdtemp", path_template),
                    "cannot create the private directory for module copies (set HOTCC_TMPDIR "
                    "to a writable directory)");
  }
  return PrivateDir(std::move(path_template));
}

PrivateDir::PrivateDir(PrivateDir&& other) noexcept : path_(std::move(other.path_)) {
  other.path_.clear();
}

PrivateDir& PrivateDir::operator=(PrivateDir&& other) noexcept {
  if (this != &other) {
    if (!path_.empty()) RemoveFlatDirectory(path_);
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

PrivateDir::~PrivateDir() {
  if (!path_.empty()) RemoveFlatDirectory(path_);
}

std::string PrivateDir::PathOf(absl::string_view name) const {
  return absl::StrCat(path_, "/", name);
}

absl::StatusOr<int> PrivateDir::CreateFile(absl::string_view name) const {
  const std::string path = PathOf(name);
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
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
