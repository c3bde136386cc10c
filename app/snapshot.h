// File: app/snapshot.h
//
// What the demo carries across a relaunch (reload/relaunch.h carries the bytes): when the dev
// loop rebuilds the app itself (an edit under app/ or libs/shared/), the running app encodes
// this with hotcc::EncodeState, execs the new binary in its place, and the new binary reads it
// back with hotcc::DecodeState (reload/state_codec.h) by field name, whatever became of State
// in between: fields kept, converted, reset, added or dropped, and one line says which.

#ifndef HOTCC_APP_SNAPSHOT_H_
#define HOTCC_APP_SNAPSHOT_H_

#include <string>

#include "libs/shared/state.h"

namespace hotcc::demo {

struct Snapshot {
  State state;
  // The random engine's state, as RandomEngine::SaveState returns it.
  std::string rng_state;
};

}  // namespace hotcc::demo

#endif  // HOTCC_APP_SNAPSHOT_H_
