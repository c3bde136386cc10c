#!/usr/bin/env bash
# Runs hotcc's whole test suite on this machine, installing what is missing first:
#   tools/test.sh
# 1. tools/setup.sh (quiet when everything is in place),
# 2. bazel test //...  (unit, loader, macro, equivalence and build-time statelessness tests),
# 3. tools/fuzz.sh: 30 s of fuzzing the module validator (reload/elf_file.cc),
# 4. tools/e2e_test.sh and tools/e2e_two_terminal_test.sh: the real dev loop, in tools/dev.sh's
#    form and in the README's two-terminal form, each on a temporary copy of the workspace.
# 5. tools/add_library_test.sh: a third hot library added as the README says, on a copy.
# 6. tools/compile_commands_test.sh: compile_commands.json, checked with clangd, on a copy.
# 7. tools/consumer_test.sh: examples/consumer, a workspace that uses hotcc as an external
#    repository, built static and hot, and reloading an edited module, on a temporary copy.
# 8. tools/remote_cache_test.sh: --config=remote_cache against a real nginx cache: a second
#    checkout builds //... from the first one's uploads, and a rebuilt hot module comes over.
# 9. tools/gdb_test.sh: README.md's gdb recipe in gdb -batch, a breakpoint in a module stopping
#    at its file and line before and after a reload, on a temporary copy.
# 10. tools/lint_check_test.sh: buildifier_check.sh and clang_tidy_check.sh fail on a badly
#     formatted BUILD file, a lint warning and clang-tidy findings injected into a copy.
# Before all of them, after the setup, the static checks; drift or a finding fails the run:
#   tools/format_check.sh      C++ formatting (clang-format-14, .clang-format),
#   tools/buildifier_check.sh  BUILD, WORKSPACE and .bzl files (buildifier: format and lint),
#   tools/clang_tidy_check.sh  clang-tidy-14 on reload/ (reload/.clang-tidy), about 90 s.
# Extra arguments go to `bazel test` (e.g. tools/test.sh --config=tsan //reload/...).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash tools/setup.sh
if [[ $# -gt 0 ]]; then
  bazel test "$@"
  exit
fi
tools/format_check.sh
tools/buildifier_check.sh
tools/clang_tidy_check.sh
# CI runs every test, rather than trusting results cached (in the shared disk cache) by an
# earlier run on the same machine.
if [[ "${CI:-}" == true ]]; then
  bazel test --nocache_test_results //...
else
  bazel test //...
fi
tools/fuzz.sh --seconds=30
tools/e2e_test.sh
tools/e2e_two_terminal_test.sh
tools/add_library_test.sh
tools/compile_commands_test.sh
tools/consumer_test.sh
tools/remote_cache_test.sh
tools/gdb_test.sh
tools/lint_check_test.sh
