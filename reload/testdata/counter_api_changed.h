// File: reload/testdata/counter_api_changed.h
//
// counter_api.h after a developer added a field to Counter: a module built against this must be
// refused by a host built against counter_api.h, whose Counter is smaller.

#ifndef HOTCC_RELOAD_TESTDATA_COUNTER_API_CHANGED_H_
#define HOTCC_RELOAD_TESTDATA_COUNTER_API_CHANGED_H_

#include <cstdint>

#include "reload/module_abi.h"
#include "reload/testdata/counter_api_changed_fingerprint.h"

namespace hotcc::testing {

struct Counter {
  std::int64_t value = 0;
  std::int64_t steps = 0;
  std::int64_t added_field = 0;
};

enum class Fault : int { kNone, kSegv, kBus, kFpe, kIll, kException };

struct CounterApi {
  void (*step)(Counter& counter);
  int (*version)();
  void (*misbehave)(Counter& counter, Fault fault);
};

}  // namespace hotcc::testing

#endif  // HOTCC_RELOAD_TESTDATA_COUNTER_API_CHANGED_H_
