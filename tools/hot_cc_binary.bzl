"""hot_cc_binary: a host program whose hot libraries are linked in, or loaded at run time."""

def hot_cc_binary(name, linked_deps, hot_deps, modules, deps = [], tags = [], **kwargs):
    """A host binary in both modes, from one description.

    Produces three `cc_binary` targets:

      * `name` follows the build configuration: dynamically linked, with `hot_deps` (code that
        loads `modules` through reload/) in the dev build (fastbuild and dbg, where .bazelrc sets
        `--define=hotcc_mode=hot` and `--config=hot` repeats it); fully static, with
        `linked_deps` (the `hot_cc_library` targets, called directly) in `-c opt` and under
        `--define=hotcc_mode=static`. It carries the `ibazel_notify_changes` tag, so
        `ibazel run --config=hot` keeps the process alive and tells it on stdin when a build
        completes, instead of restarting it.
      * `<name>_static` and `<name>_hot` are the two modes regardless of configuration, so that
        one `bazel test //...` can build both and compare them.

    The sanitizer configurations (`--define=hotcc_sanitizer=1`) link every binary dynamically:
    their runtimes cannot link statically.

    Example usage:

        hot_cc_binary(
            name = "app",
            srcs = ["main.cc"],
            linked_deps = [":linked_libraries"],   # calls //libs/view:view directly
            hot_deps = [":hot_libraries"],         # loads libview.so through reload/
            modules = ["//libs/view:libview.so"],
        )

    Args:
      name: the binary's name.
      linked_deps: dependencies of the static build.
      hot_deps: dependencies of the hot build.
      modules: the `lib<name>.so` targets the hot build loads; runfiles of the hot binaries, so
        `bazel run` builds them and the host can find them.
      deps: dependencies of both.
      tags: added to each target's tags.
      **kwargs: passed to each `cc_binary` (`srcs`, `copts`, ...).
    """
    native.cc_binary(
        name = name,
        deps = deps + select({
            "//tools:hot_mode": hot_deps,
            "//conditions:default": linked_deps,
        }),
        data = select({
            "//tools:hot_mode": modules,
            "//conditions:default": [],
        }),
        linkopts = select({
            "//tools:dynamic_link": [],
            "//conditions:default": ["-static"],
        }),
        tags = tags + ["ibazel_notify_changes"],
        **kwargs
    )
    native.cc_binary(
        name = name + "_static",
        deps = deps + linked_deps,
        linkopts = select({
            "//tools:sanitizer": [],
            "//conditions:default": ["-static"],
        }),
        tags = tags,
        **kwargs
    )
    native.cc_binary(
        name = name + "_hot",
        deps = deps + hot_deps,
        data = modules,
        tags = tags,
        **kwargs
    )
