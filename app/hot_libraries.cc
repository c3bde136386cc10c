// The hot binding: libupdate.so and libview.so loaded through reload/.

#include <memory>
#include <string>
#include <string_view>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "app/app_module_paths.h"
#include "app/libraries.h"
#include "libs/shared/modules.h"
#include "reload/fault_guard.h"
#include "reload/hot_reloader.h"
#include "reload/module_file.h"

ABSL_FLAG(std::string, hot_dir, "",
          "Load lib<name>.so for each hot library from this directory. Default: the workspace's "
          "build outputs (bazel-bin/libs/<name>/lib<name>.so), found through the runfiles.");

ABSL_FLAG(absl::Duration, hot_call_limit, absl::Seconds(3),
          "How long a call into a hot library may run before it is abandoned and the library "
          "rolled back to its last good version (e.g. 500ms, 10s; inf: no limit).");

namespace hotcc::demo {
namespace {

// Where lib<name>.so is: in --hot_dir, or where Bazel built it (app/app_module_paths.h).
absl::StatusOr<std::string> ModulePath(const std::string& name) {
  absl::StatusOr<std::string> path =
      FindModuleFile(name, app_module_paths::RunfilesPath(name), absl::GetFlag(FLAGS_hot_dir));
  if (path.ok()) return path;
  return absl::Status(path.status().code(),
                      absl::StrCat(path.status().message(), " (--hot_dir=DIR names it)"));
}

template <typename Api, typename Call>
absl::Status RetryAfterRollback(const HotModule<Api>& module, Call call) {
  absl::Status status = call();
  if (absl::IsAborted(status) && module.version() > 0) status = call();
  return status;
}

class HotLibraries final : public Libraries {
 public:
  HotLibraries(std::unique_ptr<HotReloader> reloader, HotModule<UpdateApi> update,
               HotModule<ViewApi> view)
      : reloader_(std::move(reloader)), update_(update), view_(view) {}

  // A call that crashed was rolled back (and logged) by the loader, with the state restored:
  // run it again on the version rolled back to, so that the tick still happens.
  absl::Status Update(State& state, Rng& rng) override {
    return RetryAfterRollback(update_, [&] {
      return update_.CallRestoring("update_state", state,
                                   [&](const UpdateApi& api) { api.update_state(state, rng); });
    });
  }

  absl::StatusOr<std::string> View(const State& state) override {
    std::string line;
    absl::Status status = RetryAfterRollback(view_, [&] {
      return view_.Call("view_state", [&](const ViewApi& api) { line = api.view_state(state); });
    });
    if (!status.ok()) return status;
    return line;
  }

  Wake WaitUntil(absl::Time deadline, int stop_fd) override {
    switch (reloader_->WaitUntil(deadline, stop_fd)) {
      case HotReloader::WaitOutcome::kDeadline:
        return Wake::kNextTick;
      case HotReloader::WaitOutcome::kWoken:
        return Wake::kStop;
      case HotReloader::WaitOutcome::kBuildSucceeded:
        return Wake::kBuildSucceeded;
    }
    return Wake::kNextTick;
  }

 private:
  std::unique_ptr<HotReloader> reloader_;
  HotModule<UpdateApi> update_;
  HotModule<ViewApi> view_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Libraries>> CreateLibraries() {
  HotReloader::Options options;
  options.call_time_limit = absl::GetFlag(FLAGS_hot_call_limit);
  absl::StatusOr<std::unique_ptr<HotReloader>> reloader = HotReloader::Create(options);
  if (!reloader.ok()) return reloader.status();
  absl::StatusOr<std::string> update_path = ModulePath("update");
  if (!update_path.ok()) return update_path.status();
  absl::StatusOr<std::string> view_path = ModulePath("view");
  if (!view_path.ok()) return view_path.status();
  absl::StatusOr<HotModule<UpdateApi>> update =
      (*reloader)->Add<UpdateApi>("update", *update_path, HOTCC_INTERFACE_FINGERPRINT);
  if (!update.ok()) return update.status();
  absl::StatusOr<HotModule<ViewApi>> view =
      (*reloader)->Add<ViewApi>("view", *view_path, HOTCC_INTERFACE_FINGERPRINT);
  if (!view.ok()) return view.status();
  return std::make_unique<HotLibraries>(*std::move(reloader), *update, *view);
}

void AbandonLibraryCalls() { AbandonGuardedCalls(); }

}  // namespace hotcc::demo
