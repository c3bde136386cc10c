// File: reload/names.h
//
// Names for what the loader reports: a symbol as a C++ developer wrote it, a signal as a
// developer knows it. Used by every message that names a function or a fault.

#ifndef HOTCC_RELOAD_NAMES_H_
#define HOTCC_RELOAD_NAMES_H_

#include <string>

namespace hotcc {

// `symbol` demangled ("hotcc::demo::view_state[abi:cxx11](State const&)"), or as it is when it
// is not a mangled C++ name.
std::string DemangledName(const char* symbol);

// "SIGSEGV (segmentation fault)"; "signal 42" for one without a name.
std::string SignalName(int signal_number);

}  // namespace hotcc

#endif  // HOTCC_RELOAD_NAMES_H_
