// File: libs/shared/rng.h
//
// A source of random numbers, as an interface. The engine behind it keeps state (its seed and
// position), so it lives in the app: a hot module that held an engine of its own would lose its
// sequence on every reload, and one with thread-local or static storage could not be unloaded.

#ifndef HOTCC_LIBS_SHARED_RNG_H_
#define HOTCC_LIBS_SHARED_RNG_H_

#include <cstdint>

namespace hotcc::demo {

class Rng {
 public:
  virtual ~Rng() = default;

  // Returns a uniformly distributed integer in [lo, hi]. Requires lo <= hi.
  virtual std::int64_t Uniform(std::int64_t lo, std::int64_t hi) = 0;
};

}  // namespace hotcc::demo

#endif  // HOTCC_LIBS_SHARED_RNG_H_
