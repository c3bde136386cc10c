// A mutable global: its count restarts from zero whenever the module is reloaded.
#include "tools/stateless_check/testdata/fixture_api.h"

namespace hotcc::fixtures {

int g_calls = 0;

int Run(int input) { return input + ++g_calls; }

}  // namespace hotcc::fixtures

HOTCC_DEFINE_MODULE(mutable_global, hotcc::fixtures::FixtureApi, {&hotcc::fixtures::Run})
