// A GNU-unique symbol and nothing else: an inline static data member is constant here, yet
// with -fgnu-unique (this fixture's copts) g++ marks it STB_GNU_UNIQUE, which alone stops glibc
// from ever unloading the module.
#include "tools/stateless_check/testdata/fixture_api.h"

namespace hotcc::fixtures {

struct Limits {
  static constexpr int kSteps[] = {1, 2, 3, 5, 8};
};

// Indexing with a run-time value odr-uses kSteps, so the table is emitted in this object.
int Run(int input) { return Limits::kSteps[input % 5]; }

}  // namespace hotcc::fixtures

HOTCC_DEFINE_MODULE(gnu_unique, hotcc::fixtures::FixtureApi, {&hotcc::fixtures::Run})
