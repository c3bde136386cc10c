#include "reload/hot_reloader.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
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
  // The watch on levels[watch_level - 1], for levels[watch_level] to go; -1 at level 0.
  int parent_descriptor = -1;
  size_t watch_level = 0;
  // The first event of the current burst, and the latest one.
  std::optional<absl::Time> first_event;
  absl::Time last_event;

  const std::string& directory() const { return levels.back(); }
  bool WatchesDirectory() const {
    return watch_descriptor >= 0 && watch_level + 1 == levels.size();
  }
  bool Uses(int descriptor) const {
    return descriptor >= 0 && (descriptor == watch_descriptor || descriptor == parent_descriptor);
  }
  // The last component of levels[level] (level > 0), as its parent's events name it.
  absl::string_view NameAt(size_t level) const {
    const absl::string_view path = levels[level];
    const size_t slash = path.rfind('/');
    return slash == absl::string_view::npos ? path : path.substr(slash + 1);
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
// A watched directory itself went away: deleted (bazel clean), or renamed (the watch would
// follow it). The kernel drops a watch whose directory is deleted, with IN_IGNORED.
constexpr std::uint32_t kGoneEvents = IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED;
// A name in a watched directory appeared or went: the next level of a missing module directory
// appearing in its deepest existing ancestor, or the watched level going from its parent.
constexpr std::uint32_t kAppearEvents = IN_CREATE | IN_MOVED_TO;
constexpr std::uint32_t kLeaveEvents = IN_DELETE | IN_MOVED_FROM;
// Every watch has the same mask, whatever it waits for: the kernel has one watch per directory,
// shared by every module that watches it (for its file, for a missing subdirectory, or as the
// parent of either). Each module ignores the events it does not wait for.
constexpr std::uint32_t kWatchMask =
    kFileEvents | kAppearEvents | kLeaveEvents | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

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

// Calls `on_event` with each event that the non-blocking inotify descriptor `fd` has queued,
// until none is left.
template <typename OnEvent>
void ForEachEvent(int fd, OnEvent on_event) {
  alignas(inotify_event) char buffer[16 * 1024];
  while (true) {
    const ssize_t length = read(fd, buffer, sizeof(buffer));
    if (length <= 0) return;  // EAGAIN: drained.
    for (ssize_t offset = 0; offset < length;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + offset);
      offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      on_event(event);
    }
  }
}

// When the fast path started the build at `module_path`: it writes the time, in Unix
// nanoseconds, to <module_path>.started before it moves the module into place.
absl::Time FastBuildStarted(const std::string& module_path) {
  const int fd = open(absl::StrCat(module_path, ".started").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::InfinitePast();
  char text[32] = {};
  const bool read_all = read(fd, text, sizeof(text) - 1) > 0;
  close(fd);
  std::int64_t nanos = 0;
  if (!read_all || !absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &nanos)) {
    return absl::InfinitePast();
  }
  return absl::FromUnixNanos(nanos);
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

std::string HotReloader::FastDirFromEnvironment() {
  const char* value = std::getenv("HOTCC_FAST_DIR");
  return value != nullptr ? value : "";
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
  const std::string fast_dir = options.fast_dir;
  std::unique_ptr<HotReloader> reloader(
      new HotReloader(std::move(options), *std::move(private_dir), inotify_fd));
  if (!fast_dir.empty()) {
    // Without it the dev loop still works, on Bazel's builds alone: say so, and go on.
    const int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0 || inotify_add_watch(fd, fast_dir.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
      reloader->options_.log(absl::StrCat("cannot watch the fast path's directory ", fast_dir, " (",
                                          ErrnoText(errno), "): loading Bazel's builds only"));
      if (fd >= 0) close(fd);
    } else {
      reloader->fast_path_fd_ = fd;
    }
  }
  return reloader;
}

HotReloader::HotReloader(Options options, PrivateDir private_dir, int inotify_fd)
    : options_(std::move(options)), private_dir_(std::move(private_dir)), inotify_fd_(inotify_fd) {}

HotReloader::~HotReloader() {
  modules_.clear();  // Unload before the private directory goes.
  if (inotify_fd_ >= 0) close(inotify_fd_);
  if (fast_path_fd_ >= 0) close(fast_path_fd_);
}

absl::StatusOr<ModuleSlot*> HotReloader::AddSlot(ModuleSpec spec) {
  if (fast_path_fd_ >= 0 && spec.fast_path.empty()) {
    spec.fast_path = absl::StrCat(options_.fast_dir, "/lib", spec.name, ".so");
  }
  auto watched = std::make_unique<Watched>();
  auto [directory, file_name] = SplitPath(spec.path);
  watched->levels = DirectoryLevels(directory);
  watched->file_name = file_name;
  watched->slot =
      std::make_unique<ModuleSlot>(std::move(spec), &private_dir_, options_.log, options_.on_event);
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
    // Past the deadline (a tick that ran long) the fds are still looked at once, without
    // waiting: a stop request must not wait behind a late tick.
    const bool overdue = now >= deadline;

    pollfd fds[4];
    int count = 0;
    if (fast_path_fd_ >= 0) fds[count++] = {fast_path_fd_, POLLIN, 0};
    const int changes_fd = inotify_fd_ >= 0      ? inotify_fd_
                           : notifications_open_ ? options_.notification_fd
                                                 : -1;
    if (changes_fd >= 0) fds[count++] = {changes_fd, POLLIN, 0};
    if (wake_fd >= 0) fds[count++] = {wake_fd, POLLIN, 0};
    const int ready = poll(fds, count, overdue ? 0 : ToPollTimeoutMs(wake_at - now));
    if (ready < 0 && errno != EINTR) {
      options_.log(absl::StrCat("poll failed: ", ErrnoText(errno)));
      return WaitOutcome::kDeadline;
    }
    if (ready <= 0) {
      if (overdue) return WaitOutcome::kDeadline;
      continue;
    }
    for (int i = 0; i < count; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == wake_fd) return WaitOutcome::kWoken;
      if (fds[i].fd == fast_path_fd_) {
        ReadFastPathEvents(absl::Now());
      } else if (fds[i].fd == inotify_fd_) {
        ReadFileEvents(absl::Now());
      } else if (ReadIbazelNotifications()) {
        return WaitOutcome::kBuildSucceeded;
      }
    }
  }
}

void HotReloader::ReadFileEvents(absl::Time now) {
  bool overflowed = false;
  ForEachEvent(inotify_fd_, [&](const inotify_event* event) {
    if ((event->mask & IN_Q_OVERFLOW) != 0) {
      overflowed = true;
      return;
    }
    const absl::string_view name = event->len == 0 ? absl::string_view() : event->name;
    const WatchChange gone = (event->mask & (IN_MOVE_SELF | IN_MOVED_FROM)) != 0
                                 ? WatchChange::kMovedAway
                                 : WatchChange::kRemoved;
    for (const auto& watched : modules_) {
      if (watched->watch_descriptor == event->wd) {
        if ((event->mask & kGoneEvents) != 0) {
          Rewatch(*watched, gone, now);
        } else if (name.empty()) {
          continue;
        } else if (watched->WatchesDirectory()) {
          if ((event->mask & kFileEvents) != 0 && name == watched->file_name) {
            watched->MarkChanged(now);
          }
        } else if ((event->mask & kAppearEvents) != 0 &&
                   name == watched->NameAt(watched->watch_level + 1)) {
          Rewatch(*watched, WatchChange::kAppeared, now);
        }
      } else if (watched->parent_descriptor == event->wd) {
        if ((event->mask & kGoneEvents) != 0 ||
            ((event->mask & (kAppearEvents | kLeaveEvents)) != 0 &&
             name == watched->NameAt(watched->watch_level))) {
          Rewatch(*watched, gone, now);
        }
      }
    }
  });
  // The kernel has dropped events: any module may have changed (Reload() skips the ones whose
  // file is still the loaded one), and any directory may have gone or come back.
  if (overflowed) {
    for (const auto& watched : modules_) Rewatch(*watched, WatchChange::kOverflow, now);
  }
}

void HotReloader::ReadFastPathEvents(absl::Time now) {
  ForEachEvent(fast_path_fd_, [&](const inotify_event* event) {
    if (event->len == 0) return;
    const absl::string_view name = event->name;
    for (const auto& watched : modules_) {
      const std::string& fast_path = watched->slot->spec().fast_path;
      if (!fast_path.empty() && absl::EndsWith(fast_path, absl::StrCat("/", name))) {
        // A refusal is logged by the slot.
        watched->slot->ReloadFast(now, FastBuildStarted(fast_path)).IgnoreError();
      }
    }
  });
}

absl::Status HotReloader::ArmWatch(Watched& watched) {
  auto add = [&](size_t level) {
    return inotify_add_watch(inotify_fd_, watched.levels[level].c_str(), kWatchMask);
  };
  auto missing = [](int error) { return error == ENOENT || error == ENOTDIR; };
  // Drops `descriptor` unless a module (this one included) still uses it. A removed directory's
  // watch may be gone already; inotify_rm_watch then fails, harmlessly.
  auto release = [&](int descriptor) {
    if (descriptor < 0 || watched.Uses(descriptor)) return;
    for (const auto& other : modules_) {
      if (other->Uses(descriptor)) return;
    }
    inotify_rm_watch(inotify_fd_, descriptor);
  };
  auto move_to = [&](int descriptor, int parent, size_t level) {
    const int previous[] = {watched.watch_descriptor, watched.parent_descriptor};
    watched.watch_descriptor = descriptor;
    watched.parent_descriptor = parent;
    watched.watch_level = level;
    for (int old : previous) release(old);
  };
  // Watches levels[level] and, first, its parent. A directory that is deleted while a process
  // still holds it (a working directory below it: `bazel run` runs the app in its runfiles,
  // under bin/) reports nothing to its own watch until that process lets go, but its parent
  // reports the IN_DELETE at once; watched in this order, no deletion goes unseen. Returns
  // false, with the level and errno, if either is missing or levels[level] cannot be watched.
  int error = 0;
  size_t failed_level = 0;
  auto arm_at = [&](size_t level) {
    int parent = -1;
    if (level > 0) {
      parent = add(level - 1);
      // A parent that cannot be watched (not readable) only costs seeing a held directory go.
      if (parent < 0 && missing(errno)) {
        error = errno;
        failed_level = level - 1;
        return false;
      }
    }
    const int descriptor = add(level);
    if (descriptor < 0) {
      error = errno;
      failed_level = level;
      release(parent);
      return false;
    }
    move_to(descriptor, parent, level);
    return true;
  };
  auto failure = [&] {
    move_to(-1, -1, 0);
    return Annotate(PosixError(error, "inotify_add_watch", watched.levels[failed_level]),
                    error == ENOSPC
                        ? "cannot watch for new builds (raise fs.inotify.max_user_watches?)"
                        : "cannot watch for new builds");
  };
  // Up from the directory to the deepest level that exists; "/" (or ".") always ends it.
  size_t level = watched.levels.size() - 1;
  while (!arm_at(level)) {
    if (!missing(error) || level == 0) return failure();
    --level;
  }
  // The levels below may have appeared before that watch was armed, several at once (mkdir -p,
  // a prepared tree renamed into place): down through those that exist now. Once a level is
  // armed, the next one appearing is an event.
  while (level + 1 < watched.levels.size()) {
    if (!arm_at(level + 1)) return missing(error) ? absl::OkStatus() : failure();
    ++level;
  }
  return absl::OkStatus();
}

void HotReloader::Rewatch(Watched& watched, WatchChange change, absl::Time now) {
  const bool watched_directory = watched.WatchesDirectory();
  const int previous = watched.watch_descriptor;
  const absl::Status armed = ArmWatch(watched);
  const std::string& name = watched.slot->spec().name;
  const std::string running = absl::StrCat("v", watched.slot->version(), " keeps running");
  if (!armed.ok()) {
    options_.log(
        absl::StrCat(name, ": ", running, ", but no new build will be loaded: ", armed.ToString()));
    return;
  }
  if (!watched.WatchesDirectory()) {
    if (watched_directory) {
      const char* gone = change == WatchChange::kRemoved     ? "was removed (bazel clean?)"
                         : change == WatchChange::kMovedAway ? "was moved away"
                                                             : "is gone";
      options_.log(absl::StrCat(name, ": ", watched.directory(), " ", gone, "; ", running,
                                ", watching for it to come back"));
    }
    return;
  }
  if (!watched_directory) {
    options_.log(absl::StrCat(name, ": ", watched.directory(), " is back; watching it again"));
  } else if (watched.watch_descriptor != previous) {
    options_.log(
        absl::StrCat(name, ": ", watched.directory(), " was replaced; watching the new one"));
  } else if (change != WatchChange::kOverflow) {
    return;  // The same directory as before: nothing happened to it.
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
      if (line == "IBAZEL_BUILD_STARTED") build_started_ = absl::Now();
      if (!absl::ConsumePrefix(&outcome, "IBAZEL_BUILD_COMPLETED ")) continue;
      if (outcome == "SUCCESS") {
        ReloadChanged().IgnoreError();
        succeeded = true;
      } else {
        options_.log("ibazel: the build failed; the running modules stay as they are");
        for (const auto& watched : modules_) watched->slot->RevertUnconfirmed().IgnoreError();
      }
    }
  }
}

absl::Status HotReloader::ReloadChanged() {
  absl::Status first_refusal;
  const absl::Time now = absl::Now();
  for (const auto& watched : modules_) {
    first_refusal.Update(watched->slot->Reload(now, build_started_));
  }
  return first_refusal;
}

}  // namespace hotcc
