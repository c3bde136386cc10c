#include "tools/bench/bench_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "reload/file_copy.h"
#include "reload/status_util.h"
#include "tools/cpp/runfiles/runfiles.h"

namespace hotcc::bench {
namespace {

using bazel::tools::cpp::runfiles::Runfiles;

}  // namespace

absl::StatusOr<std::string> RunfilePath(const char* argv0, absl::string_view path) {
  std::string error;
  std::unique_ptr<Runfiles> runfiles(Runfiles::Create(argv0, &error));
  if (runfiles == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no runfiles for ", argv0, ": ", error, "; run it with `bazel run`"));
  }
  const std::string link = runfiles->Rlocation(absl::StrCat("hotcc/", path));
  if (access(link.c_str(), R_OK) != 0) return PosixError(errno, "cannot read", link);
  return link;
}

absl::StatusOr<std::string> FixturePath(const char* argv0, absl::string_view variant_dir,
                                        absl::string_view module) {
  return RunfilePath(argv0,
                     absl::StrCat("tools/bench/fixtures/", variant_dir, "/lib", module, ".so"));
}

absl::Status CopyWholeFile(const std::string& from, const std::string& to) {
  const int in = open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return PosixError(errno, "cannot open", from);
  struct stat st;
  if (fstat(in, &st) != 0) {
    const int error = errno;
    close(in);
    return PosixError(error, "cannot stat", from);
  }
  const int out = open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
  if (out < 0) {
    const int error = errno;
    close(in);
    return PosixError(error, "cannot create", to);
  }
  absl::Status status = CopyFileContents(in, out, st.st_size, from, to);
  close(in);
  if (close(out) != 0 && status.ok()) status = PosixError(errno, "cannot close", to);
  return status;
}

absl::Status Replace(const std::string& from, const std::string& to) {
  if (rename(from.c_str(), to.c_str()) != 0) return PosixError(errno, "cannot rename", from);
  return absl::OkStatus();
}

std::int64_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_size : -1;
}

double Percentile(std::vector<double> samples, double p) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  const size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * samples.size()));
  return samples[std::clamp<size_t>(rank, 1, samples.size()) - 1];
}

absl::Status WriteTextFile(const std::string& path, absl::string_view contents) {
  std::ofstream out(path, std::ios::trunc);
  out << contents;
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace hotcc::bench
