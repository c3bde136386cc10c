#include "app/random_engine.h"

#include <sstream>

namespace hotcc::demo {

std::int64_t RandomEngine::Uniform(std::int64_t lo, std::int64_t hi) {
  return std::uniform_int_distribution<std::int64_t>(lo, hi)(engine_);
}

std::string RandomEngine::SaveState() const {
  std::ostringstream out;
  out << engine_;
  return out.str();
}

bool RandomEngine::RestoreState(const std::string& saved) {
  std::istringstream in(saved);
  std::mt19937_64 restored;
  if (!(in >> restored)) return false;
  engine_ = restored;
  return true;
}

}  // namespace hotcc::demo
