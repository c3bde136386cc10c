// The static build's host: calls reach the linked module's table, its header is checked, and
// WaitUntil waits as the hot host does. The module is linked into the test itself, as a
// hot_cc_library is into a static host.

#include "reload/linked_host.h"

#include <fcntl.h>
#include <unistd.h>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

#define HOTCC_INTERFACE_FINGERPRINT 0x1234ULL
#include "reload/module_abi.h"

namespace linked_host_test {

struct TwiceApi {
  int (*twice)(int value);
};

int Twice(int value) { return 2 * value; }

}  // namespace linked_host_test

HOTCC_DEFINE_MODULE(twice, linked_host_test::TwiceApi, {&linked_host_test::Twice})

namespace linked_host_test {
namespace {

// What the generated <binary>_modules.h declares for the module in a static host.
struct twice {
  static constexpr char kName[] = "twice";
  static constexpr ::hotcc::ModuleEntryFn kEntry = &hotcc_module_twice;
};

using Host = ::hotcc::LinkedHost;

TEST(LinkedHostTest, CallsReachTheLinkedTable) {
  absl::StatusOr<std::unique_ptr<Host>> host = Host::Create();
  ASSERT_TRUE(host.ok());
  absl::StatusOr<Host::Module<TwiceApi, twice>> module =
      (*host)->Add<TwiceApi, twice>(HOTCC_INTERFACE_FINGERPRINT);
  ASSERT_TRUE(module.ok()) << module.status();
  int result = 0;
  EXPECT_TRUE(module->Call("twice", [&](const TwiceApi& api) { result = api.twice(21); }).ok());
  EXPECT_EQ(result, 42);
  int state = 5;
  EXPECT_TRUE(
      module->CallRestoring("twice", state, [&](const TwiceApi& api) { state = api.twice(state); })
          .ok());
  EXPECT_EQ(state, 10);
  EXPECT_EQ(module->CallUnguarded([](const TwiceApi& api) { return api.twice(4); }), 8);
  EXPECT_EQ(module->Pin()->twice(3), 6);
  EXPECT_EQ(module->version(), 1);
}

TEST(LinkedHostTest, RefusesAModuleOfAnotherInterface) {
  absl::StatusOr<std::unique_ptr<Host>> host = Host::Create();
  ASSERT_TRUE(host.ok());
  absl::StatusOr<Host::Module<TwiceApi, twice>> module = (*host)->Add<TwiceApi, twice>(0x9999);
  ASSERT_FALSE(module.ok());
  EXPECT_EQ(module.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(module.status().message().find("twice: the linked module's header does not match"),
            absl::string_view::npos)
      << module.status();
}

TEST(LinkedHostTest, WaitUntilReturnsAtTheDeadlineOrWhenWoken) {
  absl::StatusOr<std::unique_ptr<Host>> host = Host::Create();
  ASSERT_TRUE(host.ok());
  const absl::Time start = absl::Now();
  EXPECT_EQ((*host)->WaitUntil(start + absl::Milliseconds(30)), hotcc::WaitOutcome::kDeadline);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(30));

  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  ASSERT_EQ(write(fds[1], "x", 1), 1);
  // Woken at once, and also when the deadline has passed already.
  EXPECT_EQ((*host)->WaitUntil(absl::Now() + absl::Seconds(30), fds[0]),
            hotcc::WaitOutcome::kWoken);
  EXPECT_EQ((*host)->WaitUntil(absl::InfinitePast(), fds[0]), hotcc::WaitOutcome::kWoken);
  close(fds[0]);
  close(fds[1]);
}

}  // namespace
}  // namespace linked_host_test
