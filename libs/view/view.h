// File: libs/view/view.h
//
// The demo's view, a hot library: the static app calls `view_state` directly, the hot app
// through libview.so's `ViewApi` table (libs/shared/modules.h).

#ifndef HOTCC_LIBS_VIEW_VIEW_H_
#define HOTCC_LIBS_VIEW_VIEW_H_

#include "libs/shared/modules.h"

namespace hotcc::demo {

// Renders `state` as one line, e.g. "tick 3 | position 2 | total 9 | peak 5".
ViewStateFn view_state;

}  // namespace hotcc::demo

#endif  // HOTCC_LIBS_VIEW_VIEW_H_
