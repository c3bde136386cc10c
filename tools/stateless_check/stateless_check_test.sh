#!/bin/bash
# Proves that the stateless check catches each kind of state. Runs the <name>_stateless_test of
# each fixture module in testdata/ (real modules, built by hot_cc_library) and checks that it
# fails and names the offending symbol, demangled, with its file and line; and that the opt-out
# fixture passes and prints what it excused.
set -uo pipefail

readonly FIXTURES=tools/stateless_check/testdata
# BUILD.bazel passes --no-line-info under -c opt, where hot libraries have no debug info
# (tools/hot_flags.bzl) and the report can name only the source file.
line_info=1
[[ "${1:-}" == --no-line-info ]] && line_info=0
failures=0
output=""
status=0

# Prints how the report locates a definition in fixture source $1 at line $2.
location() {
  if [[ $line_info -eq 1 ]]; then
    echo "${FIXTURES}/$1:$2"
  else
    echo "$1 (no line information)"
  fi
}

# Runs the stateless test of fixture $1, keeping its output and exit status.
run_fixture() {
  output="$("${FIXTURES}/$1_stateless_test" 2>&1)"
  status=$?
}

fail() {
  echo "FAIL: $*"
  echo "---- output of $fixture's stateless test (exit status $status):"
  echo "$output"
  echo "----"
  failures=$((failures + 1))
}

# expect_failure FIXTURE TEXT...: the check fails, and its output contains each TEXT.
expect_failure() {
  fixture="$1"
  shift
  run_fixture "$fixture"
  if [[ $status -ne 1 ]]; then
    fail "$fixture: expected the check to fail with status 1"
    return
  fi
  expect_output "$@"
}

# expect_pass FIXTURE TEXT...: the check passes, and its output contains each TEXT.
expect_pass() {
  fixture="$1"
  shift
  run_fixture "$fixture"
  if [[ $status -ne 0 ]]; then
    fail "$fixture: expected the check to pass"
    return
  fi
  expect_output "$@"
}

expect_output() {
  local text
  for text in "$@"; do
    grep -qF -- "$text" <<<"$output" || fail "$fixture: expected the output to contain '$text'"
  done
}

# expect_no_output TEXT: the last fixture's output does not contain TEXT.
expect_no_output() {
  if grep -qF -- "$1" <<<"$output"; then
    fail "$fixture: expected the output not to contain '$1'"
  fi
}

expect_failure mutable_global \
  "hotcc::fixtures::g_calls  [mutable data]" \
  "defined at $(location mutable_global.cc 6)" \
  "From this library:"

expect_failure local_static \
  "hotcc::fixtures::Run(int)::kPrefix  [function-local static]" \
  "guard variable for hotcc::fixtures::Run(int)::kPrefix  [function-local static]" \
  "defined at $(location local_static.cc 10)"

expect_failure thread_local \
  "hotcc::fixtures::t_depth  [thread_local]" \
  "defined at $(location thread_local.cc 6)"

# The table is constant: only its STB_GNU_UNIQUE binding is wrong.
expect_failure gnu_unique \
  "hotcc::fixtures::Limits::kSteps  [GNU unique]" \
  "defined at $(location gnu_unique.cc 9)"
expect_no_output "mutable data"

expect_failure nodelete \
  "NODELETE  [NODELETE]" \
  "remove -Wl,-z,nodelete"
expect_no_output "From this library:"

expect_failure extra_export \
  "hotcc_module_extra_export_legacy  [exported symbol]"
expect_no_output "hotcc_module_extra_export  "

# State in a dependency is reported against it; the object of the dependency that the module
# does not link (unused_counter.cc) is not reported.
expect_failure dep_state \
  "From dependency //tools/stateless_check/testdata:call_counter:" \
  "hotcc::fixtures::g_total_calls  [mutable data]" \
  "call_counter.cc"
expect_no_output "g_unused_calls"
expect_no_output "From this library:"

expect_pass allowed_state \
  "excused by allowed_state: hotcc::fixtures::g_debug_hits [mutable data]" \
  "[mutable data] at $(location allowed_state.cc 7)" \
  "OK: "

if [[ $failures -ne 0 ]]; then
  echo "$failures expectation(s) failed"
  exit 1
fi
echo "PASS: the stateless check caught every fixture's state and excused the allowed one"
