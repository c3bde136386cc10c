"""Compiler and linker flags for hot-reloadable modules, in one place.

tools/hot_cc_library.bzl applies these to every hot library; nothing else should repeat them.

hotcc's own targets are named with Label(), which resolves in the repository of this file, so
these values mean the same wherever they are used: in hotcc, or in a workspace that loads the
macros from hotcc as an external repository under any name.
"""

# Compile flags for the sources of a hot library. The same objects are linked into the static
# app and into lib<name>.so, so each flag must be harmless in a static link too.
HOT_MODULE_COPTS = [
    # Only the entry point is exported (also enforced by the version script): fewer dynamic
    # symbols make dlopen faster and keep two versions of a module from interposing.
    "-fvisibility=hidden",
    "-fvisibility-inlines-hidden",
    # g++ would mark inline and template statics STB_GNU_UNIQUE, and glibc never unloads a
    # library that defines one: every reload would then leak the old copy.
    "-fno-gnu-unique",
]

# Debug info for the sources of a hot library, so that <name>_stateless_test (tools/
# stateless_check) can name the file and line of each piece of state it finds: -g1 would be
# smaller but describes no static or function-local variable. lib<name>.so keeps it too
# (tools/hotcc.bazelrc links with --strip=never), so gdb shows a module's file and line (README.md,
# "Debugging a module with gdb"); dbg has -g anyway. -c opt keeps Bazel's -g0 so release binaries
# stay lean; the check then names the source file without a line. Add it to copts after
# HOT_MODULE_COPTS.
HOT_MODULE_DEBUG_COPTS = select({
    # Bazel 4's select() takes a label string, not a Label: str() gives hotcc's repository.
    str(Label("//tools:opt")): [],
    "//conditions:default": ["-g"],
})

# -c opt: link-time optimization of hot libraries (compile) and of hot_cc_binary hosts (compile
# and link), so that a static host's call through its LinkedModule (reload/linked_host.h), a
# load of a constant table's pointer, folds into the direct call. Fat objects, because the same
# objects also link into lib<name>.so, without it. `=auto`: as many jobs as there are cores.
HOT_LTO_COPTS = select({
    str(Label("//tools:opt")): ["-flto=auto", "-ffat-lto-objects"],
    "//conditions:default": [],
})
HOT_LTO_LINKOPTS = select({
    str(Label("//tools:opt")): ["-flto=auto"],
    "//conditions:default": [],
})

# The language of code that carries a host's State across a relaunch (reload/state_codec.h
# reflects on it with C++20). Everything else, hot libraries above all, is C++17
# (tools/hotcc.bazelrc): the C++20 standard headers make a hot library's compile about 1.6 times
# as long (tools/bench/compile_floor.py), and that compile is most of every edit-to-effect.
# State itself is shared by both and must be valid C++17; libstdc++'s types have one layout in
# both modes.
STATE_CODEC_COPTS = ["-std=c++20"]

# Link flags for lib<name>.so.
HOT_MODULE_LINKOPTS = [
    # Every symbol must resolve when the module is linked, not when the app first calls it.
    "-Wl,-z,defs",
]

# The label of the version script that limits a module's exports to its entry point.
HOT_MODULE_VERSION_SCRIPT = Label("//tools:hot_module.lds")
