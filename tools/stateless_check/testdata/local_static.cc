// A function-local static with a dynamic initializer, and so a guard variable. `const` does
// not make it stateless: the string and its guard are written on the first call.
#include <string>

#include "tools/stateless_check/testdata/fixture_api.h"

namespace hotcc::fixtures {

int Run(int input) {
  static const std::string kPrefix = "run-";
  return input + static_cast<int>(kPrefix.size());
}

}  // namespace hotcc::fixtures

HOTCC_DEFINE_MODULE(local_static, hotcc::fixtures::FixtureApi, {&hotcc::fixtures::Run})
