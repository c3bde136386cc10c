// Calls from eight threads while the module is swapped 500 times: no call may reach an
// unloaded module, and no call takes a lock. Run it under --config=tsan and --config=asan too.

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "reload/hot_module.h"
#include "reload/module_slot.h"
#include "reload/private_dir.h"
#include "reload/testdata/counter_api.h"
#include "reload/testing/fixtures.h"

namespace hotcc::testing {
namespace {

constexpr int kCallerThreads = 8;
constexpr int kSwaps = 500;

TEST(ConcurrencyTest, EightThreadsCallThroughFiveHundredSwaps) {
  ScratchDir scratch;
  absl::StatusOr<PrivateDir> private_dir = PrivateDir::Create(scratch.path());
  ASSERT_TRUE(private_dir.ok());
  const std::string path = scratch.PathOf("libcounter.so");
  const std::string versions[] = {FixturePath("v1"), FixturePath("v2")};
  InstallFile(versions[0], path);
  LogCapture log;
  ModuleSlot slot(ModuleSpec{"counter", path, sizeof(CounterApi), HOTCC_INTERFACE_FINGERPRINT},
                  &*private_dir, log.sink());
  ASSERT_TRUE(slot.Reload().ok()) << log.Dump();
  HotModule<CounterApi> module(&slot);

  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> calls{0};
  std::atomic<std::int64_t> bad_results{0};
  std::vector<std::thread> callers;
  callers.reserve(kCallerThreads);
  for (int t = 0; t < kCallerThreads; ++t) {
    callers.emplace_back([&, t] {
      Counter counter;
      while (!stop.load(std::memory_order_relaxed)) {
        // The threads take turns at each way of calling: unguarded, pinned batches, guarded.
        int version = 0;
        if (t % 4 == 2) {
          const auto pinned = module.Pin();
          version = pinned->version();
          for (int i = 0; i < 16; ++i) {
            pinned->step(counter);
            if (pinned->version() != version) bad_results.fetch_add(1);  // Torn within a pin.
          }
        } else if (t % 2 == 0) {
          version = module.CallUnguarded([&](const CounterApi& api) {
            api.step(counter);
            return api.version();
          });
        } else if (!module.Call("version", [&](const CounterApi& api) { version = api.version(); })
                        .ok()) {
          version = -1;
        }
        if (version != 1 && version != 2) bad_results.fetch_add(1);
        calls.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (int swap = 1; swap <= kSwaps; ++swap) {
    InstallFile(versions[swap % 2], path);
    ASSERT_TRUE(slot.Reload(absl::Now()).ok()) << log.Dump();
  }
  stop.store(true);
  for (std::thread& caller : callers) caller.join();

  EXPECT_EQ(bad_results.load(), 0);
  EXPECT_EQ(slot.version(), kSwaps + 1);
  EXPECT_LE(slot.loaded_versions(), 2);
  EXPECT_EQ(slot.unload_failures(), 0) << log.Dump();
  EXPECT_GT(calls.load(), kSwaps) << "the callers ran during the swaps";
  std::printf("calls during %d swaps: %ld\n", kSwaps, calls.load());
}

}  // namespace
}  // namespace hotcc::testing
