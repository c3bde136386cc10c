// A module that glibc cannot unload: an inline function's static is an STB_GNU_UNIQUE symbol
// when compiled with g++'s defaults (no -fno-gnu-unique, default visibility, no version
// script), which is exactly what hot_cc_library prevents.
#include "reload/testdata/counter_api.h"

inline std::int64_t& SharedTotal() {
  static std::int64_t total = 0;
  return total;
}

namespace {
void Step(hotcc::testing::Counter& counter) { counter.value += ++SharedTotal(); }
int Version() { return 5; }
void Misbehave(hotcc::testing::Counter&, hotcc::testing::Fault) {}
}  // namespace

HOTCC_DEFINE_MODULE(counter, hotcc::testing::CounterApi, {&Step, &Version, &Misbehave})
