#include "reload/testing/process_stats.h"

#include <malloc.h>

#include <fstream>
#include <iterator>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "reload/private_dir.h"

namespace hotcc::testing {
namespace {

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

  absl::StatusOr<int> fds = CountDirectoryEntries("/proc/self/fd");
  if (!fds.ok()) return fds.status();
  stats.fds = *fds - 1;  // opendir holds one descriptor while it lists /proc/self/fd.

  stats.heap_bytes = static_cast<std::int64_t>(mallinfo2().uordblks);
  return stats;
}

}  // namespace hotcc::testing
