#include "reload/fault_guard.h"

#include <link.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cassert>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hotcc {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// A store to an unmapped address that the compiler cannot see, so it stays a real memory
// access (and a real SIGSEGV) in every build: a visible null store may become a trap
// instruction, and under ASan a volatile null pointer local is not stored through at all. Hence
// the cast of an integer to a pointer, which clang-tidy would otherwise refuse.
void WriteThroughNull() {
  volatile std::uintptr_t unmapped = 8;
  *reinterpret_cast<volatile int*>(unmapped) = 1;  // NOLINT(performance-no-int-to-ptr)
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

TEST(RunGuardedTest, TurnsAnAbortIntoAborted) {
  const absl::Status status = RunGuarded([] { std::abort(); });
  EXPECT_TRUE(absl::IsAborted(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("SIGABRT (abort): abort() called"));
}

// An assertion in its own function, so the expected text names it.
void AssertPositive(int value) { assert(value > 0); }

TEST(RunGuardedTest, ReportsTheAssertionThatFailed) {
  for (int i = 0; i < 2; ++i) {  // The second time must not repeat the first message.
    const absl::Status status = RunGuarded([&] { AssertPositive(-i); });
    EXPECT_TRUE(absl::IsAborted(status)) << status;
    EXPECT_THAT(status.message(),
                AllOf(HasSubstr("SIGABRT (abort): "), HasSubstr("fault_guard_test.cc"),
                      HasSubstr("Assertion `value > 0' failed.")));
  }
  // An abort with no message after an assertion is not described with the old message.
  EXPECT_THAT(RunGuarded([] { std::abort(); }).message(), HasSubstr("abort() called"));
}

void Throw() { throw std::runtime_error("thrown through noexcept"); }
// Throws through noexcept on purpose: std::terminate is what the test is about.
void ThrowThroughNoexcept() noexcept { Throw(); }  // NOLINT(bugprone-exception-escape)

TEST(RunGuardedTest, ReportsWhyStdTerminateWasCalled) {
  const absl::Status status = RunGuarded(&ThrowThroughNoexcept);
  EXPECT_TRUE(absl::IsAborted(status)) << status;
  EXPECT_THAT(status.message(),
              HasSubstr("std::terminate called after throwing std::runtime_error: "
                        "thrown through noexcept"));
  // The abandoned exception is no longer this thread's current one.
  EXPECT_EQ(std::current_exception(), nullptr);
  EXPECT_THAT(RunGuarded([] { std::terminate(); }).message(),
              HasSubstr("std::terminate called without an active exception"));
}

TEST(RunGuardedDeathTest, AnAbortOutsideAGuardedCallStillEndsTheProcess) {
  ASSERT_TRUE(RunGuarded([] {}).ok());  // The handlers are installed.
  EXPECT_DEATH(std::abort(), "");
  EXPECT_DEATH(AssertPositive(0), "Assertion `value > 0' failed");
}

// ThreadSanitizer delivers an asynchronous signal (the watchdog's) only when the thread next
// enters one of its interceptors, which a spinning call never does.
#if defined(__SANITIZE_THREAD__)
constexpr bool kThreadSanitizer = true;
#else
constexpr bool kThreadSanitizer = false;
#endif
constexpr char kDeferredSignal[] =
    "ThreadSanitizer defers the watchdog's signal while a call spins";

// The executable segments of the test binary itself.
std::vector<CodeRange> MainProgramCode() {
  std::vector<CodeRange> code;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        // The first object is the main program.
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr)& segment = info->dlpi_phdr[i];
          if (segment.p_type != PT_LOAD || (segment.p_flags & PF_X) == 0) continue;
          const std::uintptr_t begin = info->dlpi_addr + segment.p_vaddr;
          static_cast<std::vector<CodeRange>*>(data)->push_back({begin, begin + segment.p_memsz});
        }
        return 1;
      },
      &code);
  return code;
}

// Spins without calling anything: only the watchdog's signal can end it.
void SpinForever() {
  volatile bool forever = true;
  while (forever) {
  }
}

TEST(RunGuardedTest, AbandonsACallThatRunsPastItsTimeLimit) {
  if (kThreadSanitizer) GTEST_SKIP() << kDeferredSignal;
  GuardOptions options;
  options.time_limit = absl::Milliseconds(200);
  const absl::Time start = absl::Now();
  const absl::Status status = RunGuarded(&SpinForever, options);
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_THAT(status.message(), HasSubstr("did not return within 200ms; abandoned after"));
  EXPECT_GE(took, absl::Milliseconds(200));
  EXPECT_LT(took, absl::Seconds(5));
  // The thread is usable again, and a call within its limit is left alone.
  int calls = 0;
  EXPECT_TRUE(RunGuarded([&] { ++calls; }, options).ok());
  EXPECT_EQ(calls, 1);
}

TEST(RunGuardedTest, InterruptsAnOverdueCallOnlyInsideItsOwnCode) {
  if (kThreadSanitizer) GTEST_SKIP() << kDeferredSignal;
  // The call spends its time in SpinForever; its "own code" is declared to be elsewhere (this
  // test's body has no overlap with it), so the watchdog keeps trying for about half a second
  // and then abandons it where it is, saying so.
  const auto here = reinterpret_cast<std::uintptr_t>(&ThrowThroughNoexcept);
  const CodeRange elsewhere[] = {{here, here + 1}};
  GuardOptions options;
  options.time_limit = absl::Milliseconds(100);
  options.code = elsewhere;
  const absl::Time start = absl::Now();
  const absl::Status status = RunGuarded(&SpinForever, options);
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_THAT(status.message(), HasSubstr("outside the module's code"));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(500));

  // Declared correctly (this test binary's code, which holds SpinForever), it is caught there.
  const std::vector<CodeRange> own = MainProgramCode();
  ASSERT_FALSE(own.empty());
  options.code = own;
  const absl::Status caught = RunGuarded(&SpinForever, options);
  EXPECT_EQ(caught.code(), absl::StatusCode::kDeadlineExceeded) << caught;
  EXPECT_THAT(caught.message(), Not(HasSubstr("outside")));
}

TEST(RunGuardedTest, AbandonGuardedCallsEndsAHungCallWithoutALimit) {
  if (kThreadSanitizer) GTEST_SKIP() << kDeferredSignal;
  std::atomic<bool> inside{false};
  std::thread stopper([&] {
    while (!inside.load()) usleep(1000);
    usleep(50 * 1000);
    AbandonGuardedCalls();
  });
  const absl::Status status = RunGuarded([&] {
    inside.store(true);
    SpinForever();
  });
  stopper.join();
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled) << status;
  EXPECT_TRUE(RunGuarded([] {}).ok()) << "a later call is not abandoned";
}

}  // namespace
}  // namespace hotcc
