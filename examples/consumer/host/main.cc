// The consumer's host: counts, and prints the greeting library's line for each count.
//   bazel run //host -- --ticks=5    the dev build: edit greeting/greeting.cc, run
//                                    `bazel build //greeting:libgreeting.so`, and the running
//                                    host prints the new line, its count going on
//   bazel build -c opt //host        the release build: fully static, the library linked in

#include <csignal>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "host/host_modules.h"
#include "shared/counter.h"

ABSL_FLAG(std::int64_t, ticks, 0, "Lines to print; 0 prints until SIGINT or SIGTERM.");
ABSL_FLAG(std::int64_t, tick_ms, 500, "Milliseconds between lines.");

namespace {

using Host = host_modules::Host;
using Greeting = Host::Module<consumer::GreetingApi, host_modules::greeting>;

volatile std::sig_atomic_t stop_requested = 0;

void RequestStop(int /*signal*/) { stop_requested = 1; }

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // Stops after the current line, so that the hot build's loader cleans up as it exits.
  std::signal(SIGINT, RequestStop);
  std::signal(SIGTERM, RequestStop);
  absl::StatusOr<std::unique_ptr<Host>> host = Host::Create();
  if (!host.ok()) {
    std::cerr << "host: " << host.status() << std::endl;
    return 1;
  }
  absl::StatusOr<Greeting> greeting =
      (*host)->Add<consumer::GreetingApi, host_modules::greeting>(HOTCC_INTERFACE_FINGERPRINT);
  if (!greeting.ok()) {
    std::cerr << "host: " << greeting.status() << std::endl;
    return 1;
  }
  const std::int64_t ticks = absl::GetFlag(FLAGS_ticks);
  const absl::Duration period = absl::Milliseconds(absl::GetFlag(FLAGS_tick_ms));
  consumer::Counter counter;
  absl::Time next_line = absl::Now();
  while (stop_requested == 0 && (ticks == 0 || counter.count < ticks)) {
    ++counter.count;
    std::string line;
    const absl::Status status = greeting->Call(
        "greet", [&](const consumer::GreetingApi& api) { line = api.greet(counter); });
    if (status.ok()) {
      std::cout << line << std::endl;
    } else {  // The loader rolled the module back, and said why: the next line tries again.
      std::cerr << "host: " << status << std::endl;
    }
    next_line += period;
    // Hot build: new builds of the module are loaded meanwhile; under `ibazel run`, a completed
    // build ends the wait early, its modules already reloaded.
    while ((*host)->WaitUntil(next_line) == hotcc::WaitOutcome::kBuildSucceeded) {
    }
  }
  return 0;
}
