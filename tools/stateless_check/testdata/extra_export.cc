// A second entry point: its name matches the `hotcc_module_*` pattern that
// tools/hot_module.lds exports, so the version script lets it through as a second export.
#include "tools/stateless_check/testdata/fixture_api.h"

namespace hotcc::fixtures {

int Run(int input) { return input + 1; }

}  // namespace hotcc::fixtures

HOTCC_DEFINE_MODULE(extra_export, hotcc::fixtures::FixtureApi, {&hotcc::fixtures::Run})
HOTCC_DEFINE_MODULE(extra_export_legacy, hotcc::fixtures::FixtureApi, {&hotcc::fixtures::Run})
