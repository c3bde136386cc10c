#include "tools/bench/callee/callee.h"

namespace hotcc::bench {

// noinline: without LTO a call across translation units is not inlined anyway; this keeps it
// so should the build ever use LTO, or the comparison would be against no call at all.
__attribute__((noinline)) int add(int a, int b) { return a + b; }

}  // namespace hotcc::bench

HOTCC_DEFINE_MODULE(callee, hotcc::bench::CalleeApi, {&hotcc::bench::add})
