#include "reload/hot_reloader.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "reload/status_util.h"

namespace hotcc {

struct HotReloader::Watched {
  std::unique_ptr<ModuleSlot> slot;
  int watch_descriptor = -1;
  std::string file_name;  // The module's base name inside the watched directory.
  // The first event of the current burst, and the latest one.
  std::optional<absl::Time> first_event;
  absl::Time last_event;
};

namespace {

// A rebuilt output appears by rename (Bazel's sandbox moves it in) or by being written in place
// and closed; a chmod after a refusal for permissions should retry too.
constexpr std::uint32_t kFileEvents = IN_CLOSE_WRITE | IN_MOVED_TO | IN_ATTRIB;

std::pair<std::string, std::string> SplitPath(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {".", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

int ToPollTimeoutMs(absl::Duration remaining) {
  if (remaining <= absl::ZeroDuration()) return 0;
  // Round up, so that a wait never returns just before its deadline and spins.
  return static_cast<int>(absl::ToInt64Milliseconds(remaining + absl::Microseconds(999)));
}

}  // namespace

bool HotReloader::IbazelAskedForNotifications() {
  const char* value = std::getenv("IBAZEL_NOTIFY_CHANGES");
  return value != nullptr && absl::string_view(value) == "y";
}

absl::StatusOr<std::unique_ptr<HotReloader>> HotReloader::Create(Options options) {
  if (!options.log) options.log = &LogToStderr;
  absl::StatusOr<PrivateDir> private_dir = PrivateDir::Create(options.private_dir_base);
  if (!private_dir.ok()) return private_dir.status();
  int inotify_fd = -1;
  if (!options.ibazel_notifications) {
    inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (inotify_fd < 0) return PosixError(errno, "inotify_init1", "for the module directories");
  } else {
    // Read notifications without ever blocking a tick.
    const int fd = options.notification_fd;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  return std::unique_ptr<HotReloader>(
      new HotReloader(std::move(options), *std::move(private_dir), inotify_fd));
}

HotReloader::HotReloader(Options options, PrivateDir private_dir, int inotify_fd)
    : options_(std::move(options)), private_dir_(std::move(private_dir)), inotify_fd_(inotify_fd) {}

HotReloader::~HotReloader() {
  modules_.clear();  // Unload before the private directory goes.
  if (inotify_fd_ >= 0) close(inotify_fd_);
}

absl::StatusOr<ModuleSlot*> HotReloader::AddSlot(ModuleSpec spec) {
  auto watched = std::make_unique<Watched>();
  auto [directory, file_name] = SplitPath(spec.path);
  watched->file_name = file_name;
  watched->slot = std::make_unique<ModuleSlot>(std::move(spec), &private_dir_, options_.log);
  HOTCC_RETURN_IF_ERROR(watched->slot->Reload());
  if (inotify_fd_ >= 0) {
    watched->watch_descriptor = inotify_add_watch(inotify_fd_, directory.c_str(), kFileEvents);
    if (watched->watch_descriptor < 0) {
      return Annotate(PosixError(errno, "inotify_add_watch", directory),
                      "cannot watch for new builds (raise fs.inotify.max_user_watches?)");
    }
  }
  modules_.push_back(std::move(watched));
  return modules_.back()->slot.get();
}

HotReloader::WaitOutcome HotReloader::WaitUntil(absl::Time deadline, int wake_fd) {
  while (true) {
    const absl::Time now = absl::Now();
    LoadSettledModules(now);
    absl::Time wake_at = deadline;
    for (const auto& watched : modules_) {
      if (watched->first_event) wake_at = std::min(wake_at, watched->last_event + options_.settle);
    }
    // Past the deadline (a tick that ran long) the fds are still looked at once, without
    // waiting: a stop request must not wait behind a late tick.
    const bool overdue = now >= deadline;

    pollfd fds[3];
    int count = 0;
    const int changes_fd = inotify_fd_ >= 0      ? inotify_fd_
                           : notifications_open_ ? options_.notification_fd
                                                 : -1;
    if (changes_fd >= 0) fds[count++] = {changes_fd, POLLIN, 0};
    if (wake_fd >= 0) fds[count++] = {wake_fd, POLLIN, 0};
    const int ready = poll(fds, count, overdue ? 0 : ToPollTimeoutMs(wake_at - now));
    if (ready < 0 && errno != EINTR) {
      options_.log(absl::StrCat("poll failed: ", std::strerror(errno)));
      return WaitOutcome::kDeadline;
    }
    if (ready <= 0) {
      if (overdue) return WaitOutcome::kDeadline;
      continue;
    }
    for (int i = 0; i < count; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == wake_fd) return WaitOutcome::kWoken;
      if (fds[i].fd == inotify_fd_) {
        ReadFileEvents(absl::Now());
      } else if (ReadIbazelNotifications()) {
        return WaitOutcome::kBuildSucceeded;
      }
    }
  }
}

void HotReloader::ReadFileEvents(absl::Time now) {
  alignas(inotify_event) char buffer[16 * 1024];
  while (true) {
    const ssize_t length = read(inotify_fd_, buffer, sizeof(buffer));
    if (length <= 0) return;  // EAGAIN: drained.
    for (ssize_t offset = 0; offset < length;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + offset);
      offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      // After an overflow the kernel has dropped events: any module may have changed, and
      // Reload() skips the ones whose file is still the loaded one.
      const bool overflow = (event->mask & IN_Q_OVERFLOW) != 0;
      if (event->len == 0 && !overflow) continue;
      const absl::string_view name = overflow ? absl::string_view() : event->name;
      for (const auto& watched : modules_) {
        if (!overflow && (watched->watch_descriptor != event->wd || watched->file_name != name)) {
          continue;
        }
        if (!watched->first_event) watched->first_event = now;
        watched->last_event = now;
      }
    }
  }
}

void HotReloader::LoadSettledModules(absl::Time now) {
  for (const auto& watched : modules_) {
    if (!watched->first_event || now < watched->last_event + options_.settle) continue;
    const absl::Time seen = *watched->first_event;
    watched->first_event.reset();
    // A refusal is logged by the slot; a truncated file is retried at its next event.
    watched->slot->Reload(seen).IgnoreError();
  }
}

bool HotReloader::ReadIbazelNotifications() {
  bool succeeded = false;
  char buffer[4096];
  while (true) {
    const ssize_t length = read(options_.notification_fd, buffer, sizeof(buffer));
    if (length == 0) {
      notifications_open_ = false;  // ibazel went away; nothing more will come.
      return succeeded;
    }
    if (length < 0) return succeeded;  // EAGAIN: drained.
    notification_buffer_.append(buffer, static_cast<size_t>(length));
    size_t newline;
    while ((newline = notification_buffer_.find('\n')) != std::string::npos) {
      const std::string line = notification_buffer_.substr(0, newline);
      notification_buffer_.erase(0, newline + 1);
      absl::string_view outcome = line;
      if (!absl::ConsumePrefix(&outcome, "IBAZEL_BUILD_COMPLETED ")) continue;
      if (outcome == "SUCCESS") {
        ReloadChanged().IgnoreError();
        succeeded = true;
      } else {
        options_.log("ibazel: the build failed; the running modules stay as they are");
      }
    }
  }
}

absl::Status HotReloader::ReloadChanged() {
  absl::Status first_refusal;
  const absl::Time now = absl::Now();
  for (const auto& watched : modules_) first_refusal.Update(watched->slot->Reload(now));
  return first_refusal;
}

}  // namespace hotcc
