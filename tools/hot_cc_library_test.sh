#!/usr/bin/env bash
# What hot_cc_library produces, for each library given as NAME MODULE ARCHIVE...:
#   - lib<name>.so is a shared object whose only exported symbol is hotcc_module_<name>;
#   - the static archive (what the app links) defines the library's code and the entry point.
# Arguments: repeated triples of the library name, its lib<name>.so, its archive; then
# `--` and, per library, the start of one symbol its code must define (demangled).
set -euo pipefail
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

triples=()
while [[ "$1" != -- ]]; do triples+=("$1"); shift; done
shift
symbols=("$@")

for ((i = 0; i < ${#triples[@]}; i += 3)); do
  name="${triples[$i]}" module="${triples[$((i + 1))]}" archive="${triples[$((i + 2))]}"
  symbol="${symbols[$((i / 3))]}"
  readelf -h "$module" | grep -q 'DYN (Shared object file)' || fail "$module is not a shared object"
  exported="$(readelf --dyn-syms -W "$module" | awk '$5 != "LOCAL" && $7 != "UND" && $8 != "" && NR > 3 {print $8}' | sort -u)"
  [[ "$exported" == "hotcc_module_$name" ]] ||
    fail "$module exports [$(echo $exported)], expected exactly hotcc_module_$name"
  # Captured first: `nm | grep -q` would fail under pipefail when grep stops reading early.
  demangled="$(nm -C --defined-only "$archive")"
  grep -q -F " T $symbol" <<<"$demangled" || fail "$archive does not define $symbol"
  grep -q " T hotcc_module_$name$" <<<"$demangled" ||
    fail "$archive does not define hotcc_module_$name"
  grep -q -E ' [Tt] .*hotcc::HotReloader' <<<"$demangled" && fail "$archive contains loader code"
done

echo "hot_cc_library_test: $((failures == 0 ? 1 : 0)) passed, $failures failed"
[[ $failures -eq 0 ]]
