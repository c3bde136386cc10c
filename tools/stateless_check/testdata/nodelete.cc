// Stateless code, linked with -z nodelete (see BUILD.bazel): only the link is wrong.
#include "tools/stateless_check/testdata/fixture_api.h"

namespace hotcc::fixtures {

int Run(int input) { return input * 2; }

}  // namespace hotcc::fixtures

HOTCC_DEFINE_MODULE(nodelete, hotcc::fixtures::FixtureApi, {&hotcc::fixtures::Run})
