// A mutable global excused by allowed_state in BUILD.bazel: a debug counter that may restart
// from zero on reload.
#include "tools/stateless_check/testdata/fixture_api.h"

namespace hotcc::fixtures {

int g_debug_hits = 0;

int Run(int input) {
  ++g_debug_hits;
  return input;
}

}  // namespace hotcc::fixtures

HOTCC_DEFINE_MODULE(allowed_state, hotcc::fixtures::FixtureApi, {&hotcc::fixtures::Run})
