// File: reload/linked_host.h
//
// The static build's host: `LinkedHost` and `LinkedModule<Api, Entry>`, the same interface as
// the hot build's (reload/hot_host.h) over modules that are linked into the binary. A host does
// not include this header itself: hot_cc_binary generates `<binary>_modules.h`, which includes
// this one or the hot one as the build decides, and names each module (tools/hot_cc_binary.bzl).
//
// Nothing here loads, watches or guards anything. A call reaches the module's function through
// its constant table, `hotcc_module_<name>()->api`, which the optimizer sees through: with the
// link-time optimization that -c opt uses for hot libraries and hosts, a call through a
// LinkedModule compiles to the direct call, at no extra cost (tools/bench/call_overhead.cc
// measures it). Without that (a static fastbuild), it costs a call and two loads.
//
// What the static build does not do, by design: a crash in a module is the process's crash, as
// in any release binary; CallRestoring copies nothing; a call has no time limit.

#ifndef HOTCC_RELOAD_LINKED_HOST_H_
#define HOTCC_RELOAD_LINKED_HOST_H_

#include <poll.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "reload/host_types.h"
#include "reload/module_abi.h"

namespace hotcc {

// A module linked into the binary, called through its entry point's table. Copyable and empty:
// everything it knows is in its type.
template <typename Api, ModuleEntryFn Entry>
class LinkedModule {
 public:
  // Calls `fn(const Api&)`. Always OK: there is no guard, and no other version to go back to.
  template <typename Fn>
  absl::Status Call(absl::string_view /*function*/, Fn&& fn, CallOptions /*options*/ = {}) const {
    std::forward<Fn>(fn)(Table());
    return absl::OkStatus();
  }

  // Like Call: with no guard there is nothing to restore, so `state` is not copied.
  template <typename State, typename Fn>
  absl::Status CallRestoring(absl::string_view /*function*/, State& /*state*/, Fn&& fn,
                             CallOptions /*options*/ = {}) const {
    std::forward<Fn>(fn)(Table());
    return absl::OkStatus();
  }

  template <typename Fn>
  decltype(auto) CallUnguarded(Fn&& fn) const {
    return std::forward<Fn>(fn)(Table());
  }

  class Pinned {
   public:
    const Api& operator*() const { return Table(); }
    const Api* operator->() const { return &Table(); }
  };
  Pinned Pin() const { return Pinned(); }

  // The linked code is the only version there is.
  int version() const { return 1; }

 private:
  static const Api& Table() { return *static_cast<const Api*>(Entry()->api); }
};

class LinkedHost {
 public:
  // The handle to module `Name` (a type that <binary>_modules.h declares) with table `Api`.
  template <typename Api, typename Name>
  using Module = LinkedModule<Api, Name::kEntry>;

  static absl::StatusOr<std::unique_ptr<LinkedHost>> Create(const HostOptions& /*options*/ = {}) {
    return std::unique_ptr<LinkedHost>(new LinkedHost());
  }

  // Binds module `Name`. Its header is checked as the hot build checks a loaded module's, which
  // one link cannot fail unless two definitions of the interface were linked together.
  template <typename Api, typename Name>
  absl::StatusOr<Module<Api, Name>> Add(std::uint64_t interface_fingerprint) {
    const ModuleHeader& header = *Name::kEntry();
    if (header.abi_version != kModuleAbiVersion || header.api_size != sizeof(Api) ||
        header.interface_fingerprint != interface_fingerprint) {
      return absl::InternalError(absl::StrCat(
          Name::kName, ": the linked module's header does not match the host (ABI ",
          header.abi_version, ", table of ", header.api_size, " bytes, interface ",
          header.interface_fingerprint, "): two versions of its interface are linked in"));
    }
    return Module<Api, Name>();
  }

  // Sleeps until `deadline` or until `wake_fd` (if not -1) is readable. A late deadline still
  // looks at `wake_fd` once.
  static WaitOutcome WaitUntil(absl::Time deadline, int wake_fd = -1) {
    while (true) {
      const absl::Duration remaining = std::max(deadline - absl::Now(), absl::ZeroDuration());
      const int timeout_ms =
          static_cast<int>(absl::ToInt64Milliseconds(remaining + absl::Microseconds(999)));
      pollfd wake = {wake_fd, POLLIN, 0};
      if (poll(&wake, wake_fd < 0 ? 0 : 1, remaining == absl::ZeroDuration() ? 0 : timeout_ms) >
          0) {
        return WaitOutcome::kWoken;
      }
      if (remaining == absl::ZeroDuration()) return WaitOutcome::kDeadline;
    }
  }

  // Nothing to abandon: there are no guarded calls. Async-signal-safe, as the hot one.
  static void AbandonCalls() {}

 private:
  LinkedHost() = default;
};

}  // namespace hotcc

#endif  // HOTCC_RELOAD_LINKED_HOST_H_
