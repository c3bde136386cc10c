// File: libs/shared/modules.h
//
// The signatures of the demo's hot libraries, and the function tables their modules export.
//
// Each hot library `foo` declares its functions in libs/foo/foo.h (the static app calls them
// directly) and fills a table below with `HOTCC_DEFINE_MODULE(foo, FooApi, {...})` (the hot app
// calls through it). Both refer to the same signatures, so the compiler checks that they agree;
// the interface fingerprint checks that the module and the app were built from the same ones.

#ifndef HOTCC_LIBS_SHARED_MODULES_H_
#define HOTCC_LIBS_SHARED_MODULES_H_

#include <string>

#include "libs/shared/rng.h"
#include "libs/shared/shared_fingerprint.h"
#include "libs/shared/state.h"
#include "reload/module_abi.h"

namespace hotcc::demo {

// Advances the state by one tick, drawing randomness from `rng`.
using UpdateStateFn = void(State& state, Rng& rng);

// Renders the state as one line of text, without a trailing newline.
using ViewStateFn = std::string(const State& state);

// libupdate.so's table.
struct UpdateApi {
  UpdateStateFn* update_state;
};

// libview.so's table.
struct ViewApi {
  ViewStateFn* view_state;
};

}  // namespace hotcc::demo

#endif  // HOTCC_LIBS_SHARED_MODULES_H_
