#include "tools/stateless_check/testdata/call_counter.h"

namespace hotcc::fixtures {

int g_total_calls = 0;

int CountCall() { return ++g_total_calls; }

}  // namespace hotcc::fixtures
