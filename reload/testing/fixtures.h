// File: reload/testing/fixtures.h
//
// Helpers for the loader's tests: where the fixture modules are, a scratch directory to install
// them into, and a LogSink that keeps the loader's lines for assertions.

#ifndef HOTCC_RELOAD_TESTING_FIXTURES_H_
#define HOTCC_RELOAD_TESTING_FIXTURES_H_

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "reload/module_slot.h"

namespace hotcc::testing {

// The path of reload/testdata/<fixture>/libcounter.so in the test's runfiles.
std::string FixturePath(absl::string_view fixture);

// A fresh directory under `base` (default: $TEST_TMPDIR), removed with its files when
// destroyed.
class ScratchDir {
 public:
  explicit ScratchDir(absl::string_view base = "");
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  std::string PathOf(absl::string_view name) const;

 private:
  std::string path_;
};

// Puts a copy of `from` at `to` the way Bazel puts a rebuilt output: written beside it, then
// renamed over it, so `to` is a new inode.
void InstallFile(const std::string& from, const std::string& to);

// Writes `bytes` to `path` (replacing it in place).
void WriteFile(const std::string& path, absl::string_view bytes);

// The contents of `path`.
std::string ReadFile(const std::string& path);

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
