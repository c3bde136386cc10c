#include "reload/hot_reloader.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "reload/status_util.h"

namespace hotcc {

struct HotReloader::Watched {
  std::unique_ptr<ModuleSlot> slot;
  // The module's directory and its ancestors, outermost first: levels.back() is the directory.
  std::vector<std::string> levels;
  std::string file_name;  // The module's base name inside the directory.
  // The watch on levels[watch_level]: the directory itself while it exists; after it went away
  // (bazel clean), its deepest existing ancestor, for levels[watch_level + 1] to appear in.
  // -1: not watched.
  int watch_descriptor = -1;
  size_t watch_level = 0;
  // The first event of the current burst, and the latest one.
  std::optional<absl::Time> first_event;
  absl::Time last_event;

  const std::string& directory() const { return levels.back(); }
  bool WatchesDirectory() const {
    return watch_descriptor >= 0 && watch_level + 1 == levels.size();
  }
  // The name that must appear in the watched ancestor for the next level to exist.
  absl::string_view NextName() const {
    const std::string& next = levels[watch_level + 1];
    const size_t slash = next.rfind('/');
    return slash == std::string::npos ? absl::string_view(next)
                                      : absl::string_view(next).substr(slash + 1);
  }
  void MarkChanged(absl::Time now) {
    if (!first_event) first_event = now;
    last_event = now;
  }
};

namespace {

// A rebuilt output appears by rename (Bazel's sandbox moves it in) or by being written in place
// and closed; a chmod after a refusal for permissions should retry too.
constexpr std::uint32_t kFileEvents = IN_CLOSE_WRITE | IN_MOVED_TO | IN_ATTRIB;
// The watched directory itself went away: deleted (bazel clean), or renamed (the watch would
// follow it). The kernel drops a watch whose directory is deleted, with IN_IGNORED.
constexpr std::uint32_t kGoneEvents = IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED;
// A missing level of the directory appeared in the ancestor being watched.
constexpr std::uint32_t kAppearEvents = IN_CREATE | IN_MOVED_TO;
// Every watch has the same mask, whatever it waits for: several modules share the watch of a
// directory (the kernel has one per inode), where one may wait for its file and another for a
// subdirectory. The events a module does not wait for are ignored.
constexpr std::uint32_t kWatchMask =
    kFileEvents | kAppearEvents | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

std::pair<std::string, std::string> SplitPath(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {".", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

// The directory and each of its ancestors, outermost first: "/a/b" -> {"/", "/a", "/a/b"},
// "a/b" -> {".", "a", "a/b"}.
std::vector<std::string> DirectoryLevels(absl::string_view directory) {
  const bool absolute = absl::StartsWith(directory, "/");
  std::vector<std::string> levels = {absolute ? "/" : "."};
  for (absl::string_view part : absl::StrSplit(directory, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    levels.push_back(levels.size() == 1 ? absl::StrCat(absolute ? "/" : "", part)
                                        : absl::StrCat(levels.back(), "/", part));
  }
  return levels;
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
  watched->levels = DirectoryLevels(directory);
  watched->file_name = file_name;
  watched->slot = std::make_unique<ModuleSlot>(std::move(spec), &private_dir_, options_.log);
  HOTCC_RETURN_IF_ERROR(watched->slot->Reload());
  if (inotify_fd_ >= 0) HOTCC_RETURN_IF_ERROR(ArmWatch(*watched));
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
    if (now >= deadline) return WaitOutcome::kDeadline;

    pollfd fds[3];
    int count = 0;
    const int changes_fd = inotify_fd_ >= 0      ? inotify_fd_
                           : notifications_open_ ? options_.notification_fd
                                                 : -1;
    if (changes_fd >= 0) fds[count++] = {changes_fd, POLLIN, 0};
    if (wake_fd >= 0) fds[count++] = {wake_fd, POLLIN, 0};
    const int ready = poll(fds, count, ToPollTimeoutMs(wake_at - now));
    if (ready < 0 && errno != EINTR) {
      options_.log(absl::StrCat("poll failed: ", std::strerror(errno)));
      return WaitOutcome::kDeadline;
    }
    if (ready <= 0) continue;
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
  bool overflowed = false;
  while (true) {
    const ssize_t length = read(inotify_fd_, buffer, sizeof(buffer));
    if (length <= 0) break;  // EAGAIN: drained.
    for (ssize_t offset = 0; offset < length;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + offset);
      offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      if ((event->mask & IN_Q_OVERFLOW) != 0) {
        overflowed = true;
        continue;
      }
      const absl::string_view name = event->len == 0 ? absl::string_view() : event->name;
      for (const auto& watched : modules_) {
        if (watched->watch_descriptor != event->wd) continue;
        if ((event->mask & kGoneEvents) != 0) {
          Rewatch(
              *watched,
              (event->mask & IN_MOVE_SELF) != 0 ? WatchChange::kMovedAway : WatchChange::kRemoved,
              now);
        } else if (name.empty()) {
          continue;
        } else if (watched->WatchesDirectory()) {
          if ((event->mask & kFileEvents) != 0 && name == watched->file_name) {
            watched->MarkChanged(now);
          }
        } else if ((event->mask & kAppearEvents) != 0 && name == watched->NextName()) {
          Rewatch(*watched, WatchChange::kAppeared, now);
        }
      }
    }
  }
  // The kernel has dropped events: any module may have changed (Reload() skips the ones whose
  // file is still the loaded one), and any directory may have gone or come back.
  if (overflowed) {
    for (const auto& watched : modules_) Rewatch(*watched, WatchChange::kOverflow, now);
  }
}

absl::Status HotReloader::ArmWatch(Watched& watched) {
  // Moves the module to `descriptor` on `level`, and drops its previous watch unless another
  // module in the same directory still uses it (a removed directory's watch is gone already,
  // and inotify_rm_watch fails harmlessly).
  auto move_to = [&](int descriptor, size_t level) {
    const int previous = std::exchange(watched.watch_descriptor, descriptor);
    watched.watch_level = level;
    if (previous < 0 || previous == descriptor) return;
    for (const auto& other : modules_) {
      if (other->watch_descriptor == previous) return;
    }
    inotify_rm_watch(inotify_fd_, previous);
  };
  auto add = [&](size_t level) {
    return inotify_add_watch(inotify_fd_, watched.levels[level].c_str(), kWatchMask);
  };
  auto missing = [](int error) { return error == ENOENT || error == ENOTDIR; };
  auto failure = [&](int error, size_t level) {
    move_to(-1, 0);
    return Annotate(PosixError(error, "inotify_add_watch", watched.levels[level]),
                    error == ENOSPC ? "cannot watch for new builds (raise "
                                      "fs.inotify.max_user_watches?)"
                                    : "cannot watch for new builds");
  };
  // Up from the directory to the deepest level that exists; "/" (or ".") always ends it.
  size_t level = watched.levels.size() - 1;
  int descriptor;
  while ((descriptor = add(level)) < 0) {
    if (!missing(errno) || level == 0) return failure(errno, level);
    --level;
  }
  move_to(descriptor, level);
  // The levels below may have appeared before that watch was armed, several at once (mkdir -p,
  // a prepared tree renamed into place): down through those that exist now. Once a level is
  // armed, the next one appearing is an event.
  while (level + 1 < watched.levels.size()) {
    descriptor = add(level + 1);
    if (descriptor < 0) return missing(errno) ? absl::OkStatus() : failure(errno, level + 1);
    move_to(descriptor, ++level);
  }
  return absl::OkStatus();
}

void HotReloader::Rewatch(Watched& watched, WatchChange change, absl::Time now) {
  const bool watched_directory = watched.WatchesDirectory();
  const absl::Status armed = ArmWatch(watched);
  const std::string& name = watched.slot->spec().name;
  const std::string running = absl::StrCat("v", watched.slot->version(), " keeps running");
  if (!armed.ok()) {
    options_.log(
        absl::StrCat(name, ": ", running, ", but no new build will be loaded: ", armed.ToString()));
    return;
  }
  const char* gone = change == WatchChange::kRemoved     ? "was removed (bazel clean?)"
                     : change == WatchChange::kMovedAway ? "was moved away"
                                                         : "is gone";
  if (!watched.WatchesDirectory()) {
    if (watched_directory) {
      options_.log(absl::StrCat(name, ": ", watched.directory(), " ", gone, "; ", running,
                                ", watching for it to come back"));
    }
    return;
  }
  if (!watched_directory) {
    options_.log(absl::StrCat(name, ": ", watched.directory(), " is back; watching it again"));
  } else if (change == WatchChange::kRemoved || change == WatchChange::kMovedAway) {
    options_.log(absl::StrCat(name, ": ", watched.directory(), " ", gone,
                              " and is back; watching the new one"));
  }
  // The build may have written the file before the watch was armed, or its event was lost.
  if (access(watched.slot->spec().path.c_str(), F_OK) == 0) watched.MarkChanged(now);
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
