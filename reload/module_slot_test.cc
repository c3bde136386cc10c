// Tests of one module's load pipeline on real fixture modules built by hot_cc_library: swaps
// that keep the host's state, every kind of refusal, crash rollback, and the unload check.

#include "reload/module_slot.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reload/fault_guard.h"
#include "reload/hot_module.h"
#include "reload/private_dir.h"
#include "reload/shared_library.h"
#include "reload/testdata/counter_api.h"
#include "reload/testing/fixtures.h"

namespace hotcc::testing {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class ModuleSlotTest : public ::testing::Test {
 protected:
  ModuleSlotTest()
      : private_dir_(*PrivateDir::Create(scratch_.path())),
        module_path_(scratch_.PathOf("libcounter.so")),
        fast_path_(scratch_.PathOf("fast-libcounter.so")) {}

  // A slot for "counter" at module_path_, as a host built against counter_api.h expects it,
  // with the dev loop's fast path at fast_path_.
  std::unique_ptr<ModuleSlot> MakeSlot(absl::Duration time_limit = absl::Seconds(3)) {
    return std::make_unique<ModuleSlot>(
        ModuleSpec{"counter", module_path_, sizeof(CounterApi), HOTCC_INTERFACE_FINGERPRINT,
                   time_limit, fast_path_},
        &private_dir_, log_.sink());
  }

  // Installs `fixture` where the fast path puts its build, and loads it; expects success.
  void InstallAndLoadFast(ModuleSlot& slot, absl::string_view fixture) {
    InstallFile(FixturePath(fixture), fast_path_);
    ASSERT_TRUE(slot.ReloadFast(absl::Now()).ok()) << log_.Dump();
  }

  // Installs `fixture` at module_path_ and loads it; expects success.
  void InstallAndLoad(ModuleSlot& slot, absl::string_view fixture) {
    InstallFile(FixturePath(fixture), module_path_);
    ASSERT_TRUE(slot.Reload(absl::Now()).ok()) << log_.Dump();
  }

  // Runs the current version's step on `counter`; expects the call to succeed.
  static void Step(ModuleSlot& slot, Counter& counter) {
    HotModule<CounterApi> module(&slot);
    ASSERT_TRUE(
        module.CallRestoring("step", counter, [&](const CounterApi& api) { api.step(counter); })
            .ok());
  }

  // The fixture version that calls reach (1, 2, 3 for crashy).
  static int FixtureVersion(ModuleSlot& slot) {
    return HotModule<CounterApi>(&slot).CallUnguarded(
        [](const CounterApi& api) { return api.version(); });
  }

  ScratchDir scratch_;
  PrivateDir private_dir_;
  const std::string module_path_;
  const std::string fast_path_;
  LogCapture log_;
};

TEST_F(ModuleSlotTest, SwapsInANewBuildAndTheStateCarriesOn) {
  std::unique_ptr<ModuleSlot> slot = MakeSlot();
  InstallAndLoad(*slot, "v1");
  Counter counter;
  Step(*slot, counter);
  Step(*slot, counter);
  EXPECT_EQ(counter.value, 2);

  InstallAndLoad(*slot, "v2");
  EXPECT_EQ(slot->version(), 2);
  EXPECT_EQ(FixtureVersion(*slot), 2);
  Step(*slot, counter);
  EXPECT_EQ(counter.value, 12) << "v2 steps by 10, from where v1 left the counter";
  EXPECT_EQ(counter.steps, 3);

  EXPECT_EQ(log_.Count("counter: loaded v1 from " + module_path_), 1) << log_.Dump();
  EXPECT_THAT(log_.lines().back(),
              AllOf(HasSubstr("counter: reloaded v2 from " + module_path_), HasSubstr("seen "),
                    HasSubstr("validated "), HasSubstr("copied "), HasSubstr("opened "),
                    HasSubstr("verified "), HasSubstr("swapped ")));
  // A debugger reads a loaded version's file by its path: each mapped version's copy stays.
  EXPECT_THAT(ListDirectory(private_dir_.path()),
              ElementsAre("libcounter.v1.so", "libcounter.v2.so"));
  EXPECT_TRUE(IsMapped(private_dir_.PathOf("libcounter.v2.so")));
  slot.reset();
  EXPECT_THAT(ListDirectory(private_dir_.path()), IsEmpty()) << "an unloaded version's copy goes";
}

TEST_F(ModuleSlotTest, AChmodOfTheLoadedFileIsNotANewBuild) {
  // Bazel makes an output read-only a few milliseconds after it lands: one build, one version.
  std::unique_ptr<ModuleSlot> slot = MakeSlot();
  InstallAndLoad(*slot, "v1");
  log_.Clear();
  ASSERT_EQ(chmod(module_path_.c_str(), 0555), 0);
  EXPECT_TRUE(slot->Reload(absl::Now()).ok());
  EXPECT_EQ(slot->version(), 1);
  EXPECT_TRUE(log_.lines().empty()) << log_.Dump();
  InstallAndLoad(*slot, "v2");  // A real rebuild still loads.
  EXPECT_EQ(slot->version(), 2);
}

TEST_F(ModuleSlotTest, AnUnchangedFileIsNotLoadedAgain) {
  std::unique_ptr<ModuleSlot> slot = MakeSlot();
  InstallAndLoad(*slot, "v1");
  ASSERT_TRUE(slot->Reload(absl::Now()).ok());
  EXPECT_EQ(slot->version(), 1);
  EXPECT_EQ(log_.lines().size(), 1u) << log_.Dump();
}

// One kind of bad file: how to make it, and what the refusal must say.
struct Refusal {
  std::string name;
  void (*make)(const std::string& path);
  absl::StatusCode code;
  std::vector<std::string> message_parts;
};

void PatchByte(const std::string& path, size_t offset, unsigned char value) {
  std::string bytes = ReadFile(path);
  bytes[offset] = static_cast<char>(value);
  InstallFile(path, path + ".patched");
  WriteFile(path + ".patched", bytes);
  ASSERT_EQ(rename((path + ".patched").c_str(), path.c_str()), 0);
}

const Refusal kRefusals[] = {
    {"MissingFile",
     [](const std::string& path) { unlink(path.c_str()); },
     absl::StatusCode::kNotFound,
     {"missing file", "No such file or directory"}},
    {"EmptyFile",
     [](const std::string& path) { WriteFile(path, ""); },
     absl::StatusCode::kInvalidArgument,
     {"empty file"}},
    {"RandomBytes",
     [](const std::string& path) {
       std::mt19937 random(7);
       std::string bytes(4096, '\0');
       for (char& byte : bytes) byte = static_cast<char>(random());
       WriteFile(path, bytes);
     },
     absl::StatusCode::kInvalidArgument,
     {"not an ELF file"}},
    {"TruncatedElf",
     [](const std::string& path) {
       const std::string bytes = ReadFile(FixturePath("v2"));
       WriteFile(path, bytes.substr(0, bytes.size() / 2));
     },
     absl::StatusCode::kFailedPrecondition,
     {"truncated ELF", "still being written"}},
    {"WrongArchitecture",
     [](const std::string& path) {
       InstallFile(FixturePath("v2"), path);
       PatchByte(path, 18, 183);  // e_machine = EM_AARCH64.
     },
     absl::StatusCode::kInvalidArgument,
     {"wrong architecture: built for AArch64"}},
    {"NoEntryPoint",
     [](const std::string& path) { InstallFile(FixturePath("no_entry"), path); },
     absl::StatusCode::kNotFound,
     {"no entry point hotcc_module_counter", "HOTCC_DEFINE_MODULE"}},
    {"UnresolvedSymbol",
     [](const std::string& path) { InstallFile(FixturePath("unresolved"), path); },
     absl::StatusCode::kFailedPrecondition,
     {"dlopen failed", "undefined symbol: hotcc_fixture_symbol_nobody_defines"}},
    {"AbiMismatch",
     [](const std::string& path) { InstallFile(FixturePath("wrong_abi"), path); },
     absl::StatusCode::kInvalidArgument,
     {"module ABI version 2, the app expects 1"}},
    {"FingerprintMismatch",
     [](const std::string& path) { InstallFile(FixturePath("changed_interface"), path); },
     absl::StatusCode::kInvalidArgument,
     {"interface fingerprint", "changed since the app was built: restart the app"}},
};

class RefusalTest : public ModuleSlotTest, public ::testing::WithParamInterface<Refusal> {};

TEST_P(RefusalTest, KeepsTheRunningVersionAndTheStateAndSaysWhy) {
  const Refusal& refusal = GetParam();
  std::unique_ptr<ModuleSlot> slot = MakeSlot();
  InstallAndLoad(*slot, "v1");
  Counter counter;
  Step(*slot, counter);
  log_.Clear();

  refusal.make(module_path_);
  const absl::Status status = slot->Reload(absl::Now());

  EXPECT_EQ(status.code(), refusal.code) << status;
  for (const std::string& part : refusal.message_parts) {
    EXPECT_THAT(std::string(status.message()), HasSubstr(part));
  }
  EXPECT_THAT(std::string(status.message()), HasSubstr(module_path_)) << "names the file";
  ASSERT_EQ(log_.lines().size(), 1u) << log_.Dump();
  EXPECT_THAT(log_.lines()[0], AllOf(HasSubstr("counter: kept v1, refused the new file"),
                                     HasSubstr(refusal.message_parts[0])));
  EXPECT_EQ(slot->version(), 1);
  EXPECT_EQ(FixtureVersion(*slot), 1);
  EXPECT_EQ(counter.value, 1) << "a refusal never touches the state";
  Step(*slot, counter);
  EXPECT_EQ(counter.value, 2) << "the old version keeps running";
  EXPECT_THAT(ListDirectory(private_dir_.path()), ElementsAre("libcounter.v1.so"))
      << "the refused build's copy is removed, the running version's stays";

  // The same bad file is not reported again; a good build afterwards loads.
  EXPECT_EQ(slot->Reload(absl::Now()).code(), refusal.code);
  EXPECT_EQ(log_.lines().size(), 1u) << log_.Dump();
  InstallAndLoad(*slot, "v2");
  EXPECT_EQ(FixtureVersion(*slot), 2);
}

INSTANTIATE_TEST_SUITE_P(EveryKind, RefusalTest, ::testing::ValuesIn(kRefusals),
                         [](const auto& info) { return info.param.name; });

TEST_F(ModuleSlotTest, NothingLoadsWhenTheFirstFileIsBad) {
  std::unique_ptr<ModuleSlot> slot = MakeSlot();
  WriteFile(module_path_, "not a module");
  EXPECT_EQ(slot->Reload().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(slot->version(), 0);
  EXPECT_THAT(log_.Dump(), HasSubstr("counter: nothing loaded, refused the new file"));
  Counter counter;
  const absl::Status call =
      HotModule<CounterApi>(slot.get()).Call("step", [&](const auto& api) { api.step(counter); });
  EXPECT_EQ(call.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(call.message()), HasSubstr("no working version"));
}

// Root may read any file, so when the test runs as root the check runs as `nobody` in a child
// process, on a directory under /tmp (the test's own directory is under root's home).
TEST_F(ModuleSlotTest, PermissionDeniedKeepsTheRunningVersion) {
  const bool as_root = geteuid() == 0;
  ScratchDir reachable(as_root ? "/tmp" : "");
  chmod(reachable.path().c_str(), 0777);
  const std::string module_path = reachable.PathOf("libcounter.so");
  const std::string unreadable = reachable.PathOf("unreadable.so");
  InstallFile(FixturePath("v1"), module_path);
  chmod(module_path.c_str(), 0644);
  InstallFile(FixturePath("v2"), unreadable);
  chmod(unreadable.c_str(), 0000);

  // Returns what went wrong, or nothing.
  auto check = [&]() -> std::string {
    absl::StatusOr<PrivateDir> own_dir = PrivateDir::Create(reachable.path());
    if (!own_dir.ok()) return own_dir.status().ToString();
    ModuleSlot slot(
        ModuleSpec{"counter", module_path, sizeof(CounterApi), HOTCC_INTERFACE_FINGERPRINT},
        &*own_dir, log_.sink());
    if (!slot.Reload().ok()) return "v1 did not load: " + log_.Dump();
    // A build output that this user may not read replaces the module.
    if (rename(unreadable.c_str(), module_path.c_str()) != 0) return "rename failed";
    const absl::Status status = slot.Reload(absl::Now());
    if (status.code() != absl::StatusCode::kPermissionDenied) return status.ToString();
    if (!absl::StrContains(status.message(), "Permission denied")) {
      return "no OS error in: " + status.ToString();
    }
    if (slot.version() != 1 || FixtureVersion(slot) != 1) return "the old version stopped";
    return "";
  };

  if (!as_root) {
    EXPECT_EQ(check(), "");
    return;
  }
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    constexpr uid_t kNobody = 65534;
    if (setgroups(0, nullptr) != 0 || setgid(kNobody) != 0 || setuid(kNobody) != 0) _exit(3);
    const std::string failure = check();
    if (!failure.empty()) {
      ssize_t ignored = write(STDERR_FILENO, failure.data(), failure.size());
      (void)ignored;
      _exit(1);
    }
    _exit(0);
  }
  int wait_status = 0;
  ASSERT_EQ(waitpid(child, &wait_status, 0), child);
  ASSERT_TRUE(WIFEXITED(wait_status));
  EXPECT_EQ(WEXITSTATUS(wait_status), 0) << "the child's message is on stderr above";
}

TEST_F(ModuleSlotTest, DeletedMidRunTheRunningVersionCarriesOn) {
  std::unique_ptr<ModuleSlot> slot = MakeSlot();
  InstallAndLoad(*slot, "v1");
  ASSERT_EQ(unlink(module_path_.c_str()), 0);
  Counter counter;
  Step(*slot, counter);
  EXPECT_EQ(slot->Reload(absl::Now()).code(), absl::StatusCode::kNotFound);
  Step(*slot, counter);
  EXPECT_EQ(counter.value, 2);
}

struct Crash {
  std::string name;
  Fault fault;
  std::string message;
};

class CrashTest : public ModuleSlotTest, public ::testing::WithParamInterface<Crash> {};

TEST_P(CrashTest, RollsBackToTheLastGoodVersionAndRestoresTheState) {
#if defined(__SANITIZE_THREAD__)
  if (GetParam().fault == Fault::kHang) {
    GTEST_SKIP() << "ThreadSanitizer defers the watchdog's signal while a call spins";
  }
#endif
  std::unique_ptr<ModuleSlot> slot = MakeSlot();
  InstallAndLoad(*slot, "v1");
  Counter counter;
  Step(*slot, counter);  // v1 has completed a call: it is the rollback target.
  InstallAndLoad(*slot, "crashy");
  ASSERT_EQ(FixtureVersion(*slot), 3);
  log_.Clear();

  const Counter before = counter;
  const absl::Status status =
      HotModule<CounterApi>(slot.get())
          .CallRestoring(
              "misbehave", counter,
              [&](const CounterApi& api) { api.misbehave(counter, GetParam().fault); },
              CallOptions{absl::Milliseconds(300)});

  EXPECT_EQ(status.code(), absl::StatusCode::kAborted);
  EXPECT_THAT(std::string(status.message()),
              AllOf(HasSubstr("counter: misbehave in v2 "), HasSubstr(GetParam().message),
                    HasSubstr("rolled back to v1")));
  EXPECT_EQ(counter.value, before.value) << "the state is as it was before the call";
  EXPECT_EQ(counter.steps, before.steps);
  EXPECT_EQ(slot->version(), 1);
  EXPECT_EQ(FixtureVersion(*slot), 1);
  ASSERT_EQ(log_.lines().size(), 1u) << log_.Dump();
  EXPECT_THAT(log_.lines()[0], AllOf(HasSubstr("state restored"), HasSubstr("rolled back to v1"),
                                     HasSubstr("v2 unloaded and unmapped")));
  EXPECT_THAT(ListDirectory(private_dir_.path()), ElementsAre("libcounter.v1.so"));
  Step(*slot, counter);
  EXPECT_EQ(counter.value, before.value + 1) << "v1 runs again";
  // The file that crashed is not loaded again until it changes.
  EXPECT_EQ(slot->Reload(absl::Now()).code(), absl::StatusCode::kAborted);
  EXPECT_EQ(FixtureVersion(*slot), 1);
}

INSTANTIATE_TEST_SUITE_P(
    EverySignalAndExceptions, CrashTest,
    ::testing::Values(
        Crash{"Segv", Fault::kSegv, "SIGSEGV (segmentation fault)"},
        Crash{"Bus", Fault::kBus, "SIGBUS (bus error)"},
        Crash{"Fpe", Fault::kFpe, "SIGFPE (arithmetic error)"},
        Crash{"Ill", Fault::kIll, "SIGILL (illegal instruction)"},
        Crash{"Exception", Fault::kException,
              "crashed: exception escaped: misbehave threw on purpose"},
        Crash{"Abort", Fault::kAbort, "crashed: SIGABRT (abort): abort() called"},
        Crash{"Assert", Fault::kAssert,
              "crashed: SIGABRT (abort): module_slot_test: reload/testdata/counter.cc:"},
        Crash{"AssertText", Fault::kAssert,
              "Assertion `counter.value >= 0 && \"misbehave asserts on purpose\"' "
              "failed."},
        Crash{"Terminate", Fault::kTerminate,
              "crashed: SIGABRT (abort): std::terminate called after throwing "
              "std::logic_error: thrown through a noexcept function"},
        Crash{"Hang", Fault::kHang, "did not return within 300ms; abandoned after"}),
    [](const auto& info) { return info.param.name; });

TEST_F(ModuleSlotTest, AbandonGuardedCallsEndsAHungCallAndKeepsTheModule) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "ThreadSanitizer defers the watchdog's signal while a call spins";
#endif
  std::unique_ptr<ModuleSlot> slot = MakeSlot();
  InstallAndLoad(*slot, "crashy");
  Counter counter{.value = 5, .steps = 5};
  std::thread stopper([] {
    absl::SleepFor(absl::Milliseconds(100));
    AbandonGuardedCalls();  // What the host's SIGINT handler does.
  });
  const absl::Status status =
      HotModule<CounterApi>(slot.get())
          .CallRestoring(
              "misbehave", counter,
              [&](const CounterApi& api) { api.misbehave(counter, Fault::kHang); },
              CallOptions{absl::InfiniteDuration()});
  stopper.join();
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled) << status;
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("counter: misbehave in v1 abandoned: the process is stopping"));
  EXPECT_EQ(counter.value, 5) << "the state is restored";
  EXPECT_EQ(slot->version(), 1) << "stopping is not the module's fault: no rollback";
  EXPECT_EQ(FixtureVersion(*slot), 3);
}

// A module that runs code while it loads is tried in a helper process first; one without such
// code is not.
struct LoadFailure {
  std::string fixture;
  absl::StatusCode code;
  std::vector<std::string> message;
};

class LoadFailureTest : public ModuleSlotTest, public ::testing::WithParamInterface<LoadFailure> {};

TEST_P(LoadFailureTest, IsRefusedBeforeAnyOfItsCodeRunsInTheHost) {
  std::unique_ptr<ModuleSlot> slot = MakeSlot(absl::Milliseconds(500));
  InstallAndLoad(*slot, "v1");
  EXPECT_THAT(log_.Dump(), Not(HasSubstr("probed"))) << "v1 runs no code at load: no helper";
  Counter counter;
  Step(*slot, counter);
  log_.Clear();

  InstallFile(FixturePath(GetParam().fixture), module_path_);
  const absl::Status status = slot->Reload(absl::Now());

  EXPECT_EQ(status.code(), GetParam().code) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(", in a helper process"));
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // A sanitizer's runtime reports the helper's crash itself, and exits with a status of its own.
  const bool exact_message = GetParam().code != absl::StatusCode::kAborted;
#else
  const bool exact_message = true;
#endif
  for (const std::string& part : GetParam().message) {
    if (exact_message) {
      EXPECT_THAT(std::string(status.message()), HasSubstr(part));
    }
  }
  EXPECT_THAT(std::string(status.message()), HasSubstr("it never ran in the app"));
  ASSERT_EQ(log_.lines().size(), 1u) << log_.Dump();
  EXPECT_THAT(log_.lines()[0], HasSubstr("counter: kept v1, refused the new file"));
  EXPECT_EQ(slot->version(), 1);
  EXPECT_EQ(slot->loaded_versions(), 1);
  Step(*slot, counter);
  EXPECT_EQ(counter.value, 2) << "v1 runs on, its state intact";
  EXPECT_THAT(ListDirectory(private_dir_.path()), ElementsAre("libcounter.v1.so"))
      << "no copy of the refused build is left behind";
}

INSTANTIATE_TEST_SUITE_P(
    EveryKind, LoadFailureTest,
    ::testing::Values(
        LoadFailure{"load_crash",
                    absl::StatusCode::kAborted,
                    {"crashed while loading, in a helper process: SIGSEGV",
                     "it runs initializer hotcc::testing::(anonymous namespace)::RunAtLoad()"}},
        LoadFailure{"load_assert",
                    absl::StatusCode::kAborted,
                    {"crashed while loading, in a helper process: SIGABRT",
                     "a dependency's global object asserts while the module loads",
                     "_GLOBAL__sub_I_load_time_dependency.cc"}},
        LoadFailure{"load_hang",
                    absl::StatusCode::kDeadlineExceeded,
                    {"did not finish loading within 500ms, in a helper process"}}),
    [](const auto& info) { return info.param.fixture; });

TEST_F(ModuleSlotTest, AModuleWhoseInitializersWorkLoadsAfterItsTrial) {
  std::unique_ptr<ModuleSlot> slot = MakeSlot();
  InstallAndLoad(*slot, "v1");
  InstallAndLoad(*slot, "load_fine");
  EXPECT_EQ(FixtureVersion(*slot), 7);
  EXPECT_THAT(log_.Dump(), HasSubstr("probed in a helper"));
  EXPECT_GT(slot->last_timings().probed, absl::ZeroDuration());
}

TEST_F(ModuleSlotTest, AProvenVersionIsCalledWithoutACopyOfTheState) {
  std::unique_ptr<ModuleSlot> slot = MakeSlot();
  InstallAndLoad(*slot, "v1");
  Counter counter;
  Step(*slot, counter);
  InstallAndLoad(*slot, "crashy");
  HotModule<CounterApi> module(slot.get());
  // kNone: the crashy version changes the state and returns, completing the call.
  for (int i = 0; i < ModuleSlot::kProbationCalls; ++i) {
    ASSERT_TRUE(
        module
            .CallRestoring("misbehave", counter,
                           [&](const CounterApi& api) { api.misbehave(counter, Fault::kNone); })
            .ok());
  }
  counter.value = 5;
  const absl::Status status = module.CallRestoring(
      "misbehave", counter, [&](const CounterApi& api) { api.misbehave(counter, Fault::kSegv); });
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted);
  EXPECT_THAT(std::string(status.message()),
              AllOf(HasSubstr("state not restored: v2 had completed 64 calls"),
                    HasSubstr("rolled back to v1")));
  EXPECT_EQ(counter.value, -999) << "no copy was made, so nothing was put back";
}

TEST_F(ModuleSlotTest, ACrashWithNothingToRollBackToWaitsForTheNextBuild) {
  std::unique_ptr<ModuleSlot> slot = MakeSlot();
  InstallAndLoad(*slot, "crashy");
  Counter counter{.value = 4, .steps = 4};
  HotModule<CounterApi> module(slot.get());
  const absl::Status status = module.CallRestoring(
      "misbehave", counter, [&](const CounterApi& api) { api.misbehave(counter, Fault::kSegv); });
  EXPECT_THAT(std::string(status.message()), HasSubstr("no earlier version to roll back to"));
  EXPECT_EQ(counter.value, 4);
  EXPECT_EQ(module.Call("step", [&](const CounterApi& api) { api.step(counter); }).code(),
            absl::StatusCode::kFailedPrecondition);
  InstallAndLoad(*slot, "v2");
  Step(*slot, counter);
  EXPECT_EQ(counter.value, 14);
}

TEST_F(ModuleSlotTest, AReplacedVersionIsUnloadedAndUnmapped) {
  std::unique_ptr<ModuleSlot> slot = MakeSlot();
  Counter counter;
  InstallAndLoad(*slot, "v1");
  Step(*slot, counter);
  InstallAndLoad(*slot, "v2");
  Step(*slot, counter);
  EXPECT_EQ(slot->loaded_versions(), 2) << "v1 stays as the rollback target";
  InstallAndLoad(*slot, "v1");
  EXPECT_THAT(log_.lines().back(), HasSubstr("v1 unloaded and unmapped"));
  EXPECT_FALSE(IsMapped(private_dir_.PathOf("libcounter.v1.so")));
  EXPECT_TRUE(IsMapped(private_dir_.PathOf("libcounter.v2.so")));
  EXPECT_EQ(slot->loaded_versions(), 2);
  EXPECT_THAT(ListDirectory(private_dir_.path()),
              ElementsAre("libcounter.v2.so", "libcounter.v3.so"));
  EXPECT_EQ(slot->unload_failures(), 0);
}

TEST_F(ModuleSlotTest, AVersionThatNeverRanIsDroppedRatherThanKept) {
  std::unique_ptr<ModuleSlot> slot = MakeSlot();
  InstallAndLoad(*slot, "v1");
  InstallAndLoad(*slot, "v2");  // v1 never completed a call: no rollback target is kept.
  EXPECT_THAT(log_.lines().back(), HasSubstr("v1 unloaded and unmapped"));
  EXPECT_EQ(slot->loaded_versions(), 1);
  EXPECT_THAT(ListDirectory(private_dir_.path()), ElementsAre("libcounter.v2.so"));
}

// A module glibc will not unload: the loader must notice and say why, with the fix.
void ExpectUnloadFailureExplained(ModuleSlotTest* test, ModuleSlot& slot, LogCapture& log,
                                  absl::string_view first_fixture,
                                  const std::vector<std::string>& explanation) {
  (void)test;
  log.Clear();
  Counter counter;
  InstallFile(FixturePath(first_fixture), slot.spec().path);
  ASSERT_TRUE(slot.Reload(absl::Now()).ok()) << log.Dump();
  EXPECT_THAT(log.Dump(), HasSubstr("will not unload"));
  HotModule<CounterApi>(&slot)
      .Call("step", [&](const CounterApi& api) { api.step(counter); })
      .IgnoreError();
  for (absl::string_view next : {"v1", "v2"}) {
    InstallFile(FixturePath(next), slot.spec().path);
    ASSERT_TRUE(slot.Reload(absl::Now()).ok()) << log.Dump();
    HotModule<CounterApi>(&slot)
        .Call("step", [&](const CounterApi& api) { api.step(counter); })
        .IgnoreError();
  }
  const std::string unload_line = log.lines().back();
  EXPECT_THAT(unload_line, HasSubstr("NOT unloaded"));
  EXPECT_THAT(unload_line, HasSubstr("still mapped after dlclose"));
  for (const std::string& part : explanation) EXPECT_THAT(unload_line, HasSubstr(part));
  EXPECT_EQ(slot.unload_failures(), 1);
}

TEST_F(ModuleSlotTest, ExplainsWhyANodeleteModuleStaysMapped) {
  std::unique_ptr<ModuleSlot> slot = MakeSlot();
  ExpectUnloadFailureExplained(this, *slot, log_, "nodelete", {"NODELETE", "remove that flag"});
}

TEST_F(ModuleSlotTest, NamesTheGnuUniqueSymbolsThatPinAModule) {
  std::unique_ptr<ModuleSlot> slot = MakeSlot();
  ExpectUnloadFailureExplained(this, *slot, log_, "unique",
                               {"STB_GNU_UNIQUE", "SharedTotal()::total", "-fno-gnu-unique"});
}

TEST_F(ModuleSlotTest, ExplainsThatAThreadLocalDestructorPinsAModule) {
  std::unique_ptr<ModuleSlot> slot = MakeSlot();
  ExpectUnloadFailureExplained(this, *slot, log_, "thread_local",
                               {"thread_local destructors", "__cxa_thread_atexit_impl",
                                "move thread_local objects into the app"});
}

// The dev loop's fast path (tools/fast_path.py) builds a save before Bazel does; Bazel's build
// of the same save then confirms, replaces or, failed, reverts it.

TEST_F(ModuleSlotTest, AFastPathBuildRunsAndBazelsSameBytesConfirmIt) {
  std::unique_ptr<ModuleSlot> slot = MakeSlot();
  InstallAndLoad(*slot, "v1");
  InstallAndLoadFast(*slot, "v2");
  EXPECT_EQ(slot->version(), 2);
  EXPECT_EQ(FixtureVersion(*slot), 2);
  EXPECT_EQ(log_.Count("reloaded v2 from " + fast_path_ + " (fast path)"), 1) << log_.Dump();

  InstallFile(FixturePath("v2"), module_path_);  // Bazel's build: a new file, the same bytes.
  ASSERT_TRUE(slot->Reload(absl::Now()).ok());
  EXPECT_EQ(slot->version(), 2) << "the same build is not loaded twice";
  EXPECT_EQ(log_.Count("Bazel's build is byte for byte v2 from the fast path: confirmed"), 1)
      << log_.Dump();
  // Confirmed: a failed build later leaves it alone.
  ASSERT_TRUE(slot->RevertUnconfirmed().ok());
  EXPECT_EQ(slot->version(), 2);
}

TEST_F(ModuleSlotTest, BazelsDifferentBytesReplaceTheFastPathBuild) {
  std::unique_ptr<ModuleSlot> slot = MakeSlot();
  InstallAndLoad(*slot, "v1");
  InstallAndLoadFast(*slot, "v2");
  InstallFile(FixturePath("crashy"), module_path_);
  ASSERT_TRUE(slot->Reload(absl::Now()).ok());
  EXPECT_EQ(slot->version(), 3);
  EXPECT_EQ(FixtureVersion(*slot), 3) << "Bazel's build runs";
  EXPECT_EQ(
      log_.Count("reloaded v3 from " + module_path_ + ", which differs from v2 from the fast path"),
      1)
      << log_.Dump();
}

TEST_F(ModuleSlotTest, BazelsBuildOfAnEarlierSaveLeavesTheFastPathBuildRunning) {
  std::unique_ptr<ModuleSlot> slot = MakeSlot();
  InstallAndLoad(*slot, "v1");
  InstallAndLoadFast(*slot, "v2");      // The first save.
  InstallAndLoadFast(*slot, "crashy");  // The second, before Bazel finished the first.
  ASSERT_EQ(FixtureVersion(*slot), 3);

  InstallFile(FixturePath("v2"), module_path_);  // Bazel's build of the first save.
  ASSERT_TRUE(slot->Reload(absl::Now()).ok());
  EXPECT_EQ(FixtureVersion(*slot), 3) << "the app does not go back a save";
  EXPECT_EQ(log_.Count("Bazel's build is of an earlier save; v3 from the fast path stays"), 1)
      << log_.Dump();
  ASSERT_TRUE(slot->Reload(absl::Now()).ok());
  EXPECT_EQ(log_.Count("earlier save"), 1) << "each file of Bazel's is compared once";

  InstallFile(FixturePath("crashy"), module_path_);  // Bazel's build of the second save.
  ASSERT_TRUE(slot->Reload(absl::Now()).ok());
  EXPECT_EQ(slot->version(), 3);
  EXPECT_EQ(log_.Count("byte for byte v3 from the fast path: confirmed"), 1) << log_.Dump();
}

TEST_F(ModuleSlotTest, AFailedBazelBuildPutsBazelsLastGoodBuildBack) {
  std::unique_ptr<ModuleSlot> slot = MakeSlot();
  InstallAndLoad(*slot, "v1");
  InstallAndLoadFast(*slot, "v2");
  // Bazel's build failed (say, its sandbox refused an undeclared header): its output is still
  // the last good build, v1's bytes.
  ASSERT_TRUE(slot->RevertUnconfirmed().ok()) << log_.Dump();
  EXPECT_EQ(FixtureVersion(*slot), 1);
  EXPECT_EQ(slot->version(), 3);
  EXPECT_EQ(log_.Count("Bazel's build failed, so v2 from the fast path is not confirmed"), 1)
      << log_.Dump();
  EXPECT_EQ(log_.Count("reloaded v3 from " + module_path_ + " in place of v2 from the fast path"),
            1)
      << log_.Dump();
  ASSERT_TRUE(slot->RevertUnconfirmed().ok());
  EXPECT_EQ(slot->version(), 3) << "Bazel's own build is not reverted";
}

TEST_F(ModuleSlotTest, AFastPathBuildOfTheRunningBytesIsNotLoadedAgain) {
  std::unique_ptr<ModuleSlot> slot = MakeSlot();
  InstallAndLoad(*slot, "v1");
  InstallFile(FixturePath("v1"), fast_path_);  // e.g. Bazel's disk cache answered first.
  ASSERT_TRUE(slot->ReloadFast(absl::Now()).ok());
  EXPECT_EQ(slot->version(), 1) << log_.Dump();
}

TEST_F(ModuleSlotTest, BazelsBuildOfAFastPathBuildThatCrashedIsNotLoaded) {
  std::unique_ptr<ModuleSlot> slot = MakeSlot();
  InstallAndLoad(*slot, "v1");
  Counter counter;
  Step(*slot, counter);  // v1 is the rollback target.
  InstallAndLoadFast(*slot, "crashy");
  const absl::Status crashed = HotModule<CounterApi>(slot.get())
                                   .CallRestoring("misbehave", counter, [&](const CounterApi& api) {
                                     api.misbehave(counter, Fault::kSegv);
                                   });
  ASSERT_EQ(crashed.code(), absl::StatusCode::kAborted);
  ASSERT_EQ(FixtureVersion(*slot), 1);

  InstallFile(FixturePath("crashy"), module_path_);  // Bazel's build of the same save.
  const absl::Status refused = slot->Reload(absl::Now());
  EXPECT_EQ(refused.code(), absl::StatusCode::kAborted);
  EXPECT_THAT(std::string(refused.message()), HasSubstr("the same bytes as v2"));
  EXPECT_EQ(FixtureVersion(*slot), 1);
}

}  // namespace
}  // namespace hotcc::testing
