// File: reload/testdata/counter_api.h
//
// The interface of the loader tests' fixture module "counter". Every fixture package builds
// a libcounter.so against it, each behaving differently (see counter.cc), so that a test can
// swap one for another at the same path, as a rebuild would.

#ifndef HOTCC_RELOAD_TESTDATA_COUNTER_API_H_
#define HOTCC_RELOAD_TESTDATA_COUNTER_API_H_

#include <cstdint>

#include "reload/module_abi.h"
#include "reload/testdata/counter_api_fingerprint.h"

namespace hotcc::testing {

// The host-owned state the fixture works on.
struct Counter {
  std::int64_t value = 0;
  std::int64_t steps = 0;
};

// How `misbehave` fails in the crashy fixture: the signals, an escaping exception, what a
// developer's fresh code does most (abort, a failed assert, std::terminate through a throw in a
// noexcept function), and an endless loop.
enum class Fault : int {
  kNone,
  kSegv,
  kBus,
  kFpe,
  kIll,
  kException,
  kAbort,
  kAssert,
  kTerminate,
  kHang,
};

struct CounterApi {
  // Adds the version's step (v1: 1, v2: 10) to the value.
  void (*step)(Counter& counter);
  // The fixture's version: 1, 2, or 3 for the crashy one.
  int (*version)();
  // Changes the counter, then fails as `fault` says (crashy fixture only; others do nothing).
  void (*misbehave)(Counter& counter, Fault fault);
};

}  // namespace hotcc::testing

#endif  // HOTCC_RELOAD_TESTDATA_COUNTER_API_H_
