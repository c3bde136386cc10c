"""Compiler and linker flags for hot-reloadable modules, in one place.

tools/hot_cc_library.bzl applies these to every hot library; nothing else should repeat them.
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

# Link flags for lib<name>.so.
HOT_MODULE_LINKOPTS = [
    # Every symbol must resolve when the module is linked, not when the app first calls it.
    "-Wl,-z,defs",
]

# The label of the version script that limits a module's exports to its entry point.
HOT_MODULE_VERSION_SCRIPT = "//tools:hot_module.lds"
