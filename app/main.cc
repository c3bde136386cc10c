// The demo app: owns the state and the random engine, and runs the loop: update, view, print,
// sleep. stdout carries exactly one line per tick, written as the tick happens; everything
// else goes to stderr as "hotcc: " lines. SIGINT and SIGTERM end the app cleanly (exit 0).

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <random>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "app/libraries.h"
#include "app/random_engine.h"
#include "libs/shared/state.h"

ABSL_FLAG(std::int64_t, ticks, 0, "Number of ticks to run; 0 runs until stopped.");
ABSL_FLAG(std::int64_t, tick_ms, 500, "Milliseconds between ticks.");
ABSL_FLAG(std::uint64_t, seed, 0,
          "Seed of the random engine; the same seed gives the same output in the static and the "
          "hot build. 0 picks one at random.");

namespace hotcc::demo {
namespace {

// SIGINT and SIGTERM write a byte here; the loop waits on the read end between ticks.
int stop_pipe[2] = {-1, -1};

void OnStopSignal(int) {
  const char byte = 1;
  ssize_t ignored = write(stop_pipe[1], &byte, 1);
  (void)ignored;
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

int Run() {
  if (!InstallStopHandlers()) {
    Report("cannot install the SIGINT/SIGTERM handlers");
    return 1;
  }
  absl::StatusOr<std::unique_ptr<Libraries>> libraries = CreateLibraries();
  if (!libraries.ok()) {
    Report(libraries.status().ToString());
    return 1;
  }
  std::uint64_t seed = absl::GetFlag(FLAGS_seed);
  if (seed == 0) seed = std::random_device()();
  RandomEngine rng(seed);
  State state;

  const std::int64_t ticks = absl::GetFlag(FLAGS_ticks);
  const absl::Duration tick_interval = absl::Milliseconds(absl::GetFlag(FLAGS_tick_ms));
  absl::Time next_tick = absl::Now();
  std::string last_error;
  for (std::int64_t tick = 0; ticks == 0 || tick < ticks; ++tick) {
    absl::Status updated = (*libraries)->Update(state, rng);
    absl::StatusOr<std::string> line = (*libraries)->View(state);
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
    if ((*libraries)->WaitUntil(next_tick, stop_pipe[0])) break;
  }
  return 0;
}

}  // namespace
}  // namespace hotcc::demo

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "hotcc demo: prints one line per tick; --config=hot builds reload the libraries live.");
  absl::ParseCommandLine(argc, argv);
  return hotcc::demo::Run();
}
