// 1000 reloads in a row leave no growth in mappings, file descriptors, temporary files or
// resident memory beyond noise.

#include <dirent.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "reload/hot_module.h"
#include "reload/module_slot.h"
#include "reload/private_dir.h"
#include "reload/testdata/counter_api.h"
#include "reload/testing/fixtures.h"

namespace hotcc::testing {
namespace {

struct Usage {
  int mappings = 0;
  int open_fds = 0;
  int temporary_files = 0;
  long rss_kib = 0;
};

int CountLines(const std::string& path) {
  std::ifstream in(path);
  int lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  return lines;
}

int CountEntries(const std::string& dir) {
  int count = 0;
  if (DIR* stream = opendir(dir.c_str())) {
    while (const dirent* entry = readdir(stream)) count += entry->d_name[0] != '.' ? 1 : 0;
    closedir(stream);
  }
  return count;
}

long ResidentKib() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, "VmRSS:")) continue;
    long kib = 0;
    if (absl::SimpleAtoi(absl::StripSuffix(absl::StripAsciiWhitespace(rest), " kB"), &kib)) {
      return kib;
    }
  }
  return -1;
}

Usage Measure(const PrivateDir& private_dir) {
  return Usage{CountLines("/proc/self/maps"), CountEntries("/proc/self/fd"),
               *private_dir.CountEntries(), ResidentKib()};
}

TEST(SoakTest, AThousandReloadsLeaveNothingBehind) {
#if defined(__SANITIZE_ADDRESS__)
  // ASan's quarantine keeps freed memory, and its allocator maps regions as it grows: resident
  // memory and mappings grow by design, and say nothing about the loader.
  GTEST_SKIP() << "the soak measures the real allocator; run it without --config=asan";
#endif
  constexpr int kWarmUp = 20;
  constexpr int kReloads = 1000;
  ScratchDir scratch;
  absl::StatusOr<PrivateDir> private_dir = PrivateDir::Create(scratch.path());
  ASSERT_TRUE(private_dir.ok());
  const std::string path = scratch.PathOf("libcounter.so");
  const std::string versions[] = {FixturePath("v1"), FixturePath("v2")};
  LogCapture log;
  ModuleSlot slot(ModuleSpec{"counter", path, sizeof(CounterApi), HOTCC_INTERFACE_FINGERPRINT},
                  &*private_dir, log.sink());
  HotModule<CounterApi> module(&slot);
  Counter counter;
  auto reload_and_call = [&](int i) {
    InstallFile(versions[i % 2], path);
    ASSERT_TRUE(slot.Reload(absl::Now()).ok()) << log.Dump();
    ASSERT_TRUE(module.Call("step", [&](const CounterApi& api) { api.step(counter); }).ok());
    log.Clear();  // The log itself would grow.
  };

  for (int i = 0; i < kWarmUp; ++i) reload_and_call(i);
  const Usage before = Measure(*private_dir);
  for (int i = kWarmUp; i < kWarmUp + kReloads; ++i) reload_and_call(i);
  const Usage after = Measure(*private_dir);

  std::printf("before: %d mappings, %d fds, %d temporary files, %ld KiB resident\n",
              before.mappings, before.open_fds, before.temporary_files, before.rss_kib);
  std::printf("after:  %d mappings, %d fds, %d temporary files, %ld KiB resident\n", after.mappings,
              after.open_fds, after.temporary_files, after.rss_kib);
  EXPECT_EQ(after.mappings, before.mappings);
  EXPECT_EQ(after.open_fds, before.open_fds);
  EXPECT_EQ(after.temporary_files, 0);
  // Noise: the allocator may keep a few freed pages; a leaked module would be far more.
  EXPECT_LT(after.rss_kib - before.rss_kib, 2048);
  EXPECT_EQ(slot.unload_failures(), 0);
  EXPECT_EQ(slot.loaded_versions(), 2);
}

}  // namespace
}  // namespace hotcc::testing
