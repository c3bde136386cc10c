#!/usr/bin/env bash
# Writes compile_commands.json at the workspace root, for clangd and other IDEs: every C++ file
# of //... (the app, the loader, each hot library, the tests) with Bazel's own compile flags.
#   tools/compile_commands.sh
# It builds the dev configuration first (generated headers such as the interface fingerprint
# must exist for clangd to find them), with the dev loop's options, so its analysis cache stays.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bazel build --config=hot --noshow_progress //... 2>/dev/null
python3 tools/compile_commands.py
