// In its own object so that the linker can leave it out of a module that does not call it.
#include "tools/stateless_check/testdata/call_counter.h"

namespace hotcc::fixtures {

int g_unused_calls = 0;

int CountUnusedCall() { return ++g_unused_calls; }

}  // namespace hotcc::fixtures
