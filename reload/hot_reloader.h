// File: reload/hot_reloader.h
//
// hotcc's loader: keeps a running process on the newest good build of its hot modules.
//
// LIFECYCLE
//   1. Add      The host names each module (lib<name>.so and its function-table type) and the
//               file to load; the first version is loaded at once.
//   2. Watch    The host waits between its units of work in `WaitUntil`. Meanwhile the loader
//               learns of new builds from inotify on the modules' directories (a burst of writes
//               settles first), or, under `ibazel run` with IBAZEL_NOTIFY_CHANGES=y, from
//               ibazel's "IBAZEL_BUILD_COMPLETED SUCCESS" on stdin. No polling: an idle host
//               sleeps in poll(2). If a directory goes (bazel clean) or is renamed away, the
//               loaded version keeps running, one line says so, and the loader watches the
//               deepest ancestor that exists, walks back down as the levels reappear, and loads
//               the file found there. After an inotify queue overflow, every module's watch is
//               armed again and its file checked.
//     Fast path  In tools/dev.sh, tools/fast_path.py builds a saved module itself, with Bazel's
//               command lines, and moves it to Options::fast_dir, which is watched too: that
//               build is loaded first. Bazel's build of the same save then only confirms it
//               when the bytes are the same ("confirmed"), replaces it when they differ, and a
//               failed Bazel build puts Bazel's last good build back (ModuleSlot::Reload,
//               RevertUnconfirmed): the fast path saves time, Bazel stays the authority.
//   3. Load     validate (a complete x86-64 ELF shared object; a half-written file is retried at
//               the next event) -> copy (into a private 0700 directory, O_EXCL) -> probe (only a
//               module that runs code while it loads, e.g. a global object's constructor: that
//               load is tried first in a helper process, reload/load_probe.h) -> open (dlopen
//               RTLD_NOW; the copy stays until unload, for gdb) -> verify (entry point, ABI
//               version, interface fingerprint, table size) -> swap (one atomic store; the
//               old version stays until no thread is inside it).
//   4. Call     `HotModule<Api>::Call` runs a function of the current table; a crash in it
//               (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT from abort, assert or std::terminate,
//               an escaping exception) or a call that runs past its time limit (Options::
//               call_time_limit, or per call) restores the caller's state (CallRestoring, during
//               the version's first 64 calls; see HotModule::CallRestoring) and rolls back to the
//               last version that completed a call (reload/fault_guard.h).
//   5. Unload   A replaced version is dlclosed once no thread is inside it, its copy removed, and
//               the loader checks that its image is gone; if not, it says why (STB_GNU_UNIQUE
//               symbols by name, NODELETE, thread_local destructors) and how to fix it.
//
// GUARANTEES
//   - A module that fails any check never runs; the previous one keeps running; the host's
//     state is untouched. Each refusal is one "hotcc: " line naming the module, the file, the
//     cause and the OS error: missing file, permission denied, empty file, not ELF, truncated,
//     wrong architecture, no entry point, unresolved symbol, ABI or fingerprint mismatch, and
//     a load that crashed, aborted or hung in the helper process.
//   - Calls from many threads are safe during a swap, with no lock on the call path.
//   - At most two versions of a module are mapped (current and rollback target). The private
//     directory holds exactly the files of the mapped versions (at most two per module: a
//     debugger reads a loaded object by its path), and nothing after exit: it is removed then
//     (or at the next start, after a crash or kill).
//   - A module call that hangs is abandoned after its time limit; AbandonGuardedCalls() (from a
//     SIGINT handler) ends hung calls at once, so the app can always stop.
//   - Each load reports its version and the microseconds of each stage:
//       hotcc: view: reloaded v2 from .../libview.so (seen 412us, validated 21us, copied 35us,
//              opened 190us, verified 2us, swapped 4us); v1 unloaded and unmapped
//
// NOT HANDLED
//   - An abandoned call's frames are not unwound: memory it allocated leaks, and a lock it held
//     stays held (the watchdog waits until the call is in the module's own code, so libc's and
//     libstdc++'s locks are not among them unless half a second passes without that).
//   - A module that scribbles over memory it does not own before crashing may have damaged more
//     than the state that CallRestoring puts back.
//   - Modules must hold no state (see tools/hot_cc_library.bzl); the build checks it.
//
// HOST EXAMPLE
//   absl::StatusOr<std::unique_ptr<hotcc::HotReloader>> reloader = hotcc::HotReloader::Create();
//   absl::StatusOr<hotcc::HotModule<ViewApi>> view = (*reloader)->Add<ViewApi>(
//       "view", "bazel-bin/libs/view/libview.so", HOTCC_INTERFACE_FINGERPRINT);
//   while (running) {
//     std::string line;
//     view->Call("view_state", [&](const ViewApi& api) { line = api.view_state(state); });
//     (*reloader)->WaitUntil(absl::Now() + absl::Milliseconds(500));  // reloads happen here
//   }
//
// MODULE EXAMPLE (libs/view/view.cc, built by hot_cc_library(name = "view"))
//   std::string view_state(const State& state) { return "tick " + std::to_string(state.tick); }
//   HOTCC_DEFINE_MODULE(view, ViewApi, {&view_state})

#ifndef HOTCC_RELOAD_HOT_RELOADER_H_
#define HOTCC_RELOAD_HOT_RELOADER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "reload/hot_module.h"
#include "reload/module_slot.h"
#include "reload/private_dir.h"

namespace hotcc {

class HotReloader {
 public:
  struct Options {
    // Reload on ibazel's build-completed notifications on stdin rather than on file events.
    // Defaults to whether ibazel asked for them (IBAZEL_NOTIFY_CHANGES=y).
    bool ibazel_notifications = IbazelAskedForNotifications();
    // Where ibazel's notifications arrive: its pipe to our stdin.
    int notification_fd = 0;
    // How long a module's file must be quiet after an event before it is loaded, so that a
    // burst of writes yields one load of the final file.
    absl::Duration settle = absl::Milliseconds(5);
    // How long a guarded call into a module may run before it is abandoned and the module
    // rolled back (a call can say otherwise, see CallOptions), and how long a module that runs
    // code while it loads may take to load in the helper process that tries it first.
    absl::Duration call_time_limit = absl::Seconds(3);
    // Where the private directory for module copies goes; empty: PrivateDir::DefaultBase().
    std::string private_dir_base;
    // Receives every report line; empty: LogToStderr.
    LogSink log;
    // Receives each module's events (loaded, reloaded, refused, rolled back) as ModuleEvents;
    // see EventSink for the thread it runs on. Empty: none.
    EventSink on_event;
    // Where the dev loop's fast path (tools/fast_path.py, started by tools/dev.sh) puts its
    // builds, DIR/lib<name>.so, ahead of Bazel's; empty: none. Defaults to HOTCC_FAST_DIR.
    std::string fast_dir = FastDirFromEnvironment();
  };

  static bool IbazelAskedForNotifications();
  static std::string FastDirFromEnvironment();

  // Creates the private directory and the inotify instance. Fails with their errno.
  static absl::StatusOr<std::unique_ptr<HotReloader>> Create(Options options);
  static absl::StatusOr<std::unique_ptr<HotReloader>> Create() { return Create(Options()); }

  // Unloads every module and removes the private directory. No thread may still be calling.
  ~HotReloader();
  HotReloader(const HotReloader&) = delete;
  HotReloader& operator=(const HotReloader&) = delete;

  // Adds the module `name` whose function table has type `Api`, to be loaded from `path`,
  // which the host was built against with `interface_fingerprint` (HOTCC_INTERFACE_FINGERPRINT).
  // Loads it now and starts watching `path`'s directory. Fails if that first load fails.
  template <typename Api>
  absl::StatusOr<HotModule<Api>> Add(std::string name, std::string path,
                                     std::uint64_t interface_fingerprint) {
    absl::StatusOr<ModuleSlot*> slot =
        AddSlot(ModuleSpec{std::move(name), std::move(path), sizeof(Api), interface_fingerprint,
                           options_.call_time_limit});
    if (!slot.ok()) return slot.status();
    return HotModule<Api>(*slot);
  }

  // Why WaitUntil returned (reload/host_types.h); HotReloader::WaitOutcome names it too.
  using WaitOutcome = ::hotcc::WaitOutcome;

  // Sleeps until `deadline`, loading new builds of the modules as they appear. Returns early
  // when `wake_fd` (if not -1) is readable or a build succeeded. Call it from one thread.
  WaitOutcome WaitUntil(absl::Time deadline, int wake_fd = -1);

  // Checks every module's file now and loads those that changed (what an ibazel build-completed
  // notification does). Returns the first refusal, if any.
  absl::Status ReloadChanged();

  const PrivateDir& private_dir() const { return private_dir_; }

 private:
  struct Watched;

  HotReloader(Options options, PrivateDir private_dir, int inotify_fd);
  absl::StatusOr<ModuleSlot*> AddSlot(ModuleSpec spec);
  void ReadFileEvents(absl::Time now);
  // What happened to the level of a module's directory that it watches.
  enum class WatchChange { kRemoved, kMovedAway, kAppeared, kOverflow };
  // Watches the module's directory, or, while it is missing, its deepest existing ancestor; and
  // the parent of the one watched. Fails with inotify_add_watch's errno (the module is then
  // unwatched).
  absl::Status ArmWatch(Watched& watched);
  // Arms the watch again after `change`, says so when the directory went or came back, and
  // schedules a load if the module's file is there.
  void Rewatch(Watched& watched, WatchChange change, absl::Time now);
  // Returns whether a build succeeded.
  bool ReadIbazelNotifications();
  // Loads the fast path's builds that have appeared in fast_dir.
  void ReadFastPathEvents(absl::Time now);
  void LoadSettledModules(absl::Time now);

  const Options options_;
  PrivateDir private_dir_;
  const int inotify_fd_;   // -1 under ibazel notifications.
  int fast_path_fd_ = -1;  // An inotify instance watching options_.fast_dir; -1: none.
  std::vector<std::unique_ptr<Watched>> modules_;
  std::string notification_buffer_;
  // When ibazel last said a build started; InfinitePast before the first.
  absl::Time build_started_ = absl::InfinitePast();
  bool notifications_open_ = true;
};

}  // namespace hotcc

#endif  // HOTCC_RELOAD_HOT_RELOADER_H_
