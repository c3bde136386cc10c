#include "libs/update/update.h"

#include <algorithm>

namespace hotcc::demo {

void update_state(State& state, Rng& rng) {
  state.tick += 1;
  state.position += rng.Uniform(-3, 3);
  state.total += state.position;
  state.peak = std::max(state.peak, state.position);
}

}  // namespace hotcc::demo

HOTCC_DEFINE_MODULE(update, hotcc::demo::UpdateApi, {&hotcc::demo::update_state})
