// File: libs/shared/state.h
//
// The demo's state. The app owns the one `State` and passes it into every library call; hot
// libraries hold no state of their own, so reloading one never loses anything.
//
// `State` is an aggregate of values (numbers, strings, containers, nested structs: see
// reload/state_codec.h for what it may hold): the loader copies it before a guarded call and
// puts the copy back if the call crashes, and the dev loop carries it across a relaunch of the
// app by field name, so a field added, removed or retyped here keeps every other value.
// Changing a declaration here changes the interface fingerprint (libs/shared/
// shared_fingerprint.h): running apps refuse modules built against it until they relaunch,
// which the dev loop does by itself. A comment edit changes nothing.

#ifndef HOTCC_LIBS_SHARED_STATE_H_
#define HOTCC_LIBS_SHARED_STATE_H_

#include <cstdint>
#include <string>
#include <vector>

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
  // The last few positions, oldest first.
  std::vector<std::int64_t> recent;
  // Where the walk is, in a word.
  std::string label = "home";
};

}  // namespace hotcc::demo

#endif  // HOTCC_LIBS_SHARED_STATE_H_
