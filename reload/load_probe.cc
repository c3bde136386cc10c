#include "reload/load_probe.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "reload/environment.h"
#include "reload/module_abi.h"
#include "reload/names.h"
#include "reload/status_util.h"

namespace hotcc {
namespace {

constexpr char kModuleVariable[] = "HOTCC_PROBE_MODULE";
constexpr char kEntryVariable[] = "HOTCC_PROBE_ENTRY";
// The helper's exit code when dlopen fails (it prints dlerror() first).
constexpr int kExitOpenFailed = 97;
// How much of the helper's output is kept, and how many of its last lines go into an error.
constexpr size_t kOutputLimit = size_t{64} * 1024;
constexpr size_t kLinesReported = 6;

// The helper's side. Priority 101, the first one not reserved for the implementation: it runs
// before the executable's own initializers (but after those of the libraries it links, which the
// app has run as well), so that the helper does no more of the app's work than it must.
__attribute__((constructor(101))) void RunProbeIfAsked() {
  const char* path = std::getenv(kModuleVariable);
  if (path == nullptr) return;
  const char* entry_name = std::getenv(kEntryVariable);
  void* module = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (module == nullptr) {
    const char* error = dlerror();
    std::fprintf(stderr, "%s\n", error != nullptr ? error : "dlopen failed");
    std::fflush(stderr);
    _exit(kExitOpenFailed);
  }
  if (entry_name != nullptr) {
    if (void* entry = dlsym(module, entry_name)) reinterpret_cast<ModuleEntryFn>(entry)();
  }
  _exit(0);  // No exit handlers, no destructors: the helper has done its one job.
}

// The last few non-empty lines of `output`, joined with " | ".
std::string LastLines(const std::string& output) {
  std::vector<absl::string_view> lines;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty()) lines.push_back(line);
  }
  if (lines.size() > kLinesReported) lines.erase(lines.begin(), lines.end() - kLinesReported);
  return absl::StrJoin(lines, " | ");
}

std::string WhatItPrinted(const std::string& output) {
  const std::string lines = LastLines(output);
  return lines.empty() ? std::string() : absl::StrCat("; it printed: ", lines);
}

// The executable to start as the helper: this process's own, by its real path while that still
// names the same file, so that an $ORIGIN-relative RUNPATH (Bazel's test binaries have one)
// finds its libraries; /proc/self/exe, which always names the running image, once the file was
// replaced (the app was rebuilt) or removed.
std::string HelperExecutable() {
  constexpr char kSelf[] = "/proc/self/exe";
  char* real = realpath(kSelf, nullptr);
  if (real == nullptr) return kSelf;
  std::string path = real;  // Not const: returned, it is moved.
  std::free(real);
  struct stat running;
  struct stat named;
  if (stat(kSelf, &running) != 0 || stat(path.c_str(), &named) != 0 ||
      running.st_dev != named.st_dev || running.st_ino != named.st_ino) {
    return kSelf;
  }
  return path;
}

// Owns the posix_spawn file actions for the helper's standard streams.
class StandardStreams {
 public:
  explicit StandardStreams(int output_fd) {
    posix_spawn_file_actions_init(&actions_);
    posix_spawn_file_actions_addopen(&actions_, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions_, output_fd, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions_, output_fd, STDERR_FILENO);
  }
  ~StandardStreams() { posix_spawn_file_actions_destroy(&actions_); }
  StandardStreams(const StandardStreams&) = delete;
  StandardStreams& operator=(const StandardStreams&) = delete;
  const posix_spawn_file_actions_t* get() const { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

// Reads the helper's output until it closes it (it exited) or `deadline` passes. Returns
// whether it closed in time.
bool ReadUntilClosed(int fd, absl::Time deadline, std::string& output) {
  char buffer[4096];
  while (true) {
    const absl::Duration remaining = deadline - absl::Now();
    if (remaining <= absl::ZeroDuration()) return false;
    pollfd readable = {fd, POLLIN, 0};
    const int ready =
        poll(&readable, 1, static_cast<int>(absl::ToInt64Milliseconds(remaining)) + 1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;  // Timed out: the loop's check ends it.
    const ssize_t length = read(fd, buffer, sizeof(buffer));
    if (length < 0 && errno == EINTR) continue;
    if (length <= 0) return true;
    if (output.size() < kOutputLimit) output.append(buffer, static_cast<size_t>(length));
  }
}

}  // namespace

absl::Status ProbeLoad(const std::string& path, const std::string& entry_name,
                       absl::Duration time_limit) {
  int output[2];
  if (pipe2(output, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("cannot start a helper process to load ", path,
                                            ": pipe2: ", ErrnoText(errno)));
  }
  std::vector<std::string> variables = {absl::StrCat(kModuleVariable, "=", path),
                                        absl::StrCat(kEntryVariable, "=", entry_name)};
  const std::vector<char*> environment = EnvironmentWith(variables);
  char helper_name[] = "hotcc-load-probe";
  char* arguments[] = {helper_name, nullptr};

  pid_t helper = -1;
  int spawn_error;
  {
    const StandardStreams streams(output[1]);
    spawn_error = posix_spawn(&helper, HelperExecutable().c_str(), streams.get(), nullptr,
                              arguments, environment.data());
  }
  close(output[1]);
  if (spawn_error != 0) {
    close(output[0]);
    return absl::InternalError(
        absl::StrCat("cannot start a helper process to load ", path,
                     ": posix_spawn /proc/self/exe: ", ErrnoText(spawn_error)));
  }
  std::string printed;
  const bool exited = ReadUntilClosed(output[0], absl::Now() + time_limit, printed);
  close(output[0]);
  if (!exited) kill(helper, SIGKILL);
  int wait_status = 0;
  while (waitpid(helper, &wait_status, 0) < 0 && errno == EINTR) {
  }
  if (!exited) {
    return absl::DeadlineExceededError(
        absl::StrCat("did not finish loading within ", absl::FormatDuration(time_limit),
                     ", in a helper process (an initializer that never returns?); the helper "
                     "was killed",
                     WhatItPrinted(printed)));
  }
  if (WIFSIGNALED(wait_status)) {
    return absl::AbortedError(absl::StrCat(
        "crashed while loading, in a helper process: ", SignalName(WTERMSIG(wait_status)),
        WhatItPrinted(printed)));
  }
  const int exit_code = WEXITSTATUS(wait_status);
  if (exit_code == kExitOpenFailed) {
    return absl::FailedPreconditionError(absl::StrCat("dlopen failed: ", LastLines(printed)));
  }
  if (exit_code != 0) {
    return absl::AbortedError(absl::StrCat("exited with status ", exit_code,
                                           " while loading, in a helper process",
                                           WhatItPrinted(printed)));
  }
  return absl::OkStatus();
}

}  // namespace hotcc
