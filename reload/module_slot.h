// File: reload/module_slot.h
//
// One hot module as the loader sees it: the versions of it that are loaded, the one that calls
// go to, and the pipeline that replaces it. Untyped; reload/hot_module.h wraps it in a typed
// `HotModule<Api>`, and reload/hot_reloader.h (start there) decides when to reload.
//
// Versions. A slot holds at most two loaded versions: `current`, which calls go to, and the
// last version that completed a call, kept as the rollback target. Loading version N+1 keeps N
// as the rollback target if N ever completed a call (otherwise N is dropped), and unloads the
// older target. Every unload waits until no thread is inside the version, dlcloses it, and then
// checks that its image is gone (see UnloadHazards for why it may not be).

#ifndef HOTCC_RELOAD_MODULE_SLOT_H_
#define HOTCC_RELOAD_MODULE_SLOT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "reload/elf_file.h"
#include "reload/fault_guard.h"
#include "reload/host_types.h"
#include "reload/private_dir.h"
#include "reload/shared_library.h"

namespace hotcc {

// Receives each line the loader reports, without the "hotcc: " prefix or a newline.
using LogSink = std::function<void(absl::string_view line)>;

// Writes "hotcc: <line>\n" to stderr in one write, so lines from threads never interleave.
void LogToStderr(absl::string_view line);

// What the host expects of a module.
struct ModuleSpec {
  // The module's name: its file is lib<name>.so and its entry point hotcc_module_<name>.
  std::string name;
  // The build output to load, e.g. bazel-bin/libs/view/libview.so.
  std::string path;
  // sizeof the host's function table type.
  std::uint32_t api_size = 0;
  // HOTCC_INTERFACE_FINGERPRINT as the host was compiled.
  std::uint64_t interface_fingerprint = 0;
  // How long a call into the module may run before it is abandoned and the module rolled back,
  // unless the call says otherwise; also how long a trial load in a helper process may take.
  absl::Duration time_limit = absl::Seconds(3);
  // Where the dev loop's fast path (tools/fast_path.py) puts its own build of the module, ahead
  // of Bazel's (see ReloadFast); empty: no fast path.
  std::string fast_path;
};

// How long each stage of a successful load took.
struct LoadTimings {
  absl::Duration seen;  // From the file's last write to the loader starting on it.
  absl::Duration validated;
  absl::Duration copied;
  absl::Duration probed;  // The trial load in a helper process; zero when none was needed.
  absl::Duration opened;
  absl::Duration verified;
  absl::Duration swapped;  // Publishing the table and waiting for callers of the old one.
};

class ModuleSlot {
 public:
  // `private_dir` must outlive the slot. `log` receives one line per event, and `on_event`
  // (if set) the same events as ModuleEvents.
  ModuleSlot(ModuleSpec spec, const PrivateDir* private_dir, LogSink log,
             EventSink on_event = nullptr);
  // Unloads every version. No thread may be calling into the module any more.
  ~ModuleSlot();
  ModuleSlot(const ModuleSlot&) = delete;
  ModuleSlot& operator=(const ModuleSlot&) = delete;

  // Loads spec.path if it is not the file the current version came from, verifies it and swaps
  // it in; `change_seen` is when the caller learned that the file changed (InfinitePast: not
  // prompted by a change, e.g. the first load; no "seen" time is reported). Returns OK when the
  // new version runs, or when there was nothing new. On any failure the current version keeps
  // running, nothing else changes, and the returned status (also logged, once per file) says
  // which file, what was wrong and the OS error:
  //   NotFound            the file is missing, or has no entry point;
  //   PermissionDenied    the file cannot be read;
  //   InvalidArgument     empty, not ELF, wrong architecture, not a shared object, ABI or
  //                       fingerprint or table size mismatch;
  //   FailedPrecondition  truncated (still being written: try again at the next change), or
  //                       dlopen failed (unresolved symbol, missing dependency);
  //   Aborted             its loading crashed in the helper process (reload/load_probe.h);
  //   DeadlineExceeded    its loading did not finish within spec.time_limit there.
  //
  // `build_started`, when known (ibazel says when each build starts), adds the edit-to-effect
  // split a person reads at a glance to the report line: "; live 452ms after its build started
  // (build 440ms, notify 12ms, load 0.4ms)".
  //
  // While the current version is a fast-path build that Bazel has not confirmed, Bazel's file is
  // compared with it first: the same bytes confirm it (one line says so, nothing is loaded);
  // the bytes of a build the current one superseded (Bazel is a save behind) change nothing;
  // other bytes are loaded, as Bazel is the authority.
  absl::Status Reload(absl::Time change_seen = absl::InfinitePast(),
                      absl::Time build_started = absl::InfinitePast());

  // Loads spec.fast_path: the fast path's build of a save, which arrives before Bazel's. The
  // same checks and report as Reload ("from <fast_path> (fast path)"); `build_started` is when
  // the fast path started building (it writes it to <fast_path>.started).
  absl::Status ReloadFast(absl::Time change_seen = absl::InfinitePast(),
                          absl::Time build_started = absl::InfinitePast());

  // After a failed Bazel build: if the current version is a fast-path build that Bazel never
  // confirmed, loads Bazel's last good build (spec.path) in its place, so that what runs is
  // always what Bazel built or is about to confirm. Otherwise does nothing.
  absl::Status RevertUnconfirmed();

  // Calls `call` with the current table, guarded by RunGuarded (reload/fault_guard.h) with
  // `time_limit` (default: spec.time_limit). If the call faults or runs out of time, runs
  // `restore` (which must undo whatever the call changed), rolls back to the last version that
  // completed a call, logs the module, `function`, the version and what happened, and returns
  // Aborted saying so. If AbandonGuardedCalls() ended it, runs `restore` and returns Cancelled,
  // with the module as it was. Returns FailedPrecondition when no working version is loaded.
  // Safe from any thread.
  //
  // `prepare` runs first, inside the call's section, told whether the version that will run is
  // still on probation (it has completed fewer than kProbationCalls calls); it returns whether
  // `restore` will put the caller's state back, which the report of a fault then says.
  // HotModule::CallRestoring copies the state only on probation: a version that has proven
  // itself does not pay for a full copy on every call.
  absl::Status Call(absl::string_view function, absl::FunctionRef<void(const void* api)> call,
                    absl::FunctionRef<void()> restore,
                    std::optional<absl::Duration> time_limit = std::nullopt,
                    absl::FunctionRef<bool(bool on_probation)> prepare = &RestoresAlways);

  // How many calls a new version must complete before it is off probation.
  static constexpr int kProbationCalls = 64;
  // How many superseded fast-path builds are remembered (see superseded_digests_).
  static constexpr size_t kSupersededDigests = 16;

  // The current table for an unguarded call. Only valid inside a ReadSection that was opened
  // before this call and is still open while the table is used; null if nothing is loaded.
  const void* CurrentApi() const {
    const Version* version = published_.load(std::memory_order_seq_cst);
    return version != nullptr ? version->api : nullptr;
  }

  // The number of the version that calls go to (1 for the first load), or 0 if none.
  int version() const;
  // How many versions are mapped right now (at most 2).
  int loaded_versions() const;
  // How many unloads left the image mapped.
  int unload_failures() const;
  // Timings of the last successful load.
  LoadTimings last_timings() const;

  const ModuleSpec& spec() const { return spec_; }

 private:
  // Where a version's file came from.
  enum class Origin { kBazel, kFastPath };

  // One loaded version of the module.
  struct Version {
    int number = 0;
    SharedLibrary library;
    const void* api = nullptr;
    FileIdentity source;
    Origin origin = Origin::kBazel;
    // DigestFileContents of the file: Bazel's build of a save confirms the fast path's by it.
    std::uint64_t digest = 0;
    UnloadHazards hazards;
    // Its machine code, where the watchdog may interrupt a call that ran out of time.
    std::vector<CodeRange> code;
    // Completed calls, counted up to kProbationCalls. Once a call completed (non-zero), the
    // version is a rollback target; below kProbationCalls, it is on probation.
    std::atomic<int> completed_calls{0};
  };

  // What ReloadLocked is asked to do.
  struct ReloadRequest {
    Origin origin = Origin::kBazel;
    absl::Time change_seen = absl::InfinitePast();
    absl::Time build_started = absl::InfinitePast();
    // Load Bazel's file even if it is a build that the current fast-path build superseded.
    bool revert = false;
  };

  // Loads `path` as the next version; null when its bytes are a build KnownBuild already knows
  // (nothing is loaded then).
  absl::StatusOr<std::unique_ptr<Version>> LoadVersion(const ReloadRequest& request,
                                                       const std::string& path,
                                                       LoadTimings& timings)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Reload, ReloadFast and RevertUnconfirmed under the lock; what happened, if anything, goes
  // to `event`, which the caller hands to on_event_ once the lock is released.
  absl::Status ReloadLocked(const ReloadRequest& request, std::optional<ModuleEvent>& event)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Takes the lock for ReloadLocked, then reports its event.
  absl::Status ReloadUnderLock(const ReloadRequest& request);
  // Whether the file at `identity`, whose bytes have `digest`, needs no load: its bytes are the
  // current version's (then Bazel's file confirms a fast-path build), or, while the current
  // version is a fast-path build, an earlier build's (Bazel is a save behind; not with
  // `request.revert`). Logs what it decided. Needs a current version.
  bool KnownBuild(const ReloadRequest& request, const FileIdentity& identity, std::uint64_t digest)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status RollBackLocked(int faulty_number, absl::string_view function,
                              const absl::Status& fault, bool restored,
                              std::optional<ModuleEvent>& event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Publishes `next` (may be null), waits for callers of the previous one to leave.
  void Publish(Version* next) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Unloads `version` (no longer published) and describes the outcome for the log.
  std::string Unload(std::unique_ptr<Version> version) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Tries the load in a helper process if the module runs code while it loads (see
  // reload/load_probe.h). Returns whether it did (and the helper survived), or why the module
  // must not be loaded.
  absl::StatusOr<bool> ProbeIfItRunsCodeAtLoad(int fd, off_t size, const std::string& copy_path);
  absl::Status RollBack(int faulty_number, absl::string_view function, const absl::Status& fault,
                        bool restored);
  static bool RestoresAlways(bool /*on_probation*/) { return true; }
  // "state restored", or why not.
  static std::string RestoreOutcome(bool restored, int version);

  const ModuleSpec spec_;
  const PrivateDir* const private_dir_;
  const LogSink log_;
  const EventSink on_event_;

  // Calls read this without a lock (see reload/reader_registry.h).
  std::atomic<Version*> published_{nullptr};

  mutable absl::Mutex mu_;
  std::unique_ptr<Version> current_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Version> rollback_ ABSL_GUARDED_BY(mu_);
  int next_version_ ABSL_GUARDED_BY(mu_) = 1;
  int unload_failures_ ABSL_GUARDED_BY(mu_) = 0;
  LoadTimings last_timings_ ABSL_GUARDED_BY(mu_);
  // The last file refused (a default identity for a missing file), so that repeated events for
  // it are not reported again.
  std::optional<FileIdentity> last_refused_ ABSL_GUARDED_BY(mu_);
  absl::Status last_refusal_ ABSL_GUARDED_BY(mu_);
  // The digest of the last version rolled back after a fault: the same bytes under another
  // name (Bazel's build of the fast path's crashing one) are not loaded again either.
  std::optional<std::uint64_t> faulty_digest_ ABSL_GUARDED_BY(mu_);
  absl::Status faulty_refusal_ ABSL_GUARDED_BY(mu_);
  // The digests of the versions that fast-path builds replaced since Bazel last built or
  // confirmed one: Bazel's build of an earlier save is one of them, and is not loaded.
  std::vector<std::uint64_t> superseded_digests_ ABSL_GUARDED_BY(mu_);
  // The last file of Bazel's that KnownBuild found to be of an earlier save, so that it is
  // compared (and reported) once.
  std::optional<FileIdentity> last_compared_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hotcc

#endif  // HOTCC_RELOAD_MODULE_SLOT_H_
