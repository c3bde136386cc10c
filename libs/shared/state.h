// File: libs/shared/state.h
//
// The demo's state. The app owns the one `State` and passes it into every library call; hot
// libraries hold no state of their own, so reloading one never loses anything.
//
// `State` is plain data (trivially copyable): the loader snapshots it before a call into a
// freshly loaded module and restores it if that call crashes, and the dev loop carries it across
// a relaunch of the app as bytes. Changing this struct changes the interface fingerprint
// (libs/shared/shared_fingerprint.h): running apps then refuse new modules until restarted.

#ifndef HOTCC_LIBS_SHARED_STATE_H_
#define HOTCC_LIBS_SHARED_STATE_H_

#include <cstdint>
#include <type_traits>

namespace hotcc::demo {

struct State {
  // Ticks run so far; the first tick is 1.
  std::int64_t tick = 0;
  // A random walk: each tick adds a step drawn from the app's Rng.
  std::int64_t position = 0;
  // The sum of every position so far.
  std::int64_t total = 0;
  // The largest position so far.
  std::int64_t peak = 0;
};

static_assert(std::is_trivially_copyable_v<State>,
              "State is snapshotted as bytes: keep it plain data");

}  // namespace hotcc::demo

#endif  // HOTCC_LIBS_SHARED_STATE_H_
