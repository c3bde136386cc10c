// Stateless itself, but it links in call_counter, whose global the check must report against
// //tools/stateless_check/testdata:call_counter.
#include "tools/stateless_check/testdata/call_counter.h"
#include "tools/stateless_check/testdata/fixture_api.h"

namespace hotcc::fixtures {

int Run(int input) { return input + CountCall(); }

}  // namespace hotcc::fixtures

HOTCC_DEFINE_MODULE(dep_state, hotcc::fixtures::FixtureApi, {&hotcc::fixtures::Run})
