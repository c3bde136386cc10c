// A module whose header claims a future ABI version; written by hand, as HOTCC_DEFINE_MODULE
// always stamps the current one.
#include "reload/testdata/counter_api.h"

namespace {
constexpr hotcc::ModuleHeader kHeader = {hotcc::kModuleAbiVersion + 1, 0, 0, "counter", nullptr};
}  // namespace

extern "C" __attribute__((visibility("default"))) const hotcc::ModuleHeader*
hotcc_module_counter() {
  return &kHeader;
}
