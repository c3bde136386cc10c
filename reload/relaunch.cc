#include "reload/relaunch.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "reload/environment.h"
#include "reload/status_util.h"
#include "reload/temp_base.h"

namespace hotcc {
namespace {

// Where the new process finds the carried state's file.
constexpr char kCarriedStateVariable[] = "HOTCC_CARRIED_STATE";
constexpr char kCarriedStateFile[] = "state";

std::string DirectoryOf(const std::string& path) { return path.substr(0, path.rfind('/')); }

// Removes the carried state's file and its directory.
void RemoveStateFile(const std::string& path) {
  unlink(path.c_str());
  rmdir(DirectoryOf(path).c_str());
}

// Writes all of `bytes` to `fd`.
bool WriteAll(int fd, absl::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = write(fd, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(written));
  }
  return true;
}

}  // namespace

Relauncher::Relauncher(std::vector<std::string> args) : args_(std::move(args)) {
  if (char* real = realpath("/proc/self/exe", nullptr)) {
    executable_ = real;
    free(real);
  }
  struct stat st;
  if (!executable_.empty() && stat(executable_.c_str(), &st) == 0) {
    device_ = st.st_dev;
    inode_ = st.st_ino;
  }
}

bool Relauncher::Rebuilt() const {
  struct stat st;
  if (executable_.empty() || stat(executable_.c_str(), &st) != 0) return false;
  return st.st_dev != device_ || st.st_ino != inode_;
}

absl::StatusOr<std::optional<std::string>> Relauncher::TakeCarriedState() {
  const char* variable = getenv(kCarriedStateVariable);
  if (variable == nullptr || *variable == '\0') return std::nullopt;
  const std::string path = variable;
  // Not for this process's own children. Safe only before other threads start, as relaunch.h
  // asks of the caller; a relaunched host has none yet.
  unsetenv(kCarriedStateVariable);  // NOLINT(concurrency-mt-unsafe)
  const int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  std::string bytes;
  int error = fd < 0 ? errno : 0;
  if (fd >= 0) {
    char buffer[64 * 1024];
    ssize_t length;
    while ((length = read(fd, buffer, sizeof(buffer))) != 0) {
      if (length < 0 && errno == EINTR) continue;
      if (length < 0) {
        error = errno;
        break;
      }
      bytes.append(buffer, static_cast<size_t>(length));
    }
    close(fd);
  }
  RemoveStateFile(path);
  if (error != 0) {
    return Annotate(PosixError(error, "cannot read the state carried over from", path),
                    "the previous build's state is lost");
  }
  return bytes;
}

absl::Status Relauncher::Relaunch(absl::string_view state) {
  if (executable_.empty() || args_.empty()) {
    return absl::FailedPreconditionError("cannot relaunch: the executable's path is unknown");
  }
  std::string directory = absl::StrCat(TemporaryBase(), "/hotcc-state-XXXXXX");
  if (mkdtemp(directory.data()) == nullptr) {
    return PosixError(errno, "cannot create a directory for the carried state:", directory);
  }
  const std::string path = absl::StrCat(directory, "/", kCarriedStateFile);
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  const bool written = fd >= 0 && WriteAll(fd, state);
  const int write_error = errno;
  if (fd >= 0) close(fd);
  if (!written) {
    RemoveStateFile(path);
    return PosixError(write_error, "cannot write the carried state to", path);
  }
  std::vector<char*> argv;
  for (std::string& arg : args_) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> variables = {absl::StrCat(kCarriedStateVariable, "=", path)};
  const std::vector<char*> environment = EnvironmentWith(variables);
  execve(executable_.c_str(), argv.data(), environment.data());
  const int exec_error = errno;
  RemoveStateFile(path);
  return PosixError(exec_error, "cannot exec the rebuilt", executable_);
}

}  // namespace hotcc
