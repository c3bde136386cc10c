// Benchmark 2: the loader's cost alone, from "the module's file changed" to "the new code is
// callable", for modules of several sizes, next to the cost of copying the same file.
//
// For each module, the two variants of its fixture (fixtures/a, fixtures/b) take turns at the
// watched path: a variant is copied next to it and renamed over it (untimed: that is the
// build's work), then the clock runs from ModuleSlot::Reload (the change seen) until a call
// into the module returns the new variant's number. Every reload is a new file, new inode.
//
//   bazel run -c opt //tools/bench:load_cost -- --json_out=$PWD/bench-results/load_cost.json

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "reload/hot_reloader.h"
#include "reload/status_util.h"
#include "reload/testing/scratch_dir.h"
#include "tools/bench/api/bench_api.h"
#include "tools/bench/bench_util.h"

ABSL_FLAG(std::vector<std::string>, modules, {},
          "Fixture modules to load, smallest first (set by the BUILD file from "
          "padded_modules.bzl).");
ABSL_FLAG(int, iterations, 200, "Timed reloads per module.");
ABSL_FLAG(int, warmup, 10, "Untimed reloads per module before the timed ones.");
ABSL_FLAG(std::string, tmp_base, "",
          "Directory for the watched module file, the loader's private directory and the copy "
          "baseline. Default: $TMPDIR, else /tmp (the loader's own default).");
ABSL_FLAG(std::string, json_out, "", "Write the results as JSON to this file.");

namespace hotcc::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Microsecond samples of one quantity, one per timed reload.
struct Series {
  std::string name;
  std::vector<double> us;
};

struct ModuleResult {
  std::string module;
  std::int64_t file_bytes = 0;
  Series total{"total"};
  // ModuleSlot::last_timings(), then the rest of Reload, then the first call.
  std::vector<Series> stages = {{"validated"}, {"copied"},  {"probed"}, {"opened"},
                                {"verified"},  {"swapped"}, {"unload"}, {"first_call"}};
  Series raw_copy{"raw_copy"};
};

double ToMicros(absl::Duration d) { return absl::ToDoubleMicroseconds(d); }

// Reloads `module` alternately from its two variants; see the file comment.
absl::StatusOr<ModuleResult> MeasureModule(const char* argv0, const std::string& module,
                                           const std::string& base, int warmup, int iterations) {
  absl::StatusOr<std::string> variants[2] = {FixturePath(argv0, "a", module),
                                             FixturePath(argv0, "b", module)};
  for (const auto& path : variants) {
    if (!path.ok()) return path.status();
  }
  const testing::ScratchDir dir(base, "hotcc-bench-load-");
  const std::string watched = dir.PathOf(absl::StrCat("lib", module, ".so"));
  const std::string staged = absl::StrCat(watched, ".staged");
  const std::string raw_copy = dir.PathOf("raw-copy.so");

  ModuleResult result;
  result.module = module;
  result.file_bytes = FileSize(*variants[0]);
  absl::Status status;
  {
    HotReloader::Options options;
    options.private_dir_base = base;
    // The report lines are formatted as always (that cost counts) but not printed.
    std::string last_line;
    options.log = [&last_line](absl::string_view line) { last_line = std::string(line); };
    absl::StatusOr<std::unique_ptr<HotReloader>> reloader = HotReloader::Create(options);
    if (!reloader.ok()) return reloader.status();
    HOTCC_RETURN_IF_ERROR(CopyWholeFile(*variants[0], watched));
    absl::StatusOr<HotModule<PaddedApi>> hot =
        (*reloader)->Add<PaddedApi>(module, watched, HOTCC_INTERFACE_FINGERPRINT);
    if (!hot.ok()) return hot.status();

    for (int i = 0; i < warmup + iterations && status.ok(); ++i) {
      const int want = i % 2 == 0 ? 2 : 1;
      status = CopyWholeFile(*variants[want - 1], staged);
      if (status.ok()) status = Replace(staged, watched);
      if (!status.ok()) break;

      int got = 0;
      const Clock::time_point start = Clock::now();
      status = hot->slot().Reload(absl::Now());
      const Clock::time_point reloaded = Clock::now();
      if (status.ok()) {
        status = hot->Call("variant", [&](const PaddedApi& api) { got = api.variant(); });
      }
      const Clock::time_point end = Clock::now();
      if (status.ok() && got != want) {
        status = absl::InternalError(absl::StrCat(module, ": called variant ", got,
                                                  " after "
                                                  "loading variant ",
                                                  want, "; log: ", last_line));
      }
      if (!status.ok()) break;

      // The baseline: the same copy the loader makes (open, copy_file_range, close), of the
      // same file, into the same file system.
      const Clock::time_point copy_start = Clock::now();
      status = CopyWholeFile(watched, raw_copy);
      const Clock::time_point copy_end = Clock::now();
      unlink(raw_copy.c_str());
      if (!status.ok() || i < warmup) continue;

      const LoadTimings t = hot->slot().last_timings();
      const double stages[] = {ToMicros(t.validated), ToMicros(t.copied),   ToMicros(t.probed),
                               ToMicros(t.opened),    ToMicros(t.verified), ToMicros(t.swapped)};
      constexpr int kTimedStages = sizeof(stages) / sizeof(stages[0]);
      double unload = MicrosBetween(start, reloaded);
      for (int s = 0; s < kTimedStages; ++s) {
        result.stages[s].us.push_back(stages[s]);
        unload -= stages[s];
      }
      result.stages[kTimedStages].us.push_back(unload);
      result.stages[kTimedStages + 1].us.push_back(MicrosBetween(reloaded, end));
      result.total.us.push_back(MicrosBetween(start, end));
      result.raw_copy.us.push_back(MicrosBetween(copy_start, copy_end));
    }
  }  // Unloads the module and removes the private directory.
  if (!status.ok()) return status;
  return result;
}

std::string SeriesJson(const Series& series) {
  if (series.us.empty()) return "{}";
  double sum = 0;
  for (double v : series.us) sum += v;
  return absl::StrFormat(
      R"({"p50": %.1f, "p90": %.1f, "p99": %.1f, "min": %.1f, "max": %.1f, "mean": %.1f})",
      Percentile(series.us, 50), Percentile(series.us, 90), Percentile(series.us, 99),
      *std::min_element(series.us.begin(), series.us.end()),
      *std::max_element(series.us.begin(), series.us.end()), sum / series.us.size());
}

std::string ToJson(const std::vector<ModuleResult>& results, int warmup, int iterations) {
  std::vector<std::string> modules;
  for (const ModuleResult& r : results) {
    std::vector<std::string> stages;
    for (const Series& s : r.stages) {
      stages.push_back(absl::StrCat("\"", s.name, "\": ", SeriesJson(s)));
    }
    modules.push_back(absl::StrCat("    {\"module\": \"", r.module, "\", \"file_bytes\": ",
                                   r.file_bytes, ",\n     \"total_us\": ", SeriesJson(r.total),
                                   ",\n     \"raw_copy_us\": ", SeriesJson(r.raw_copy),
                                   ",\n     \"stages_us\": {", absl::StrJoin(stages, ", "), "}}"));
  }
  return absl::StrCat("{\n  \"benchmark\": \"load_cost\",\n  \"unit\": \"us\",\n",
                      "  \"measured\": \"ModuleSlot::Reload until the first call returns the new "
                      "variant\",\n  \"warmup\": ",
                      warmup, ",\n  \"iterations\": ", iterations, ",\n  \"modules\": [\n",
                      absl::StrJoin(modules, ",\n"), "\n  ]\n}\n");
}

std::string Size(std::int64_t bytes) {
  if (bytes >= 1024 * 1024) return absl::StrFormat("%.1f MiB", bytes / 1048576.0);
  return absl::StrFormat("%.1f KiB", bytes / 1024.0);
}

void PrintMarkdown(const std::vector<ModuleResult>& results, int iterations) {
  absl::PrintF("### Loader cost (change seen -> new code callable), %d reloads per size\n\n",
               iterations);
  absl::PrintF(
      "| module | file size | load p50 | load p99 | copy p50 | copy p99 | "
      "load - copy (p50) | load / copy (p50) |\n");
  absl::PrintF("|---|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const ModuleResult& r : results) {
    const double load = Percentile(r.total.us, 50);
    const double copy = Percentile(r.raw_copy.us, 50);
    absl::PrintF("| %s | %s | %.0f us | %.0f us | %.0f us | %.0f us | %.0f us | %.2f |\n", r.module,
                 Size(r.file_bytes), load, Percentile(r.total.us, 99), copy,
                 Percentile(r.raw_copy.us, 99), load - copy, copy > 0 ? load / copy : 0.0);
  }
  absl::PrintF(
      "\n### Where the load time goes: stage p50 (p99), from ModuleSlot::last_timings()"
      "\n\n| module |");
  for (const Series& s : results.front().stages) absl::PrintF(" %s |", s.name);
  absl::PrintF("\n|---|");
  for (size_t i = 0; i < results.front().stages.size(); ++i) absl::PrintF("---:|");
  absl::PrintF("\n");
  for (const ModuleResult& r : results) {
    absl::PrintF("| %s |", r.module);
    for (const Series& s : r.stages) {
      absl::PrintF(" %.0f (%.0f) us |", Percentile(s.us, 50), Percentile(s.us, 99));
    }
    absl::PrintF("\n");
  }
  absl::PrintF(
      "\n`unload`: the rest of Reload: unloading the version two back (dlclose, "
      "munmap, the still-mapped check), the identity check, the report line. "
      "`first_call`: HotModule::Call returning the new variant. `probed`: the trial load in a "
      "helper process, only for modules that run initializers (the *_init ones).\n");
}

int Main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int warmup = absl::GetFlag(FLAGS_warmup);
  const int iterations = absl::GetFlag(FLAGS_iterations);
  if (absl::GetFlag(FLAGS_modules).empty() || iterations < 1) {
    absl::FPrintF(stderr, "load_cost: need --modules and --iterations >= 1\n");
    return 2;
  }
  std::vector<ModuleResult> results;
  for (const std::string& module : absl::GetFlag(FLAGS_modules)) {
    absl::FPrintF(stderr, "load_cost: %s: %d + %d reloads\n", module, warmup, iterations);
    absl::StatusOr<ModuleResult> result =
        MeasureModule(argv[0], module, absl::GetFlag(FLAGS_tmp_base), warmup, iterations);
    if (!result.ok()) {
      absl::FPrintF(stderr, "load_cost: %s\n", result.status().ToString());
      return 1;
    }
    results.push_back(*std::move(result));
  }
  PrintMarkdown(results, iterations);
  if (const std::string out = absl::GetFlag(FLAGS_json_out); !out.empty()) {
    if (absl::Status written = WriteTextFile(out, ToJson(results, warmup, iterations));
        !written.ok()) {
      absl::FPrintF(stderr, "load_cost: %s\n", written.ToString());
      return 1;
    }
  }
  return 0;
}

}  // namespace
}  // namespace hotcc::bench

int main(int argc, char** argv) { return hotcc::bench::Main(argc, argv); }
