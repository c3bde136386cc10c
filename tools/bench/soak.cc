// Benchmark 4: a soak. Reloads one module 1000 times, alternating its two variants, through the
// same path an app uses (a new file renamed into place, inotify, the settle delay, WaitUntil),
// calling into every version so that each becomes the rollback target, and compares the
// process's resident memory, heap, mappings, file descriptors and the loader's temporary files
// before and after. Anything that grows with the number of reloads is a leak.
//
//   bazel run -c opt //tools/bench:soak -- --json_out=$PWD/bench-results/soak.json

#include <dirent.h>
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
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "reload/hot_reloader.h"
#include "reload/status_util.h"
#include "reload/testing/process_stats.h"
#include "reload/testing/scratch_dir.h"
#include "tools/bench/api/bench_api.h"
#include "tools/bench/bench_util.h"

ABSL_FLAG(std::string, module, "pad1m",
          "Fixture module to reload (its variants must be in the binary's data).");
ABSL_FLAG(int, reloads, 1000, "Reloads between the two measurements.");
ABSL_FLAG(int, warmup, 20, "Reloads before the first measurement.");
ABSL_FLAG(int, sample_every, 100, "Also record the numbers every this many reloads.");
ABSL_FLAG(std::string, tmp_base, "",
          "Directory for the watched module file and the loader's private directory. Default: "
          "$TMPDIR, else /tmp (the loader's own default).");
ABSL_FLAG(std::string, json_out, "", "Write the results as JSON to this file.");

namespace hotcc::bench {
namespace {

struct Sample {
  int reloads = 0;  // Counted after the warm-up.
  testing::ProcessStats process;
  int private_dir_entries = 0;
  int private_dirs = 0;  // hotcc-<pid>-* directories of this process in the base directory.
  int loaded_versions = 0;
  int unload_failures = 0;
};

int CountPrivateDirs(const std::string& base) {
  const std::string prefix = absl::StrCat("hotcc-", getpid(), "-");
  int count = 0;
  if (DIR* d = opendir(base.c_str())) {
    while (const dirent* entry = readdir(d)) {
      if (absl::StartsWith(entry->d_name, prefix)) ++count;
    }
    closedir(d);
  }
  return count;
}

absl::StatusOr<Sample> TakeSample(int reloads, const HotReloader& reloader,
                                  const ModuleSlot& slot) {
  Sample sample;
  sample.reloads = reloads;
  absl::StatusOr<testing::ProcessStats> process = testing::ReadProcessStats();
  if (!process.ok()) return process.status();
  sample.process = *process;
  absl::StatusOr<int> entries = reloader.private_dir().CountEntries();
  if (!entries.ok()) return entries.status();
  sample.private_dir_entries = *entries;
  const std::string& dir = reloader.private_dir().path();
  sample.private_dirs = CountPrivateDirs(dir.substr(0, dir.rfind('/')));
  sample.loaded_versions = slot.loaded_versions();
  sample.unload_failures = slot.unload_failures();
  return sample;
}

// The metrics of a sample, in the order of the report.
std::vector<std::pair<std::string, std::int64_t>> Metrics(const Sample& s) {
  return {{"VmRSS (kB)", s.process.rss_kb},
          {"VmSize (kB)", s.process.vm_size_kb},
          {"malloc heap in use (bytes)", s.process.heap_bytes},
          {"lines in /proc/self/maps", s.process.maps},
          {"open file descriptors", s.process.fds},
          {"files in the private dir", s.private_dir_entries},
          {"private dirs of this process", s.private_dirs},
          {"versions mapped", s.loaded_versions},
          {"unloads that left the image mapped", s.unload_failures}};
}

std::string SampleJson(const Sample& s) {
  return absl::StrFormat(
      R"({"reloads": %d, "vm_rss_kb": %d, "vm_size_kb": %d, "heap_bytes": %d, "maps": %d, )"
      R"("fds": %d, "private_dir_entries": %d, "private_dirs": %d, "loaded_versions": %d, )"
      R"("unload_failures": %d})",
      s.reloads, s.process.rss_kb, s.process.vm_size_kb, s.process.heap_bytes, s.process.maps,
      s.process.fds, s.private_dir_entries, s.private_dirs, s.loaded_versions, s.unload_failures);
}

int Main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string module = absl::GetFlag(FLAGS_module);
  const int reloads = absl::GetFlag(FLAGS_reloads);
  const int warmup = absl::GetFlag(FLAGS_warmup);
  const int sample_every = std::max(1, absl::GetFlag(FLAGS_sample_every));
  const auto fail = [](const absl::Status& status) {
    absl::FPrintF(stderr, "soak: %s\n", status.ToString());
    return 1;
  };

  absl::StatusOr<std::string> variants[2] = {FixturePath(argv[0], "a", module),
                                             FixturePath(argv[0], "b", module)};
  for (const auto& path : variants) {
    if (!path.ok()) return fail(path.status());
  }
  const testing::ScratchDir dir(absl::GetFlag(FLAGS_tmp_base), "hotcc-soak-");
  const std::string watched = dir.PathOf(absl::StrCat("lib", module, ".so"));
  const std::string staged = absl::StrCat(watched, ".staged");

  // Reserved up front: a vector growing between samples would show up as heap growth.
  std::vector<Sample> samples;
  samples.reserve(reloads / sample_every + 2);
  absl::Status status;
  int log_lines = 0;
  std::string last_line;
  const auto start = std::chrono::steady_clock::now();
  {
    HotReloader::Options options;
    options.private_dir_base = absl::GetFlag(FLAGS_tmp_base);
    options.ibazel_notifications = false;  // The file events are part of what is soaked.
    options.log = [&](absl::string_view line) {
      ++log_lines;
      last_line = std::string(line);
    };
    absl::StatusOr<std::unique_ptr<HotReloader>> reloader = HotReloader::Create(options);
    if (!reloader.ok()) return fail(reloader.status());
    status = CopyWholeFile(*variants[0], watched);
    if (!status.ok()) return fail(status);
    absl::StatusOr<HotModule<PaddedApi>> hot =
        (*reloader)->Add<PaddedApi>(module, watched, HOTCC_INTERFACE_FINGERPRINT);
    if (!hot.ok()) return fail(hot.status());

    for (int i = 0; i < warmup + reloads && status.ok(); ++i) {
      if (i >= warmup && (i - warmup) % sample_every == 0) {
        absl::StatusOr<Sample> sample = TakeSample(i - warmup, **reloader, hot->slot());
        if (!sample.ok()) return fail(sample.status());
        samples.push_back(*sample);
      }
      const int want = i % 2 == 0 ? 2 : 1;
      const int version = hot->version();
      status = CopyWholeFile(*variants[want - 1], staged);
      if (status.ok()) status = Replace(staged, watched);
      if (!status.ok()) break;
      // The loader reloads from inside WaitUntil; wake up often to see it happen.
      const absl::Time deadline = absl::Now() + absl::Seconds(5);
      while (hot->version() == version && absl::Now() < deadline) {
        (*reloader)->WaitUntil(absl::Now() + absl::Milliseconds(1));
      }
      int got = 0;
      status = hot->Call("variant", [&](const PaddedApi& api) { got = api.variant(); });
      if (status.ok()) {
        got += 10 * hot->CallUnguarded([](const PaddedApi& api) { return api.variant(); });
      }
      if (status.ok() && got != want * 11) {
        status = absl::InternalError(absl::StrCat("reload ", i, ": expected variant ", want,
                                                  ", got ", got, "; last log: ", last_line));
      }
    }
    if (status.ok()) {
      absl::StatusOr<Sample> sample = TakeSample(reloads, **reloader, hot->slot());
      if (!sample.ok()) return fail(sample.status());
      samples.push_back(*sample);
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!status.ok()) return fail(status);

  const Sample& before = samples.front();
  const Sample& after = samples.back();
  const auto before_metrics = Metrics(before);
  const auto after_metrics = Metrics(after);
  absl::PrintF("### Soak: %d reloads of %s (%.1f KiB), after %d warm-up reloads, %.1f s\n\n",
               reloads, module, FileSize(*variants[0]) / 1024.0, warmup, seconds);
  absl::PrintF("| metric | before | after | growth |\n|---|---:|---:|---:|\n");
  for (size_t m = 0; m < before_metrics.size(); ++m) {
    absl::PrintF("| %s | %d | %d | %+d |\n", before_metrics[m].first, before_metrics[m].second,
                 after_metrics[m].second, after_metrics[m].second - before_metrics[m].second);
  }
  absl::PrintF("\nEvery %d reloads: VmRSS kB", sample_every);
  for (const Sample& s : samples) absl::PrintF(" %d", s.process.rss_kb);
  absl::PrintF("; heap bytes");
  for (const Sample& s : samples) absl::PrintF(" %d", s.process.heap_bytes);
  absl::PrintF("\n");

  if (const std::string out = absl::GetFlag(FLAGS_json_out); !out.empty()) {
    std::vector<std::string> series;
    for (const Sample& s : samples) series.push_back(absl::StrCat("    ", SampleJson(s)));
    const std::string json = absl::StrCat(
        "{\n  \"benchmark\": \"soak\",\n  \"module\": \"", module,
        "\",\n  \"file_bytes\": ", FileSize(*variants[0]), ",\n  \"warmup\": ", warmup,
        ",\n  \"reloads\": ", reloads, ",\n  \"seconds\": ", absl::StrFormat("%.2f", seconds),
        ",\n  \"log_lines\": ", log_lines, ",\n  \"before\": ", SampleJson(before),
        ",\n  \"after\": ", SampleJson(after), ",\n  \"samples\": [\n",
        absl::StrJoin(series, ",\n"), "\n  ]\n}\n");
    if (absl::Status written = WriteTextFile(out, json); !written.ok()) return fail(written);
  }
  return 0;
}

}  // namespace
}  // namespace hotcc::bench

int main(int argc, char** argv) { return hotcc::bench::Main(argc, argv); }
