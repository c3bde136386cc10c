// File: reload/host_types.h
//
// The vocabulary that a host's code uses in both of its builds: what a module's events look
// like, how a call may run, why a wait ended, and how the host is set up. Header-only, with no
// loader code, so that the static build (reload/linked_host.h) and the hot build
// (reload/hot_host.h) share it and a host compiles unchanged against either.

#ifndef HOTCC_RELOAD_HOST_TYPES_H_
#define HOTCC_RELOAD_HOST_TYPES_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace hotcc {

// Something that happened to a module, for a host that must know which code runs: one that
// caches what a module computed drops the cache when another version takes over, one with a
// status bar shows it. Every event is also a log line; this is its structured form. The static
// build loads nothing, and so has no events.
struct ModuleEvent {
  enum class Kind {
    kLoaded,      // The first version runs.
    kReloaded,    // A new build replaced the running version.
    kRefused,     // A new build was refused (reported once per file); `version` runs on.
    kRolledBack,  // A call crashed or hung; `version` is the one rolled back to (0: none).
  };
  Kind kind;
  std::string module;
  int version = 0;           // The version that runs now; 0 if none.
  int previous_version = 0;  // The one that ran before the event; 0 if none.
  absl::Status status;       // Why, for kRefused and kRolledBack; OK otherwise.
};

// Receives each ModuleEvent, on the thread where it happened (the one in WaitUntil for loads
// and refusals, the calling thread for a rollback), after the loader has released its lock: it
// may ask the module its version, but must not call into it or reload it.
using EventSink = std::function<void(const ModuleEvent& event)>;

// How one guarded call may run.
struct CallOptions {
  // How long it may run before it is abandoned and the module rolled back. Unset: the host's
  // call time limit. absl::InfiniteDuration(): no limit.
  std::optional<absl::Duration> time_limit;
};

// Why a host's WaitUntil returned.
enum class WaitOutcome {
  kDeadline,        // The deadline passed.
  kWoken,           // The wake fd became readable.
  kBuildSucceeded,  // Hot build under ibazel: a build completed and the modules are reloaded;
                    // the host may check whether it was rebuilt itself (reload/relaunch.h).
};

// How a host is set up; the static build has nothing to set up and ignores all of it.
struct HostOptions {
  // Where lib<name>.so is loaded from. Unset: the hot binary's --hot_dir flag, whose default
  // is where Bazel built each module, found through the binary's runfiles.
  std::optional<std::string> module_dir;
  // How long a guarded call may run before it is abandoned and the module rolled back. Unset:
  // the hot binary's --hot_call_limit flag (3s by default).
  std::optional<absl::Duration> call_time_limit;
  // Receives each module's events. Empty: none.
  EventSink on_event;
};

}  // namespace hotcc

#endif  // HOTCC_RELOAD_HOST_TYPES_H_
