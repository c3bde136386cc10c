#include "libs/update/update.h"

#include <algorithm>

namespace hotcc::demo {
namespace {

// How many positions State::recent keeps.
constexpr std::size_t kRecentPositions = 3;

}  // namespace

void update_state(State& state, Rng& rng) {
  state.tick += 1;
  state.position += rng.Uniform(-3, 3);
  state.total += state.position;
  state.peak = std::max(state.peak, state.position);
  state.recent.push_back(state.position);
  if (state.recent.size() > kRecentPositions) state.recent.erase(state.recent.begin());
  state.label = state.position > 0 ? "north" : state.position < 0 ? "south" : "home";
}

}  // namespace hotcc::demo

HOTCC_DEFINE_MODULE(update, hotcc::demo::UpdateApi, {&hotcc::demo::update_state})
