#include "reload/fault_guard.h"

#include <signal.h>

#include <cstdint>
#include <stdexcept>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hotcc {
namespace {

using ::testing::HasSubstr;

// A store to an unmapped address that the compiler cannot see, so it stays a real memory
// access (and a real SIGSEGV) in every build: a visible null store may become a trap
// instruction, and under ASan a volatile null pointer local is not stored through at all.
void WriteThroughNull() {
  volatile std::uintptr_t unmapped = 8;
  *reinterpret_cast<volatile int*>(unmapped) = 1;
}

sigset_t CurrentMask() {
  sigset_t mask;
  sigemptyset(&mask);
  pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  return mask;
}

TEST(RunGuardedTest, ReturnsOkWhenTheCallReturns) {
  int calls = 0;
  EXPECT_TRUE(RunGuarded([&] { ++calls; }).ok());
  EXPECT_EQ(calls, 1);
}

TEST(RunGuardedTest, TurnsASegfaultIntoAborted) {
  const absl::Status status = RunGuarded(&WriteThroughNull);
  EXPECT_TRUE(absl::IsAborted(status));
  EXPECT_THAT(status.message(), HasSubstr("SIGSEGV"));
}

TEST(RunGuardedTest, CatchesEveryFaultOnTheSameThread) {
  // If the first fault left SIGSEGV blocked, the second one would kill the process.
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(absl::IsAborted(RunGuarded(&WriteThroughNull))) << "fault " << i;
  }
}

TEST(RunGuardedTest, LeavesTheSignalMaskAsItWas) {
  sigset_t blocked;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGUSR1);
  sigset_t original;
  pthread_sigmask(SIG_BLOCK, &blocked, &original);
  const sigset_t before = CurrentMask();

  ASSERT_TRUE(absl::IsAborted(RunGuarded(&WriteThroughNull)));

  const sigset_t after = CurrentMask();
  for (int signal_number = 1; signal_number < NSIG; ++signal_number) {
    EXPECT_EQ(sigismember(&after, signal_number), sigismember(&before, signal_number))
        << "signal " << signal_number;
  }
  pthread_sigmask(SIG_SETMASK, &original, nullptr);
}

TEST(RunGuardedTest, TurnsAnEscapingExceptionIntoAborted) {
  const absl::Status status = RunGuarded([] { throw std::runtime_error("boom"); });
  EXPECT_TRUE(absl::IsAborted(status));
  EXPECT_THAT(status.message(), HasSubstr("boom"));
}

}  // namespace
}  // namespace hotcc
