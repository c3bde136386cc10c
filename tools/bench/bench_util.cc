#include "tools/bench/bench_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
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
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "reload/status_util.h"
#include "tools/cpp/runfiles/runfiles.h"

namespace hotcc::bench {
namespace {

using bazel::tools::cpp::runfiles::Runfiles;

// Reads the number after `key` in a "Key:   123 kB" line of /proc/self/status.
std::int64_t StatusField(const std::string& status, absl::string_view key) {
  const size_t at = status.find(absl::StrCat("\n", key, ":"));
  if (at == std::string::npos) return -1;
  absl::string_view rest = absl::string_view(status).substr(at + key.size() + 2);
  rest = absl::StripLeadingAsciiWhitespace(rest);
  rest = rest.substr(0, rest.find(' '));
  std::int64_t value = -1;
  return absl::SimpleAtoi(rest, &value) ? value : -1;
}

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
  absl::Status status;
  off_t offset = 0;
  while (offset < st.st_size) {
    ssize_t copied = copy_file_range(in, &offset, out, nullptr, st.st_size - offset, 0);
    if (copied < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL)) {
      // Across file systems, as the loader does too: through a buffer.
      char buffer[1 << 16];
      copied = pread(in, buffer, std::min<off_t>(sizeof(buffer), st.st_size - offset), offset);
      if (copied > 0 && write(out, buffer, copied) != copied) copied = -1;
      if (copied > 0) offset += copied;
    }
    if (copied < 0 && errno == EINTR) continue;
    if (copied <= 0) {
      status = PosixError(copied < 0 ? errno : EIO, "cannot copy", from);
      break;
    }
  }
  close(in);
  if (close(out) != 0 && status.ok()) status = PosixError(errno, "cannot close", to);
  return status;
}

absl::Status Replace(const std::string& from, const std::string& to) {
  if (rename(from.c_str(), to.c_str()) != 0) return PosixError(errno, "cannot rename", from);
  return absl::OkStatus();
}

absl::StatusOr<std::string> MakeTempDir(absl::string_view base, absl::string_view prefix) {
  std::string root(base);
  if (root.empty()) {
    const char* tmpdir = getenv("TMPDIR");
    root = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
  }
  std::string path = absl::StrCat(root, "/", prefix, "XXXXXX");
  if (mkdtemp(path.data()) == nullptr) return PosixError(errno, "mkdtemp", path);
  return path;
}

void RemoveFlatDir(const std::string& dir) {
  if (DIR* d = opendir(dir.c_str())) {
    while (const dirent* entry = readdir(d)) {
      const absl::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      unlink(absl::StrCat(dir, "/", name).c_str());
    }
    closedir(d);
  }
  rmdir(dir.c_str());
}

std::int64_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_size : -1;
}

int CountDirEntries(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return -1;
  int count = 0;
  while (const dirent* entry = readdir(d)) {
    const absl::string_view name = entry->d_name;
    if (name != "." && name != "..") ++count;
  }
  closedir(d);
  return count;
}

absl::StatusOr<ProcessStats> ReadProcessStats() {
  ProcessStats stats;
  std::ifstream status_file("/proc/self/status");
  if (!status_file) return absl::UnavailableError("cannot read /proc/self/status");
  const std::string status =
      absl::StrCat("\n", std::string(std::istreambuf_iterator<char>(status_file), {}));
  stats.rss_kb = StatusField(status, "VmRSS");
  stats.vm_size_kb = StatusField(status, "VmSize");

  std::ifstream maps_file("/proc/self/maps");
  if (!maps_file) return absl::UnavailableError("cannot read /proc/self/maps");
  std::string line;
  while (std::getline(maps_file, line)) ++stats.maps;

  // opendir itself holds one descriptor while it lists /proc/self/fd.
  const int fds = CountDirEntries("/proc/self/fd");
  if (fds < 0) return absl::UnavailableError("cannot list /proc/self/fd");
  stats.fds = fds - 1;

  stats.heap_bytes = static_cast<std::int64_t>(mallinfo2().uordblks);
  return stats;
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
