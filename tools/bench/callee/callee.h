// File: tools/bench/callee/callee.h
//
// The function whose call cost //tools/bench:call_overhead measures, declared for the static
// build. The module exports the same function through CalleeApi (tools/bench/api/bench_api.h).

#ifndef HOTCC_TOOLS_BENCH_CALLEE_CALLEE_H_
#define HOTCC_TOOLS_BENCH_CALLEE_CALLEE_H_

#include "tools/bench/api/bench_api.h"

namespace hotcc::bench {

// Returns a + b. Defined in its own translation unit and never inlined, so that a direct call
// in the benchmark is a real call, as a call from the app into a linked library is.
AddFn add;

}  // namespace hotcc::bench

#endif  // HOTCC_TOOLS_BENCH_CALLEE_CALLEE_H_
