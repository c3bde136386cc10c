#!/usr/bin/env bash
# Fails, naming each file and what is wrong with it, if a Bazel file tracked by git (BUILD,
# BUILD.bazel, WORKSPACE, WORKSPACE.bazel, *.bzl, examples/consumer's and tools/offline's too) is
# not formatted as buildifier formats it, or if buildifier's linter warns about it.
#   tools/buildifier_check.sh          (tools/test.sh runs it after tools/format_check.sh)
#   tools/buildifier_check.sh --fix    formats every file and applies the linter's automatic
#                                      fixes, then checks again: what it still lists, fix by hand
#   tools/buildifier_check.sh FILE...  checks only these files (tools/lint_check_test.sh)
# buildifier is installed by tools/setup.sh, pinned in tools/buildifier/package-lock.json.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# buildifier's default warnings, less those that are wrong for Bazel 4.2.3. Each native-* warning
# asks for a rule or provider that Bazel 4 builds in (cc_library, sh_test, CcInfo, ...) to be
# loaded from @rules_cc//cc:<rule>.bzl, @rules_cc//cc/common:... or @rules_shell//shell:...
# instead. Those files come with rule sets made for the Bazels that drop the built-in rules
# (rules_cc 0.1 and later, rules_shell); none of them supports Bazel 4 (Debian's rules_cc 0.0.4
# already needs Bazel 5: tools/offline/README.md), so following the advice would break
# every build here. The rest of the default set stays on.
readonly DISABLED_WARNINGS=(
  native-cc-binary
  native-cc-common
  native-cc-debug-package-info
  native-cc-fdo-prefetch-hints
  native-cc-fdo-profile
  native-cc-import
  native-cc-info
  native-cc-library
  native-cc-memprof-profile
  native-cc-objc-import
  native-cc-objc-library
  native-cc-propeller-optimize
  native-cc-proto
  native-cc-shared-library
  native-cc-shared-library-hint-info
  native-cc-shared-library-info
  native-cc-test
  native-cc-toolchain
  native-cc-toolchain-suite
  native-sh-binary
  native-sh-library
  native-sh-test
)
warnings="$(printf -- '-%s,' "${DISABLED_WARNINGS[@]}")"
warnings="${warnings%,}"

command -v buildifier >/dev/null || { echo "buildifier: not installed; run tools/setup.sh" >&2; exit 1; }

fix=0
if [[ "${1:-}" == --fix ]]; then
  fix=1
  shift
fi
if [[ $# -gt 0 ]]; then
  files=("$@")
else
  mapfile -t files < <(git ls-files | grep -E '(^|/)(BUILD|WORKSPACE)(\.bazel)?$|\.bzl$')
fi

if [[ $fix -eq 1 ]]; then
  buildifier --mode=fix --lint=fix --warnings="$warnings" "${files[@]}" || true
fi

report="$(mktemp)"
trap 'rm -f "$report"' EXIT
# Exit status 4: a file needs reformatting or has a lint warning; 1: a syntax error.
status=0
buildifier --mode=check --lint=warn --warnings="$warnings" "${files[@]}" >"$report" 2>&1 ||
  status=$?
if [[ $status -ne 0 ]]; then
  # "FILE # reformat" for formatting drift (its diff follows), "FILE:LINE: warning: why..." for
  # a lint warning (whose explanation may go on over more lines), "FILE:LINE:COLUMN: syntax
  # error ..." for a file buildifier cannot parse (exit status 1).
  drifted=()
  declare -A unparsed=()  # A file that does not parse also says "# reformat": it has no diff.
  while IFS= read -r line; do
    [[ "$line" =~ ^([^\ :]+):[0-9]+:[0-9]+:\ syntax\ error ]] && unparsed["${BASH_REMATCH[1]}"]=1
  done <"$report"
  while IFS= read -r line; do
    if [[ "$line" =~ ^([^\ :]+)\ \#\ reformat$ ]]; then
      file="${BASH_REMATCH[1]}"
      drifted+=("$file")
      [[ -n "${unparsed[$file]:-}" ]] && continue
      echo "buildifier: $file is not formatted as buildifier formats it:" >&2
      buildifier --mode=fix --path="$file" <"$file" | diff -u "$file" - | head -n 12 >&2 || true
    else
      [[ "$line" =~ ^([^\ :]+):[0-9]+(:[0-9]+)?:\  ]] && drifted+=("${BASH_REMATCH[1]}")
      echo "$line" >&2
    fi
  done <"$report"
  count="$(printf '%s\n' "${drifted[@]}" | sort -u | grep -c . || true)"
  echo "buildifier: $count of ${#files[@]} Bazel files drift, have lint warnings or do not" \
    "parse; fix: tools/buildifier_check.sh --fix (buildifier --mode=fix --lint=fix with this" \
    "script's warnings), then fix by hand what it still lists" >&2
  exit 1
fi
echo "buildifier: ${#files[@]} Bazel files formatted, no lint warnings"
