// File: shared/counter.h
//
// The host's state and the greeting module's function table: all that the host and the module
// share, fingerprinted by hot_cc_interface (shared/BUILD.bazel), so that a module built against
// a different version of this file is refused.

#ifndef CONSUMER_SHARED_COUNTER_H_
#define CONSUMER_SHARED_COUNTER_H_

#include <cstdint>
#include <string>

#include "reload/module_abi.h"
#include "shared/shared_fingerprint.h"

namespace consumer {

// Owned by the host; it survives every reload of the module.
struct Counter {
  std::int64_t count = 0;
};

// Returns the line that the host prints for `counter`.
using GreetFn = std::string(const Counter& counter);

// libgreeting.so's table.
struct GreetingApi {
  GreetFn* greet;
};

}  // namespace consumer

#endif  // CONSUMER_SHARED_COUNTER_H_
