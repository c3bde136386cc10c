// File: reload/fault_guard.h
//
// Running a call into a module so that whatever goes wrong inside it becomes an error instead of
// the end (or the hang) of the process. This is what lets the loader roll back a bad module and
// keep the app ticking.
//
//   GuardOptions options;
//   options.time_limit = absl::Seconds(3);
//   absl::Status status = RunGuarded([&] { api->update_state(state, rng); }, options);
//   // OK, or e.g.
//   //   Aborted("SIGSEGV (segmentation fault) at address 0x0")
//   //   Aborted("SIGABRT (abort): app: libs/update/update.cc:9: ...: Assertion `x' failed.")
//   //   Aborted("std::terminate: uncaught std::runtime_error: boom")
//   //   DeadlineExceeded("did not return within 3s; abandoned after 3.12s")
//
// What is caught, on the calling thread only:
//   - SIGSEGV, SIGBUS, SIGFPE, SIGILL: handlers jump (siglongjmp) back to RunGuarded. Each
//     thread gets an alternate signal stack, so a stack overflow is caught too.
//   - SIGABRT: abort(), a failed assert(), std::terminate. The message glibc printed (the
//     assertion text, "double free detected", ...) is read back from glibc's own record of it,
//     and std::terminate's reason (the exception that escaped a noexcept function) from a
//     terminate handler installed beside libstdc++'s.
//   - An exception that escapes the call.
//   - A call that runs past `time_limit`: a watchdog thread interrupts it with a signal and the
//     handler jumps back. To avoid abandoning a call while it holds a lock of libc's or
//     libstdc++'s (malloc's, stdio's), it is interrupted only while it executes in `code` (the
//     module's own machine code), retried every millisecond; only after half a second without
//     finding it there is it abandoned wherever it is, and the message says so.
//   - `AbandonGuardedCalls()` (async-signal-safe, for a SIGINT handler): every call in progress
//     is abandoned the same way and returns Cancelled, so a hung module cannot keep the app
//     from exiting.
// Outside RunGuarded, each of these signals goes to the handler that was there before, or ends
// the process as it would have: an abort in the host's own code still ends it.
//
// Limits: the frames between RunGuarded and the fault are abandoned, not unwound: destructors in
// them do not run, memory they owned leaks, and a lock they held stays held (a std::mutex the
// host passed in, say; the time limit's code check keeps libc's and libstdc++'s locks out of
// this as far as it can). A module that corrupted memory before it failed may have damaged more
// than the state the caller restores. Calls must not nest RunGuarded on the same thread. Under
// ThreadSanitizer, which delivers asynchronous signals only at its own interception points, a
// call that loops without calling into libc is not interrupted.

#ifndef HOTCC_RELOAD_FAULT_GUARD_H_
#define HOTCC_RELOAD_FAULT_GUARD_H_

#include <cstdint>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace hotcc {

// The machine code of one loaded object: [begin, end).
struct CodeRange {
  std::uintptr_t begin = 0;
  std::uintptr_t end = 0;

  bool Contains(std::uintptr_t address) const { return address >= begin && address < end; }
};

struct GuardOptions {
  // How long the call may run before it is abandoned. InfiniteDuration: no limit, and no
  // watchdog is started for it.
  absl::Duration time_limit = absl::InfiniteDuration();
  // Where the call's own code is (see the file comment); empty: anywhere. Must outlive the call.
  absl::Span<const CodeRange> code;
};

// Runs `call` on this thread. Returns OK when it returns normally; Aborted naming the signal
// (and the faulting address, or what glibc or libstdc++ printed) when it raises SIGSEGV,
// SIGBUS, SIGFPE, SIGILL or SIGABRT, or with the exception's what() when an exception escapes;
// DeadlineExceeded with the limit and how long it ran when it ran out of time; Cancelled when
// AbandonGuardedCalls() abandoned it.
absl::Status RunGuarded(absl::FunctionRef<void()> call, const GuardOptions& options = {});

// Abandons every guarded call that is in progress now, on every thread (each returns
// Cancelled), within about half a second. Async-signal-safe: made for SIGINT and SIGTERM
// handlers, so that Ctrl-C ends an app whose module hangs. Does nothing if no guarded call with a
// time limit was ever made.
void AbandonGuardedCalls();

}  // namespace hotcc

#endif  // HOTCC_RELOAD_FAULT_GUARD_H_
