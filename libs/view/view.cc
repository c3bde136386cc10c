#include "libs/view/view.h"

#include <string>

namespace hotcc::demo {

std::string view_state(const State& state) {
  return "tick " + std::to_string(state.tick) + " | position " + std::to_string(state.position) +
         " | total " + std::to_string(state.total) + " | peak " + std::to_string(state.peak);
}

}  // namespace hotcc::demo

HOTCC_DEFINE_MODULE(view, hotcc::demo::ViewApi, {&hotcc::demo::view_state})
