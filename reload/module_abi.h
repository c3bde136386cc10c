// File: reload/module_abi.h
//
// The binary contract between a host and a hot module. This is the only part of reload/ that a
// module sees, and the only part the static build contains (the module's constant table); the
// loader itself is in reload/hot_module.h.
//
// A module exports exactly one symbol, `hotcc_module_<name>`, a C function that returns a
// `ModuleHeader`. The header says which ABI and which shared types the module was built
// against, and points at the module's function table (a struct of function pointers declared in
// the shared interface). The loader checks every field before any pointer in the table is used.
//
// Module side, at the end of one of the library's .cc files:
//
//   #include "libs/shared/modules.h"   // declares ViewApi and HOTCC_INTERFACE_FINGERPRINT
//
//   std::string view_state(const State& state) { ... }
//
//   HOTCC_DEFINE_MODULE(view, hotcc::demo::ViewApi, {&view_state})
//
// The table and header are `constexpr`: they live in read-only memory, are built without any
// code running at load time, and carry no state that a reload could lose.

#ifndef HOTCC_RELOAD_MODULE_ABI_H_
#define HOTCC_RELOAD_MODULE_ABI_H_

#include <cstdint>

namespace hotcc {

// Bumped whenever the layout or meaning of `ModuleHeader` changes. The loader reads
// `abi_version` first and nothing else of a header whose version differs.
inline constexpr std::uint32_t kModuleAbiVersion = 1;

struct ModuleHeader {
  // kModuleAbiVersion when the module was built.
  std::uint32_t abi_version;
  // sizeof the function table, a cheap check that host and module agree on its type.
  std::uint32_t api_size;
  // HOTCC_INTERFACE_FINGERPRINT of the shared types the module was compiled against.
  std::uint64_t interface_fingerprint;
  // The module's name, as given to HOTCC_DEFINE_MODULE.
  const char* module_name;
  // The function table: a `const Api*` for the module's `Api` struct.
  const void* api;
};

// The type of a module's entry point.
using ModuleEntryFn = const ModuleHeader* (*)();

// A module named `foo` exports its entry point as `hotcc_module_foo`.
inline constexpr char kModuleEntryPrefix[] = "hotcc_module_";

}  // namespace hotcc

// Defines the entry point of module `module_name` (an identifier, the library's name) whose
// function table has type `Api`, initialised from the braced list that follows. Use it once per
// module, at namespace scope. Requires HOTCC_INTERFACE_FINGERPRINT, which the shared interface's
// headers provide.
#define HOTCC_DEFINE_MODULE(module_name, Api, ...)                                        \
  namespace {                                                                             \
  constexpr Api hotcc_module_api_##module_name = __VA_ARGS__;                             \
  constexpr ::hotcc::ModuleHeader hotcc_module_header_##module_name = {                   \
      ::hotcc::kModuleAbiVersion, sizeof(Api), HOTCC_INTERFACE_FINGERPRINT, #module_name, \
      &hotcc_module_api_##module_name};                                                   \
  }                                                                                       \
  extern "C" __attribute__((visibility("default")))                                       \
  const ::hotcc::ModuleHeader* hotcc_module_##module_name() {                             \
    return &hotcc_module_header_##module_name;                                            \
  }

#endif  // HOTCC_RELOAD_MODULE_ABI_H_
