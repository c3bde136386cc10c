// File: reload/testing/process_stats.h
//
// What this process holds, for leak checks across many reloads (reload/soak_test.cc and the
// soak benchmark): memory, mappings and open file descriptors.

#ifndef HOTCC_RELOAD_TESTING_PROCESS_STATS_H_
#define HOTCC_RELOAD_TESTING_PROCESS_STATS_H_

#include <cstdint>

#include "absl/status/statusor.h"

namespace hotcc::testing {

struct ProcessStats {
  std::int64_t rss_kb = 0;      // VmRSS in /proc/self/status.
  std::int64_t vm_size_kb = 0;  // VmSize in /proc/self/status.
  std::int64_t maps = 0;        // Lines of /proc/self/maps.
  std::int64_t fds = 0;         // Entries of /proc/self/fd (less the one used to list it).
  std::int64_t heap_bytes = 0;  // Bytes malloc has handed out and not got back (mallinfo2).
};

// Reads them from /proc/self. Fails if /proc cannot be read.
absl::StatusOr<ProcessStats> ReadProcessStats();

}  // namespace hotcc::testing

#endif  // HOTCC_RELOAD_TESTING_PROCESS_STATS_H_
