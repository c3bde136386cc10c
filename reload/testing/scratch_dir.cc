#include "reload/testing/scratch_dir.h"

#include <stdlib.h>

#include <cerrno>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "reload/private_dir.h"
#include "reload/status_util.h"

namespace hotcc::testing {

ScratchDir::ScratchDir(absl::string_view base, absl::string_view prefix) {
  std::string root(base);
  for (const char* variable : {"TEST_TMPDIR", "TMPDIR"}) {
    const char* value = getenv(variable);
    if (root.empty() && value != nullptr && *value != '\0') root = value;
  }
  if (root.empty()) root = "/tmp";
  std::string path_template = absl::StrCat(root, "/", prefix, "XXXXXX");
  if (mkdtemp(path_template.data()) == nullptr) {
    std::fprintf(stderr, "mkdtemp %s: %s\n", path_template.c_str(), ErrnoText(errno).c_str());
    std::abort();
  }
  path_ = std::move(path_template);
}

ScratchDir::~ScratchDir() { RemoveFlatDirectory(path_); }

std::string ScratchDir::PathOf(absl::string_view name) const {
  return absl::StrCat(path_, "/", name);
}

}  // namespace hotcc::testing
