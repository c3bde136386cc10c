#include "reload/hot_host.h"

#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "reload/fault_guard.h"
#include "reload/module_file.h"

ABSL_FLAG(std::string, hot_dir, "",
          "Load lib<name>.so for each hot library from this directory. Default: where Bazel "
          "built each one, found through the binary's runfiles.");

ABSL_FLAG(absl::Duration, hot_call_limit, absl::Seconds(3),
          "How long a call into a hot library may run before it is abandoned and the library "
          "rolled back to its last good version (e.g. 500ms, 10s; inf: no limit).");

namespace hotcc {

absl::StatusOr<std::unique_ptr<HotHost>> HotHost::Create(HostOptions options) {
  HotReloader::Options reloader_options;
  reloader_options.call_time_limit =
      options.call_time_limit.value_or(absl::GetFlag(FLAGS_hot_call_limit));
  reloader_options.on_event = std::move(options.on_event);
  absl::StatusOr<std::unique_ptr<HotReloader>> reloader = HotReloader::Create(reloader_options);
  if (!reloader.ok()) return reloader.status();
  return std::unique_ptr<HotHost>(
      new HotHost(*std::move(reloader), options.module_dir.value_or(absl::GetFlag(FLAGS_hot_dir))));
}

absl::StatusOr<std::string> HotHost::ModulePath(absl::string_view name,
                                                std::string_view runfiles_path) const {
  absl::StatusOr<std::string> path = FindModuleFile(name, runfiles_path, module_dir_);
  if (path.ok()) return path;
  return absl::Status(path.status().code(),
                      absl::StrCat(path.status().message(), " (--hot_dir=DIR names it)"));
}

void HotHost::AbandonCalls() { AbandonGuardedCalls(); }

}  // namespace hotcc
