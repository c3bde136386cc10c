// Tests of the relaunch in place: a real exec of this test binary, in a child process, carrying
// bytes to the new image.

#include "reload/relaunch.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reload/testing/scratch_dir.h"

namespace hotcc::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// What the parent carries: binary, with a NUL and every byte value.
std::string CarriedBytes() {
  std::string bytes = "state of tick 41";
  for (int value = 0; value < 256; ++value) bytes.push_back(static_cast<char>(value));
  return bytes;
}

// The new image's side: runs only in the process that RelaunchTest below execs; there it checks
// what arrived, and its result is that process's exit status.
TEST(RelaunchTest, NewImageSide) {
  const char* path = std::getenv("HOTCC_CARRIED_STATE");
  if (path == nullptr) GTEST_SKIP() << "run by CarriesTheStateIntoTheRebuiltImage";
  const std::string file = path;
  absl::StatusOr<std::optional<std::string>> carried = Relauncher::TakeCarriedState();
  ASSERT_TRUE(carried.ok()) << carried.status();
  ASSERT_TRUE(carried->has_value());
  EXPECT_EQ(**carried, CarriedBytes());
  EXPECT_NE(access(file.c_str(), F_OK), 0) << "the carried state's file is removed once read";
  EXPECT_EQ(std::getenv("HOTCC_CARRIED_STATE"), nullptr) << "not passed on to children";
  EXPECT_EQ(std::to_string(getpid()), std::getenv("HOTCC_TEST_PID")) << "the same process";
}

TEST(RelaunchTest, CarriesTheStateIntoTheRebuiltImage) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The forked child has one thread, so it may change its environment.
    setenv("HOTCC_TEST_PID", std::to_string(getpid()).c_str(), 1);  // NOLINT(concurrency-mt-unsafe)
    char* self = realpath("/proc/self/exe", nullptr);
    Relauncher relauncher({self, "--gtest_filter=RelaunchTest.NewImageSide"});
    const absl::Status failed = relauncher.Relaunch(CarriedBytes());
    _exit(failed.ok() ? 3 : 4);  // Relaunch returns only if the exec failed.
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the new image's checks failed (4: the exec failed)";
}

TEST(RelaunchTest, AFreshProcessCarriesNothing) {
  ASSERT_EQ(std::getenv("HOTCC_CARRIED_STATE"), nullptr);
  absl::StatusOr<std::optional<std::string>> carried = Relauncher::TakeCarriedState();
  ASSERT_TRUE(carried.ok()) << carried.status();
  EXPECT_FALSE(carried->has_value());
  Relauncher relauncher({"app"});
  EXPECT_FALSE(relauncher.Rebuilt()) << "this test binary was not replaced";
  EXPECT_THAT(relauncher.executable(), HasSubstr("relaunch_test"));
}

TEST(RelaunchTest, AStateFileThatCannotBeReadIsAnErrorThatNamesIt) {
  ScratchDir scratch;
  const std::string missing = scratch.PathOf("gone/state");
  // Set as a relaunch finds it, before any thread starts (the test starts none).
  setenv("HOTCC_CARRIED_STATE", missing.c_str(), 1);  // NOLINT(concurrency-mt-unsafe)
  absl::StatusOr<std::optional<std::string>> carried = Relauncher::TakeCarriedState();
  EXPECT_FALSE(carried.ok());
  EXPECT_THAT(std::string(carried.status().message()),
              AllOf(HasSubstr(missing), HasSubstr("the previous build's state is lost")));
  EXPECT_EQ(std::getenv("HOTCC_CARRIED_STATE"), nullptr);
}

}  // namespace
}  // namespace hotcc::testing
