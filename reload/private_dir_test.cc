#include "reload/private_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reload/testing/fixtures.h"

namespace hotcc::testing {
namespace {

TEST(PrivateDirTest, IsOnlyForThisUserAndHasAnUnpredictableName) {
  ScratchDir base;
  absl::StatusOr<PrivateDir> dir = PrivateDir::Create(base.path());
  ASSERT_TRUE(dir.ok()) << dir.status();
  struct stat st;
  ASSERT_EQ(stat(dir->path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700);
  EXPECT_THAT(dir->path(),
              ::testing::StartsWith(absl::StrCat(base.path(), "/hotcc-", getpid(), "-")));
  absl::StatusOr<PrivateDir> other = PrivateDir::Create(base.path());
  EXPECT_NE(dir->path(), other->path());
}

TEST(PrivateDirTest, NeverOpensAFileThatExists) {
  ScratchDir base;
  absl::StatusOr<PrivateDir> dir = PrivateDir::Create(base.path());
  absl::StatusOr<int> first = dir->CreateFile("libview.v1.so");
  ASSERT_TRUE(first.ok());
  close(*first);
  absl::StatusOr<int> again = dir->CreateFile("libview.v1.so");
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists) << again.status();
  // Nor follows a link planted in its place.
  ASSERT_EQ(symlink("/etc/passwd", dir->PathOf("planted.so").c_str()), 0);
  EXPECT_FALSE(dir->CreateFile("planted.so").ok());
}

TEST(PrivateDirTest, RemovesItselfAndWhatIsLeftInIt) {
  ScratchDir base;
  std::string path;
  {
    absl::StatusOr<PrivateDir> dir = PrivateDir::Create(base.path());
    path = dir->path();
    absl::StatusOr<int> file = dir->CreateFile("left-behind.so");
    close(*file);
    EXPECT_EQ(*dir->CountEntries(), 1);
  }
  EXPECT_NE(access(path.c_str(), F_OK), 0);
}

TEST(PrivateDirTest, CleansUpAfterAProcessThatWasKilled) {
  ScratchDir base;
  // A process that is gone: a child that has exited and been reaped.
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(0);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  const std::string leftover = absl::StrCat(base.path(), "/hotcc-", child, "-AbC123");
  ASSERT_EQ(mkdir(leftover.c_str(), 0700), 0);
  WriteFile(leftover + "/libview.v3.so", "stale copy");
  // A live process's directory must survive, even when its pid means nothing here: a process
  // in another PID namespace (a Bazel test sandbox sharing /tmp) sees no such process. What
  // keeps it is its owner's lock, taken here by a second PrivateDir of this process.
  absl::StatusOr<PrivateDir> alive = PrivateDir::Create(base.path());
  ASSERT_TRUE(alive.ok());
  const std::string alive_in_another_namespace =
      absl::StrCat(base.path(), "/hotcc-", child, "-XyZ789");
  ASSERT_EQ(rename(alive->path().c_str(), alive_in_another_namespace.c_str()), 0);

  absl::StatusOr<PrivateDir> dir = PrivateDir::Create(base.path());
  ASSERT_TRUE(dir.ok());
  EXPECT_NE(access(leftover.c_str(), F_OK), 0) << "the dead process's copies are removed";
  EXPECT_EQ(access(alive_in_another_namespace.c_str(), F_OK), 0)
      << "a directory whose owner holds its lock is left alone, whatever its pid";
  rmdir(alive_in_another_namespace.c_str());
}

TEST(PrivateDirTest, MakesItselfAgainIfSomethingRemovesIt) {
  ScratchDir base;
  absl::StatusOr<PrivateDir> dir = PrivateDir::Create(base.path());
  ASSERT_TRUE(dir.ok());
  RemoveFlatDirectory(dir->path());  // As `rm -rf /tmp/hotcc-*` or a /tmp cleaner would.
  absl::StatusOr<int> fd = dir->CreateFile("libview.v4.so");
  ASSERT_TRUE(fd.ok()) << fd.status();
  close(*fd);
  struct stat st;
  ASSERT_EQ(stat(dir->path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700);
  // The directory made again is locked too: another process's cleanup leaves it alone.
  absl::StatusOr<PrivateDir> other = PrivateDir::Create(base.path());
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(access(dir->PathOf("libview.v4.so").c_str(), F_OK), 0);
}

}  // namespace
}  // namespace hotcc::testing
