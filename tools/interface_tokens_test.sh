#!/usr/bin/env bash
# tools/interface_tokens.py, which the interface fingerprint hashes: a comment or whitespace edit
# of a header gives the same text, an edit of a declaration does not, and a "//" inside a string
# literal is kept.
set -euo pipefail
tokens="$1"
dir="${TEST_TMPDIR:-$(mktemp -d)}"
fail() { echo "FAIL: $*" >&2; exit 1; }

cat >"$dir/base.h" <<'EOF'
// The state.
struct State {
  int tick = 0;  // ticks so far
  const char* url = "http://example";
};
EOF
cat >"$dir/commented.h" <<'EOF'
/* The state, reworded
   over two lines. */
struct State {
    int   tick = 0;    // ticks run so far

  const char* url = "http://example";
};
EOF
cat >"$dir/retyped.h" <<'EOF'
// The state.
struct State {
  long tick = 0;  // ticks so far
  const char* url = "http://example";
};
EOF
cat >"$dir/reordered.h" <<'EOF'
// The state.
struct State {
  const char* url = "http://example";
  int tick = 0;  // ticks so far
};
EOF
of() { python3 "$tokens" "$dir/$1"; }
[[ "$(of base.h)" == "$(of commented.h)" ]] || fail "a comment or whitespace edit changed the text"
[[ "$(of base.h)" != "$(of retyped.h)" ]] || fail "a retyped field left the text as it was"
[[ "$(of base.h)" != "$(of reordered.h)" ]] || fail "reordered fields left the text as it was"
grep -q -F '"http://example"' <<<"$(of base.h)" || fail "a // inside a string was taken for a comment"
echo "interface_tokens: 4 passed, 0 failed"
