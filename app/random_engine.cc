#include "app/random_engine.h"

namespace hotcc::demo {

std::int64_t RandomEngine::Uniform(std::int64_t lo, std::int64_t hi) {
  return std::uniform_int_distribution<std::int64_t>(lo, hi)(engine_);
}

}  // namespace hotcc::demo
