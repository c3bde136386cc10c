// The demo app: owns the state and the random engine, and runs the loop: update, view, print,
// sleep. stdout carries exactly one line per tick, written as the tick happens; everything
// else goes to stderr as "hotcc: " lines. SIGINT and SIGTERM end the app cleanly (exit 0).
//
// It calls its two hot libraries through app/app_modules.h, which hot_cc_binary generates
// (app/BUILD.bazel): the same code is the static build, where the calls go straight to the
// linked libraries, and the hot build, where they go to the loaded modules, guarded.
//
// Under the dev loop (tools/dev.sh: ibazel run with build notifications), a build that rebuilt
// the app itself makes it relaunch in place (reload/relaunch.h): it encodes its state by field
// name (app/snapshot.h, reload/state_codec.h), execs the new binary, and the new binary goes on
// from there, even if State itself was edited.

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "app/app_modules.h"
#include "app/random_engine.h"
#include "app/snapshot.h"
#include "libs/shared/modules.h"
#include "libs/shared/state.h"
#include "reload/relaunch.h"
#include "reload/state_codec.h"

ABSL_FLAG(std::int64_t, ticks, 0, "Number of ticks to run; 0 runs until stopped.");
ABSL_FLAG(std::int64_t, tick_ms, 500, "Milliseconds between ticks.");
ABSL_FLAG(std::uint64_t, seed, 0,
          "Seed of the random engine; the same seed gives the same output in the static and the "
          "hot build. 0 picks one at random.");

namespace hotcc::demo {

namespace {

using Host = app_modules::Host;

// The demo's two hot libraries, bound to this build's host.
struct Libraries {
  std::unique_ptr<Host> host;
  Host::Module<UpdateApi, app_modules::update> update;
  Host::Module<ViewApi, app_modules::view> view;
};

absl::StatusOr<Libraries> BindLibraries() {
  absl::StatusOr<std::unique_ptr<Host>> host = Host::Create();
  if (!host.ok()) return host.status();
  absl::StatusOr<Host::Module<UpdateApi, app_modules::update>> update =
      (*host)->Add<UpdateApi, app_modules::update>(HOTCC_INTERFACE_FINGERPRINT);
  if (!update.ok()) return update.status();
  absl::StatusOr<Host::Module<ViewApi, app_modules::view>> view =
      (*host)->Add<ViewApi, app_modules::view>(HOTCC_INTERFACE_FINGERPRINT);
  if (!view.ok()) return view.status();
  return Libraries{*std::move(host), *update, *view};
}

// A call that crashed was rolled back (and logged) by the loader, with the state restored (the
// loader says when it could not: a fault after the version's first 64 calls): run it again on
// the version rolled back to, so that the tick still happens. (The static build's calls cannot
// fail.)
template <typename Module, typename Call>
absl::Status RetryAfterRollback(const Module& module, Call call) {
  absl::Status status = call();
  if (absl::IsAborted(status) && module.version() > 0) status = call();
  return status;
}

absl::Status Update(Libraries& libraries, State& state, Rng& rng) {
  return RetryAfterRollback(libraries.update, [&] {
    return libraries.update.CallRestoring(
        "update_state", state, [&](const UpdateApi& api) { api.update_state(state, rng); });
  });
}

absl::StatusOr<std::string> View(Libraries& libraries, const State& state) {
  std::string line;
  absl::Status status = RetryAfterRollback(libraries.view, [&] {
    return libraries.view.Call("view_state",
                               [&](const ViewApi& api) { line = api.view_state(state); });
  });
  if (!status.ok()) return status;
  return line;
}

// SIGINT and SIGTERM write a byte here; the loop waits on the read end between ticks.
int stop_pipe[2] = {-1, -1};

void OnStopSignal(int) {
  const char byte = 1;
  ssize_t ignored = write(stop_pipe[1], &byte, 1);
  (void)ignored;
  // A hung module call would keep the loop from ever reading the pipe.
  Host::AbandonCalls();
}

bool InstallStopHandlers() {
  if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return false;
  struct sigaction action = {};
  action.sa_handler = &OnStopSignal;
  sigemptyset(&action.sa_mask);
  return sigaction(SIGINT, &action, nullptr) == 0 && sigaction(SIGTERM, &action, nullptr) == 0;
}

void Report(absl::string_view line) {
  const std::string text = absl::StrCat("hotcc: ", line, "\n");
  std::fwrite(text.data(), 1, text.size(), stderr);
}

// Starts from the state the previous build carried over, if this is a relaunch, read by field
// name into this build's State; otherwise, or if it cannot be read, the state stays fresh.
void Resume(State& state, RandomEngine& rng) {
  absl::StatusOr<std::optional<std::string>> carried = Relauncher::TakeCarriedState();
  if (carried.ok() && !carried->has_value()) return;
  Snapshot snapshot;
  absl::StatusOr<StateMigration> migration =
      carried.ok() ? DecodeState(**carried, snapshot) : carried.status();
  if (!migration.ok()) {
    Report(absl::StrCat("starting fresh: ", migration.status().message()));
    return;
  }
  if (!rng.RestoreState(snapshot.rng_state)) {
    Report("the random engine starts afresh: its state in the snapshot is unreadable");
  }
  state = std::move(snapshot.state);
  Report(absl::StrCat("resumed at tick ", state.tick,
                      " with the state of the previous build: ", migration->Summary()));
}

int Run(std::vector<std::string> args) {
  Relauncher relauncher(std::move(args));
  if (!InstallStopHandlers()) {
    Report("cannot install the SIGINT/SIGTERM handlers");
    return 1;
  }
  std::uint64_t seed = absl::GetFlag(FLAGS_seed);
  if (seed == 0) seed = std::random_device()();
  RandomEngine rng(seed);
  State state;
  Resume(state, rng);

  absl::StatusOr<Libraries> libraries = BindLibraries();
  if (!libraries.ok()) {
    Report(libraries.status().ToString());
    return 1;
  }

  const std::int64_t ticks = absl::GetFlag(FLAGS_ticks);
  const absl::Duration tick_interval = absl::Milliseconds(absl::GetFlag(FLAGS_tick_ms));
  absl::Time next_tick = absl::Now();
  std::string last_error;
  for (std::int64_t tick = 0; ticks == 0 || tick < ticks; ++tick) {
    absl::Status updated = Update(*libraries, state, rng);
    if (absl::IsCancelled(updated)) break;  // A stop signal ended a call that hung.
    absl::StatusOr<std::string> line = View(*libraries, state);
    if (line.ok()) {
      line->push_back('\n');
      std::fwrite(line->data(), 1, line->size(), stdout);
      std::fflush(stdout);
    }
    // The loader reported each failure as it happened; say only when the app is stuck.
    const absl::Status stuck = !updated.ok() ? updated : line.status();
    if (!stuck.ok() && std::string(stuck.message()) != last_error) Report(stuck.message());
    last_error = std::string(stuck.message());

    if (ticks != 0 && tick + 1 == ticks) break;
    next_tick += tick_interval;
    WaitOutcome wake;
    while ((wake = libraries->host->WaitUntil(next_tick, stop_pipe[0])) ==
           WaitOutcome::kBuildSucceeded) {
      if (!relauncher.Rebuilt()) continue;
      libraries->host.reset();  // Unload the modules and remove their private directory first.
      Report("the app was rebuilt: relaunching it in place, with its state");
      std::fflush(stdout);
      const absl::Status failed =
          relauncher.Relaunch(EncodeState(Snapshot{state, rng.SaveState()}));
      Report(absl::StrCat("the app was rebuilt but cannot relaunch: ", failed.message()));
      libraries = BindLibraries();  // Carry on with this binary.
      if (!libraries.ok()) {
        Report(libraries.status().ToString());
        return 1;
      }
    }
    if (wake == WaitOutcome::kWoken) break;
  }
  return 0;
}

}  // namespace
}  // namespace hotcc::demo

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "hotcc demo: prints one line per tick; --config=hot builds reload the libraries live.");
  std::vector<std::string> args(argv, argv + argc);
  absl::ParseCommandLine(argc, argv);
  return hotcc::demo::Run(std::move(args));
}
