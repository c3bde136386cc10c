"""counter_fixture: one build of the loader tests' fixture module, "counter"."""

load("//tools:hot_cc_library.bzl", "hot_cc_library")

def counter_fixture(
        src,
        version = 0,
        api = Label("//reload/testdata:counter_api"),
        local_defines = [],
        deps = [],
        **kwargs):
    """Declares the fixture module in the calling package: :counter and :libcounter.so.

    Every fixture package builds a module of the same name, so that a test can put one build
    after another at the same path, as successive builds of one library would.

    Example usage (reload/testdata/v2/BUILD.bazel):

        counter_fixture(src = "counter.cc", version = 2)

    Args:
      src: the module's source, a file that //reload/testdata exports.
      version: COUNTER_VERSION for counter.cc: 1 and 2 step by 1 and 10, 3 is the crashy one.
      api: the hot_cc_interface the module is built against.
      local_defines: further defines.
      deps: further dependencies, linked into the module.
      **kwargs: passed to hot_cc_library (e.g. `linkopts`, `allowed_state`).
    """
    hot_cc_library(
        name = "counter",
        testonly = True,
        srcs = [Label("//reload/testdata:" + src)],
        local_defines = (["COUNTER_VERSION=%d" % version] if version else []) + local_defines,
        visibility = [str(Label("//reload:__subpackages__"))],
        deps = [api] + deps,
        **kwargs
    )
