// The fixture module "counter". COUNTER_VERSION (set by each fixture package) picks the
// behaviour: 1 and 2 step by 1 and 10; 3 is the crashy version, whose misbehave faults.
// COUNTER_CHANGED_INTERFACE builds it against counter_api_changed.h instead of counter_api.h.

#include <sys/mman.h>

#include <cassert>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#if COUNTER_CHANGED_INTERFACE
#include "reload/testdata/counter_api_changed.h"
#else
#include "reload/testdata/counter_api.h"
#endif

namespace hotcc::testing {
namespace {

constexpr int kVersion = COUNTER_VERSION;
constexpr std::int64_t kStep = kVersion == 2 ? 10 : 1;

void Step(Counter& counter) {
  counter.value += kStep;
  counter.steps += 1;
}

int Version() { return kVersion; }

void Throw() { throw std::logic_error("thrown through a noexcept function"); }
void ThrowThroughNoexcept() noexcept { Throw(); }

void Misbehave(Counter& counter, Fault fault) {
  if (kVersion != 3) return;
  // Change the state first: the loader must put it back.
  counter.value = -999;
  counter.steps = -999;
  // Volatile operands: g++ may rewrite 1 / x as a comparison, which never traps.
  volatile int zero = 0;
  volatile int seven = 7;
  switch (fault) {
    case Fault::kNone:
      return;
    case Fault::kSegv: {
      // An address the compiler cannot see: a visible null store may become a trap instead.
      volatile std::uintptr_t unmapped = 8;
      *reinterpret_cast<volatile int*>(unmapped) = 1;
      return;
    }
    case Fault::kBus: {
      // A read from a page mapped past the end of an (empty) file: a real bus error, delivered
      // synchronously, as raise() would not be under ThreadSanitizer.
      std::FILE* file = std::tmpfile();
      const void* page = mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fileno(file), 0);
      counter.value = *static_cast<const volatile char*>(page);
      return;
    }
    case Fault::kFpe:
      counter.value = seven / zero;
      return;
    case Fault::kIll:
      __builtin_trap();
    case Fault::kException:
      throw std::runtime_error("misbehave threw on purpose");
    case Fault::kAbort:
      std::abort();
    case Fault::kAssert:
      assert(counter.value >= 0 && "misbehave asserts on purpose");
      return;
    case Fault::kTerminate:
      ThrowThroughNoexcept();
      return;
    case Fault::kHang: {
      volatile bool forever = true;
      while (forever) {
      }
      return;
    }
  }
}

}  // namespace
}  // namespace hotcc::testing

HOTCC_DEFINE_MODULE(counter, hotcc::testing::CounterApi,
                    {&hotcc::testing::Step, &hotcc::testing::Version, &hotcc::testing::Misbehave})
