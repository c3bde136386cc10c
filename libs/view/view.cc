#include "libs/view/view.h"

#include <string>

namespace hotcc::demo {

std::string view_state(const State& state) {
  std::string recent;
  for (const std::int64_t position : state.recent) {
    recent += (recent.empty() ? "" : ",") + std::to_string(position);
  }
  return "tick " + std::to_string(state.tick) + " | position " + std::to_string(state.position) +
         " | total " + std::to_string(state.total) + " | peak " + std::to_string(state.peak) +
         " | recent " + (recent.empty() ? "-" : recent) + " | " + state.label;
}

}  // namespace hotcc::demo

HOTCC_DEFINE_MODULE(view, hotcc::demo::ViewApi, {&hotcc::demo::view_state})
