// Thread-local state: each thread's depth is lost on reload, and TLS makes unloading costly.
#include "tools/stateless_check/testdata/fixture_api.h"

namespace hotcc::fixtures {

thread_local int t_depth = 0;

int Run(int input) { return input + ++t_depth; }

}  // namespace hotcc::fixtures

HOTCC_DEFINE_MODULE(thread_local, hotcc::fixtures::FixtureApi, {&hotcc::fixtures::Run})
