// File: reload/load_probe.h
//
// Trying a module's load in a short-lived helper process before the app loads it. dlopen runs a
// module's initializers (a global object's constructor, an __attribute__((constructor))
// function, a dependency's) inside the caller, where no guard can catch them safely: a crash,
// an assert or an endless loop there would take the app down. In the helper, it costs the
// helper.
//
//   absl::Status tried = ProbeLoad("/tmp/hotcc-x/libview.v3.so", "hotcc_module_view",
//                                  absl::Seconds(3));
//   // OK, or e.g. Aborted("crashed while loading, in a helper process: SIGSEGV
//   //             (segmentation fault); it printed: ...")
//
// The helper is this same executable (/proc/self/exe), started with posix_spawn and two
// environment variables. A constructor in load_probe.cc, which runs before the executable's
// other initializers and before main, sees them, dlopens the module, calls its entry point and
// exits; so any program that links reload/ can be its own helper, with nothing to install.
// Its stdout and stderr are kept (the last few lines go into the error), its stdin is
// /dev/null. The loader probes only modules that run code at load time (see LoadTimeCode in
// reload/elf_file.h): the others pay nothing.

#ifndef HOTCC_RELOAD_LOAD_PROBE_H_
#define HOTCC_RELOAD_LOAD_PROBE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace hotcc {

// Loads `path` in a helper process, calls its `entry_name` if it has one, and waits at most
// `time_limit` for that. Returns OK if the helper did all of it and exited normally; otherwise
// the module must not be loaded here:
//   Aborted              it died of a signal (what it printed is in the message);
//   DeadlineExceeded     it was still loading after `time_limit`, and was killed;
//   FailedPrecondition   dlopen failed (dlerror()'s text);
//   Internal             the helper could not be started (errno's text).
absl::Status ProbeLoad(const std::string& path, const std::string& entry_name,
                       absl::Duration time_limit);

}  // namespace hotcc

#endif  // HOTCC_RELOAD_LOAD_PROBE_H_
