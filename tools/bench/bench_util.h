// File: tools/bench/bench_util.h
//
// What the loader benchmarks (load_cost.cc, soak.cc) share: finding the fixture modules,
// putting a module file in place as a build would, and summarising samples. Scratch
// directories and the process's resource use come from reload/testing/.
//
//   absl::StatusOr<std::string> a = FixturePath(argv[0], "a", "pad1m");
//   HOTCC_RETURN_IF_ERROR(CopyWholeFile(*a, staged));
//   HOTCC_RETURN_IF_ERROR(Replace(staged, watched));   // what the loader sees as a new build

#ifndef HOTCC_TOOLS_BENCH_BENCH_UTIL_H_
#define HOTCC_TOOLS_BENCH_BENCH_UTIL_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hotcc::bench {

// The absolute path of the workspace file `path` (e.g. "tools/bench/callee/libcallee.so") in
// the runfiles of the program started as `argv0`. Fails if the runfiles or the file cannot be
// found.
absl::StatusOr<std::string> RunfilePath(const char* argv0, absl::string_view path);

// RunfilePath of tools/bench/fixtures/<variant_dir>/lib<module>.so.
absl::StatusOr<std::string> FixturePath(const char* argv0, absl::string_view variant_dir,
                                        absl::string_view module);

// Copies `from` to the new file `to` (which must not exist) with the loader's own copy
// (reload/file_copy.h): open, CopyFileContents, close. Mode 0755, like a linker's output.
absl::Status CopyWholeFile(const std::string& from, const std::string& to);

// Renames `from` over `to` in one step, as Bazel moves a finished output into place.
absl::Status Replace(const std::string& from, const std::string& to);

// The size of the file at `path` in bytes, or -1.
std::int64_t FileSize(const std::string& path);

// Nearest-rank percentile `p` (0 < p <= 100) of `samples`; 0 if there are none.
double Percentile(std::vector<double> samples, double p);

// Microseconds between two steady_clock readings.
inline double MicrosBetween(std::chrono::steady_clock::time_point start,
                            std::chrono::steady_clock::time_point end) {
  return std::chrono::duration<double, std::micro>(end - start).count();
}

// Writes `contents` to `path`, replacing it.
absl::Status WriteTextFile(const std::string& path, absl::string_view contents);

}  // namespace hotcc::bench

#endif  // HOTCC_TOOLS_BENCH_BENCH_UTIL_H_
