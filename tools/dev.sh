#!/usr/bin/env bash
# The hotcc dev loop, in one command (installs what is missing first):
#   tools/dev.sh [app flags, e.g. --tick_ms=200]
# Runs the app in hot mode under ibazel. Saving a file under libs/ rebuilds the module and the
# running app loads it between two ticks, state kept; saving under app/ or libs/shared/
# rebuilds the app, which relaunches itself in place, carrying its state over when the layout
# of State is unchanged. A compile error leaves the app on its last good code. Ctrl-C stops
# ibazel and the app; the Bazel server stays up as a cache (`bazel shutdown` stops it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash tools/setup.sh
# ibazel waits this long after a save before building; its default is 100 ms.
exec ibazel -debounce=20ms run --config=hot //app -- "$@"
