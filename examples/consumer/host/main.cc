// The consumer's host: counts, and prints the greeting library's line for each count.
//   bazel run //host -- --ticks=5    the dev build: edit greeting/greeting.cc, run
//                                    `bazel build //greeting:libgreeting.so`, and the running
//                                    host prints the new line, its count going on
//   bazel build -c opt //host        the release build: fully static, the library linked in

#include <csignal>
#include <cstdint>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/time/clock.h"
#include "host/greeter.h"

ABSL_FLAG(std::int64_t, ticks, 0, "Lines to print; 0 prints until SIGINT or SIGTERM.");
ABSL_FLAG(std::int64_t, tick_ms, 500, "Milliseconds between lines.");

namespace {

volatile std::sig_atomic_t stop_requested = 0;

void RequestStop(int /*signal*/) { stop_requested = 1; }

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // Stops after the current line, so that the hot build's loader cleans up as it exits.
  std::signal(SIGINT, RequestStop);
  std::signal(SIGTERM, RequestStop);
  absl::StatusOr<std::unique_ptr<consumer::Greeter>> greeter = consumer::CreateGreeter();
  if (!greeter.ok()) {
    std::cerr << "host: " << greeter.status() << std::endl;
    return 1;
  }
  const std::int64_t ticks = absl::GetFlag(FLAGS_ticks);
  const absl::Duration period = absl::Milliseconds(absl::GetFlag(FLAGS_tick_ms));
  consumer::Counter counter;
  absl::Time next_line = absl::Now();
  while (stop_requested == 0 && (ticks == 0 || counter.count < ticks)) {
    ++counter.count;
    absl::StatusOr<std::string> line = (*greeter)->Greet(counter);
    if (line.ok()) {
      std::cout << *line << std::endl;
    } else {  // The loader rolled the module back, and said why: the next line tries again.
      std::cerr << "host: " << line.status() << std::endl;
    }
    next_line += period;
    (*greeter)->SleepUntil(next_line);
  }
  return 0;
}
