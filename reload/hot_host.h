// File: reload/hot_host.h
//
// The hot build's host: `HotHost`, the interface of reload/linked_host.h over the loader
// (reload/hot_reloader.h). A host does not include this header itself: it includes the
// `<binary>_modules.h` that hot_cc_binary generates (tools/hot_cc_binary.bzl), which includes
// this one in the hot build and reload/linked_host.h in the static one, so that the host's code
// is the same in both:
//
//   #include "app/app_modules.h"   // hot_cc_binary(name = "app", modules = ["//libs/view"])
//
//   using Host = app_modules::Host;
//   absl::StatusOr<std::unique_ptr<Host>> host = Host::Create();
//   absl::StatusOr<Host::Module<ViewApi, app_modules::view>> view =
//       (*host)->Add<ViewApi, app_modules::view>(HOTCC_INTERFACE_FINGERPRINT);
//   std::string line;
//   absl::Status status = view->Call("view_state", [&](const ViewApi& api) {
//     line = api.view_state(state);   // hot: guarded, rolled back on a crash; static: direct
//   });
//   (*host)->WaitUntil(next_tick, stop_fd);   // hot: new builds are loaded meanwhile
//
// A hot host has two flags, defined here: --hot_dir=DIR loads DIR/lib<name>.so instead of the
// build outputs, and --hot_call_limit (3s) is how long a guarded call may run. HostOptions set
// in code take precedence over them.

#ifndef HOTCC_RELOAD_HOT_HOST_H_
#define HOTCC_RELOAD_HOT_HOST_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "reload/host_types.h"
#include "reload/hot_module.h"
#include "reload/hot_reloader.h"

namespace hotcc {

class HotHost {
 public:
  // The handle to module `Name` (a type that <binary>_modules.h declares) with table `Api`.
  template <typename Api, typename Name>
  using Module = HotModule<Api>;

  // Creates the loader (its private directory and inotify instance).
  static absl::StatusOr<std::unique_ptr<HotHost>> Create(HostOptions options = {});

  // Loads module `Name` from lib<name>.so in the module directory, or from where Bazel built
  // it, and watches it for new builds. `interface_fingerprint` is HOTCC_INTERFACE_FINGERPRINT
  // as the host was compiled: a module built against other shared types is refused.
  template <typename Api, typename Name>
  absl::StatusOr<Module<Api, Name>> Add(std::uint64_t interface_fingerprint) {
    absl::StatusOr<std::string> path = ModulePath(Name::kName, Name::kRunfilesPath);
    if (!path.ok()) return path.status();
    return reloader_->Add<Api>(Name::kName, *std::move(path), interface_fingerprint);
  }

  // Sleeps until `deadline`, loading new builds meanwhile; returns early when `wake_fd` (if not
  // -1) is readable or, under ibazel, a build completed.
  WaitOutcome WaitUntil(absl::Time deadline, int wake_fd = -1) {
    return reloader_->WaitUntil(deadline, wake_fd);
  }

  // Ends every guarded call in progress (see AbandonGuardedCalls): a SIGINT handler calls it so
  // that a module that hangs cannot keep the host from stopping. Async-signal-safe.
  static void AbandonCalls();

 private:
  HotHost(std::unique_ptr<HotReloader> reloader, std::string module_dir)
      : reloader_(std::move(reloader)), module_dir_(std::move(module_dir)) {}
  absl::StatusOr<std::string> ModulePath(absl::string_view name,
                                         std::string_view runfiles_path) const;

  std::unique_ptr<HotReloader> reloader_;
  std::string module_dir_;
};

}  // namespace hotcc

#endif  // HOTCC_RELOAD_HOT_HOST_H_
