// Benchmark 3: what a call into a hot module costs, in ns per call, against the same call in
// the static build. The callee is one function, `int add(int, int)` (tools/bench/callee),
// linked in directly and loaded as libcallee.so from the same source.
//
// Rows, from cheapest to dearest; each adds one thing to the one before:
//   direct_call_static      the static build: a direct call into another translation unit.
//   linked_module_static    the static build's host API: LinkedModule::Call, the call that a
//                           host writes once for both builds (reload/linked_host.h), through
//                           the linked module's constant table. With -c opt's link-time
//                           optimization (tools/hot_flags.bzl) it is the direct call.
//   table_pointer_floor     an indirect call through the module's table, inside one
//                           ReadSection held across all calls: the floor of any call through
//                           a function table, and what a batch of calls under one section
//                           would cost each.
//   current_api_no_section  ModuleSlot::CurrentApi() on every call (an out-of-line call and an
//                           atomic load), without a ReadSection. NOT safe during a reload; here
//                           only to split the cost.
//   read_section_only       a ReadSection around a direct call: the cost of the reload guard.
//   call_unguarded          HotModule::CallUnguarded: ReadSection + CurrentApi + indirect call.
//                           The fast path, safe against concurrent reloads.
//   call_guarded            HotModule::Call: the above plus RunGuarded (sigsetjmp), the
//                           absl::FunctionRef hops and the absl::Status result.
//
// And what CallRestoring costs with a State of 1 MiB and 100 MiB (a std::vector<char>):
//   state_copy/N                 the copy CallRestoring makes before each call while the
//                                version is on probation (its first 64 calls), and frees after.
//   call_restoring_proven/N      CallRestoring once the version has proven itself: no copy.
//
//   bazel run -c opt //tools/bench:call_overhead -- --benchmark_repetitions=10

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "reload/hot_reloader.h"
#include "reload/linked_host.h"
#include "reload/reader_registry.h"
#include "tools/bench/api/bench_api.h"
#include "tools/bench/bench_util.h"
#include "tools/bench/callee/callee.h"

// The linked callee's entry point, as <binary>_modules.h declares it in a static host.
extern "C" const hotcc::ModuleHeader* hotcc_module_callee();

namespace hotcc::bench {
namespace {

// The loaded module, set up by Main before any benchmark runs; no reload happens afterwards.
HotModule<CalleeApi>* callee_module = nullptr;

void DirectCallStatic(benchmark::State& state) {
  int a = 1, b = 2;
  for (auto _ : state) {
    benchmark::DoNotOptimize(a);  // The compiler may not assume it knows the arguments.
    int sum = add(a, b);
    benchmark::DoNotOptimize(sum);
  }
}

void LinkedModuleStatic(benchmark::State& state) {
  const LinkedModule<CalleeApi, &hotcc_module_callee> module;
  int a = 1, b = 2;
  for (auto _ : state) {
    benchmark::DoNotOptimize(a);
    int sum = 0;
    // Checked as a host checks it; the compiler may see that a linked call cannot fail.
    if (!module.Call("add", [&](const CalleeApi& api) { sum = api.add(a, b); }).ok()) {
      state.SkipWithError("a linked call failed");
      break;
    }
    benchmark::DoNotOptimize(sum);
  }
}

void TablePointerFloor(benchmark::State& state) {
  // One section held across every call, as a host could hold one around a batch of calls.
  ReadSection section;
  const CalleeApi* api = static_cast<const CalleeApi*>(callee_module->slot().CurrentApi());
  int a = 1, b = 2;
  for (auto _ : state) {
    benchmark::DoNotOptimize(a);
    int sum = api->add(a, b);  // DoNotOptimize clobbers memory: api->add is loaded every time.
    benchmark::DoNotOptimize(sum);
  }
}

void CurrentApiNoSection(benchmark::State& state) {
  const ModuleSlot& slot = callee_module->slot();
  int a = 1, b = 2;
  for (auto _ : state) {
    benchmark::DoNotOptimize(a);
    int sum = static_cast<const CalleeApi*>(slot.CurrentApi())->add(a, b);
    benchmark::DoNotOptimize(sum);
  }
}

void ReadSectionOnly(benchmark::State& state) {
  int a = 1, b = 2;
  for (auto _ : state) {
    benchmark::DoNotOptimize(a);
    ReadSection section;
    int sum = add(a, b);
    benchmark::DoNotOptimize(sum);
  }
}

void CallUnguarded(benchmark::State& state) {
  const HotModule<CalleeApi> module = *callee_module;
  int a = 1, b = 2;
  for (auto _ : state) {
    benchmark::DoNotOptimize(a);
    int sum = module.CallUnguarded([&](const CalleeApi& api) { return api.add(a, b); });
    benchmark::DoNotOptimize(sum);
  }
}

void CallGuarded(benchmark::State& state) {
  HotModule<CalleeApi> module = *callee_module;
  int a = 1, b = 2;
  for (auto _ : state) {
    benchmark::DoNotOptimize(a);
    int sum = 0;
    const absl::Status status =
        module.Call("add", [&](const CalleeApi& api) { sum = api.add(a, b); });
    bool ok = status.ok();
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(sum);
  }
}

// A State of `bytes` bytes, as a host's might be.
struct BigState {
  std::vector<char> bytes;
};

void StateCopy(benchmark::State& state) {
  BigState big{std::vector<char>(state.range(0), 'x')};
  for (auto _ : state) {
    std::optional<BigState> before;
    before.emplace(big);  // What HotModule::CallRestoring does on probation.
    benchmark::DoNotOptimize(before->bytes.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void CallRestoringProven(benchmark::State& state) {
  HotModule<CalleeApi> module = *callee_module;
  BigState big{std::vector<char>(state.range(0), 'x')};
  int a = 1, b = 2, sum = 0;
  // Prove the version: past its probation, calls copy nothing.
  for (int i = 0; i <= ModuleSlot::kProbationCalls; ++i) {
    (void)module.CallRestoring("add", big, [&](const CalleeApi& api) { sum = api.add(a, b); });
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(a);
    const absl::Status status =
        module.CallRestoring("add", big, [&](const CalleeApi& api) { sum = api.add(a, b); });
    bool ok = status.ok();
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(sum);
  }
}

// Prints what the console reporter prints, and keeps each run's CPU time per call (the
// median, when there are repetitions) for the Markdown table at the end.
class CollectingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if (run.run_type == Run::RT_Aggregate && !median) continue;
      const std::string name = run.run_name.str();  // Without the "_median" suffix.
      // A median supersedes the single repetitions seen before it.
      if (median || !medians_.count(name)) {
        if (!medians_.count(name)) order_.push_back(name);
        medians_[name] = run.GetAdjustedCPUTime();  // ns: the default time unit.
      }
    }
  }

  void PrintMarkdown() const {
    const auto direct = [this](const std::string& name) {
      const size_t slash = name.find('/');
      const std::string suffix = slash == std::string::npos ? "" : name.substr(slash);
      auto it = medians_.find("direct_call_static" + suffix);
      return it == medians_.end() ? 0.0 : it->second;
    };
    absl::PrintF("\n### Call overhead: ns per call (CPU time, median of the repetitions)\n\n");
    absl::PrintF("| call | ns/call | extra vs direct_call_static |\n|---|---:|---:|\n");
    for (const std::string& name : order_) {
      const double ns = medians_.at(name);
      absl::PrintF("| %s | %.2f | %+.2f |\n", name, ns, ns - direct(name));
    }
  }

 private:
  std::vector<std::string> order_;
  std::map<std::string, double> medians_;
};

int Main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;

  absl::StatusOr<std::string> path = RunfilePath(argv[0], "tools/bench/callee/libcallee.so");
  if (!path.ok()) {
    absl::FPrintF(stderr, "call_overhead: %s\n", path.status().ToString());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<HotReloader>> reloader = HotReloader::Create();
  if (!reloader.ok()) {
    absl::FPrintF(stderr, "call_overhead: %s\n", reloader.status().ToString());
    return 1;
  }
  absl::StatusOr<HotModule<CalleeApi>> module =
      (*reloader)->Add<CalleeApi>("callee", *path, HOTCC_INTERFACE_FINGERPRINT);
  if (!module.ok()) {
    absl::FPrintF(stderr, "call_overhead: %s\n", module.status().ToString());
    return 1;
  }
  callee_module = &*module;

  const std::pair<const char*, void (*)(benchmark::State&)> benchmarks[] = {
      {"direct_call_static", &DirectCallStatic},
      {"linked_module_static", &LinkedModuleStatic},
      {"table_pointer_floor", &TablePointerFloor},
      {"current_api_no_section", &CurrentApiNoSection},
      {"read_section_only", &ReadSectionOnly},
      {"call_unguarded", &CallUnguarded},
      {"call_guarded", &CallGuarded},
  };
  for (const auto& [name, function] : benchmarks) benchmark::RegisterBenchmark(name, function);
  // Two threads at once: callers must not slow each other down (each has its own slot).
  benchmark::RegisterBenchmark("direct_call_static", &DirectCallStatic)->Threads(2);
  benchmark::RegisterBenchmark("call_unguarded", &CallUnguarded)->Threads(2);
  for (const std::int64_t bytes : {std::int64_t{1} << 20, std::int64_t{100} << 20}) {
    benchmark::RegisterBenchmark("state_copy", &StateCopy)->Arg(bytes);
    benchmark::RegisterBenchmark("call_restoring_proven", &CallRestoringProven)->Arg(bytes);
  }

  CollectingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintMarkdown();
  benchmark::Shutdown();
  callee_module = nullptr;
  return 0;
}

}  // namespace
}  // namespace hotcc::bench

int main(int argc, char** argv) { return hotcc::bench::Main(argc, argv); }
