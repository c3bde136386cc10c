#!/usr/bin/env bash
# Runs hotcc's benchmarks (tools/bench) in -c opt and prints each one's results as Markdown.
#
#   tools/bench.sh                       # every benchmark, one after the other
#   tools/bench.sh --only load_cost      # one of them (repeat --only for several)
#   tools/bench.sh --list                # their names
#
# Each benchmark writes bench-results/<name>.json and bench-results/<name>.md; the machine's
# description goes to bench-results/machine.json and .md. bench-results/ is not committed:
# tools/bench/RESULTS.md holds the numbers of record, with the machine they came from.
#
# Adding a benchmark: write a function bench_<name> that runs it, writing
# "$RESULTS_DIR/<name>.json" and printing Markdown on stdout, and add <name> to BENCHMARKS.
# Benchmarks are binaries, never tests: `bazel test //...` does not run them.
set -euo pipefail

BENCHMARKS=(edit_latency edit_latency_at_scale load_cost call_overhead soak compile_floor)

cd "$(dirname "${BASH_SOURCE[0]}")/.."
readonly RESULTS_DIR="${PWD}/bench-results"

# Quiet `bazel run`: only the benchmark's own output reaches stdout.
bazel_run() {
  bazel run -c opt --noshow_progress --ui_event_filters=-info "$@"
}

# Benchmark 1: edit-to-effect latency of the dev loop (tools/dev.sh, in its own fastbuild
# configuration, not -c opt) on a temporary copy of the workspace, against plain gcc compiling
# and linking the same module (tools/bench/edit_latency.py).
# Rows: tools/dev.sh as it ships (with its fast path, tools/fast_path.py) and without the fast
# path, each for an edit of view.cc and of view.h.
bench_edit_latency() {
  python3 tools/bench/edit_latency.py --edits=20 --json_out="${RESULTS_DIR}/edit_latency.json"
}

# Benchmark 1b: the same at scale, on a copy grown by 50 generated hot libraries of 21 source
# files each (1,050 files) in the app's build graph (tools/bench/generated_workspace.py).
bench_edit_latency_at_scale() {
  python3 tools/bench/edit_latency.py --edits=20 --generated_libraries=50 --generated_files=20 \
    --json_out="${RESULTS_DIR}/edit_latency_at_scale.json"
}

# Benchmark 2: loader cost (change seen -> new code callable) for 100 KiB to 50 MiB modules.
bench_load_cost() {
  bazel_run //tools/bench:load_cost -- --iterations=200 --warmup=10 \
    --json_out="${RESULTS_DIR}/load_cost.json"
}

# Benchmark 3: ns per call into a hot module, against the static build's direct call.
bench_call_overhead() {
  bazel_run //tools/bench:call_overhead -- --benchmark_repetitions=10 \
    --benchmark_report_aggregates_only=true \
    --benchmark_out="${RESULTS_DIR}/call_overhead.json" --benchmark_out_format=json
}

# Benchmark 4: 1000 reloads; memory, mappings, descriptors and temporary files before/after.
bench_soak() {
  bazel_run //tools/bench:soak -- --reloads=1000 --warmup=20 \
    --json_out="${RESULTS_DIR}/soak.json"
}

# Benchmark 5: what a hot library's compile costs, split: -g, -O2, C++20, front end, PCH.
bench_compile_floor() {
  python3 tools/bench/compile_floor.py --json_out="${RESULTS_DIR}/compile_floor.json"
}

# The machine the numbers come from, as Markdown and as bench-results/machine.json.
describe_machine() {
  local cpu kernel compiler glibc cores memory load
  # No `| head` here: under pipefail, the writer's SIGPIPE would fail the script.
  cpu="$(awk -F ': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  kernel="$(uname -sr)"
  compiler="$(gcc --version | sed -n 1p)"
  glibc="$(ldd --version | sed -n 1p)"
  cores="$(nproc)"
  memory="$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  load="$(cut -d ' ' -f 1-3 /proc/loadavg)"
  printf '### Machine\n\n| | |\n|---|---|\n'
  printf "| CPU | %s (\`nproc\`: %s) |\n| memory | %s |\n| kernel | %s |\n" \
    "${cpu}" "${cores}" "${memory}" "${kernel}"
  printf '| compiler | %s |\n| libc | %s |\n| load average at start | %s |\n' \
    "${compiler}" "${glibc}" "${load}"
  printf '{"cpu": "%s", "nproc": %s, "memory": "%s", "kernel": "%s", "compiler": "%s", ' \
    "${cpu}" "${cores}" "${memory}" "${kernel}" "${compiler}" >"${RESULTS_DIR}/machine.json"
  printf '"libc": "%s", "load_average": "%s"}\n' "${glibc}" "${load}" \
    >>"${RESULTS_DIR}/machine.json"
}

usage() {
  echo "usage: $0 [--only NAME]... [--list]   (NAME: ${BENCHMARKS[*]})" >&2
  exit 2
}

main() {
  local selected=()
  while (($# > 0)); do
    case "$1" in
      --only)
        (($# >= 2)) || usage
        selected+=("$2")
        shift 2
        ;;
      --list)
        printf '%s\n' "${BENCHMARKS[@]}"
        return 0
        ;;
      *) usage ;;
    esac
  done
  ((${#selected[@]} > 0)) || selected=("${BENCHMARKS[@]}")
  local name
  for name in "${selected[@]}"; do
    declare -F "bench_${name}" >/dev/null || usage
  done

  mkdir -p "${RESULTS_DIR}"
  describe_machine | tee "${RESULTS_DIR}/machine.md"
  # Build everything first, so that no benchmark shares the machine with the compiler.
  bazel build -c opt --noshow_progress --ui_event_filters=-info //tools/bench/...
  for name in "${selected[@]}"; do
    echo
    echo "## ${name}" >&2
    "bench_${name}" | tee "${RESULTS_DIR}/${name}.md.raw"
    # The Markdown is what follows the first "### " heading; the rest is progress output.
    sed -n '/^### /,$p' "${RESULTS_DIR}/${name}.md.raw" >"${RESULTS_DIR}/${name}.md"
    rm -f "${RESULTS_DIR}/${name}.md.raw"
  done
}

main "$@"
