// The fixture module "counter" in builds that run code while they load, before the host calls
// anything: what the loader must try in a helper process first. LOAD_TIME picks that code:
//   1  an __attribute__((constructor)) function that crashes (SIGSEGV);
//   2  nothing here, but a dependency (load_time_dependency.cc) has a global object whose
//      constructor fails an assert;
//   3  a constructor that never returns;
//   4  a constructor that returns: the module loads and works (version 7, steps by 1).

#include <cstdint>

#include "reload/testdata/counter_api.h"

namespace hotcc::testing {
namespace {

__attribute__((constructor)) void RunAtLoad() {
  asm volatile("");  // Keeps the compiler from dropping the initializer where it does nothing.
  if (LOAD_TIME == 1) {
    // An address the compiler cannot see, so the store stays a real fault.
    volatile std::uintptr_t unmapped = 8;
    *reinterpret_cast<volatile int*>(unmapped) = 1;
  }
  if (LOAD_TIME == 3) {
    volatile bool forever = true;
    while (forever) {
    }
  }
}

void Step(Counter& counter) {
  counter.value += 1;
  counter.steps += 1;
}
int Version() { return 7; }
void Misbehave(Counter&, Fault) {}

}  // namespace
}  // namespace hotcc::testing

HOTCC_DEFINE_MODULE(counter, hotcc::testing::CounterApi,
                    {&hotcc::testing::Step, &hotcc::testing::Version, &hotcc::testing::Misbehave})
