// File: app/random_engine.h
//
// The app's random engine behind the `Rng` interface of libs/shared. The engine keeps state
// (its seed and position in the sequence), so it lives here, in the app, and the hot libraries
// only see the interface: the sequence survives every reload, and the libraries stay stateless.

#ifndef HOTCC_APP_RANDOM_ENGINE_H_
#define HOTCC_APP_RANDOM_ENGINE_H_

#include <cstdint>
#include <random>
#include <string>

#include "libs/shared/rng.h"

namespace hotcc::demo {

class RandomEngine final : public Rng {
 public:
  explicit RandomEngine(std::uint64_t seed) : engine_(seed) {}

  std::int64_t Uniform(std::int64_t lo, std::int64_t hi) override;

  // The engine's position in its sequence, as text, and back: a relaunched app goes on with the
  // same sequence. RestoreState returns false (and changes nothing) for text it cannot read.
  std::string SaveState() const;
  bool RestoreState(const std::string& saved);

 private:
  std::mt19937_64 engine_;
};

}  // namespace hotcc::demo

#endif  // HOTCC_APP_RANDOM_ENGINE_H_
