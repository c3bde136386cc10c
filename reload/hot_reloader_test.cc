// Tests of when the loader reloads: inotify on the module's directory, a burst of partial
// writes, ibazel's notifications, an idle wait that burns no CPU, and the directory going away
// (bazel clean) and coming back, or the kernel dropping events.

#include "reload/hot_reloader.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reload/testdata/counter_api.h"
#include "reload/testing/fixtures.h"

namespace hotcc::testing {
namespace {

using ::testing::HasSubstr;

class HotReloaderTest : public ::testing::Test {
 protected:
  HotReloaderTest() : module_path_(scratch_.PathOf("libcounter.so")) {
    InstallFile(FixturePath("v1"), module_path_);
  }

  std::unique_ptr<HotReloader> MakeReloader(HotReloader::Options options = {}) {
    options.log = log_.sink();
    options.private_dir_base = scratch_.path();
    absl::StatusOr<std::unique_ptr<HotReloader>> reloader = HotReloader::Create(options);
    EXPECT_TRUE(reloader.ok()) << reloader.status();
    return *std::move(reloader);
  }

  ~HotReloaderTest() override {
    for (const int fd : ibazel_pipe_) {
      if (fd >= 0) close(fd);
    }
  }

  // A reloader that reads ibazel's notifications from a pipe, as under `ibazel run`;
  // NotifyAsIbazel writes to its other end.
  std::unique_ptr<HotReloader> MakeIbazelReloader(HotReloader::Options options = {}) {
    EXPECT_EQ(pipe(ibazel_pipe_), 0);
    options.ibazel_notifications = true;
    options.notification_fd = ibazel_pipe_[0];
    return MakeReloader(options);
  }

  void NotifyAsIbazel(absl::string_view lines) {
    ASSERT_EQ(write(ibazel_pipe_[1], lines.data(), lines.size()),
              static_cast<ssize_t>(lines.size()));
  }

  // ibazel exits: the reloader sees the end of its notifications.
  void CloseIbazelSide() {
    close(ibazel_pipe_[1]);
    ibazel_pipe_[1] = -1;
  }

  HotModule<CounterApi> AddCounter(HotReloader& reloader) {
    absl::StatusOr<HotModule<CounterApi>> module =
        reloader.Add<CounterApi>("counter", module_path_, HOTCC_INTERFACE_FINGERPRINT);
    EXPECT_TRUE(module.ok()) << module.status();
    return *module;
  }

  static int FixtureVersion(const HotModule<CounterApi>& module) {
    return module.CallUnguarded([](const CounterApi& api) { return api.version(); });
  }

  // Waits in the reloader until `module` runs fixture `version`, for at most `limit`.
  static bool WaitForVersion(HotReloader& reloader, const HotModule<CounterApi>& module,
                             int version, absl::Duration limit = absl::Seconds(10)) {
    const absl::Time deadline = absl::Now() + limit;
    while (FixtureVersion(module) != version && absl::Now() < deadline) {
      reloader.WaitUntil(std::min(deadline, absl::Now() + absl::Milliseconds(20)));
    }
    return FixtureVersion(module) == version;
  }

  ScratchDir scratch_;
  const std::string module_path_;
  LogCapture log_;
  int ibazel_pipe_[2] = {-1, -1};
};

TEST_F(HotReloaderTest, LoadsANewBuildWhenItAppearsInTheDirectory) {
  std::unique_ptr<HotReloader> reloader = MakeReloader();
  HotModule<CounterApi> counter = AddCounter(*reloader);
  ASSERT_EQ(FixtureVersion(counter), 1);

  std::thread builder([&] {
    absl::SleepFor(absl::Milliseconds(50));
    InstallFile(FixturePath("v2"), module_path_);
  });
  EXPECT_TRUE(WaitForVersion(*reloader, counter, 2)) << log_.Dump();
  builder.join();
  EXPECT_EQ(log_.Count("counter: reloaded v2"), 1) << log_.Dump();
}

TEST_F(HotReloaderTest, ABurstOfPartialWritesLoadsTheFinalFileOnce) {
  std::unique_ptr<HotReloader> reloader = MakeReloader();
  HotModule<CounterApi> counter = AddCounter(*reloader);

  // Write v2 in place in eight pieces, closing the file after each (each close is an event),
  // as a slow writer would.
  const std::string bytes = ReadFile(FixturePath("v2"));
  std::thread writer([&] {
    const size_t piece = bytes.size() / 8 + 1;
    for (size_t offset = 0; offset < bytes.size(); offset += piece) {
      const int fd =
          open(module_path_.c_str(), O_WRONLY | O_CLOEXEC | (offset == 0 ? O_TRUNC : O_APPEND));
      ASSERT_GE(fd, 0);
      const size_t length = std::min(piece, bytes.size() - offset);
      ASSERT_EQ(write(fd, bytes.data() + offset, length), static_cast<ssize_t>(length));
      close(fd);
      absl::SleepFor(absl::Milliseconds(1));
    }
  });
  EXPECT_TRUE(WaitForVersion(*reloader, counter, 2)) << log_.Dump();
  writer.join();
  // Let any late events settle: still only the one load.
  reloader->WaitUntil(absl::Now() + absl::Milliseconds(100));
  EXPECT_EQ(log_.Count("reloaded"), 1) << log_.Dump();
  EXPECT_EQ(counter.version(), 2) << "no version was spent on a partial file";
}

TEST_F(HotReloaderTest, UnderIbazelReloadsOnlyWhenABuildSucceeds) {
  std::unique_ptr<HotReloader> reloader = MakeIbazelReloader();
  HotModule<CounterApi> counter = AddCounter(*reloader);

  NotifyAsIbazel("IBAZEL_BUILD_STARTED\n");
  InstallFile(FixturePath("v2"), module_path_);
  reloader->WaitUntil(absl::Now() + absl::Milliseconds(200));
  EXPECT_EQ(FixtureVersion(counter), 1) << "a file is not loaded while its build runs";

  NotifyAsIbazel("IBAZEL_BUILD_COMPLETED FAILURE\n");
  reloader->WaitUntil(absl::Now() + absl::Milliseconds(100));
  EXPECT_EQ(FixtureVersion(counter), 1);
  EXPECT_THAT(log_.Dump(), HasSubstr("the build failed"));

  NotifyAsIbazel("IBAZEL_BUILD_STARTED\nIBAZEL_BUILD_COMPLETED SUCCESS\n");
  EXPECT_EQ(reloader->WaitUntil(absl::Now() + absl::Seconds(5)),
            HotReloader::WaitOutcome::kBuildSucceeded);
  EXPECT_EQ(FixtureVersion(counter), 2) << log_.Dump();
  CloseIbazelSide();
  reloader->WaitUntil(absl::Now() + absl::Milliseconds(50));  // ibazel gone: no busy loop.
}

TEST_F(HotReloaderTest, SaysHowLongAfterItsBuildStartedAModuleWentLive) {
  std::unique_ptr<HotReloader> reloader = MakeIbazelReloader();
  HotModule<CounterApi> counter = AddCounter(*reloader);
  NotifyAsIbazel("IBAZEL_BUILD_STARTED\n");
  reloader->WaitUntil(absl::Now() + absl::Milliseconds(20));
  absl::SleepFor(absl::Milliseconds(120));  // The build.
  InstallFile(FixturePath("v2"), module_path_);
  NotifyAsIbazel("IBAZEL_BUILD_COMPLETED SUCCESS\n");
  ASSERT_EQ(reloader->WaitUntil(absl::Now() + absl::Seconds(5)),
            HotReloader::WaitOutcome::kBuildSucceeded);
  ASSERT_EQ(FixtureVersion(counter), 2) << log_.Dump();
  const std::vector<std::string> lines = log_.lines();
  const std::string& reloaded = lines.back();
  EXPECT_THAT(reloaded, HasSubstr("counter: reloaded v2 from ")) << log_.Dump();
  EXPECT_THAT(reloaded,
              ::testing::ContainsRegex(
                  "; live [1-9][0-9]{2,}ms after its build started \\(build [1-9][0-9]{2,}ms, "
                  "notify [0-9.]+ms, load [0-9.]+ms\\)$"));
}

TEST_F(HotReloaderTest, UnderIbazelTheFastPathsBuildLoadsFirstAndAFailedBuildRevertsIt) {
  const std::string fast_dir = scratch_.PathOf("fast");
  ASSERT_EQ(mkdir(fast_dir.c_str(), 0700), 0);
  HotReloader::Options options;
  options.fast_dir = fast_dir;
  std::unique_ptr<HotReloader> reloader = MakeIbazelReloader(options);
  HotModule<CounterApi> counter = AddCounter(*reloader);

  // What tools/fast_path.py does: the start time first, then the module, moved into place.
  const absl::Time started = absl::Now() - absl::Milliseconds(150);
  WriteFile(fast_dir + "/libcounter.so.started", absl::StrCat(absl::ToUnixNanos(started), "\n"));
  InstallFile(FixturePath("v2"), fast_dir + "/libcounter.so");
  reloader->WaitUntil(absl::Now() + absl::Milliseconds(200));
  EXPECT_EQ(FixtureVersion(counter), 2) << "no ibazel notification is needed" << log_.Dump();
  EXPECT_THAT(log_.lines().back(),
              ::testing::ContainsRegex("counter: reloaded v2 from .*/fast/libcounter.so "
                                       "\\(fast path\\) .*; live [1-9][0-9]{2,}ms after its "
                                       "build started"))
      << log_.Dump();

  NotifyAsIbazel("IBAZEL_BUILD_STARTED\nIBAZEL_BUILD_COMPLETED FAILURE\n");
  reloader->WaitUntil(absl::Now() + absl::Milliseconds(100));
  EXPECT_EQ(FixtureVersion(counter), 1) << "Bazel's last good build is back" << log_.Dump();
  EXPECT_EQ(log_.Count("v2 from the fast path is not confirmed"), 1) << log_.Dump();
}

TEST_F(HotReloaderTest, AnIdleWaitUsesNoCpu) {
  std::unique_ptr<HotReloader> reloader = MakeReloader();
  AddCounter(*reloader);
  rusage before;
  rusage after;
  getrusage(RUSAGE_SELF, &before);
  EXPECT_EQ(reloader->WaitUntil(absl::Now() + absl::Milliseconds(500)),
            HotReloader::WaitOutcome::kDeadline);
  getrusage(RUSAGE_SELF, &after);
  const absl::Duration cpu =
      absl::DurationFromTimeval(after.ru_utime) - absl::DurationFromTimeval(before.ru_utime) +
      absl::DurationFromTimeval(after.ru_stime) - absl::DurationFromTimeval(before.ru_stime);
  // A polling loop would spend most of the half second; poll(2) spends next to nothing.
  EXPECT_LT(cpu, absl::Milliseconds(20));
}

TEST_F(HotReloaderTest, AReadableWakeFdEndsTheWait) {
  std::unique_ptr<HotReloader> reloader = MakeReloader();
  AddCounter(*reloader);
  int wake[2];
  ASSERT_EQ(pipe(wake), 0);
  ASSERT_EQ(write(wake[1], "x", 1), 1);
  const absl::Time start = absl::Now();
  EXPECT_EQ(reloader->WaitUntil(start + absl::Seconds(10), wake[0]),
            HotReloader::WaitOutcome::kWoken);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  close(wake[0]);
  close(wake[1]);
}

TEST_F(HotReloaderTest, TheFirstLoadMustSucceed) {
  std::unique_ptr<HotReloader> reloader = MakeReloader();
  WriteFile(module_path_, "");
  absl::StatusOr<HotModule<CounterApi>> module =
      reloader->Add<CounterApi>("counter", module_path_, HOTCC_INTERFACE_FINGERPRINT);
  EXPECT_EQ(module.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(HotReloaderTest, RemovesItsPrivateDirectory) {
  std::string private_dir;
  {
    std::unique_ptr<HotReloader> reloader = MakeReloader();
    AddCounter(*reloader);
    private_dir = reloader->private_dir().path();
    // The loaded version's copy stays, for a debugger to read by its path, until the exit.
    EXPECT_THAT(ListDirectory(private_dir), ::testing::ElementsAre("libcounter.v1.so"));
  }
  EXPECT_NE(access(private_dir.c_str(), F_OK), 0);
}

TEST_F(HotReloaderTest, TellsTheHostOfEveryModuleEvent) {
  std::vector<ModuleEvent> events;
  int version_seen_in_callback = -1;
  HotReloader::Options options;
  options.ibazel_notifications = false;
  options.private_dir_base = scratch_.path();
  options.log = log_.sink();
  absl::StatusOr<HotModule<CounterApi>> module;
  options.on_event = [&](const ModuleEvent& event) {
    events.push_back(event);
    // The lock is released: the host may ask the module its version from here.
    if (module.ok()) version_seen_in_callback = module->version();
  };
  absl::StatusOr<std::unique_ptr<HotReloader>> reloader = HotReloader::Create(options);
  ASSERT_TRUE(reloader.ok()) << reloader.status();
  InstallFile(FixturePath("v1"), module_path_);
  module = (*reloader)->Add<CounterApi>("counter", module_path_, HOTCC_INTERFACE_FINGERPRINT);
  ASSERT_TRUE(module.ok()) << module.status();
  Counter counter;
  ASSERT_TRUE(module->Call("step", [&](const CounterApi& api) { api.step(counter); }).ok());

  InstallFile(FixturePath("crashy"), module_path_);
  ASSERT_TRUE((*reloader)->ReloadChanged().ok()) << log_.Dump();
  EXPECT_EQ(version_seen_in_callback, 2);
  EXPECT_FALSE(
      module
          ->CallRestoring("misbehave", counter,
                          [&](const CounterApi& api) { api.misbehave(counter, Fault::kSegv); })
          .ok());
  WriteFile(module_path_, "not a module");
  EXPECT_FALSE((*reloader)->ReloadChanged().ok());

  ASSERT_EQ(events.size(), 4u) << log_.Dump();
  EXPECT_EQ(events[0].kind, ModuleEvent::Kind::kLoaded);
  EXPECT_EQ(events[0].version, 1);
  EXPECT_EQ(events[0].previous_version, 0);
  EXPECT_EQ(events[1].kind, ModuleEvent::Kind::kReloaded);
  EXPECT_EQ(events[1].version, 2);
  EXPECT_EQ(events[1].previous_version, 1);
  EXPECT_EQ(events[2].kind, ModuleEvent::Kind::kRolledBack);
  EXPECT_EQ(events[2].version, 1);
  EXPECT_EQ(events[2].previous_version, 2);
  EXPECT_THAT(std::string(events[2].status.message()), HasSubstr("SIGSEGV"));
  EXPECT_EQ(events[3].kind, ModuleEvent::Kind::kRefused);
  EXPECT_EQ(events[3].version, 1);
  EXPECT_THAT(std::string(events[3].status.message()), HasSubstr("not an ELF file"));
  for (const ModuleEvent& event : events) EXPECT_EQ(event.module, "counter");
}

TEST(HotReloaderWaitTest, APastDeadlineStillSeesTheWakeFd) {
  // A tick that ran long (a module call abandoned after its time limit) must not hide a stop
  // request behind the overdue deadline.
  HotReloader::Options options;
  options.ibazel_notifications = false;
  absl::StatusOr<std::unique_ptr<HotReloader>> reloader = HotReloader::Create(options);
  ASSERT_TRUE(reloader.ok()) << reloader.status();
  int wake[2];
  ASSERT_EQ(pipe(wake), 0);
  EXPECT_EQ((*reloader)->WaitUntil(absl::Now() - absl::Seconds(1), wake[0]),
            HotReloader::WaitOutcome::kDeadline);
  ASSERT_EQ(write(wake[1], "x", 1), 1);
  EXPECT_EQ((*reloader)->WaitUntil(absl::Now() - absl::Seconds(1), wake[0]),
            HotReloader::WaitOutcome::kWoken);
  close(wake[0]);
  close(wake[1]);
}

TEST_F(HotReloaderTest, LoadsABuildWhoseEventWasLostInAQueueOverflow) {
  int max_queued_events = 0;
  std::ifstream("/proc/sys/fs/inotify/max_queued_events") >> max_queued_events;
  if (max_queued_events <= 0 || max_queued_events > (1 << 20)) {
    GTEST_SKIP() << "fs.inotify.max_queued_events is " << max_queued_events;
  }
  std::unique_ptr<HotReloader> reloader = MakeReloader();
  HotModule<CounterApi> counter = AddCounter(*reloader);

  // Fill the queue while the reloader is not reading it. The kernel merges an event with an
  // identical one just before it: alternate between two files.
  const std::string decoys[] = {scratch_.PathOf("decoy-a"), scratch_.PathOf("decoy-b")};
  for (const std::string& decoy : decoys) WriteFile(decoy, "");
  for (int i = 0; i <= max_queued_events; ++i) {
    ASSERT_EQ(chmod(decoys[i % 2].c_str(), 0644), 0);
  }
  InstallFile(FixturePath("v2"), module_path_);  // Its events are dropped.
  EXPECT_TRUE(WaitForVersion(*reloader, counter, 2)) << log_.Dump();
  EXPECT_EQ(log_.Count("counter: reloaded v2"), 1) << log_.Dump();
  EXPECT_EQ(log_.lines().size(), 2u) << "no line but the two loads: " << log_.Dump();
}

// A module deep below the scratch directory, as Bazel's outputs are below bazel-out, so that a
// test can remove and recreate several levels of its directory.
class ChangeDetectionTest : public HotReloaderTest {
 protected:
  ChangeDetectionTest()
      : out_(scratch_.PathOf("out")),
        directory_(out_ + "/bin/libs/counter"),
        deep_path_(directory_ + "/libcounter.so") {
    std::filesystem::create_directories(directory_);
    InstallFile(FixturePath("v1"), deep_path_);
  }
  // ScratchDir removes only files: take the trees away first.
  ~ChangeDetectionTest() override {
    std::filesystem::remove_all(out_);
    std::filesystem::remove_all(scratch_.PathOf("staging"));
  }

  HotModule<CounterApi> AddDeepCounter(HotReloader& reloader) {
    absl::StatusOr<HotModule<CounterApi>> module =
        reloader.Add<CounterApi>("counter", deep_path_, HOTCC_INTERFACE_FINGERPRINT);
    EXPECT_TRUE(module.ok()) << module.status();
    return *module;
  }

  // Waits in the reloader until a line contains `text`, for at most `limit`.
  bool WaitForLog(HotReloader& reloader, absl::string_view text,
                  absl::Duration limit = absl::Seconds(10)) {
    const absl::Time deadline = absl::Now() + limit;
    while (log_.Count(text) == 0 && absl::Now() < deadline) {
      reloader.WaitUntil(std::min(deadline, absl::Now() + absl::Milliseconds(20)));
    }
    return log_.Count(text) > 0;
  }

  static std::int64_t Step(const HotModule<CounterApi>& module) {
    Counter counter;
    module.CallUnguarded([&](const CounterApi& api) { api.step(counter); });
    return counter.value;
  }

  const std::string out_;
  const std::string directory_;
  const std::string deep_path_;
};

TEST_F(ChangeDetectionTest, KeepsRunningWhileItsDirectoryIsRemovedAndLoadsTheNextBuild) {
  std::unique_ptr<HotReloader> reloader = MakeReloader();
  HotModule<CounterApi> counter = AddDeepCounter(*reloader);

  // What bazel clean does to bazel-out/k8-fastbuild/bin/libs/view: four levels go.
  std::filesystem::remove_all(out_);
  ASSERT_TRUE(WaitForLog(*reloader, "was removed (bazel clean?)")) << log_.Dump();
  EXPECT_EQ(log_.Count(absl::StrCat("counter: ", directory_,
                                    " was removed (bazel clean?); v1 keeps running")),
            1)
      << log_.Dump();
  EXPECT_EQ(Step(counter), 1) << "the loaded version is mapped: it still runs";

  // The next build makes the directories at once, then writes the module.
  std::filesystem::create_directories(directory_);
  ASSERT_TRUE(WaitForLog(*reloader, "is back")) << log_.Dump();
  InstallFile(FixturePath("v2"), deep_path_);
  EXPECT_TRUE(WaitForVersion(*reloader, counter, 2)) << log_.Dump();
  EXPECT_EQ(Step(counter), 10);
  EXPECT_EQ(counter.version(), 2);
  EXPECT_EQ(log_.Count("was removed"), 1) << "one line, not one per level: " << log_.Dump();
}

TEST_F(ChangeDetectionTest, SeesTheRemovalOfAnAncestorThatIsStillInUse) {
  std::unique_ptr<HotReloader> reloader = MakeReloader();
  HotModule<CounterApi> counter = AddDeepCounter(*reloader);
  // bazel run runs the app in its runfiles, below bin/: a directory held like this is deleted
  // without a word to its own watch, until it is let go.
  const std::string bin = out_ + "/bin";
  const int held = open(bin.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(held, 0);

  // The loader falls back to watching bin/, then bin/ goes too.
  std::filesystem::remove_all(bin + "/libs");
  ASSERT_TRUE(WaitForLog(*reloader, "was removed")) << log_.Dump();
  std::filesystem::remove_all(out_);
  reloader->WaitUntil(absl::Now() + absl::Milliseconds(20));  // The clean ends; the build starts.
  std::filesystem::create_directories(directory_);
  InstallFile(FixturePath("v2"), deep_path_);
  EXPECT_TRUE(WaitForVersion(*reloader, counter, 2)) << log_.Dump();
  close(held);
}

TEST_F(ChangeDetectionTest, LoadsABuildWhoseDirectoryTreeIsRenamedIntoPlace) {
  std::unique_ptr<HotReloader> reloader = MakeReloader();
  HotModule<CounterApi> counter = AddDeepCounter(*reloader);
  std::filesystem::remove_all(out_);
  ASSERT_TRUE(WaitForLog(*reloader, "was removed")) << log_.Dump();

  // The whole tree, module included, appears in one rename: no event below its top.
  const std::string staging = scratch_.PathOf("staging");
  std::filesystem::create_directories(staging + "/out/bin/libs/counter");
  InstallFile(FixturePath("v2"), staging + "/out/bin/libs/counter/libcounter.so");
  ASSERT_EQ(std::rename((staging + "/out").c_str(), out_.c_str()), 0);
  EXPECT_TRUE(WaitForVersion(*reloader, counter, 2)) << log_.Dump();
  EXPECT_EQ(Step(counter), 10);
}

TEST_F(ChangeDetectionTest, LoadsABuildWhenItsDirectoryIsReplacedByARename) {
  std::unique_ptr<HotReloader> reloader = MakeReloader();
  HotModule<CounterApi> counter = AddDeepCounter(*reloader);
  const std::string next = directory_ + ".next";
  std::filesystem::create_directories(next);
  InstallFile(FixturePath("v2"), next + "/libcounter.so");

  // The watch follows the old directory to its new name, where no build will come.
  ASSERT_EQ(std::rename(directory_.c_str(), (directory_ + ".old").c_str()), 0);
  ASSERT_EQ(std::rename(next.c_str(), directory_.c_str()), 0);
  EXPECT_TRUE(WaitForVersion(*reloader, counter, 2)) << log_.Dump();
  // One line, whether the loader looked between the two renames or after both.
  EXPECT_EQ(log_.Count("was moved away") + log_.Count("was replaced"), 1) << log_.Dump();
}

TEST_F(ChangeDetectionTest, LoadsABuildWhenItsParentDirectoryIsReplacedByARename) {
  std::unique_ptr<HotReloader> reloader = MakeReloader();
  HotModule<CounterApi> counter = AddDeepCounter(*reloader);
  const std::string libs = out_ + "/bin/libs";
  std::filesystem::create_directories(libs + ".next/counter");
  InstallFile(FixturePath("v2"), libs + ".next/counter/libcounter.so");

  // The module's directory moves with its parent, and tells its own watch nothing.
  ASSERT_EQ(std::rename(libs.c_str(), (libs + ".old").c_str()), 0);
  ASSERT_EQ(std::rename((libs + ".next").c_str(), libs.c_str()), 0);
  EXPECT_TRUE(WaitForVersion(*reloader, counter, 2)) << log_.Dump();
}

}  // namespace
}  // namespace hotcc::testing
