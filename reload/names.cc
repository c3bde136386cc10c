#include "reload/names.h"

#include <cxxabi.h>
#include <signal.h>
#include <string.h>

#include <cstdlib>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace hotcc {

std::string DemangledName(const char* symbol) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> demangled(
      abi::__cxa_demangle(symbol, nullptr, nullptr, &status), &std::free);
  return status == 0 && demangled ? std::string(demangled.get()) : std::string(symbol);
}

std::string SignalName(int signal_number) {
  // The faults a module call can end in, as a developer would say them; glibc's descriptions
  // ("Floating point exception" for an integer division by zero) for the rest.
  switch (signal_number) {
    case SIGSEGV:
      return "SIGSEGV (segmentation fault)";
    case SIGBUS:
      return "SIGBUS (bus error)";
    case SIGFPE:
      return "SIGFPE (arithmetic error)";
    case SIGILL:
      return "SIGILL (illegal instruction)";
    case SIGABRT:
      return "SIGABRT (abort)";
  }
  const char* abbreviation = sigabbrev_np(signal_number);
  const char* description = sigdescr_np(signal_number);
  if (abbreviation == nullptr) return absl::StrCat("signal ", signal_number);
  if (description == nullptr) return absl::StrCat("SIG", abbreviation);
  return absl::StrCat("SIG", abbreviation, " (", absl::AsciiStrToLower(description), ")");
}

}  // namespace hotcc
