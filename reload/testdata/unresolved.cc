// A module that calls a function nothing defines; linked with -z undefs, it builds, and
// dlopen(RTLD_NOW) must refuse it.
#include "reload/testdata/counter_api.h"

extern "C" int hotcc_fixture_symbol_nobody_defines();

namespace {
void Step(hotcc::testing::Counter& counter) {
  counter.value += hotcc_fixture_symbol_nobody_defines();
}
int Version() { return 4; }
void Misbehave(hotcc::testing::Counter&, hotcc::testing::Fault) {}
}  // namespace

HOTCC_DEFINE_MODULE(counter, hotcc::testing::CounterApi, {&Step, &Version, &Misbehave})
