#!/usr/bin/env bash
# Fuzzes the module validator (reload/elf_file.cc, the first code that reads a new module's
# bytes) with //reload:elf_file_fuzzer: libFuzzer, AddressSanitizer, LeakSanitizer and UBSan.
#   tools/fuzz.sh                   30 s, the short run that tools/test.sh makes
#   tools/fuzz.sh --seconds=600     a longer run
#   tools/fuzz.sh FILE...           runs the fuzzer on these inputs only (e.g. a kept crash)
#   tools/fuzz.sh --shutdown        stops the fuzzer's Bazel server
# Arguments after `--` go to libFuzzer (e.g. `-- -seed=1234`). Fails on any crash, sanitizer
# report, leak, hang (-timeout) or memory blow-up (-rss_limit_mb), prints that report and keeps
# the input; the last line says how it went ("fuzz: elf_file: N runs, 0 crashes").
#
# The seed corpus is the project's real modules, built here by the project's own macro in this
# workspace's usual configuration and copied into a fresh corpus directory for each run.
#
# How the fuzzer is built, and why this way: libFuzzer exists only in clang, and this
# workspace's auto-configured toolchain is gcc. Bazel builds the fuzzer with --config=fuzz
# (.bazelrc: clang-14 through --repo_env=CC) in a second output base beside this workspace's,
# so the gcc toolchain and the dev loop's analysis cache are never touched. Compiling by hand
# with clang++ would be simpler only in appearance: absl::Status alone pulls in 82 abseil
# sources (Cord, synchronization, time, debugging), a list Bazel already knows and keeps right.
# Measured on 2 busy cores: about 105 s cold, 12 s in a fresh clone (the shared disk cache),
# 3 s after an edit to elf_file.cc, 0.6 s when nothing changed.
# That output base has its own Bazel server (stop it with --shutdown); `bazel clean --expunge`
# here leaves it alone.
set -euo pipefail

seconds=30
shutdown=0
inputs=()
libfuzzer_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds=*) seconds="${1#--seconds=}" ;;
    --shutdown) shutdown=1 ;;
    --) shift; libfuzzer_args=("$@"); break ;;
    -h | --help) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz: unknown option $1 (see tools/fuzz.sh --help)" >&2; exit 2 ;;
    *) inputs+=("$(realpath "$1")") ;;
  esac
  shift
done
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz: --seconds wants a positive number" >&2; exit 2; }

cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { echo "fuzz: elf_file: $*" >&2; }

# Runs a Bazel command with its output in `log`, shown only when it fails.
quiet_bazel() {
  local log="$1"
  shift
  if ! bazel "$@" >"$log" 2>&1; then
    grep -v -e '^INFO: ' -e '^Loading' -e '^Analyzing' -e '^\[' "$log" | tail -n 40 >&2
    say "FAILED: bazel $*"
    exit 1
  fi
}

[[ $shutdown -eq 1 ]] || bash tools/setup.sh
# Beside this workspace's own output base, and named after it, so each checkout has its own.
fuzz_base="$(bazel info output_base 2>/dev/null)-fuzz"
fuzz_bazel=(--output_base="$fuzz_base")
if [[ $shutdown -eq 1 ]]; then
  if [[ -d "$fuzz_base" ]]; then bazel "${fuzz_bazel[@]}" shutdown; fi
  exit 0
fi
command -v clang-14 >/dev/null || { say "clang-14 is missing; tools/setup.sh installs it"; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/hotcc-fuzz-XXXXXX")"
keep_work=0
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() { [[ $keep_work -eq 1 ]] || rm -rf "$work"; }
trap cleanup EXIT

start=$SECONDS
[[ -d "$fuzz_base" ]] || say "building the fuzzer for the first time (up to two minutes on 2 cores)"
quiet_bazel "$work/build.log" "${fuzz_bazel[@]}" build --config=fuzz //reload:elf_file_fuzzer
fuzzer="$(bazel "${fuzz_bazel[@]}" info --config=fuzz bazel-bin 2>/dev/null)/reload/elf_file_fuzzer"
say "fuzzer built in $((SECONDS - start)) s (clang-14, output base $fuzz_base)"

# Leaks are checked (LeakSanitizer; ASan's default, spelled out). Reports name sources as
# reload/elf_file.cc, without the sandbox's prefix, and leave out ASan's 30-line legend.
# llvm-symbolizer puts the file and line in every frame; Debian names it so only in llvm-14.
readonly report_options="strip_path_prefix=/proc/self/cwd/:print_stacktrace=1"
export ASAN_OPTIONS="detect_leaks=1:print_legend=0:$report_options:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="$report_options:${UBSAN_OPTIONS:-}"
export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer

# -timeout: an input takes tens of microseconds, so 10 s on one is a hang. -rss_limit_mb (and
# the per-allocation limit, which defaults to it): a run peaks near 450 MB, most of it ASan's
# quarantine of freed memory.
common_args=(-timeout=10 -rss_limit_mb=1024 -artifact_prefix="$work/" -print_final_stats=1)
log="$work/fuzz.log"

if [[ ${#inputs[@]} -gt 0 ]]; then
  say "running ${#inputs[@]} input(s)"
  result="replayed ${#inputs[@]} input(s)"
  set +e
  "$fuzzer" "${common_args[@]}" "${libfuzzer_args[@]}" "${inputs[@]}" >"$log" 2>&1
  status=$?
  set -e
else
  start=$SECONDS
  # Every module the project's macro builds, but the benchmarks' padded ones (up to 50 MB).
  if ! bazel query --output=label 'attr(name, "^lib.*\.so$", kind(cc_binary,
         //libs/... + //reload/testdata/... + //tools/stateless_check/testdata/...))' \
       >"$work/seeds.txt" 2>"$work/query.log"; then
    tail -n 20 "$work/query.log" >&2
    say "FAILED: bazel query for the seed modules"
    exit 1
  fi
  mapfile -t seeds <"$work/seeds.txt"
  quiet_bazel "$work/seeds-build.log" build "${seeds[@]}"
  bin="$(bazel info bazel-bin 2>/dev/null)"
  mkdir "$work/corpus"
  for label in "${seeds[@]}"; do
    # //libs/view:libview.so -> libs/view/libview.so, copied as libs_view_libview.so.
    file="${label#//}"
    file="${file/://}"
    cp "$bin/$file" "$work/corpus/${file//\//_}"
  done
  say "${#seeds[@]} seed modules built in $((SECONDS - start)) s; fuzzing for $seconds s" \
      "(progress: tail -f $log)"
  set +e
  # The outer timeout only guards libFuzzer itself, should it wedge past its own -timeout.
  timeout --kill-after=10 $((seconds + 120)) \
    "$fuzzer" "${common_args[@]}" -max_total_time="$seconds" "${libfuzzer_args[@]}" \
    "$work/corpus" >"$log" 2>&1
  status=$?
  set -e
fi

final_stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }
if [[ ${#inputs[@]} -eq 0 ]]; then
  runs="$(final_stat number_of_executed_units)"
  result="${runs:-0} runs"
fi

if [[ $status -eq 0 ]]; then
  if [[ ${#inputs[@]} -eq 0 ]]; then
    # "#1046783 DONE cov: 361 ft: 1264 corp: 240/1722Kb ..." and the instrumented total.
    last="$(grep -E '^#[0-9]+[[:space:]]+(DONE|NEW|REDUCE|pulse|INITED)' "$log" | tail -n 1)"
    edges="$(sed -n 's/.*(\([0-9]*\) inline 8-bit counters).*/\1/p' "$log" | head -n 1)"
    cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")"
    ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")"
    corp="$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")"
    say "$runs runs in $seconds s ($(final_stat average_exec_per_sec)/s); coverage: $cov of" \
        "$edges edges in reload/, $ft features; corpus: ${#seeds[@]} seeds -> $corp inputs;" \
        "peak RSS $(final_stat peak_rss_mb) MB"
  fi
  echo "fuzz: elf_file: $result, 0 crashes"
  exit 0
fi

# What went wrong, from the report's first line.
failure="crash"
if [[ $status -eq 124 || $status -eq 137 ]]; then
  failure="hang"
  kind="libFuzzer did not stop within $((seconds + 120)) s"
elif grep -q 'ERROR: libFuzzer: timeout' "$log"; then
  failure="hang"
  kind="an input ran for more than 10 s"
elif grep -q 'ERROR: libFuzzer: out-of-memory' "$log"; then
  # "out-of-memory (malloc(2147483648))" or "out-of-memory (used: 1100Mb; exceeds: 1024Mb)"
  failure="out-of-memory"
  kind="$(sed -n 's/.*ERROR: libFuzzer: out-of-memory (\(.*\))$/\1/p' "$log" | head -n 1)"
elif grep -q 'ERROR: LeakSanitizer' "$log"; then
  failure="leak"
  kind="$(grep -m 1 '^SUMMARY: ' "$log" | sed -e 's/^SUMMARY: AddressSanitizer: //' -e 's/\.$//')"
elif grep -q 'runtime error:' "$log"; then
  kind="UBSan: $(grep -m 1 -o 'runtime error: .*' "$log")"
elif grep -q '^SUMMARY: ' "$log"; then
  kind="$(grep -m 1 '^SUMMARY: ' "$log" | sed -e 's/^SUMMARY: //' -e 's/ (.*//')"
elif grep -q '^elf_file_fuzzer: ' "$log"; then
  kind="contract broken: $(grep -m 1 '^elf_file_fuzzer: ' "$log" | sed 's/^elf_file_fuzzer: //')"
else
  kind="the fuzzer exited with status $status"
fi

# The report: what follows the last progress line, without libFuzzer's bookkeeping (its hex
# and C-string dumps of the input, between "MS:" and "artifact_prefix=", repeat its Base64).
awk '/^#[0-9]+[[:space:]]/ { n = NR } { line[NR] = $0 } END {
       for (i = n + 1; i <= NR; i++) {
         if (line[i] ~ /^MS: /) dump = 1
         if (line[i] ~ /^artifact_prefix=/) dump = 0
         if (!dump && line[i] !~ /^(stat::|INFO: |\tNEW_FUNC)/) print line[i]
       } }' "$log" | head -n 80 >&2
keep_work=1
artifact="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)"
if [[ -n "$artifact" ]]; then
  say "the input is kept in $artifact; run it again with: tools/fuzz.sh $artifact"
fi
say "the whole log: $log"
echo "fuzz: elf_file: FAILED: $result, 1 $failure ($kind)"
exit 1
