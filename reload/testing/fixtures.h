// File: reload/testing/fixtures.h
//
// Helpers for the loader's tests: where the fixture modules are, how to install them into a
// ScratchDir (reload/testing/scratch_dir.h) as a build would, and a LogSink that keeps the loader's
// lines for assertions.

#ifndef HOTCC_RELOAD_TESTING_FIXTURES_H_
#define HOTCC_RELOAD_TESTING_FIXTURES_H_

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "reload/module_slot.h"
#include "reload/testing/scratch_dir.h"

namespace hotcc::testing {

// The path of reload/testdata/<fixture>/libcounter.so in the test's runfiles.
std::string FixturePath(absl::string_view fixture);

// Puts a copy of `from` at `to` the way Bazel puts a rebuilt output: written beside it, then
// renamed over it, so `to` is a new inode.
void InstallFile(const std::string& from, const std::string& to);

// Writes `bytes` to `path` (replacing it in place).
void WriteFile(const std::string& path, absl::string_view bytes);

// The contents of `path`.
std::string ReadFile(const std::string& path);

// The names in directory `dir` (not "." or ".."), sorted; empty if it cannot be listed.
std::vector<std::string> ListDirectory(const std::string& dir);

// Keeps every line the loader reports.
class LogCapture {
 public:
  LogSink sink();
  std::vector<std::string> lines() const;
  // The number of lines that contain `text`.
  int Count(absl::string_view text) const;
  // All lines joined, for failure messages.
  std::string Dump() const;
  void Clear();

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hotcc::testing

#endif  // HOTCC_RELOAD_TESTING_FIXTURES_H_
