#include "reload/module_file.h"

#include <errno.h>
#include <stdlib.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "tools/cpp/runfiles/runfiles.h"

namespace hotcc {

absl::StatusOr<std::string> FindModuleFile(absl::string_view name, std::string_view runfiles_path,
                                           absl::string_view directory) {
  const std::string file_name = absl::StrCat("lib", name, ".so");
  if (!directory.empty()) return absl::StrCat(directory, "/", file_name);
  if (runfiles_path.empty()) {
    return absl::NotFoundError(absl::StrCat(
        file_name, " is not among the binary's modules (the `modules` of its hot_cc_binary)"));
  }
  using bazel::tools::cpp::runfiles::Runfiles;
  std::string error;
  std::unique_ptr<Runfiles> runfiles(Runfiles::Create(program_invocation_name, &error));
  if (runfiles == nullptr) {
    return absl::NotFoundError(absl::StrCat("cannot find ", file_name,
                                            ": the binary's runfiles are missing (", error,
                                            "); run it with bazel run, or name its directory"));
  }
  const std::string link = runfiles->Rlocation(std::string(runfiles_path));
  char* real = realpath(link.c_str(), nullptr);
  if (real == nullptr) {
    return absl::NotFoundError(absl::StrCat("cannot find ", file_name, " in the runfiles (", link,
                                            "); build it, or name its directory"));
  }
  std::string path = real;
  free(real);
  return path;
}

}  // namespace hotcc
