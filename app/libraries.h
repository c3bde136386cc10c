// File: app/libraries.h
//
// The app's view of its hot libraries. Two implementations, chosen at build time by
// hot_cc_binary (tools/hot_cc_binary.bzl):
//   app/linked_libraries.cc  the default and release build: calls libs/update and libs/view
//                            directly; no loader in the binary.
//   app/hot_libraries.cc     --config=hot: loads libupdate.so and libview.so through reload/,
//                            and reloads them while the app waits between ticks.

#ifndef HOTCC_APP_LIBRARIES_H_
#define HOTCC_APP_LIBRARIES_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/shared/rng.h"
#include "libs/shared/state.h"

namespace hotcc::demo {

class Libraries {
 public:
  virtual ~Libraries() = default;

  // Advances `state` by one tick. On failure (a crash in a hot module) `state` is as it was.
  virtual absl::Status Update(State& state, Rng& rng) = 0;

  // Renders `state` as one line.
  virtual absl::StatusOr<std::string> View(const State& state) = 0;

  enum class Wake {
    kNextTick,        // The deadline passed.
    kStop,            // `stop_fd` became readable.
    kBuildSucceeded,  // Hot build under ibazel: a build completed; the modules are reloaded.
  };

  // Sleeps until `deadline` (hot build: loading new builds meanwhile), or until `stop_fd` is
  // readable or a build completes.
  virtual Wake WaitUntil(absl::Time deadline, int stop_fd) = 0;
};

// Binds the libraries: defined once in each implementation file.
absl::StatusOr<std::unique_ptr<Libraries>> CreateLibraries();

// Ends every call into a hot library that is in progress, so that a module that hangs cannot
// keep the app from stopping (hot build; the static build makes no guarded calls, and does
// nothing). Async-signal-safe: the SIGINT and SIGTERM handler calls it.
void AbandonLibraryCalls();

}  // namespace hotcc::demo

#endif  // HOTCC_APP_LIBRARIES_H_
