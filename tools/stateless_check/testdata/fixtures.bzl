"""state_fixture: a hot library built to fail tools/stateless_check, for its meta-test."""

load("//tools:hot_cc_library.bzl", "hot_cc_library")

def state_fixture(name, deps = [], stateless_test_tags = ["manual"], **kwargs):
    """A test-only hot library `name` built from `<name>.cc`, exactly as a real one is.

    Its `<name>_stateless_test` is tagged manual, since it is meant to fail:
    tools/stateless_check:stateless_check_test runs it and checks how it fails.

    Example usage:

        state_fixture(name = "mutable_global")   # mutable_global.cc defines a global

    Args:
      name: the library's name; its source is `<name>.cc`.
      deps: dependencies besides :fixture_api.
      stateless_test_tags: tags of its stateless test; `[]` for a fixture that passes.
      **kwargs: passed to hot_cc_library (e.g. `copts`, `linkopts`, `allowed_state`).
    """
    hot_cc_library(
        name = name,
        srcs = [name + ".cc"],
        stateless_test_tags = stateless_test_tags,
        testonly = True,
        visibility = [str(Label("//tools/stateless_check:__pkg__"))],
        deps = [":fixture_api"] + deps,
        **kwargs
    )
