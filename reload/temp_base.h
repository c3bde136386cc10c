// File: reload/temp_base.h
//
// Where hotcc puts its temporary directories (module copies, a relaunch's carried state):
// $HOTCC_TMPDIR, else $TMPDIR, else /tmp. Header-only, so that the relaunch code, which the
// static build also links, does not pull in the loader.

#ifndef HOTCC_RELOAD_TEMP_BASE_H_
#define HOTCC_RELOAD_TEMP_BASE_H_

#include <cstdlib>
#include <string>

namespace hotcc {

inline std::string TemporaryBase() {
  for (const char* variable : {"HOTCC_TMPDIR", "TMPDIR"}) {
    const char* value = std::getenv(variable);
    if (value != nullptr && *value != '\0') return value;
  }
  return "/tmp";
}

}  // namespace hotcc

#endif  // HOTCC_RELOAD_TEMP_BASE_H_
