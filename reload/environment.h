// File: reload/environment.h
//
// The environment of a process that this one starts (posix_spawn, execve), built as a new array
// rather than with setenv or unsetenv: those rewrite this process's own environment, which is
// not safe while other threads run (a host's loader always has its watchdog thread), and would
// pass the variables on to every later child too.
//
//   std::vector<std::string> variables = {absl::StrCat("HOTCC_PROBE_MODULE=", path)};
//   const std::vector<char*> environment = EnvironmentWith(variables);
//   posix_spawn(&pid, executable, nullptr, nullptr, argv, environment.data());

#ifndef HOTCC_RELOAD_ENVIRONMENT_H_
#define HOTCC_RELOAD_ENVIRONMENT_H_

#include <unistd.h>  // environ (declared under _GNU_SOURCE, which g++ and clang++ define)

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace hotcc {

// This process's environment with each "NAME=VALUE" of `variables` in place of any variable of
// that NAME, as the null-terminated array that execve and posix_spawn take. The pointers point
// into `environ` and into `variables`: both must stay as they are until the call that uses it.
inline std::vector<char*> EnvironmentWith(std::vector<std::string>& variables) {
  std::vector<char*> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const absl::string_view existing = *entry;
    const bool replaced = std::any_of(variables.begin(), variables.end(), [&](const auto& v) {
      return absl::StartsWith(existing, absl::string_view(v).substr(0, v.find('=') + 1));
    });
    if (!replaced) environment.push_back(*entry);
  }
  for (std::string& variable : variables) environment.push_back(variable.data());
  environment.push_back(nullptr);
  return environment;
}

}  // namespace hotcc

#endif  // HOTCC_RELOAD_ENVIRONMENT_H_
