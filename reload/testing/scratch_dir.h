// File: reload/testing/scratch_dir.h
//
// A fresh directory for a test or a benchmark to put module files in, removed with its files
// when the ScratchDir goes out of scope, on every path out.

#ifndef HOTCC_RELOAD_TESTING_SCRATCH_DIR_H_
#define HOTCC_RELOAD_TESTING_SCRATCH_DIR_H_

#include <string>

#include "absl/strings/string_view.h"

namespace hotcc::testing {

class ScratchDir {
 public:
  // Creates `<base>/<prefix>XXXXXX` with mkdtemp. `base` defaults to $TEST_TMPDIR, else
  // $TMPDIR, else /tmp. Aborts, saying why, if the directory cannot be made.
  explicit ScratchDir(absl::string_view base = "", absl::string_view prefix = "scratch-");
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  std::string PathOf(absl::string_view name) const;

 private:
  std::string path_;
};

}  // namespace hotcc::testing

#endif  // HOTCC_RELOAD_TESTING_SCRATCH_DIR_H_
