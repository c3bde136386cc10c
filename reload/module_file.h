// File: reload/module_file.h
//
// Where a host finds the file to load for a module: lib<name>.so in a directory the user named
// (the demo's --hot_dir), or where Bazel built it, found through the host's runfiles at the path
// that hot_cc_binary computed (each module's kRunfilesPath in its generated <binary>_modules.h).
// HotHost::Add (reload/hot_host.h) calls it; a host of its own may call it directly. The runfile
// is a symlink into bazel-out; the real path is returned, because the loader watches the
// directory each rebuild writes a new file into.
//
//   absl::StatusOr<std::string> path = hotcc::FindModuleFile(
//       "view", app_modules::view::kRunfilesPath, absl::GetFlag(FLAGS_hot_dir));
//   reloader->Add<ViewApi>("view", *path, HOTCC_INTERFACE_FINGERPRINT);

#ifndef HOTCC_RELOAD_MODULE_FILE_H_
#define HOTCC_RELOAD_MODULE_FILE_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hotcc {

// Returns `directory`/lib<name>.so if `directory` is not empty; otherwise the real path of the
// runfile at `runfiles_path` (empty: the binary has no such module), looked up through the
// runfiles of this process's executable. Fails with NotFound, naming the file and what to do.
// `runfiles_path` is a std::string_view, which the generated kRunfilesPath converts to.
absl::StatusOr<std::string> FindModuleFile(absl::string_view name, std::string_view runfiles_path,
                                           absl::string_view directory = "");

}  // namespace hotcc

#endif  // HOTCC_RELOAD_MODULE_FILE_H_
