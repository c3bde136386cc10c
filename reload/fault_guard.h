// File: reload/fault_guard.h
//
// Running a call into a module so that a crash inside it becomes an error instead of the end of
// the process. This is what lets the loader roll back a bad module and keep the app ticking.
//
//   absl::Status status = RunGuarded([&] { api->update_state(state, rng); });
//   // status: OK, or Aborted("SIGSEGV (segmentation fault) at address 0x0") and the like.
//
// How: on first use, handlers are installed for SIGSEGV, SIGBUS, SIGFPE and SIGILL. While a
// thread is inside RunGuarded, a fault on that thread jumps (siglongjmp) back to RunGuarded;
// faults anywhere else go to the handler that was there before, or crash as they would have.
// Each thread gets an alternate signal stack, so a stack overflow in a module is caught too.
// An exception that escapes the call is caught and reported the same way.
//
// Limits: the frames between RunGuarded and the fault are abandoned, not unwound: destructors
// in them do not run, and memory they owned leaks. A module that corrupted memory before it
// faulted may have damaged more than the state the caller restores; a module that hangs is not
// detected. Calls must not nest RunGuarded inside a guarded call on the same thread.

#ifndef HOTCC_RELOAD_FAULT_GUARD_H_
#define HOTCC_RELOAD_FAULT_GUARD_H_

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"

namespace hotcc {

// Runs `call` on this thread. Returns OK when it returns normally, Aborted naming the signal
// (and the faulting address) when it raises SIGSEGV, SIGBUS, SIGFPE or SIGILL, and Aborted with
// the exception's what() when an exception escapes it.
absl::Status RunGuarded(absl::FunctionRef<void()> call);

}  // namespace hotcc

#endif  // HOTCC_RELOAD_FAULT_GUARD_H_
