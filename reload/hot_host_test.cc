// The hot build's host over real fixture modules: it loads lib<name>.so from the module
// directory, says what to do when the file is missing or the runfile unknown, forwards the module's
// events, and reloads a new build while it waits.

#include "reload/hot_host.h"

#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reload/testdata/counter_api.h"
#include "reload/testing/fixtures.h"

namespace hotcc::testing {
namespace {

using ::testing::HasSubstr;

// What the generated <binary>_modules.h declares for a module in a hot host; the directory given
// as HostOptions::module_dir takes precedence over the runfiles path.
struct counter {
  static constexpr char kName[] = "counter";
  static constexpr char kRunfilesPath[] = "";
};

using Host = ::hotcc::HotHost;

int FixtureVersion(const HotModule<CounterApi>& module) {
  return module.CallUnguarded([](const CounterApi& api) { return api.version(); });
}

TEST(HotHostTest, LoadsFromTheModuleDirectoryAndReloadsWhileWaiting) {
  ScratchDir modules;
  InstallFile(FixturePath("v1"), modules.PathOf("libcounter.so"));
  std::vector<ModuleEvent> events;
  HostOptions options;
  options.module_dir = modules.path();
  options.on_event = [&](const ModuleEvent& event) { events.push_back(event); };
  absl::StatusOr<std::unique_ptr<Host>> host = Host::Create(options);
  ASSERT_TRUE(host.ok()) << host.status();
  absl::StatusOr<Host::Module<CounterApi, counter>> module =
      (*host)->Add<CounterApi, counter>(HOTCC_INTERFACE_FINGERPRINT);
  ASSERT_TRUE(module.ok()) << module.status();
  EXPECT_EQ(FixtureVersion(*module), 1);

  InstallFile(FixturePath("v2"), modules.PathOf("libcounter.so"));
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (FixtureVersion(*module) != 2 && absl::Now() < deadline) {
    (*host)->WaitUntil(absl::Now() + absl::Milliseconds(20));
  }
  EXPECT_EQ(FixtureVersion(*module), 2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, ModuleEvent::Kind::kLoaded);
  EXPECT_EQ(events[1].kind, ModuleEvent::Kind::kReloaded);
  EXPECT_EQ(events[1].module, "counter");
  EXPECT_EQ(events[1].version, 2);
}

TEST(HotHostTest, AMissingModuleSaysHowToNameIt) {
  ScratchDir empty;
  HostOptions options;
  options.module_dir = empty.path();
  absl::StatusOr<std::unique_ptr<Host>> host = Host::Create(options);
  ASSERT_TRUE(host.ok()) << host.status();
  absl::StatusOr<Host::Module<CounterApi, counter>> module =
      (*host)->Add<CounterApi, counter>(HOTCC_INTERFACE_FINGERPRINT);
  ASSERT_FALSE(module.ok());
  EXPECT_EQ(module.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(module.status().message()), HasSubstr("libcounter.so: missing file"));
}

// A module the binary has no runfile for, and no --hot_dir.
struct unbuilt {
  static constexpr char kName[] = "unbuilt";
  static constexpr char kRunfilesPath[] = "hotcc/nowhere/libunbuilt.so";
};

TEST(HotHostTest, AModuleMissingFromTheRunfilesSaysHowToNameIt) {
  absl::StatusOr<std::unique_ptr<Host>> host = Host::Create();
  ASSERT_TRUE(host.ok()) << host.status();
  absl::StatusOr<Host::Module<CounterApi, unbuilt>> module =
      (*host)->Add<CounterApi, unbuilt>(HOTCC_INTERFACE_FINGERPRINT);
  ASSERT_FALSE(module.ok());
  EXPECT_EQ(module.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(module.status().message()), HasSubstr("libunbuilt.so"));
  EXPECT_THAT(std::string(module.status().message()), HasSubstr("--hot_dir=DIR names it"));
}

TEST(HotHostTest, RefusesAModuleOfAnotherInterface) {
  ScratchDir modules;
  InstallFile(FixturePath("v1"), modules.PathOf("libcounter.so"));
  HostOptions options;
  options.module_dir = modules.path();
  absl::StatusOr<std::unique_ptr<Host>> host = Host::Create(options);
  ASSERT_TRUE(host.ok()) << host.status();
  absl::StatusOr<Host::Module<CounterApi, counter>> module =
      (*host)->Add<CounterApi, counter>(HOTCC_INTERFACE_FINGERPRINT ^ 1);
  ASSERT_FALSE(module.ok());
  EXPECT_THAT(std::string(module.status().message()), HasSubstr("interface fingerprint"));
}

}  // namespace
}  // namespace hotcc::testing
