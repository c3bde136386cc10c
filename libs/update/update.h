// File: libs/update/update.h
//
// The demo's update step, a hot library: the static app calls `update_state` directly, the hot
// app through libupdate.so's `UpdateApi` table (libs/shared/modules.h).

#ifndef HOTCC_LIBS_UPDATE_UPDATE_H_
#define HOTCC_LIBS_UPDATE_UPDATE_H_

#include "libs/shared/modules.h"

namespace hotcc::demo {

// Advances `state` by one tick: counts the tick, moves the position by a random step drawn from
// `rng`, and updates the running total and the peak.
UpdateStateFn update_state;

}  // namespace hotcc::demo

#endif  // HOTCC_LIBS_UPDATE_UPDATE_H_
