// File: tools/stateless_check/testdata/fixture_api.h
//
// The function table of every fixture module of the stateless check. Each fixture is a minimal
// hot library with one kind of state (or none), built by the same hot_cc_library macro as the
// real libraries, so that tools/stateless_check:stateless_check_test can prove the check catches
// that kind.

#ifndef HOTCC_TOOLS_STATELESS_CHECK_TESTDATA_FIXTURE_API_H_
#define HOTCC_TOOLS_STATELESS_CHECK_TESTDATA_FIXTURE_API_H_

#include "reload/module_abi.h"
#include "tools/stateless_check/testdata/fixture_api_fingerprint.h"

namespace hotcc::fixtures {

// Returns a number derived from `input`, and from the fixture's state where it has some.
using RunFn = int(int input);

struct FixtureApi {
  RunFn* run;
};

}  // namespace hotcc::fixtures

#endif  // HOTCC_TOOLS_STATELESS_CHECK_TESTDATA_FIXTURE_API_H_
