#!/usr/bin/env bash
# Fails, listing the files and the first lines that differ, if any C++ file of the workspace is
# not formatted as .clang-format says (Google style, 100 columns). Fix with:
#   clang-format-14 -i $(git ls-files '*.cc' '*.h')
#   tools/format_check.sh     (tools/test.sh runs it first)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mapfile -t files < <(git ls-files '*.cc' '*.h' | grep -v '^tools/offline/')
diff_file="$(mktemp)"
trap 'rm -f "$diff_file"' EXIT
drifted=0
for file in "${files[@]}"; do
  if ! clang-format-14 --style=file "$file" | diff -u "$file" - >"$diff_file"; then
    echo "format: $file is not clang-formatted:" >&2
    head -n 12 "$diff_file" >&2
    drifted=$((drifted + 1))
  fi
done
if [[ $drifted -ne 0 ]]; then
  echo "format: $drifted of ${#files[@]} files drift; fix: clang-format-14 -i FILE..." >&2
  exit 1
fi
echo "format: ${#files[@]} C++ files formatted as .clang-format says"
